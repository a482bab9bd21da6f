import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from '../../support/nock';
import { BudgetClient } from '../../../sources/budget/client';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { typeDefs } from '../../../subgraphs/budget';
import { budgetKey, createLoaders, planExports } from '../../../subgraphs/budget/loaders';
import { resolvers } from '../../../subgraphs/budget/resolvers';
import { uncached } from '../../support/uncached';
import { clientPerTest } from '../sources/fixtures/client-per-test';
import { BASE, budgetClient, CATALOGUE, catalogueClient, communeCode, csv, PATH, unitLines } from '../sources/fixtures/budget';

/**
 * Answers every export from a fake treasury in which the units of `withData` have unitLines(),
 * and records each call's year and units.
 */
function treasury(withData: (unit: string) => boolean = () => true) {
  const calls: { fiscalYear: number; units: string[] }[] = [];
  nock(BASE)
    .get(PATH)
    .query(true)
    .times(1000)
    .reply((uri) => {
      const params = new URL(uri, BASE).searchParams;
      const fiscalYear = Number(params.get('fiscalYear'));
      const units = params.get('units')!.split(',');
      calls.push({ fiscalYear, units });
      const hasYear = fiscalYear === 2025 || fiscalYear === 2026;
      return [200, csv(...units.filter((u) => hasYear && withData(u)).flatMap((u) => unitLines(u, fiscalYear))), { 'content-type': 'text/csv; charset=utf-8' }];
    });
  return calls;
}

function catalogueProvince(code: string, communeCodes: string[]) {
  return {
    Code: code,
    Name: 'Bắc Ninh',
    NameEn: 'Bac Ninh',
    FullName: 'Tỉnh Bắc Ninh',
    FullNameEn: 'Bac Ninh Province',
    AdministrativeUnitShortName: 'Tỉnh',
    Wards: communeCodes.map((c) => ({
      Code: c,
      Name: `Xã ${c}`,
      NameEn: `Commune ${c}`,
      FullName: `Xã ${c}`,
      FullNameEn: `${c} Commune`,
      ProvinceCode: code,
      AdministrativeUnitShortName: 'Xã',
    })),
  };
}

let client: BudgetClient;
let catalogue: CatalogueClient;
clientPerTest(budgetClient, (opened) => (client = opened));
clientPerTest(catalogueClient, (opened) => (catalogue = opened));

