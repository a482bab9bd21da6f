import nock from '../../support/nock';
import { buildBudget, percentOfEstimate, provinceBudget } from '../../../sources/budget/aggregate';
import { BudgetClient, BudgetRow } from '../../../sources/budget/client';
import { SourceError } from '../../../sources/kit/errors';
import { stampProvenance } from '../../../sources/kit/provenance';
import { clientPerTest, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';
import { BASE, budgetClient, communeCode, csv, HEADER, line, PATH, unitLines } from './fixtures/budget';

/** What the client stamps on every exported row: the export says nothing of when lines changed. */
const BUDGET_PROVENANCE = { source: 'budget', producedAt: null, fetchedAt: expect.any(String), cached: false, stale: false };

function row(unitCode: string, section: 'THU' | 'CHI', itemCode: string, itemName: string, estimate: number, actual: number): BudgetRow {
  return { unitCode, fiscalYear: 2026, section, itemCode, itemName, estimate, actual, provenance: stampProvenance('budget', null) };
}

/** A line of a built budget: an item's amounts and how much of its estimate was executed. */
function budgetLine(itemCode: string, itemName: string, estimate: number, actual: number, percentOfEstimate: number | null) {
  return { itemCode, itemName, estimate, actual, percentOfEstimate };
}

/** A side of a built budget (revenue or expenditure): its lines and their totals. */
function section(lines: ReturnType<typeof budgetLine>[], totalEstimate: number, totalActual: number, percentOfEstimate: number | null) {
  return { lines, totalEstimate, totalActual, percentOfEstimate };
}

let client: BudgetClient;
clientPerTest(budgetClient, (opened) => (client = opened));

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
    const revenue = [budgetLine('1003', 'Thuế TNCN', 1_200_000_000, 845_000_000, 70.42), budgetLine('1050', 'Tiền sử dụng đất', 0, 300_000_000, null)];
    const expenditure = [budgetLine('2100', 'Giáo dục', 5_400_000_000, 3_900_000_000, 72.22), budgetLine('2200', 'Y tế', 600_000_000, 100_000_000, 16.67)];
    expect(budget).toEqual({
      unitCode: '07210',
      fiscalYear: 2026,
      // Actual revenue 845 + 300 million; 1145 / 1200 = 0.954166…
      revenue: section(revenue, 1_200_000_000, 1_145_000_000, 95.42),
      expenditure: section(expenditure, 6_000_000_000, 4_000_000_000, 66.67),
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
    const revenue = [
      budgetLine('1003', 'Thuế TNCN', 300, 75, 25),
      budgetLine('1050', 'Đất', 50, 50, 100),
      budgetLine('1099', 'Thu khác', 0, 10, null),
    ];
    expect(budget).toEqual({
      unitCode: '24',
      fiscalYear: 2026,
      revenue: section(revenue, 350, 135, 38.57), // 135 / 350 = 0.385714…
      expenditure: section([budgetLine('2100', 'Giáo dục', 1300, 300, 23.08)], 1300, 300, 23.08), // 300 / 1300 = 0.230769…
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
    await expect(withClient(budgetClient(SHORT_DEADLINE_MS), (quick) => quick.exportBudgets(2026, ['07210']))).rejects.toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'budget' });
  });
});
