/**
 * Purpose bound to the procedure, end to end: a TTHC system names a catalogued procedure and its
 * dossier (x-procedure, x-dossier); each procedure of the starter catalogue is served its fields
 * and refused a field outside them; unknown procedures, missing dossiers and free text without
 * its scope are refused; every audit entry names a procedure or a marked free-text purpose; a
 * malformed catalogue stops the gateway's start.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Citizen } from '../../mocks';
import { richCitizens } from '../../stack/dossier';
import { REPO_ROOT, Stack, startStack } from '../../stack/stack';

let stack: Stack;
let citizen: Citizen;
let officer: string;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 2000, worldSeed: 'procedures' } });
  [citizen] = richCitizens(stack.mocks.world, 1);
  // A TTHC system's token: source scopes, no purpose claim (the procedure comes per request).
  officer = await stack.token({ purpose: '', sub: 'can-bo-tthc', client: 'tthc-test' });
}, 60_000);
afterAll(() => stack?.close());

const procedureHeaders = (token: string, code: string, dossier = 'HS-2026-000123') => ({
  authorization: `Bearer ${token}`,
  'x-procedure': code,
  'x-dossier': dossier,
});

function auditEntries(): Record<string, unknown>[] {
  return readFileSync(stack.gatewayConfig.auditFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Per procedure: a selection inside its field set, and one outside it (with the refused coordinate). */
const CASES: [code: string, inside: string, outside: string, refused: string][] = [
  ['local:birth-registration', 'civilStatus { maritalStatus } household { householdId }', 'socialInsurance { status }', 'Citizen.socialInsurance'],
  ['local:death-registration', 'civilStatus { maritalStatus death { dateOfDeath } }', 'landRights { certificateNumber }', 'Citizen.landRights'],
  ['local:marriage-registration', 'civilStatus { maritalStatus marriages { registrationNumber } }', 'household { householdId }', 'Citizen.household'],
  ['local:marital-status-confirmation', 'civilStatus { maritalStatus updatedAt }', 'household { householdId }', 'Citizen.household'],
  ['local:permanent-residence-registration', 'household { householdId address }', 'civilStatus { maritalStatus }', 'Citizen.civilStatus'],
  ['local:temporary-residence-registration', 'permanentResidence { address }', 'household { householdId }', 'Citizen.household'],
  ['local:first-land-use-certificate', 'landRights { certificateNumber parcel { parcelId } }', 'socialInsurance { status }', 'Citizen.socialInsurance'],
  ['local:land-use-right-transfer', 'landRights { certificateNumber parcel { parcelId owners { share } } }', 'socialInsurance { status }', 'Citizen.socialInsurance'],
  ['local:health-insurance-card', 'socialInsurance { status healthInsuranceCard { cardNumber } }', 'civilStatus { maritalStatus }', 'Citizen.civilStatus'],
  ['local:social-allowance', 'socialInsurance { status } household { householdId }', 'landRights { certificateNumber }', 'Citizen.landRights'],
];

