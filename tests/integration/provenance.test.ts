/**
 * Every source-backed object says where it came from and how fresh it is: the source system,
 * when the source last changed it, when it was fetched, and whether this answer came from the
 * cache (and how old it is).
 */
import type { Citizen, World } from '../../mocks';
import { Stack, startStack } from '../../stack/stack';

const P = 'provenance { source producedAt fetchedAt servedFromCache ageSeconds stale }';
const DOSSIER = `query($id: ID!) { citizen(personalId: $id) {
  ${P}
  permanentResidence { commune { ${P} province { ${P} budget(fiscalYear: 2026) { ${P} } } budget(fiscalYear: 2026) { ${P} } } }
  household { ${P} }
  civilStatus { ${P} }
  landRights { ${P} parcel { ${P} } }
  socialInsurance { ${P} }
} }`;

interface Provenance {
  source: string;
  producedAt: string | null;
  fetchedAt: string;
  servedFromCache: boolean;
  ageSeconds: number;
  stale: boolean;
}

let stack: Stack;
let world: World;
let auth: Record<string, string>;
let citizen: Citizen;
let stackStartedAt: number;

beforeAll(async () => {
  stackStartedAt = Date.now();
  stack = await startStack({ mocks: { worldSize: 2000, worldSeed: 'provenance' } });
  world = stack.mocks.world;
  auth = { authorization: `Bearer ${await stack.token()}` };
  citizen = [...world.citizens.values()].find(
    (c) => c.householdId && !c.populationStale && world.index.parcelsByOwner.has(c.personalId) && world.insurance.has(c.personalId),
  )!;
});
afterAll(() => stack?.close());

async function dossier() {
  const { body } = await stack.query<any>(DOSSIER, { id: citizen.personalId }, auth);
  expect(body.errors).toBeUndefined();
  const c = body.data.citizen;
  const parcel = world.parcels.get(world.index.parcelsByOwner.get(citizen.personalId)![0])!;
  return {
    answer: c,
    expected: [
      [c.provenance, 'POPULATION', citizen.updatedAt.population],
      [c.household.provenance, 'POPULATION', world.households.get(citizen.householdId!)!.updatedAt],
      [c.permanentResidence.commune.provenance, 'CATALOGUE', null],
      [c.permanentResidence.commune.province.provenance, 'CATALOGUE', null],
      [c.permanentResidence.commune.budget.provenance, 'BUDGET', null],
      [c.permanentResidence.commune.province.budget.provenance, 'BUDGET', null],
      [c.civilStatus.provenance, 'CIVIL_STATUS', citizen.updatedAt.civilStatus],
      [c.landRights.find((r: any) => r.parcel.provenance).parcel.provenance, 'LAND', parcel.updatedAt],
      [c.landRights[0].provenance, 'LAND', expect.any(String)],
      [c.socialInsurance.provenance, 'SOCIAL_INSURANCE', world.insurance.get(citizen.personalId)!.updatedAt],
    ] as [Provenance, string, unknown][],
  };
}

describe('provenance', () => {
  it('is on every source-backed object of a dossier: source, when the source changed it, when it was fetched', async () => {
    const before = Date.now();
    const { expected } = await dossier();
    for (const [n, [provenance, source, producedAt]] of expected.entries()) {
      if (n === 2) {
        // The commune comes from today's catalogue, kept whole since the subgraph started: from
        // memory, and it says so, with when the catalogue was fetched.
        expect(provenance).toEqual({ source, producedAt, fetchedAt: expect.any(String), servedFromCache: true, ageSeconds: expect.any(Number), stale: false });
        expect(Date.parse(provenance.fetchedAt)).toBeGreaterThanOrEqual(stackStartedAt - 1000);
        expect(Date.parse(provenance.fetchedAt)).toBeLessThanOrEqual(before);
        const age = (at: number) => Math.floor((at - Date.parse(provenance.fetchedAt)) / 1000);
        expect(provenance.ageSeconds).toBeGreaterThanOrEqual(age(before));
        expect(provenance.ageSeconds).toBeLessThanOrEqual(age(Date.now()));
        continue;
      }
      // The province's budget shares the commune's export, which another step of the same
      // request's plan may have fetched a moment earlier: then it came from the cache, and says so.
      const servedFromCache = n === 5 ? expect.any(Boolean) : false;
      expect(provenance).toEqual({ source, producedAt, fetchedAt: expect.any(String), servedFromCache, ageSeconds: 0, stale: false });
      expect(Date.parse(provenance.fetchedAt)).toBeGreaterThanOrEqual(before - 1000);
    }
  });

  it('says when the answer came from the cache, and how old it is', async () => {
    const first = await dossier();
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await dossier();
    for (const [n, [provenance, source]] of second.expected.entries()) {
      expect([source, provenance.servedFromCache, provenance.fetchedAt]).toEqual([source, true, first.expected[n][0].fetchedAt]);
      expect(provenance.ageSeconds).toBeGreaterThanOrEqual(1);
    }
  });
});
