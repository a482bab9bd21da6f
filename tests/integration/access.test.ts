/**
 * Who may see whose data, end to end: tokens at the gateway's door, scopes per field,
 * jurisdiction per record, purpose, the subgraphs' own refusal of anyone but the gateway, and
 * the audit log behind every personal read.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { SignJWT } from 'jose';
import type { Citizen, World } from '../../mocks';
import { verifyAuditFile } from '../../scripts/audit-verify';
import { Stack, startStack } from '../../stack/stack';

let stack: Stack;
let world: World;
const logged: string[] = [];
const restoreLogs: (() => void)[] = [];

/** Two residents of one commune and one of a commune in another province. */
let home: { commune: string; province: string; residents: Citizen[] };
let elsewhere: Citizen;

beforeAll(async () => {
  // Everything the product writes to the console during these tests is kept, to prove it
  // carries no personal data.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      logged.push(String(chunk));
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
    restoreLogs.push(() => (stream.write = write));
  }
  stack = await startStack({ mocks: { worldSize: 3000, worldSeed: 'access' } });
  world = stack.mocks.world;
  const byCommune = new Map<string, Citizen[]>();
  for (const citizen of world.citizens.values()) {
    if (citizen.death || !citizen.householdId) continue;
    byCommune.set(citizen.communeCode, [...(byCommune.get(citizen.communeCode) ?? []), citizen]);
  }
  const [commune, residents] = [...byCommune.entries()].find(([, list]) => list.length >= 2)!;
  const province = world.catalogue.communeByCode.get(commune)!.ProvinceCode;
  home = { commune, province, residents };
  elsewhere = [...world.citizens.values()].find(
    (c) => !c.death && c.householdId && world.catalogue.communeByCode.get(c.communeCode)!.ProvinceCode !== province,
  )!;
});

afterAll(async () => {
  await stack?.close();
  restoreLogs.forEach((restore) => restore());
});

const ALL_SOURCES = 'population:read civil-status:read land:read social-insurance:read budget:read';
const DOSSIER = `query($id: ID!) { citizen(personalId: $id) {
  personalId fullName dateOfBirth permanentResidence { commune { code } }
  household { householdId } civilStatus { maritalStatus } landRights { certificateNumber } socialInsurance { status }
} }`;

async function ask(token: string, query: string, variables: Record<string, unknown> = {}) {
  return stack.query<Record<string, any>>(query, variables, { authorization: `Bearer ${token}` });
}

describe('jurisdiction', () => {
  it("gives a commune officer their residents' full records and nothing of another commune's", async () => {
    const token = await stack.token({ scope: ALL_SOURCES, jurisdiction: home.commune });
    const resident = home.residents[0];
    const own = await ask(token, DOSSIER, { id: resident.personalId });
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data?.citizen).toMatchObject({ personalId: resident.personalId, permanentResidence: { commune: { code: home.commune } } });

    const other = await ask(token, DOSSIER, { id: elsewhere.personalId });
    expect(other.body.data).toEqual({ citizen: null });
    expect(other.body.errors?.every((e) => e.extensions?.code === 'FORBIDDEN')).toBe(true);
    expect(other.body.errors?.[0].extensions?.reason).toMatch(/JURISDICTION/);
    const text = JSON.stringify(other.body);
    for (const value of [elsewhere.fullName, elsewhere.dateOfBirth, elsewhere.address, elsewhere.personalId]) expect(text).not.toContain(value);
  });

  it('lets a province token read every commune of its province', async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: home.province });
    const { body } = await ask(token, `query($ids: [ID!]!) { citizens(personalIds: $ids) { personalId fullName } }`, {
      ids: [home.residents[0].personalId, elsewhere.personalId],
    });
    expect(body.data?.citizens[0]).toMatchObject({ personalId: home.residents[0].personalId });
    expect(body.data?.citizens[1]).toBeNull();
  });

  it('reads across jurisdictions only for a location-independent procedure with a purpose', async () => {
    const withRight = await stack.token({ scope: 'population:read', jurisdiction: home.commune, locationIndependent: true, purpose: '2.000986 HS-77' });
    const served = await ask(withRight, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: elsewhere.personalId });
    expect(served.body).toEqual({ data: { citizen: { fullName: expect.any(String) } } });

    const withoutRight = await stack.token({ scope: 'population:read', jurisdiction: home.commune, purpose: '2.000986 HS-77' });
    const refused = await ask(withoutRight, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: elsewhere.personalId });
    expect(refused.body.data).toEqual({ citizen: null });

    const withoutPurpose = await stack.token({ scope: 'population:read', jurisdiction: home.commune, locationIndependent: true, purpose: '' });
    const noPurpose = await ask(withoutPurpose, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: elsewhere.personalId });
    expect(noPurpose.body.data).toEqual({ citizen: null });
    expect(noPurpose.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PURPOSE_REQUIRED' });
  });
});