describe('budget loaders', () => {

  it('plans one export per year for every 50 units, in the order asked', () => {
    const keys = [
      ...Array.from({ length: 60 }, (_, i) => budgetKey(2026, communeCode(i))),
      budgetKey(2025, '07210'),
      budgetKey(2026, '24'),
    ];
    expect(planExports(keys).map((e) => [e.fiscalYear, e.unitCodes.length, e.unitCodes[0]])).toEqual([
      [2026, 50, communeCode(0)],
      [2026, 11, communeCode(50)],
      [2025, 1, '07210'],
    ]);
    expect(planExports(keys)[1].unitCodes.at(-1)).toBe('24');
  });

  it('loads units of two years in exports of at most 50 units of one year each', async () => {
    const calls = treasury((unit) => unit !== communeCode(3));
    const loaders = createLoaders({ clients: { budget: client, catalogue }, caches: { budget: uncached('budget'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const keys = [
      ...Array.from({ length: 120 }, (_, i) => budgetKey(2026, communeCode(i))),
      ...Array.from({ length: 30 }, (_, i) => budgetKey(2025, communeCode(i))),
    ];
    const rows = await Promise.all(keys.map((key) => loaders.rows.load(key)));
    expect(calls.map((c) => [c.fiscalYear, c.units.length])).toEqual([
      [2026, 50],
      [2026, 50],
      [2026, 20],
      [2025, 30],
    ]);
    expect(rows[0]).toHaveLength(3);
    expect(rows[3]).toBeNull();
    expect(rows[120]?.[0]).toMatchObject({ unitCode: communeCode(0), fiscalYear: 2025 });
  });

  it('fails only the keys of the export that failed', async () => {
    nock(BASE).get(PATH).query((q) => q.fiscalYear === '2025').reply(503, 'down');
    nock(BASE).get(PATH).query((q) => q.fiscalYear === '2026').reply(200, csv(...unitLines('07210')));
    const loaders = createLoaders({ clients: { budget: client, catalogue }, caches: { budget: uncached('budget'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const [failed, ok] = await Promise.allSettled([loaders.rows.load(budgetKey(2025, '07210')), loaders.rows.load(budgetKey(2026, '07210'))]);
    expect(failed).toMatchObject({ status: 'rejected', reason: { extensions: { code: 'SOURCE_UNAVAILABLE', source: 'budget' } } });
    expect(ok).toMatchObject({ status: 'fulfilled', value: [{ itemCode: '1003' }, { itemCode: '1050' }, { itemCode: '2100' }] });
  });
});

describe('budget resolvers', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
    nock.disableNetConnect();
  });
  afterAll(() => nock.enableNetConnect());

  function run(source: string, variableValues?: Record<string, unknown>) {
    return graphql({ schema, source, variableValues, contextValue: { loaders: createLoaders({ clients: { budget: client, catalogue }, caches: { budget: uncached('budget'), catalogue: uncached('catalogue') }, concurrency: 4 }) } });
  }

  const COMMUNE_AND_PROVINCE = [
    { __typename: 'Commune', code: '07210' },
    { __typename: 'Province', code: '24' },
  ];

  const ENTITY_BUDGETS = `query ($r: [_Any!]!, $year: Int!) {
    _entities(representations: $r) {
      ... on Commune { code budget(fiscalYear: $year) { unitCode fiscalYear balance communeCount
        revenue { totalEstimate totalActual percentOfEstimate lines { itemCode itemName estimate actual percentOfEstimate } }
        expenditure { totalEstimate totalActual percentOfEstimate } } }
      ... on Province { code budget(fiscalYear: $year) { unitCode balance communeCount
        revenue { totalEstimate totalActual percentOfEstimate lines { itemCode estimate actual } }
        expenditure { totalEstimate totalActual } } }
    }
  }`;

  it('resolves commune budgets in one export, null for a commune without data', async () => {
    const calls = treasury((unit) => unit !== '07213');
    const result = await run(ENTITY_BUDGETS, {
      year: 2026,
      r: [
        { __typename: 'Commune', code: '07210' },
        { __typename: 'Commune', code: '07213' },
      ],
    });
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual([{ fiscalYear: 2026, units: ['07210', '07213'] }]);
    expect(result.data!._entities).toEqual([
      {
        code: '07210',
        budget: {
          unitCode: '07210',
          fiscalYear: 2026,
          balance: -3_055_000_000, // 845,000,000 − 3,900,000,000
          communeCount: 1,
          revenue: {
            totalEstimate: 2_000_000_000,
            totalActual: 845_000_000,
            percentOfEstimate: 42.25,
            lines: [
              { itemCode: '1003', itemName: 'Thuế thu nhập cá nhân', estimate: 1_200_000_000, actual: 845_000_000, percentOfEstimate: 70.42 },
              { itemCode: '1050', itemName: 'Thu tiền sử dụng đất', estimate: 800_000_000, actual: 0, percentOfEstimate: 0 },
            ],
          },
          expenditure: { totalEstimate: 5_400_000_000, totalActual: 3_900_000_000, percentOfEstimate: 72.22 },
        },
      },
      { code: '07213', budget: null },
    ]);
  });

  it('sums a province of 99 communes and its own lines from 2 exports of 50 units', async () => {
    const communes = Array.from({ length: 99 }, (_, i) => communeCode(i));
    nock(CATALOGUE, { reqheaders: { 'x-api-key': 'test-catalogue-key' } })
      .get('/api/units/provinces/24')
      .reply(200, catalogueProvince('24', communes));
    // Every commune but the first has data; the province has its own lines too.
    const calls = treasury((unit) => unit !== communes[0]);
    const result = await run(ENTITY_BUDGETS, { year: 2026, r: [{ __typename: 'Province', code: '24' }] });
    expect(result.errors).toBeUndefined();
    expect(calls.map((c) => c.units.length)).toEqual([50, 50]);
    expect(calls[1].units.at(-1)).toBe('24');
    // 98 communes + the province = 99 units with unitLines().
    expect(result.data!._entities).toEqual([
      {
        code: '24',
        budget: {
          unitCode: '24',
          communeCount: 98,
          balance: 99 * (845_000_000 - 3_900_000_000),
          revenue: {
            totalEstimate: 99 * 2_000_000_000,
            totalActual: 99 * 845_000_000,
            percentOfEstimate: 42.25,
            lines: [
              { itemCode: '1003', estimate: 99 * 1_200_000_000, actual: 99 * 845_000_000 },
              { itemCode: '1050', estimate: 99 * 800_000_000, actual: 0 },
            ],
          },
          expenditure: { totalEstimate: 99 * 5_400_000_000, totalActual: 99 * 3_900_000_000 },
        },
      },
    ]);
  });

  it('shares exports between a province and its communes in one request', async () => {
    nock(CATALOGUE).get('/api/units/provinces/24').reply(200, catalogueProvince('24', ['07210', '07213']));
    const calls = treasury();
    const result = await run(ENTITY_BUDGETS, {
      year: 2026,
      r: COMMUNE_AND_PROVINCE,
    });
    expect(result.errors).toBeUndefined();
    expect(calls).toEqual([
      { fiscalYear: 2026, units: ['07210'] },
      { fiscalYear: 2026, units: ['07213', '24'] },
    ]);
  });

  it.each([[1999], [2101], [-2026], [0]])('refuses fiscalYear %i with BAD_USER_INPUT before calling a source', async (year) => {
    const result = await run(ENTITY_BUDGETS, {
      year,
      r: COMMUNE_AND_PROVINCE,
    });
    expect(result.data).toEqual({ _entities: [{ code: '07210', budget: null }, { code: '24', budget: null }] });
    expect(result.errors?.map((e) => e.extensions)).toEqual([
      { code: 'BAD_USER_INPUT', argument: 'fiscalYear' },
      { code: 'BAD_USER_INPUT', argument: 'fiscalYear' },
    ]);
  });

  it('refuses unit codes of the wrong shape with BAD_USER_INPUT', async () => {
    const result = await run(ENTITY_BUDGETS, {
      year: 2026,
      r: [
        { __typename: 'Commune', code: '7210' },
        { __typename: 'Province', code: '024' },
      ],
    });
    expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['BAD_USER_INPUT', 'BAD_USER_INPUT']);
  });

  it('refuses a province the catalogue does not know with BAD_USER_INPUT', async () => {
    nock(CATALOGUE).get('/api/units/provinces/99').reply(404, { message: 'not found' });
    const result = await run(ENTITY_BUDGETS, { year: 2026, r: [{ __typename: 'Province', code: '99' }] });
    expect(result.data).toEqual({ _entities: [{ code: '99', budget: null }] });
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it('gives a year without data no budget', async () => {
    treasury();
    const result = await run(ENTITY_BUDGETS, { year: 2024, r: [{ __typename: 'Commune', code: '07210' }] });
    expect(result).toEqual({ data: { _entities: [{ code: '07210', budget: null }] } });
  });

  it('surfaces treasury and catalogue failures as per-field errors naming the source', async () => {
    nock(BASE).get(PATH).query(true).reply(500, 'Internal error');
    nock(CATALOGUE).get('/api/units/provinces/24').reply(503, { message: 'down' });
    const result = await run(ENTITY_BUDGETS, {
      year: 2026,
      r: COMMUNE_AND_PROVINCE,
    });
    expect(result.data).toEqual({ _entities: [{ code: '07210', budget: null }, { code: '24', budget: null }] });
    expect(result.errors?.map((e) => [e.path, e.extensions])).toEqual([
      [['_entities', 0, 'budget'], { code: 'SOURCE_UNAVAILABLE', source: 'budget' }],
      [['_entities', 1, 'budget'], { code: 'SOURCE_UNAVAILABLE', source: 'catalogue' }],
    ]);
  });

  it('fails a province budget when any of its exports is corrupt, rather than summing part of it', async () => {
    nock(CATALOGUE).get('/api/units/provinces/24').reply(200, catalogueProvince('24', ['07210']));
    nock(BASE).get(PATH).query(true).reply(200, csv('07210,2026,THU,1003,"Thuế",12x,1'));
    const result = await run(ENTITY_BUDGETS, { year: 2026, r: [{ __typename: 'Province', code: '24' }] });
    expect(result.data).toEqual({ _entities: [{ code: '24', budget: null }] });
    expect(result.errors?.[0]?.extensions).toEqual({ code: 'SOURCE_BAD_RESPONSE', source: 'budget' });
  });
});
