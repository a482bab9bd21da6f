/**
 * The whole product on free ports — mock sources, every subgraph, gateway — asked what a commune's
 * procedure system asks, and checked against the mocks' ground truth and call counters.
 */
import type { Citizen, World } from '../../mocks';
import type { SourceName } from '../../lib/sources';
import { Stack, PATIENT_DEADLINES, startStack } from '../../stack/stack';

const CITIZEN_FIELDS = `
  personalId fullName dateOfBirth gender lifeStatus
  permanentResidence { address commune { code name province { code } budget(fiscalYear: 2026) { revenue { totalEstimate totalActual } expenditure { totalActual } } } }
  household { householdId head { personalId } members { relationToHead citizen { personalId fullName } } }
  civilStatus { maritalStatus birth { registrationNumber registeredAt { code } } marriages { registrationNumber status spouse { personalId } } death { dateOfDeath } }
  landRights { certificateNumber share parcel { parcelId area landUseType commune { code } owners { share citizen { personalId } } } }
  socialInsurance { insuranceCode status healthInsuranceCard { cardNumber validTo } }
`;

interface CitizenAnswer {
  personalId: string;
  fullName: string;
  dateOfBirth: string;
  gender: string;
  lifeStatus: string;
  permanentResidence: { address: string; commune: { code: string; budget: { revenue: { totalEstimate: number; totalActual: number } } | null } };
  household: { householdId: string; head: { personalId: string }; members: { relationToHead: string; citizen: { personalId: string } }[] } | null;
  civilStatus: { maritalStatus: string; birth: { registrationNumber: string }; marriages: { registrationNumber: string; status: string }[]; death: { dateOfDeath: string } | null } | null;
  landRights: { certificateNumber: string; share: number; parcel: { parcelId: string; area: number } }[] | null;
  socialInsurance: { insuranceCode: string; status: string; healthInsuranceCard: { cardNumber: string } | null } | null;
}

let stack: Stack;
let world: World;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 3000, worldSeed: 'integration' }, env: PATIENT_DEADLINES });
  world = stack.mocks.world;
  auth = { authorization: `Bearer ${await stack.token()}` };
});
afterAll(() => stack?.close());

/** What population says (stale where a disagreement was seeded), and what civil status says. */
function expectMatchesTruth(answer: CitizenAnswer, truth: Citizen): void {
  const stale = truth.populationStale ?? {};
  expect(answer.fullName).toBe(stale.fullName ?? truth.fullName);
  expect(answer.dateOfBirth).toBe(stale.dateOfBirth ?? truth.dateOfBirth);
  expect(answer.gender).toBe(stale.gender ?? truth.gender);
  expect(answer.lifeStatus).toBe(stale.lifeStatus ?? (truth.death ? 'DECEASED' : 'LIVING'));
  expect(answer.permanentResidence.commune.code).toBe(truth.communeCode);
  expect(answer.permanentResidence.address).toBe(truth.address);

  if (truth.householdId) {
    const household = world.households.get(truth.householdId)!;
    expect(answer.household?.householdId).toBe(household.householdId);
    expect(answer.household?.head.personalId).toBe(household.headId);
    expect(answer.household?.members.map((m) => [m.citizen.personalId, m.relationToHead])).toEqual(
      household.members.map((m) => [m.personalId, m.relationToHead]),
    );
  } else {
    expect(answer.household).toBeNull();
  }

  expect(answer.civilStatus?.maritalStatus).toBe(truth.maritalStatus);
  expect(answer.civilStatus?.birth.registrationNumber).toBe(truth.birth.registrationNumber);
  expect(answer.civilStatus?.marriages.map((m) => [m.registrationNumber, m.status])).toEqual(
    truth.marriages.map((m) => [m.registrationNumber, m.status]),
  );
  expect(answer.civilStatus?.death?.dateOfDeath ?? null).toBe(truth.death?.dateOfDeath ?? null);

  const parcels = world.index.parcelsByOwner.get(truth.personalId) ?? [];
  expect((answer.landRights ?? []).map((r) => r.parcel.parcelId).sort()).toEqual([...parcels].sort());
  for (const right of answer.landRights ?? []) {
    const holder = world.parcels.get(right.parcel.parcelId)!.holders.find((h) => h.personalId === truth.personalId)!;
    expect([right.certificateNumber, right.share]).toEqual([holder.certificateNo, holder.share]);
  }

  const insurance = world.insurance.get(truth.personalId);
  expect(answer.socialInsurance?.insuranceCode ?? null).toBe(insurance?.insuranceCode ?? null);
  expect(answer.socialInsurance?.status ?? null).toBe(insurance?.status ?? null);
  expect(answer.socialInsurance?.healthInsuranceCard?.cardNumber ?? null).toBe(insurance?.healthCard?.cardNumber ?? null);

  const lines = world.budgets.get(truth.communeCode)?.get(2026) ?? [];
  const revenue = lines.filter((l) => l.section === 'REVENUE');
  expect(answer.permanentResidence.commune.budget?.revenue.totalEstimate).toBe(revenue.reduce((sum, l) => sum + l.estimateVnd, 0));
  expect(answer.permanentResidence.commune.budget?.revenue.totalActual).toBe(revenue.reduce((sum, l) => sum + l.actualVnd, 0));
}

