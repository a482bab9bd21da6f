/**
 * The security review's access findings, each replayed against the running stack as the attack
 * it was: personal data that left unaudited, reads outside the rules, and the existence oracle.
 * Then a sweep of random principals × random citizens (cold, warm, and after a permitted caller
 * filled every cache), checking each person an answer names against the token's rights and
 * against the audit log's entries for that very request.
 *
 * `SECURITY_RUNS` sets the sweep's cases per cache mode (default 25).
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Citizen, World } from '../../mocks';
import { Stack, startStack } from '../../stack/stack';

const RUNS = Number(process.env.SECURITY_RUNS ?? 25);
const PURPOSE = '1.001193 HS-2026-000123';

interface AuditLine {
  requestId: string;
  personalId: string;
  purpose: string | null;
  fields: string[];
  locationIndependent: boolean;
}

let stack: Stack;
let world: World;
let provinceOf: (commune: string) => string;
/** A commune with residents and a parcel, one citizen there, one in another province. */
let home: { commune: string; province: string; resident: Citizen; parcelId: string; owners: string[] };
let elsewhere: Citizen;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 1500, worldSeed: 'security-access' } });
  world = stack.mocks.world;
  provinceOf = (commune) => world.catalogue.communeByCode.get(commune)!.ProvinceCode;
  // A parcel recorded under today's code: one under a split old commune follows the split rule (old-units.test.ts).
  const parcel = [...world.parcels.values()].find((p) => p.holders.length >= 2 && !p.recordedCommuneCode && world.citizens.get(p.holders[0].personalId))!;
  const resident = [...world.citizens.values()].find((c) => !c.death && c.communeCode === parcel.communeCode && c.householdId) ?? world.citizens.get(parcel.holders[0].personalId)!;
  home = {
    commune: parcel.communeCode,
    province: provinceOf(parcel.communeCode),
    resident,
    parcelId: parcel.parcelId,
    owners: parcel.holders.map((o) => o.personalId),
  };
  elsewhere = [...world.citizens.values()].find((c) => !c.death && provinceOf(c.communeCode) !== home.province)!;
});

afterAll(async () => {
  await stack?.close();
});

/** Every audit entry so far, by the gateway's request id. */
function auditEntries(): Map<string, AuditLine[]> {
  const byRequest = new Map<string, AuditLine[]>();
  for (const line of readFileSync(stack.gatewayConfig.auditFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const entry = JSON.parse(line) as AuditLine;
    byRequest.set(entry.requestId, [...(byRequest.get(entry.requestId) ?? []), entry]);
  }
  return byRequest;
}

async function ask(token: string, query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(stack.gatewayUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Record<string, any> | null; errors?: { message: string; path?: unknown[]; extensions?: Record<string, unknown> }[] };
  return { status: response.status, body, requestId: response.headers.get('x-request-id')! };
}

describe('personal data that used to leave with no audit entry', () => {
  it("audits every holder of a parcel whose owners are read, inside the jurisdiction, with a purpose", async () => {
    const token = await stack.token({ scope: 'land:read', jurisdiction: home.commune, purpose: PURPOSE });
    const { body, requestId } = await ask(token, `query($p: ID!) { landParcel(parcelId: $p) { owners { share certificateNumber citizen { personalId } } } }`, { p: home.parcelId });
    expect(body.errors).toBeUndefined();
    expect(body.data?.landParcel.owners).toHaveLength(home.owners.length);
    const audited = (auditEntries().get(requestId) ?? []).map((e) => e.personalId).sort();
    expect(audited).toEqual([...home.owners].sort());
  });

  it("audits each resident a commune's listing names", async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: home.commune, purpose: PURPOSE });
    const { body, requestId } = await ask(token, `query($c: ID!) { commune(code: $c) { residents(first: 5) { nodes { personalId } } } }`, { c: home.commune });
    const listed: string[] = body.data?.commune.residents.nodes.map((n: { personalId: string }) => n.personalId) ?? [];
    expect(listed.length).toBeGreaterThan(0);
    expect((auditEntries().get(requestId) ?? []).map((e) => e.personalId).sort()).toEqual([...listed].sort());
  });
});

