/**
 * A commune's and a province's indicators in one query, checked against the world the mocks
 * serve, with their cost in source calls: BHXH one person per call, bounded per request and
 * kept once computed; everything else in batch- or commune-sized calls.
 */
import type { World } from '../../mocks';
import { todayInVietnam } from '../../sources/kit/dates';
import { Stack, PATIENT_DEADLINES, startStack } from '../../stack/stack';

const ALL = 'population:read civil-status:read land:read social-insurance:read budget:read';
const INDICATORS = `indicators {
  unitCode communeCount population households
  insuranceCoverage { residents activeSocialInsurance activeShare validHealthCard validHealthCardShare lookups }
  civilStatusEvents(to: "2026-06", months: 12) { month births marriages deaths }
  landParcels
  budgetExecution(fiscalYear: 2026) { revenueEstimate revenueActual revenuePercent expenditureEstimate expenditureActual expenditurePercent }
}`;

let stack: Stack;
let world: World;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 4000, worldSeed: 'indicators' }, env: { ...PATIENT_DEADLINES, INDICATORS_MAX_INSURANCE_LOOKUPS: '1000' } });
  world = stack.mocks.world;
  auth = { authorization: `Bearer ${await stack.token({ scope: ALL, jurisdiction: '*', purpose: '' })}` };
});
afterAll(() => stack?.close());

/** What the indicators of these communes must be, worked out from the world itself. */
function expected(communes: string[], ownUnit?: string) {
  const residents = communes.flatMap((code) => world.index.residentsByCommune.get(code) ?? []).map((id) => world.citizens.get(id)!);
  const today = todayInVietnam();
  const insured = residents.map((c) => world.insurance.get(c.personalId));
  const active = insured.filter((r) => r?.status === 'ACTIVE').length;
  const valid = insured.filter((r) => r?.healthCard && r.healthCard.validFrom <= today && today <= r.healthCard.validTo).length;
  const months = new Map<string, number[]>();
  const seen = new Set<string>();
  const bump = (commune: string, day: string, i: number) => {
    if (!communes.includes(commune) || day.slice(0, 7) < '2025-07' || day.slice(0, 7) > '2026-06') return;
    const row = months.get(day.slice(0, 7)) ?? [0, 0, 0];
    row[i]++;
    months.set(day.slice(0, 7), row);
  };
  for (const c of world.citizens.values()) {
    bump(c.birth.registeredAt, c.birth.registeredOn, 0);
    for (const m of c.marriages) if (!seen.has(m.registrationNumber) && seen.add(m.registrationNumber)) bump(m.registeredAt, m.registeredOn, 1);
    if (c.death) bump(c.death.registeredAt, c.death.registeredOn, 2);
  }
  const lines = [...communes, ...(ownUnit ? [ownUnit] : [])].flatMap((unit) => world.budgets.get(unit)?.get(2026) ?? []);
  const total = (section: string, field: 'estimateVnd' | 'actualVnd') => lines.filter((l) => l.section === section).reduce((s, l) => s + l[field], 0);
  return {
    population: residents.length,
    households: new Set(residents.map((c) => c.householdId)).size,
    insurance: { residents: residents.length, activeSocialInsurance: active, validHealthCard: valid, activeShare: Math.round((active / residents.length) * 10_000) / 100 },
    events: [...months.entries()].sort().map(([month, [births, marriages, deaths]]) => ({ month, births, marriages, deaths })),
    landParcels: [...world.parcels.values()].filter((p) => communes.includes(p.communeCode)).length,
    budget: { revenueEstimate: total('REVENUE', 'estimateVnd'), revenueActual: total('REVENUE', 'actualVnd'), expenditureActual: total('EXPENDITURE', 'actualVnd') },
  };
}

function expectIndicators(answer: any, communes: string[], ownUnit?: string): void {
  const want = expected(communes, ownUnit);
  expect(answer).toMatchObject({ communeCount: communes.length, population: want.population, households: want.households, landParcels: want.landParcels });
  expect(answer.insuranceCoverage).toMatchObject(want.insurance);
  expect(answer.civilStatusEvents).toHaveLength(12);
  expect(answer.civilStatusEvents.filter((m: { births: number; marriages: number; deaths: number }) => m.births + m.marriages + m.deaths > 0)).toEqual(want.events);
  expect(answer.budgetExecution).toMatchObject(want.budget);
}