/** Citizens who exercise every source: a household, land, insurance, a marriage. */
function richCitizens(count: number): Citizen[] {
  const found: Citizen[] = [];
  for (const citizen of world.citizens.values()) {
    if (citizen.householdId && world.index.parcelsByOwner.has(citizen.personalId) && world.insurance.has(citizen.personalId) && citizen.marriages.length > 0) {
      found.push(citizen);
      if (found.length === count) break;
    }
  }
  return found;
}

describe('a citizen dossier in one request', () => {
  it('returns identity, household, civil status, land rights, insurance and the commune budget as the sources hold them', async () => {
    const citizens = richCitizens(4);
    expect(citizens).toHaveLength(4);
    for (const truth of citizens) {
      const { status, body } = await stack.query<{ citizen: CitizenAnswer }>(`query($id: ID!) { citizen(personalId: $id) { ${CITIZEN_FIELDS} } }`, { id: truth.personalId }, auth);
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      expectMatchesTruth(body.data!.citizen, truth);
    }
  });

  it('shows each source its own truth where population and civil status disagree', async () => {
    const deathNotRecorded = world.inconsistencies.find((i) => i.kind === 'DEATH_NOT_IN_POPULATION')!;
    const renamed = world.inconsistencies.find((i) => i.kind === 'NAME_DIFFERS')!;
    for (const seeded of [deathNotRecorded, renamed]) {
      const { body } = await stack.query<{ citizen: CitizenAnswer }>(`query($id: ID!) { citizen(personalId: $id) { ${CITIZEN_FIELDS} } }`, { id: seeded.personalId }, auth);
      expectMatchesTruth(body.data!.citizen, world.citizens.get(seeded.personalId)!);
    }
  });

  it('answers null for a well-formed ID nobody holds, and BAD_USER_INPUT for a malformed one', async () => {
    const unknown = await stack.query(`{ citizen(personalId: "024199999999") { fullName } }`, {}, auth);
    expect(unknown.body).toEqual({ data: { citizen: null } });
    for (const bad of ['12345', '02419001234X', '024790012345', '000190012345']) {
      const { body } = await stack.query(`query($id: ID!) { citizen(personalId: $id) { fullName } }`, { id: bad }, auth);
      expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(body.errors?.[0].message).toMatch(/personalId/);
      expect(body.errors?.[0].message).not.toContain(bad);
    }
  });

  it('refuses an unknown commune code clearly instead of answering empty', async () => {
    const { body } = await stack.query(`{ commune(code: "99999") { name } }`, {}, auth);
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const malformed = await stack.query(`{ commune(code: "7210") { name } }`, {}, auth);
    expect(malformed.body.errors?.[0].message).toMatch(/5 digits/);
  });
});