describe('each procedure of the starter catalogue', () => {
  it.each(CASES)('%s: its fields are served, a field outside it is refused naming field and procedure', async (code, inside, outside, refused) => {
    const dossier = `HS-${code.slice(6, 14)}-1`;
    const query = `query($id: ID!) { citizen(personalId: $id) { personalId fullName ${inside} ${outside} } }`;
    const { status, body } = await stack.query<{ citizen: Record<string, unknown> }>(query, { id: citizen.personalId }, procedureHeaders(officer, code, dossier));
    expect(status).toBe(200);
    const answer = body.data!.citizen;
    expect(answer.personalId).toBe(citizen.personalId);
    expect(answer.fullName).toEqual(expect.any(String));
    const insideKeys = [...inside.matchAll(/(?:^|\}\s*)(\w+)\s*\{/g)].map((m) => m[1]);
    for (const key of insideKeys) expect([key, answer[key]]).toEqual([key, expect.anything()]);
    const outsideKey = refused.split('.')[1];
    expect(answer[outsideKey]).toBeNull();
    const refusal = body.errors!.find((e) => e.extensions?.reason === 'OUTSIDE_PROCEDURE');
    expect(refusal).toMatchObject({ path: ['citizen', outsideKey], extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_PROCEDURE', procedure: code } });
    expect(refusal!.message).toContain(refused);
    expect(refusal!.message).toContain(code);
    expect(body.errors!.filter((e) => e.extensions?.reason !== 'OUTSIDE_PROCEDURE')).toEqual([]);

    const entry = auditEntries().find((e) => e.personalId === citizen.personalId && e.dossier === dossier);
    expect(entry).toMatchObject({
      purposeBasis: 'procedure',
      procedure: { code, name: expect.any(String), catalogueVersion: expect.any(String) },
      dossier,
      purpose: `${code} ${dossier}`,
      subject: 'can-bo-tthc',
      clientId: 'tthc-test',
    });
    expect(entry!.fields).not.toContain(refused);
  });
});

describe('refusals', () => {
  it('refuses a procedure the catalogue does not hold, naming it', async () => {
    const { status, body } = await stack.query(`{ citizen(personalId: "${citizen.personalId}") { fullName } }`, {}, procedureHeaders(officer, '9.999999'));
    expect(status).toBe(400);
    expect(body.errors![0]).toMatchObject({ extensions: { code: 'UNKNOWN_PROCEDURE', procedure: '9.999999' } });
    expect(body.errors![0].message).toContain('"9.999999"');
  });

  it('refuses a procedure without its dossier, and a dossier without a procedure', async () => {
    const noDossier = await stack.query('{ provinces { code } }', {}, { authorization: `Bearer ${officer}`, 'x-procedure': 'local:birth-registration' });
    expect(noDossier.status).toBe(400);
    expect(noDossier.body.errors![0].extensions).toMatchObject({ code: 'DOSSIER_REQUIRED', procedure: 'local:birth-registration' });
    const noProcedure = await stack.query('{ provinces { code } }', {}, { authorization: `Bearer ${officer}`, 'x-dossier': 'HS-1' });
    expect(noProcedure.status).toBe(400);
  });

  it("bounds the procedures a client may name by its token's procedures claim", async () => {
    const landDesk = await stack.token({ purpose: '', procedures: 'local:land-use-right-transfer local:first-land-use-certificate' });
    const allowed = await stack.query(`{ citizen(personalId: "${citizen.personalId}") { fullName } }`, {}, procedureHeaders(landDesk, 'local:land-use-right-transfer'));
    expect(allowed.body.errors ?? []).toEqual([]);
    const refused = await stack.query(`{ citizen(personalId: "${citizen.personalId}") { fullName } }`, {}, procedureHeaders(landDesk, 'local:birth-registration'));
    expect(refused.status).toBe(403);
    expect(refused.body.errors![0].extensions).toMatchObject({ code: 'PROCEDURE_NOT_ALLOWED', procedure: 'local:birth-registration' });
  });

  it('refuses a free-text purpose without the scope purpose:free-text, and serves it with the scope, marked as free text', async () => {
    const query = `{ citizen(personalId: "${citizen.personalId}") { fullName } }`;
    const unscoped = await stack.token({ purpose: 'Kiểm tra nội bộ 2026', freeText: false });
    const refused = await stack.query<{ citizen: unknown }>(query, {}, { authorization: `Bearer ${unscoped}` });
    expect(refused.body.data?.citizen ?? null).toBeNull();
    const error = refused.body.errors!.find((e) => e.extensions?.reason === 'PURPOSE_REQUIRED');
    expect(error).toBeDefined();
    expect(error!.message).toContain('purpose:free-text');

    const inspector = await stack.token({ purpose: 'Thanh tra QĐ-12/2026', sub: 'thanh-tra-01' });
    const served = await stack.query<{ citizen: { fullName: string } }>(query, {}, { authorization: `Bearer ${inspector}` });
    expect(served.body.errors ?? []).toEqual([]);
    expect(served.body.data!.citizen.fullName).toEqual(expect.any(String));
    expect(auditEntries().filter((e) => e.subject === 'thanh-tra-01')).toEqual([
      expect.objectContaining({ purposeBasis: 'free-text', purpose: 'Thanh tra QĐ-12/2026', procedure: null, dossier: null }),
    ]);
  });

  it('refuses personal fields to a token with neither a procedure nor a free-text purpose', async () => {
    const { body } = await stack.query(`{ citizen(personalId: "${citizen.personalId}") { fullName } }`, {}, { authorization: `Bearer ${officer}` });
    expect(body.errors!.some((e) => e.extensions?.reason === 'PURPOSE_REQUIRED')).toBe(true);
  });
});

describe('the access history and the audit log', () => {
  it("shows the procedure's name and the dossier in the citizen's access history", async () => {
    const self = await stack.token({ scope: 'self', sub: citizen.personalId, jurisdiction: undefined, purpose: undefined });
    const { body } = await stack.query<{ accessLog: Record<string, unknown>[] }>(
      `{ accessLog(personalId: "${citizen.personalId}", first: 200) { purpose purposeKind procedure { code name catalogueVersion } dossier } }`,
      {},
      { authorization: `Bearer ${self}` },
    );
    expect(body.errors ?? []).toEqual([]);
    expect(body.data!.accessLog).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ purposeKind: 'PROCEDURE', procedure: expect.objectContaining({ code: 'local:birth-registration', name: 'Đăng ký khai sinh' }), dossier: expect.stringMatching(/^HS-/) }),
        expect.objectContaining({ purposeKind: 'FREE_TEXT', procedure: null, dossier: null, purpose: 'Thanh tra QĐ-12/2026' }),
      ]),
    );
  });

  it('every audit entry names a procedure and dossier, or a free-text purpose marked so, or self access', () => {
    // Reads; a refusal states the purpose as the request did (a procedure refused for want of its dossier, or none).
    const entries = auditEntries().filter((entry) => entry.kind === undefined);
    expect(entries.length).toBeGreaterThan(CASES.length);
    for (const entry of entries) {
      if (entry.purposeBasis === 'procedure') expect(entry).toMatchObject({ procedure: { code: expect.any(String) }, dossier: expect.any(String) });
      else expect(entry).toMatchObject({ purposeBasis: expect.stringMatching(/^(free-text|self)$/), purpose: expect.any(String), procedure: null });
    }
  });
});

