import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from 'nock';
import { buildBudget, percentOfEstimate, provinceBudget } from '../../../sources/budget/aggregate';
import { BudgetClient, BudgetRow } from '../../../sources/budget/client';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { SourceError } from '../../../sources/kit/errors';
import { stampProvenance } from '../../../sources/kit/provenance';
import { typeDefs } from '../../../subgraphs/budget';
import { budgetKey, createLoaders, planExports } from '../../../subgraphs/budget/loaders';
import { resolvers } from '../../../subgraphs/budget/resolvers';
import { uncached } from '../../support/uncached';

const BASE = 'http://tabmis.test';
const CATALOGUE = 'http://catalogue.test';
const PATH = '/tabmis/exports/budget.csv';
const HEADER = 'unit_code,fiscal_year,section,item_code,item_name,estimate_vnd,actual_vnd';

/** The CSV line the treasury writes: the item name quoted, amounts in whole đồng. */
function line(unit: string, section: 'THU' | 'CHI', itemCode: string, itemName: string, estimate: number, actual: number, year = 2026) {
  return `${unit},${year},${section},${itemCode},"${itemName.replace(/"/g, '""')}",${estimate},${actual}`;
}

function csv(...lines: string[]): string {
  return [HEADER, ...lines].join('\n') + '\n';
}

/** The lines every unit of the fake treasury has: two revenue items and one expenditure item. */
function unitLines(unit: string, year = 2026): string[] {
  return [
    line(unit, 'THU', '1003', 'Thuế thu nhập cá nhân', 1_200_000_000, 845_000_000, year),
    line(unit, 'THU', '1050', 'Thu tiền sử dụng đất', 800_000_000, 0, year),
    line(unit, 'CHI', '2100', 'Chi sự nghiệp giáo dục, đào tạo', 5_400_000_000, 3_900_000_000, year),
  ];
}

/** What the client stamps on every exported row: the export says nothing of when lines changed. */
const BUDGET_PROVENANCE = { source: 'budget', producedAt: null, fetchedAt: expect.any(String), cached: false, stale: false };

function row(unitCode: string, section: 'THU' | 'CHI', itemCode: string, itemName: string, estimate: number, actual: number): BudgetRow {
  return { unitCode, fiscalYear: 2026, section, itemCode, itemName, estimate, actual, provenance: stampProvenance('budget', null) };
}

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

