/**
 * The leak suite: random principals (scopes × jurisdiction × purpose × location-independence)
 * ask about random citizens, with the source caches and the gateway's response cache cold and
 * warm (warmed by a national token asking the very same query first). Whatever comes back, not
 * one personal field may be outside what the token allows. What it allows is computed here,
 * independently of the gateway's access code: from the token's claims, the citizen's residence
 * in the mocks' world (commune and its province) and the scope each field family needs.
 *
 * `LEAK_RUNS` sets the number of cases per cache mode (default 40; the long form uses 1000).
 */
import fc from 'fast-check';
import type { Citizen, World } from '../../mocks';
import { Stack, startStack } from '../../stack/stack';

const RUNS = Number(process.env.LEAK_RUNS ?? 40);
/** Up to half a second a case (two queries when warming) on a loaded machine. */
const PROPERTY_TIMEOUT_MS = 20_000 + RUNS * 500;
const WORLD = { worldSize: 1500, worldSeed: 'leaks' };
const NO_RATE_LIMIT = { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' };
const COLD = {
  ...NO_RATE_LIMIT,
  RESPONSE_CACHE_TTL_S: '0',
  SUBGRAPH_ANSWER_CACHE_TTL_S: '0',
  POPULATION_CACHE_TTL_S: '0',
  CIVIL_STATUS_CACHE_TTL_S: '0',
  LAND_CACHE_TTL_S: '0',
  SOCIAL_INSURANCE_CACHE_TTL_S: '0',
  BUDGET_CACHE_TTL_S: '0',
};

/** Every personal field family, the scope it needs, and where it sits on a citizen. */
const FAMILIES = {
  'population:read': ['fullName', 'dateOfBirth', 'gender', 'permanentResidence', 'household'],
  'civil-status:read': ['civilStatus'],
  'land:read': ['landRights'],
  'social-insurance:read': ['socialInsurance'],
} as const;
const SCOPES = [...Object.keys(FAMILIES), 'budget:read'];

const CITIZEN = `personalId fullName dateOfBirth gender permanentResidence { address commune { code } }
  civilStatus { maritalStatus marriages { spouseName } } socialInsurance { insuranceCode }`;
const QUERY = `query Leak($id: ID!, $commune: ID!, $household: ID!) {
  citizen(personalId: $id) {
    ${CITIZEN}
    household { householdId address members { relationToHead citizen { ${CITIZEN} } } }
    landRights { certificateNumber parcel { parcelId owners { share citizen { ${CITIZEN} } } } }
  }
  household(householdId: $household) { householdId address head { ${CITIZEN} } members { citizen { ${CITIZEN} } } }
  commune(code: $commune) { code residents(first: 5) { totalCount nodes { ${CITIZEN} } } }
}`;

interface Claims {
  scopes: string[];
  jurisdiction: string[];
  purpose: string | undefined;
  locationIndependent: boolean;
}

type Answer = Record<string, any> | null | undefined;

let world: World;
let provinceOf: (communeCode: string) => string;

/** Whether the token may read a record about someone residing in `communeCode`: the rule, restated. */
function mayRead(claims: Claims, communeCode: string): boolean {
  if (!claims.purpose) return false;
  const inside = claims.jurisdiction.some((code) => code === '*' || code === communeCode || code === provinceOf(communeCode));
  return inside || claims.locationIndependent;
}

/** Every place the answer holds a personal field the token does not allow; also, for the asked citizen, allowed data that is missing. */
function findLeaks(claims: Claims, answer: Answer, asked: Citizen): string[] {
  const leaks: string[] = [];

  const citizenAt = (citizen: Answer, path: string) => {
    if (!citizen) return;
    const truth = world.citizens.get(citizen.personalId);
    if (!truth) return void leaks.push(`${path}: a citizen the world does not hold`);
    if (!mayRead(claims, truth.communeCode)) {
      // A record the token may not read comes back null, not as an object, whatever it holds.
      return void leaks.push(`${path}: a record outside the token's jurisdiction or without a purpose`);
    }
    for (const [scope, fields] of Object.entries(FAMILIES)) {
      for (const field of fields) {
        if (citizen[field] != null && !claims.scopes.includes(scope)) leaks.push(`${path}.${field} without ${scope}`);
      }
    }
    householdAt(citizen.household, `${path}.household`);
    for (const [i, right] of (citizen.landRights ?? []).entries()) {
      for (const [j, owner] of (right?.parcel?.owners ?? []).entries()) citizenAt(owner?.citizen, `${path}.landRights.${i}.parcel.owners.${j}.citizen`);
    }
  };

  const householdAt = (household: Answer, path: string) => {
    if (!household) return;
    const truth = world.households.get(household.householdId);
    if (!truth) return void leaks.push(`${path}: a household the world does not hold`);
    if (!mayRead(claims, truth.communeCode)) return void leaks.push(`${path}: a household outside the token's jurisdiction or without a purpose`);
    if ((household.address != null || household.members != null || household.head != null) && !claims.scopes.includes('population:read')) {
      leaks.push(`${path} details without population:read`);
    }
    citizenAt(household.head, `${path}.head`);
    for (const [i, member] of (household.members ?? []).entries()) citizenAt(member?.citizen, `${path}.members.${i}.citizen`);
  };

  citizenAt(answer?.citizen, 'citizen');
  householdAt(answer?.household, 'household');
  for (const [i, node] of (answer?.commune?.residents?.nodes ?? []).entries()) citizenAt(node, `commune.residents.nodes.${i}`);

  // Not a leak, but the other half of the rule: what the token allows is actually served. (The
  // query asks for non-null identity fields: without population:read the whole citizen is null.)
  if (mayRead(claims, asked.communeCode) && claims.scopes.includes('population:read')) {
    const citizen = answer?.citizen;
    if (!citizen) leaks.push('citizen: missing although the token may read it');
    else {
      if (claims.scopes.includes('population:read') && citizen.fullName == null) leaks.push('citizen.fullName missing although allowed');
      if (claims.scopes.includes('civil-status:read') && citizen.civilStatus == null) leaks.push('citizen.civilStatus missing although allowed');
      if (claims.scopes.includes('land:read') && citizen.landRights == null) leaks.push('citizen.landRights missing although allowed');
    }
  }
  return leaks;
}

/** Cases name citizens by personal ID only, so a failure report carries no names or addresses. */
function claimsArbitrary(): fc.Arbitrary<{ claims: Claims; personalId: string }> {
  const citizens = [...world.citizens.keys()];
  const communes = world.catalogue.communes.map((c) => c.Code);
  const provinces = world.catalogue.provinces.map((p) => p.Code);
  return fc.record({
    personalId: fc.constantFrom(...citizens),
    claims: fc.record({
      scopes: fc.subarray(SCOPES),
      jurisdiction: fc.array(fc.oneof(fc.constantFrom(...communes), fc.constantFrom(...provinces), fc.constant('*')), { minLength: 1, maxLength: 3 }),
      purpose: fc.option(fc.constant('1.001193 HS-LEAK-0001'), { nil: undefined }),
      locationIndependent: fc.boolean(),
    }),
  });
}

function variablesFor(citizen: Citizen) {
  // Household and commune asked beside the citizen: the citizen's own, or someone else's.
  const households = [...world.households.keys()];
  return {
    id: citizen.personalId,
    household: citizen.householdId ?? households[citizen.personalId.charCodeAt(11) % households.length],
    commune: citizen.communeCode,
  };
}

async function askAs(stack: Stack, claims: Claims, variables: Record<string, unknown>) {
  const token = await stack.token({
    scope: claims.scopes.join(' ') || 'budget:read',
    jurisdiction: claims.jurisdiction.join(' '),
    purpose: claims.purpose,
    locationIndependent: claims.locationIndependent,
    client: `leak-${Math.random().toString(36).slice(2, 8)}`,
  });
  return stack.query<Record<string, any>>(QUERY, variables, { authorization: `Bearer ${token}` });
}

/** Runs the property; every case prints what was asked and which fields leaked on failure. */
async function checkNoLeaks(stack: Stack, warmFirst: boolean): Promise<void> {
  const national = await stack.token({ scope: SCOPES.join(' '), jurisdiction: '*' });
  await fc.assert(
    fc.asyncProperty(claimsArbitrary(), async ({ claims, personalId }) => {
      const citizen = world.citizens.get(personalId)!;
      const variables = variablesFor(citizen);
      if (warmFirst) {
        const warm = await stack.query(QUERY, variables, { authorization: `Bearer ${national}` });
        expect(warm.status).toBe(200);
      }
      const { status, body } = await askAs(stack, claims, variables);
      expect([200, 403]).toContain(status);
      const codes = (body.errors ?? []).map((e) => e.extensions?.code);
      expect(codes.every((code) => code === 'FORBIDDEN' || code === 'UNAUTHENTICATED')).toBe(true);
      expect(findLeaks(claims, body.data, citizen)).toEqual([]);
    }),
    { numRuns: RUNS, endOnFailure: true },
  );
}

describe('no personal field outside what the token allows', () => {
  let cold: Stack;
  let warm: Stack;
  beforeAll(async () => {
    cold = await startStack({ mocks: WORLD, env: COLD });
    world = cold.mocks.world;
    provinceOf = (code) => world.catalogue.communeByCode.get(code)!.ProvinceCode;
    warm = await startStack({ mocks: { ...WORLD, world }, env: NO_RATE_LIMIT });
  });
  afterAll(async () => {
    await cold?.close();
    await warm?.close();
  });

  it('with every cache cold', async () => {
    await checkNoLeaks(cold, false);
  }, PROPERTY_TIMEOUT_MS);

  it('with the caches warmed by a national token asking the same query first', async () => {
    await checkNoLeaks(warm, true);
  }, PROPERTY_TIMEOUT_MS);

  it('knows a leak when it sees one (the checker itself)', () => {
    const asked = [...world.citizens.values()].find((c) => c.householdId)!;
    const elsewhere = [...world.citizens.values()].find((c) => provinceOf(c.communeCode) !== provinceOf(asked.communeCode))!;
    const claims: Claims = { scopes: ['population:read'], jurisdiction: [asked.communeCode], purpose: 'P', locationIndependent: false };
    expect(findLeaks(claims, { citizen: { personalId: asked.personalId, fullName: 'x', civilStatus: {} } }, asked)).toEqual([
      'citizen.civilStatus without civil-status:read',
    ]);
    expect(findLeaks(claims, { citizen: { personalId: elsewhere.personalId, fullName: 'x' } }, asked)[0]).toMatch(/outside the token's jurisdiction/);
    expect(findLeaks({ ...claims, purpose: undefined }, { citizen: { personalId: asked.personalId } }, asked)[0]).toMatch(/without a purpose/);
    expect(findLeaks(claims, { citizen: null }, asked)).toEqual(['citizen: missing although the token may read it']);
    expect(findLeaks({ ...claims, scopes: ['civil-status:read'] }, { citizen: null }, asked)).toEqual([]);
  });
});