describe('a malformed catalogue', () => {
  it('stops the gateway from starting, naming the entry at fault', () => {
    const dir = mkdtempSync(join(tmpdir(), 'procedures-'));
    try {
      const shipped = readFileSync(join(REPO_ROOT, 'config/procedures/catalogue.yaml'), 'utf8');
      const broken = shipped.replace('      - DeathRegistration.*\n', '      - DeathRegistration.*\n      - Citizen.foo\n');
      expect(broken).not.toBe(shipped);
      const file = join(dir, 'catalogue.yaml');
      writeFileSync(file, broken);
      const run = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'gateway/main.ts')], {
        cwd: REPO_ROOT,
        env: { ...process.env, PROCEDURE_CATALOGUE_FILE: file, DEV_DIR: stack.devDir, PORT: '0', AUDIT_FILE: join(dir, 'audit.log'), LOG_LEVEL: 'error' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      // The start-up failure is logged as JSON: its reason names the file and the entry.
      const fatal = `${run.stdout}${run.stderr}`
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level?: string; reason?: string })
        .find((line) => line.level === 'fatal');
      expect(fatal?.reason).toContain('PROCEDURE_CATALOGUE_FILE');
      expect(fatal?.reason).toContain('procedures[1] (code "local:death-registration"): field "Citizen.foo" is not a field of the schema');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);
});