describe('source calls', () => {
  // A stack of its own: the counts are for a cold start, with no answer cached by earlier tests.
  let cold: Stack;
  beforeAll(async () => {
    cold = await startStack({ mocks: { worldSize: 3000, worldSeed: 'integration', world }, env: PATIENT_DEADLINES });
  });
  afterAll(() => cold?.close());

  /** Whole households, up to 100 people: a query that reads members needs no one outside the list. */
  function hundredCitizensInWholeHouseholds(): string[] {
    const ids: string[] = [];
    for (const household of world.households.values()) {
      if (ids.length + household.members.length > 100) continue;
      ids.push(...household.members.map((m) => m.personalId));
      if (ids.length === 100) break;
    }
    return ids;
  }

  function calls(source: SourceName, operation?: string): number {
    const stats = cold.mocks.stats(source);
    return operation ? (stats.byOperation[operation] ?? 0) : stats.requests;
  }

  it('costs one population call for 100 citizens with every nested field, and batch-sized calls elsewhere', async () => {
    const ids = hundredCitizensInWholeHouseholds();
    expect(ids).toHaveLength(100);
    cold.mocks.resetStats();
    const { body } = await cold.query<{ citizens: CitizenAnswer[] }>(`query($ids: [ID!]!) { citizens(personalIds: $ids) { ${CITIZEN_FIELDS} } }`, { ids }, {
      authorization: `Bearer ${await cold.token()}`,
    });
    expect(body.errors).toBeUndefined();
    expect(body.data!.citizens.map((c) => c.personalId)).toEqual(ids);
    for (const answer of body.data!.citizens) expectMatchesTruth(answer, world.citizens.get(answer.personalId)!);

    const communes = new Set(ids.map((id) => world.citizens.get(id)!.communeCode));
    expect(cold.mocks.stats('population').byOperation).toEqual({ 'citizens:batchGet': 1 });
    expect(calls('civil-status')).toBe(2); // 50 IDs per SOAP call
    expect(calls('land')).toBeLessThanOrEqual(2); // 100 owners per query, 200 parcels per page
    expect(calls('social-insurance')).toBeLessThanOrEqual(100); // one ID per call by its protocol: once per citizen, not per field
    expect(calls('budget')).toBe(Math.ceil(communes.size / 50));
    // communes, provinces, the land owners' communes, civil status's registering communes, and the
    // old-unit catalogue and conversion table once per subgraph process that places recorded codes (3 × 2)
    expect(calls('catalogue')).toBeLessThanOrEqual(10);
  });

  it("asks the catalogue nothing for a dossier in a commune no one asked about: today's catalogue is kept whole from the start", async () => {
    const askedCommunes = new Set(hundredCitizensInWholeHouseholds().map((id) => world.citizens.get(id)!.communeCode));
    // Recorded under today's code, in a commune the other tests here leave uncached.
    const citizen = [...world.citizens.values()].find(
      (c) => c.householdId && !c.death && !c.recordedCommuneCode && !askedCommunes.has(c.communeCode),
    );
    expect(citizen).toBeDefined();
    cold.mocks.resetStats();
    const { body } = await cold.query<{ citizen: { permanentResidence: { commune: { code: string; name: string } } } }>(
      `query($id: ID!) { citizen(personalId: $id) { fullName permanentResidence { commune { code name } } civilStatus { maritalStatus } } }`,
      { id: citizen!.personalId },
      { authorization: `Bearer ${await cold.token()}` },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data!.citizen.permanentResidence.commune).toEqual({ code: citizen!.communeCode, name: world.catalogue.communeByCode.get(citizen!.communeCode)!.FullName });
    // The citizen, then civil status: the commune's province (its jurisdiction) came from memory.
    expect(calls('population')).toBe(1);
    expect(calls('catalogue')).toBe(0);
  });
});

describe('operations', () => {
  it('serves /health and /ready', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    await expect((await fetch(`${base}/ready`)).json()).resolves.toEqual({ status: 'ready' });
  });

  it("answers every response with the gateway's own request id, never the caller's", async () => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'x-request-id': 'desk-42-req-7' },
      body: JSON.stringify({ query: '{ provinces { code } }' }),
    });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a body that is not JSON with a clear 400, not a stack trace', async () => {
    const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"query": ' });
    expect(response.status).toBe(400);
    const text = await response.text();
    expect(text).toMatch(/not valid JSON/);
    expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
  });
});