describe('reads outside the rules', () => {
  it("refuses a citizen's access history without a purpose, and outside the jurisdiction", async () => {
    const query = `query($id: ID!) { accessLog(personalId: $id) { subject purpose } }`;
    const noPurpose = await ask(await stack.token({ scope: 'audit:read', jurisdiction: '79', purpose: undefined }), query, { id: elsewhere.personalId });
    expect(noPurpose.body.data ?? null).toBeNull();
    expect(noPurpose.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'PURPOSE_REQUIRED' });
    // No read of that person: a refusal entry, naming no one.
    expect(auditEntries().get(noPurpose.requestId)).toEqual([
      expect.objectContaining({ kind: 'refusal', personalId: '', fields: ['Query.accessLog'], refusal: expect.objectContaining({ reason: 'PURPOSE_REQUIRED' }) }),
    ]);

    const outsider = await stack.token({ scope: 'audit:read', jurisdiction: home.province, purpose: 'thanh tra' });
    const outside = await ask(outsider, query, { id: elsewhere.personalId });
    expect(outside.body.data ?? null).toBeNull();
    expect(outside.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_FOUND_OR_OUTSIDE_JURISDICTION' });
    expect(auditEntries().get(outside.requestId)).toEqual([
      expect.objectContaining({ kind: 'refusal', personalId: '', refusal: expect.objectContaining({ reason: 'OUTSIDE_JURISDICTION' }) }),
    ]);

    const inside = await ask(outsider, query, { id: home.resident.personalId });
    expect(inside.body.errors).toBeUndefined();
    expect(auditEntries().get(inside.requestId)).toEqual([expect.objectContaining({ personalId: home.resident.personalId, purpose: 'thanh tra', fields: ['Query.accessLog'] })]);
  });

  it('serves a land parcel only with a purpose and inside the jurisdiction, and audits it', async () => {
    const query = `query($p: ID!) { landParcel(parcelId: $p) { parcelId address area } }`;
    const noPurpose = await ask(await stack.token({ scope: 'land:read', jurisdiction: home.commune, purpose: undefined }), query, { p: home.parcelId });
    expect(JSON.stringify(noPurpose.body.data ?? {})).not.toContain('"address":"');
    expect(noPurpose.body.errors?.some((e) => e.extensions?.reason === 'PURPOSE_REQUIRED')).toBe(true);

    const otherProvince = provinceOf(elsewhere.communeCode);
    const outside = await ask(await stack.token({ scope: 'land:read', jurisdiction: otherProvince, purpose: PURPOSE }), query, { p: home.parcelId });
    expect(outside.body.data?.landParcel ?? null).toBeNull();
    expect(outside.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'NOT_FOUND_OR_OUTSIDE_JURISDICTION' });

    const inside = await ask(await stack.token({ scope: 'land:read', jurisdiction: home.commune, purpose: PURPOSE }), query, { p: home.parcelId });
    expect(inside.body.data?.landParcel).toMatchObject({ parcelId: home.parcelId });
    expect((auditEntries().get(inside.requestId) ?? []).map((e) => e.personalId).sort()).toEqual([...home.owners].sort());
  });

  it("does not let a location-independent token page through another commune's residents", async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: provinceOf(elsewhere.communeCode), purpose: PURPOSE, locationIndependent: true });
    const { body } = await ask(token, `query($c: ID!) { commune(code: $c) { name residents(first: 5) { nodes { personalId fullName dateOfBirth } } } }`, { c: home.commune });
    expect(body.data?.commune.name).toBeTruthy();
    expect(body.data?.commune.residents).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' });
    // A named citizen of a dossier is still served to it, marked in the audit log.
    const named = await ask(token, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: home.resident.personalId });
    expect(named.body.data?.citizen?.fullName).toBe(home.resident.fullName);
    expect(auditEntries().get(named.requestId)?.[0].locationIndependent).toBe(true);
  });

  it('answers an unknown ID exactly as one outside the jurisdiction', async () => {
    const token = await stack.token({ scope: 'population:read', jurisdiction: home.commune, purpose: PURPOSE });
    const query = `query($id: ID!) { citizen(personalId: $id) { fullName } }`;
    // Same format (province code, gender/century digit, birth year), no such person.
    let unknownId = '';
    for (let n = 999999; !unknownId; n--) {
      const candidate = `${elsewhere.personalId.slice(0, 6)}${String(n).padStart(6, '0')}`;
      if (!world.citizens.has(candidate)) unknownId = candidate;
    }
    const outside = await ask(token, query, { id: elsewhere.personalId });
    const unknown = await ask(token, query, { id: unknownId });
    expect(unknown.status).toBe(outside.status);
    expect(unknown.body).toEqual(outside.body);
    expect(outside.body.errors?.[0].extensions?.reason).toBe('NOT_FOUND_OR_OUTSIDE_JURISDICTION');
  });
});