function communeCode(i: number): string {
  return String(7000 + i).padStart(5, '0');
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
beforeEach(() => {
  client = new BudgetClient({ url: BASE, apiKey: 'test-budget-key', timeoutMs: 300 });
  catalogue = new CatalogueClient({ url: CATALOGUE, apiKey: 'test-catalogue-key', timeoutMs: 300 });
});
afterEach(async () => {
  nock.cleanAll();
  await Promise.all([client.close(), catalogue.close()]);
});

describe('budget aggregation', () => {
  it.each([
    [845_000_000, 1_200_000_000, 70.42],
    [1, 8, 12.5],
    [1, 3, 33.33],
    [2, 3, 66.67],
    [1, 32, 3.13], // 3.125 rounds half up
    [2469, 20_000, 12.35], // 12.345 rounds half up
    [57, 800, 7.13], // 7.125 exactly, which Math.round(57 / 800 * 10000) puts at 7.12
    [3, 2, 150],
    [0, 5, 0],
    [-1, 32, -3.13],
    [0, -5, 0],
  ])('%d of %d is %d percent', (actual, estimate, percent) => {
    expect(percentOfEstimate(actual, estimate)).toBe(percent);
  });

  it('has no percentage when the estimate is 0', () => {
    expect(percentOfEstimate(0, 0)).toBeNull();
    expect(percentOfEstimate(5, 0)).toBeNull();
  });

  it('splits rows into revenue and expenditure with totals, percentages and balance', () => {
    const budget = buildBudget(
      '07210',
      2026,
      [
        row('07210', 'THU', '1003', 'Thuế TNCN', 1_200_000_000, 845_000_000),
        row('07210', 'CHI', '2100', 'Giáo dục', 5_400_000_000, 3_900_000_000),
        row('07210', 'THU', '1050', 'Tiền sử dụng đất', 0, 300_000_000),
        row('07210', 'CHI', '2200', 'Y tế', 600_000_000, 100_000_000),
      ],
      1,
    );
    expect(budget).toEqual({
      unitCode: '07210',
      fiscalYear: 2026,
      revenue: {
        lines: [
          { itemCode: '1003', itemName: 'Thuế TNCN', estimate: 1_200_000_000, actual: 845_000_000, percentOfEstimate: 70.42 },
          { itemCode: '1050', itemName: 'Tiền sử dụng đất', estimate: 0, actual: 300_000_000, percentOfEstimate: null },
        ],
        totalEstimate: 1_200_000_000,
        totalActual: 1_145_000_000, // 845 + 300 million
        percentOfEstimate: 95.42, // 1145 / 1200 = 0.954166…
      },
      expenditure: {
        lines: [
          { itemCode: '2100', itemName: 'Giáo dục', estimate: 5_400_000_000, actual: 3_900_000_000, percentOfEstimate: 72.22 },
          { itemCode: '2200', itemName: 'Y tế', estimate: 600_000_000, actual: 100_000_000, percentOfEstimate: 16.67 },
        ],
        totalEstimate: 6_000_000_000,
        totalActual: 4_000_000_000,
        percentOfEstimate: 66.67,
      },
      balance: -2_855_000_000, // 1,145,000,000 − 4,000,000,000
      communeCount: 1,
    });
  });

  it('gives empty sections with zero totals and no percentage when a side has no rows', () => {
    const budget = buildBudget('07210', 2026, [row('07210', 'THU', '1003', 'Thuế', 100, 40)], 1);
    expect(budget.expenditure).toEqual({ lines: [], totalEstimate: 0, totalActual: 0, percentOfEstimate: null });
    expect(budget.balance).toBe(40);
  });

  it('adds communes and the province by item code, names from the first seen, counting communes with data', () => {
    const budget = provinceBudget(
      '24',
      2026,
      [
        [row('07210', 'THU', '1003', 'Thuế TNCN', 100, 50), row('07210', 'CHI', '2100', 'Giáo dục', 300, 200)],
        null,
        [row('07213', 'THU', '1003', 'Thuế thu nhập cá nhân', 200, 25), row('07213', 'THU', '1050', 'Đất', 50, 50)],
        [],
      ],
      [row('24', 'CHI', '2100', 'Chi giáo dục (cấp tỉnh)', 1000, 100), row('24', 'THU', '1099', 'Thu khác', 0, 10)],
    );
    expect(budget).toEqual({
      unitCode: '24',
      fiscalYear: 2026,
      revenue: {
        lines: [
          { itemCode: '1003', itemName: 'Thuế TNCN', estimate: 300, actual: 75, percentOfEstimate: 25 },
          { itemCode: '1050', itemName: 'Đất', estimate: 50, actual: 50, percentOfEstimate: 100 },
          { itemCode: '1099', itemName: 'Thu khác', estimate: 0, actual: 10, percentOfEstimate: null },
        ],
        totalEstimate: 350,
        totalActual: 135,
        percentOfEstimate: 38.57, // 135 / 350 = 0.385714…
      },
      expenditure: {
        lines: [{ itemCode: '2100', itemName: 'Giáo dục', estimate: 1300, actual: 300, percentOfEstimate: 23.08 }],
        totalEstimate: 1300,
        totalActual: 300,
        percentOfEstimate: 23.08, // 300 / 1300 = 0.230769…
      },
      balance: -165,
      communeCount: 2,
    });
  });

  it('gives a province with no data at all no budget, and one with only its own lines zero communes', () => {
    expect(provinceBudget('24', 2026, [null, []], null)).toBeNull();
    expect(provinceBudget('24', 2026, [null], [row('24', 'THU', '1003', 'Thuế', 10, 5)])).toMatchObject({ communeCount: 0, balance: 5 });
  });
});

describe('budget source client', () => {

  it('asks for one year and a unit list with the treasury token, and parses quoted names with commas', async () => {
    nock(BASE, { reqheaders: { 'x-treasury-token': 'test-budget-key' } })
      .get(PATH)
      .query({ fiscalYear: '2026', units: '07210,07213,24' })
      .reply(
        200,
        '\uFEFF' +
          [
            HEADER,
            '07210,2026,THU,1003,"Thuế thu nhập cá nhân",1200000000,845000000',
            '07210,2026,CHI,2100,"Chi sự nghiệp giáo dục, đào tạo",5400000000,3900000000',
            '24,2026,CHI,2300,"Chi ""đặc biệt"", khác",0,12',
          ].join('\r\n') +
          '\r\n',
        { 'content-type': 'text/csv; charset=utf-8' },
      );
    const found = await client.exportBudgets(2026, ['07210', '07213', '24']);
    expect([...found.keys()]).toEqual(['07210', '24']);
    expect(found.get('07210')).toEqual([
      { unitCode: '07210', fiscalYear: 2026, section: 'THU', itemCode: '1003', itemName: 'Thuế thu nhập cá nhân', estimate: 1_200_000_000, actual: 845_000_000, provenance: BUDGET_PROVENANCE },
      { unitCode: '07210', fiscalYear: 2026, section: 'CHI', itemCode: '2100', itemName: 'Chi sự nghiệp giáo dục, đào tạo', estimate: 5_400_000_000, actual: 3_900_000_000, provenance: BUDGET_PROVENANCE },
    ]);
    expect(found.get('24')?.[0]).toMatchObject({ itemName: 'Chi "đặc biệt", khác', estimate: 0, actual: 12 });
  });

  it('finds nothing when the export has only its header', async () => {
    nock(BASE).get(PATH).query(true).reply(200, HEADER + '\n');
    await expect(client.exportBudgets(2024, ['07210'])).resolves.toEqual(new Map());
  });

  it('refuses more than 50 units, without calling the source', async () => {
    await expect(client.exportBudgets(2026, Array.from({ length: 51 }, (_, i) => communeCode(i)))).rejects.toThrow(RangeError);
  });

  it.each([
    [400, 'SOURCE_BAD_RESPONSE'],
    [401, 'SOURCE_UNAVAILABLE'],
    [404, 'SOURCE_UNAVAILABLE'],
    [500, 'SOURCE_UNAVAILABLE'],
    [503, 'SOURCE_UNAVAILABLE'],
  ])('maps HTTP %i to %s naming the source', async (status, code) => {
    nock(BASE).get(PATH).query(true).reply(status, 'Service error', { 'content-type': 'text/plain' });
    await expect(client.exportBudgets(2026, ['07210'])).rejects.toMatchObject({ code, source: 'budget' });
  });

  it.each([
    ['an empty body', ''],
    ['a body that is not CSV but HTML', '<html><body>Maintenance</body></html>'],
    ['a missing header', unitLines('07210').join('\n')],
    ['a renamed column', csv().replace('actual_vnd', 'actual')],
    ['an unclosed quote (truncated body)', csv(unitLines('07210')[0]).slice(0, HEADER.length + 25)],
    ['a row with a missing column', csv('07210,2026,THU,1003,"Thuế",1200000000')],
    ['a row with an extra column', csv('07210,2026,THU,1003,"Thuế",1200000000,845000000,1')],
    ['an amount with decimals', csv(line('07210', 'THU', '1003', 'Thuế', 1.5, 1))],
    ['an amount that is text', csv('07210,2026,THU,1003,"Thuế",abc,1')],
    ['an empty amount', csv('07210,2026,THU,1003,"Thuế",,1')],
    ['an amount beyond exact numbers', csv('07210,2026,THU,1003,"Thuế",99999999999999999999,1')],
    ['an unknown section', csv('07210,2026,VAY,1003,"Vay",1,1')],
    ['a year that was not asked for', csv(line('07210', 'THU', '1003', 'Thuế', 1, 1, 2025))],
    ['a year that is not a number', csv('07210,năm 2026,THU,1003,"Thuế",1,1')],
    ['a unit that was not asked for', csv(line('07299', 'THU', '1003', 'Thuế', 1, 1))],
    ['a unit code of the wrong shape', csv(line('7210', 'THU', '1003', 'Thuế', 1, 1))],
    ['an empty item name', csv('07210,2026,THU,1003,"",1,1')],
  ])('reports %s as SOURCE_BAD_RESPONSE', async (_what, body) => {
    nock(BASE).get(PATH).query(true).reply(200, body, { 'content-type': 'text/csv' });
    const error = await client.exportBudgets(2026, ['07210']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'budget' });
    expect((error as Error).message).not.toContain('07210');
  });

  it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
    nock(BASE).get(PATH).query(true).delay(1000).reply(200, csv());
    await expect(client.exportBudgets(2026, ['07210'])).rejects.toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'budget' });
  });
});

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