describe('indicators', () => {
  it('gives a commune’s indicator set in one query, from source data, at its honest cost', async () => {
    const commune = world.catalogue.communes[0].Code;
    stack.mocks.resetStats();
    const { body } = await stack.query<any>(`query($code: ID!) { commune(code: $code) { ${INDICATORS} } }`, { code: commune }, auth);
    expect(body.errors).toBeUndefined();
    expectIndicators(body.data.commune.indicators, [commune]);
    const residents = world.index.residentsByCommune.get(commune)!.length;
    expect(body.data.commune.indicators.insuranceCoverage.lookups).toBe(residents);
    // One BHXH call per resident, the rest in pages, batches and one call per commune.
    expect(stack.mocks.stats('social-insurance').requests).toBe(residents);
    expect(stack.mocks.stats('population').byOperation).toEqual({ 'communes:residents': Math.ceil(residents / 100) });
    expect(stack.mocks.stats('civil-status').byOperation).toEqual({ ThongKeDangKyHoTich: 1 });
    expect(stack.mocks.stats('land').requests).toBe(1);
    expect(stack.mocks.stats('budget').requests).toBe(1);

    // Kept once computed: asking again costs no source call.
    stack.mocks.resetStats();
    const again = await stack.query<any>(`query($code: ID!) { commune(code: $code) { indicators { population insuranceCoverage { activeShare } landParcels } } }`, { code: commune }, auth);
    expect(again.body.data.commune.indicators.population).toBe(residents);
    expect(stack.mocks.stats('social-insurance').requests + stack.mocks.stats('population').requests + stack.mocks.stats('land').requests).toBe(0);
  });

  it('refuses insurance coverage that would exceed the request’s BHXH allowance before making any call, and gives the rest', async () => {
    const province = world.catalogue.provinces.find((p) => p.Wards.every((w) => w.Code !== world.catalogue.communes[0].Code))!;
    stack.mocks.resetStats();
    const { body } = await stack.query<any>(`query($code: ID!) { province(code: $code) { indicators { population insuranceCoverage { activeShare } } } }`, { code: province.Code }, auth);
    expect(body.data.province.indicators.population).toBe(expected(province.Wards.map((w) => w.Code)).population);
    expect(body.data.province.indicators.insuranceCoverage).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_QUOTA_EXCEEDED', source: 'social-insurance' });
    expect(body.errors?.[0].message).toMatch(/INDICATORS_MAX_INSURANCE_LOOKUPS/);
    expect(stack.mocks.stats('social-insurance').requests).toBe(0);
  });

  it('gives a province as the sum of its communes, with its own budget lines, once its communes are computed', async () => {
    const province = world.catalogue.provinces.find((p) => p.Wards.some((w) => w.Code === world.catalogue.communes[0].Code))!;
    const communes = province.Wards.map((w) => w.Code);
    // Commune by commune, each within the allowance; then the province costs no BHXH call.
    for (const code of communes) await stack.query(`query($code: ID!) { commune(code: $code) { indicators { insuranceCoverage { residents } } } }`, { code }, auth);
    stack.mocks.resetStats();
    const { body } = await stack.query<any>(`query($code: ID!) { province(code: $code) { ${INDICATORS} } }`, { code: province.Code }, auth);
    expect(body.errors).toBeUndefined();
    expectIndicators(body.data.province.indicators, communes, province.Code);
    expect(stack.mocks.stats('social-insurance').requests).toBe(0);
  });

  it('needs each source’s scope for its indicator, and serves only inside the jurisdiction', async () => {
    const commune = world.catalogue.communes[0];
    const budgetOnly = await stack.token({ scope: 'budget:read', jurisdiction: commune.ProvinceCode });
    const { body } = await stack.query<any>(`query($code: ID!) { commune(code: $code) { indicators { population budgetExecution(fiscalYear: 2026) { revenuePercent } } } }`, { code: commune.Code }, {
      authorization: `Bearer ${budgetOnly}`,
    });
    expect(body.data.commune.indicators.population).toBeNull();
    expect(body.data.commune.indicators.budgetExecution.revenuePercent).toEqual(expect.any(Number));
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'population:read' });

    const elsewhere = world.catalogue.provinces.find((p) => p.Code !== commune.ProvinceCode)!.Code;
    const outside = await stack.token({ scope: ALL, jurisdiction: elsewhere });
    for (const query of [`{ commune(code: "${commune.Code}") { indicators { population } } }`, `{ province(code: "${commune.ProvinceCode}") { indicators { population } } }`]) {
      const refused = await stack.query<any>(query, {}, { authorization: `Bearer ${outside}` });
      expect(refused.body.errors?.[0].extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' });
    }
    const bad = await stack.query<any>(`{ commune(code: "${commune.Code}") { indicators { civilStatusEvents(to: "2026-13") { month } } } }`, {}, auth);
    expect(bad.body.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'to' });
  });
});