describe('scopes', () => {
  it('nulls a nested entity field whose scope is missing, naming the scope, and still sends the rest', async () => {
    const token = await stack.token({ scope: 'population:read civil-status:read', jurisdiction: '*' });
    const { body } = await ask(token, DOSSIER, { id: home.residents[0].personalId });
    expect(body.data?.citizen.fullName).toBe(home.residents[0].populationStale?.fullName ?? home.residents[0].fullName);
    expect(body.data?.citizen.civilStatus).not.toBeNull();
    expect(body.data?.citizen.landRights).toBeNull();
    expect(body.data?.citizen.socialInsurance).toBeNull();
    const forbidden = body.errors!.map((e) => [e.path?.join('.'), e.extensions?.code, e.extensions?.scope]);
    expect(forbidden).toEqual([
      ['citizen.landRights', 'FORBIDDEN', 'land:read'],
      ['citizen.socialInsurance', 'FORBIDDEN', 'social-insurance:read'],
    ]);
  });

  it('does not let a fragment reach a forbidden field', async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: '*' });
    const { body } = await ask(
      token,
      `query($id: ID!) { citizen(personalId: $id) { ...Dossier } } fragment Dossier on Citizen { fullName ... on Citizen { civilStatus { maritalStatus } } }`,
      { id: home.residents[0].personalId },
    );
    expect(body.data?.citizen).toEqual({ fullName: expect.any(String), civilStatus: null });
    expect(body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN', scope: 'civil-status:read' }) })]);
  });

  it('serves aggregates without a purpose but not personal fields', async () => {
    const token = await stack.token({ scope: 'population:read budget:read', jurisdiction: '*', purpose: '' });
    const { body } = await ask(
      token,
      `{ commune(code: "${home.commune}") { name budget(fiscalYear: 2026) { balance } residents(first: 2) { totalCount nodes { fullName } } } }`,
    );
    expect(body.data?.commune.budget.balance).toEqual(expect.any(Number));
    expect(body.data?.commune.residents.totalCount).toBeGreaterThan(0);
    expect(body.data?.commune.residents.nodes).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PURPOSE_REQUIRED' });
  });

  it('names no resident in the paging cursors it serves without a purpose, and refuses one it did not make', async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: '*', purpose: '' });
    let after: string | null = null;
    const cursors: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { body } = await ask(token, `query($c: ID!, $a: String) { commune(code: $c) { residents(first: 1, after: $a) { totalCount pageInfo { endCursor } } } }`, { c: home.commune, a: after });
      expect(body.errors).toBeUndefined();
      after = body.data?.commune.residents.pageInfo.endCursor as string;
      cursors.push(after);
    }
    const ids = [...stack.mocks.world.citizens.keys()];
    for (const cursor of cursors) {
      for (const shown of [cursor, Buffer.from(cursor, 'base64url').toString('latin1')]) expect(ids.some((id) => shown.includes(id) || shown.includes(Buffer.from(id).toString('base64url')))).toBe(false);
    }
    // The source's own cursor (the last ID, base64url) is refused, not passed on.
    const { body } = await ask(token, `query($c: ID!, $a: String) { commune(code: $c) { residents(first: 1, after: $a) { totalCount } } }`, {
      c: home.commune,
      a: Buffer.from(home.residents[0].personalId).toString('base64url'),
    });
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('never serves the internal jurisdiction key to a client', async () => {
    const token = await stack.token({ scope: `${ALL_SOURCES} gateway:internal`, jurisdiction: '*' });
    const { body } = await ask(token, `query($id: ID!) { citizen(personalId: $id) { fullName jurisdictionKey } }`, { id: home.residents[0].personalId });
    expect(body.data).toEqual({ citizen: null });
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'gateway:internal' });
  });
});