describe("a citizen's own token", () => {
  it('reads their own records and access history, and nobody else’s', async () => {
    const self = await stack.token({ scope: 'self', sub: home.resident.personalId, jurisdiction: undefined, purpose: undefined });
    const own = await ask(self, `query($id: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } } accessLog(personalId: $id) { subject purpose } }`, {
      id: home.resident.personalId,
    });
    expect(own.body.errors).toBeUndefined();
    expect(own.body.data?.citizen.fullName).toBe(home.resident.fullName);
    expect(Array.isArray(own.body.data?.accessLog)).toBe(true);
    expect(auditEntries().get(own.requestId)?.every((e) => e.personalId === home.resident.personalId && e.purpose)).toBe(true);

    const other = await ask(self, `query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: elsewhere.personalId });
    expect(other.body.data?.citizen ?? null).toBeNull();
    const history = await ask(self, `query($id: ID!) { accessLog(personalId: $id) { subject } }`, { id: elsewhere.personalId });
    expect(history.body.data ?? null).toBeNull();
    const budget = await ask(self, `{ province(code: "24") { budget(fiscalYear: 2026) { balance } } }`);
    expect(budget.body.data?.province.budget).toBeNull();
    expect(JSON.stringify([other.body, history.body])).not.toContain(elsewhere.fullName);
  });
});

describe('the leak sweep, with the audit log as witness', () => {
  const QUERY = `query Sweep($id: ID!, $commune: ID!) {
    citizen(personalId: $id) {
      personalId fullName civilStatus { maritalStatus }
      household { householdId address members { citizen { personalId fullName } } }
      landRights { share parcel { parcelId address owners { citizen { personalId } } } }
    }
    commune(code: $commune) { residents(first: 3) { totalCount nodes { personalId fullName } } }
    accessLog(personalId: $id, first: 1) { purpose }
  }`;

  /** Every personal ID that appears anywhere in an answer. */
  function namedIn(value: unknown, found = new Set<string>()): Set<string> {
    if (Array.isArray(value)) value.forEach((v) => namedIn(v, found));
    else if (value && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value)) {
        if (key === 'personalId' && typeof inner === 'string') found.add(inner);
        else namedIn(inner, found);
      }
    }
    return found;
  }

  const claims = fc.record({
    scopes: fc.subarray(['population:read', 'civil-status:read', 'land:read', 'audit:read']),
    jurisdiction: fc.constantFrom('*', '24', '01', '79', 'home-commune', 'home-province'),
    purpose: fc.boolean(),
    locationIndependent: fc.boolean(),
  });

  for (const mode of ['cold', 'warm', 'after a permitted caller'] as const) {
    it(`never names a person outside the token's rights, nor one the audit log misses (${mode})`, async () => {
      const citizens = [...world.citizens.values()].filter((c) => !c.death);
      const national = await stack.token({ scope: 'population:read civil-status:read land:read audit:read', jurisdiction: '*', purpose: PURPOSE });
      await fc.assert(
        fc.asyncProperty(claims, fc.nat(citizens.length - 1), async (c, index) => {
          const citizen = citizens[index];
          const variables = { id: citizen.personalId, commune: citizen.communeCode };
          const jurisdiction = c.jurisdiction === 'home-commune' ? citizen.communeCode : c.jurisdiction === 'home-province' ? provinceOf(citizen.communeCode) : c.jurisdiction;
          const token = await stack.token({
            scope: c.scopes.join(' ') || 'budget:read',
            jurisdiction,
            purpose: c.purpose ? PURPOSE : undefined,
            locationIndependent: c.locationIndependent && c.purpose,
          });
          if (mode === 'after a permitted caller') await ask(national, QUERY, variables);
          if (mode !== 'cold') await ask(token, QUERY, variables);
          const { body, requestId } = await ask(token, QUERY, variables);
          const named = namedIn(body.data);
          const audited = new Set((auditEntries().get(requestId) ?? []).map((e) => e.personalId));
          for (const personalId of named) {
            // Each person named was audited for this request, before the answer left.
            expect(audited.has(personalId)).toBe(true);
          }
          if (!c.purpose) expect(named.size).toBe(0);
          // The asked citizen's own record only within the rule, restated from the world.
          const inside = jurisdiction === '*' || jurisdiction === citizen.communeCode || jurisdiction === provinceOf(citizen.communeCode);
          if (body.data?.citizen?.fullName) {
            expect(c.purpose && c.scopes.includes('population:read') && (inside || (c.locationIndependent && c.purpose))).toBe(true);
          }
          if (body.data?.commune?.residents?.nodes) expect(inside && c.purpose).toBe(true);
          if (body.data?.accessLog) expect(c.purpose && c.scopes.includes('audit:read') && (inside || c.locationIndependent)).toBe(true);
          expect(JSON.stringify(body)).not.toContain('gw__');
        }),
        { numRuns: RUNS },
      );
    }, 30_000 + RUNS * 1500);
  }
});