describe('tokens at the door', () => {
  it('answers 401 UNAUTHENTICATED, in plain words, to a missing, expired, tampered or foreign token', async () => {
    const valid = await stack.token();
    const [header, payload, signature] = valid.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, jurisdiction: '*', scope: `${claims.scope} audit:read` })).toString('base64url')}.${signature}`;
    const expired = await stack.token({ ttlSeconds: 1 });
    const hmac = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('a-shared-secret-of-32-bytes-long!'));
    await new Promise((r) => setTimeout(r, 1100));
    const cases: [string | undefined, RegExp][] = [
      [undefined, /access token is required/],
      [`Bearer ${tampered}`, /signature does not verify/],
      [`Bearer ${hmac}`, /only asymmetric algorithms/],
      [`Bearer not.a.jwt`, /not a well-formed JWT|not a valid signed JWT/],
      [`Basic ${Buffer.from('a:b').toString('base64')}`, /must be "Bearer <token>"/],
    ];
    for (const [authorization, reason] of cases) {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
        body: JSON.stringify({ query: '{ provinces { code } }' }),
      });
      expect(response.status).toBe(401);
      const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(body.errors[0].message).toMatch(reason);
    }
    // Within the 30 s clock tolerance an expired-by-a-second token still passes; the unit tests
    // cover expiry beyond it.
    expect((await ask(expired, '{ provinces { code } }')).status).toBe(200);
  });
});

describe('subgraphs trust only the gateway', () => {
  it('refuses a direct call without the gateway forwarding, and one with a forged forwarding', async () => {
    for (const name of ['population', 'civil-status', 'audit'] as const) {
      for (const forged of [undefined, 'eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl']) {
        const response = await fetch(stack.subgraphs[name].url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(forged ? { 'x-gateway-principal': forged } : {}) },
          body: JSON.stringify({ query: '{ _service { sdl } }' }),
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
    }
  });
});

describe('audit', () => {
  it("records every personal read, cached or not, and shows it in the citizen's access log", async () => {
    const citizen = home.residents[1];
    const officer = await stack.token({ scope: 'population:read civil-status:read', jurisdiction: home.commune, sub: 'officer-07', client: 'tthc-24', purpose: '1.001193 HS-2026-000123' });
    stack.mocks.resetStats();
    await ask(officer, `query($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } }`, { id: citizen.personalId });
    await ask(officer, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: citizen.personalId });
    // The second answer came from the source cache: no new population call, and still audited.
    expect(stack.mocks.stats('population').byOperation['citizens:batchGet']).toBe(1);

    const auditor = await stack.token({ scope: 'audit:read', jurisdiction: '*', sub: 'inspector-1', purpose: 'kiểm tra định kỳ' });
    const { body } = await ask(auditor, `query($id: ID!) { accessLog(personalId: $id, first: 10) { subject clientId purpose fields sources requestId at } }`, {
      id: citizen.personalId,
    });
    expect(body.errors).toBeUndefined();
    const reads = body.data?.accessLog.filter((event: { subject: string }) => event.subject === 'officer-07');
    expect(reads).toHaveLength(2);
    expect(reads[1]).toMatchObject({
      clientId: 'tthc-24',
      purpose: '1.001193 HS-2026-000123',
      fields: ['Citizen.civilStatus', 'Citizen.fullName'],
      sources: ['civil-status', 'population'],
    });
    expect(reads[0].fields).toEqual(['Citizen.fullName']);

    // Reading the access log is itself a recorded read of that citizen's history.
    const again = await ask(auditor, `query($id: ID!) { accessLog(personalId: $id) { subject fields } }`, { id: citizen.personalId });
    expect(again.body.data?.accessLog[0]).toEqual({ subject: 'inspector-1', fields: ['Query.accessLog'] });
  });

  it("pages a citizen's access log back to its first entry, so no read is pushed out of reach", async () => {
    const citizen = home.residents[0];
    const officer = await stack.token({ scope: 'population:read', jurisdiction: home.commune, sub: 'officer-paging', purpose: 'HS-PAGING' });
    for (let i = 0; i < 5; i++) await ask(officer, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: citizen.personalId });
    const auditor = await stack.token({ scope: 'audit:read', jurisdiction: '*', sub: 'inspector-paging', purpose: 'kiểm tra định kỳ' });
    const page = async (before: string | null) => {
      const { body } = await ask(auditor, `query($id: ID!, $before: ID) { accessLog(personalId: $id, first: 2, before: $before) { sequence subject } }`, { id: citizen.personalId, before });
      expect(body.errors).toBeUndefined();
      return body.data?.accessLog as { sequence: string; subject: string }[];
    };
    const seen: string[] = [];
    let before: string | null = null;
    for (let events = await page(null); events.length > 0; events = await page(before)) {
      seen.push(...events.map((e) => e.sequence));
      before = events[events.length - 1].sequence;
    }
    // Sequences are strings of digits; newest first, no event twice, and every one of the officer's five reads among them.
    expect(seen.every((sequence) => /^[1-9][0-9]*$/.test(sequence))).toBe(true);
    expect(seen).toEqual([...seen].sort((a, b) => Number(b) - Number(a)));
    expect(new Set(seen).size).toBe(seen.length);
    const { body } = await ask(auditor, `query($id: ID!) { accessLog(personalId: $id, first: 200) { sequence subject } }`, { id: citizen.personalId });
    const officerReads = (body.data?.accessLog as { sequence: string; subject: string }[]).filter((e) => e.subject === 'officer-paging').map((e) => e.sequence);
    expect(officerReads).toHaveLength(5);
    for (const sequence of officerReads) expect(seen).toContain(sequence);
  });

  it('refuses the access log without audit:read', async () => {
    const token = await stack.token({ scope: ALL_SOURCES, jurisdiction: '*' });
    const { body } = await ask(token, `{ accessLog(personalId: "${home.residents[0].personalId}") { subject } }`);
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'audit:read' });
  });

  it('keeps a chain that audit:verify accepts, and that fails once an entry is altered', async () => {
    const file = stack.gatewayConfig.auditFile;
    await expect(verifyAuditFile(file)).resolves.toMatchObject({ status: 0 });
    const original = readFileSync(file, 'utf8');
    const lines = original.trimEnd().split('\n');
    const second = JSON.parse(lines[1]);
    lines[1] = JSON.stringify({ ...second, purpose: 'something else' });
    writeFileSync(file, lines.join('\n') + '\n');
    try {
      await expect(verifyAuditFile(file)).resolves.toMatchObject({ status: 1, message: expect.stringMatching(/entry 2/) });
    } finally {
      writeFileSync(file, original);
    }
  });
});

describe('logs', () => {
  it('carry no personal data of the citizens read', () => {
    const everything = logged.join('');
    for (const citizen of [...home.residents.slice(0, 2), elsewhere]) {
      for (const value of [citizen.personalId, citizen.fullName, citizen.address]) expect(everything).not.toContain(value);
    }
  });
});
