/**
 * Revenue sharing by the province's rule table, against cases worked out by hand: each rule kind,
 * rounding, the yearly cap on a commune's share of land-use fees, a province's sum, and the
 * shipped Bắc Ninh table itself.
 */
import { DEFAULT_BUDGET_RULES_FILE } from '../../../lib/config';
import { generateWorld } from '../../../mocks/world';
import type { BudgetRow } from '../../../sources/budget/client';
import { stampProvenance } from '../../../sources/kit/provenance';
import { percentOf, shareCommuneRevenue, sumSharings } from '../../../subgraphs/budget/revenue-sharing';
import { loadSharingRules, parseSharingRules } from '../../../subgraphs/budget/sharing-rules';

const BILLION = 1_000_000_000;

function revenue(itemCode: string, actual: number, estimate = actual): BudgetRow {
  return { unitCode: '07210', fiscalYear: 2026, section: 'THU', itemCode, itemName: `Khoản ${itemCode}`, estimate, actual, provenance: stampProvenance('budget', null) };
}

const TABLE = parseSharingRules(`
province: "24"
name: "Bảng thử"
fiscalYears: { from: 2026, to: 2030 }
communePercentages: { default: 50, communes: { "07213": 70 } }
items:
  - { code: "A", name: "Tỉnh hưởng", rule: province }
  - { code: "B", name: "Xã hưởng", rule: commune }
  - { code: "C", name: "Chia 35,5%", rule: shared, communePercent: 35.5 }
  - { code: "D", name: "Chia theo xã", rule: commune-percentage }
  - code: "L"
    name: "Tiền sử dụng đất"
    rule: by-kind
    communeShareCapVnd: 10
    kinds:
      - { code: "L1", name: "Loại 1", rule: commune }
      - { code: "L2", name: "Loại 2", rule: commune }
      - { code: "L3", name: "Loại 3", rule: commune }
notShared:
  - { code: "T", name: "Bổ sung từ cấp trên" }
`);

describe('each rule, by hand', () => {
  it('gives PROVINCE items all to the province and COMMUNE items all to the commune', () => {
    const sharing = shareCommuneRevenue(TABLE, '07210', [revenue('A', 1_000_000), revenue('B', 750)], 'ACTUAL');
    expect(sharing.lines.map((l) => [l.itemCode, l.amount, l.provinceShare, l.communeShare, l.rule, l.communePercent])).toEqual([
      ['A', 1_000_000, 1_000_000, 0, 'PROVINCE', 0],
      ['B', 750, 0, 750, 'COMMUNE', 100],
    ]);
    expect(sharing.totals).toEqual({ amount: 1_000_750, provinceShare: 1_000_000, communeShare: 750 });
  });

  it('splits SHARED items by their percentage, rounding the commune’s part half away from zero', () => {
    // 35.5% of 1,000,000 = 355,000; of 1,001 = 355.355 → 355; of 1,002 = 355.71 → 356.
    for (const [amount, commune] of [[1_000_000, 355_000], [1_001, 355], [1_002, 356], [-1_002, -356]]) {
      const [line] = shareCommuneRevenue(TABLE, '07210', [revenue('C', amount)], 'ACTUAL').lines;
      expect([line.communeShare, line.provinceShare]).toEqual([commune, amount - commune]);
    }
    expect(percentOf(1_001, 50)).toBe(501); // 500.5 → 501
  });

  it('splits COMMUNE_PERCENTAGE items by the commune’s own percentage, or the default', () => {
    const own = shareCommuneRevenue(TABLE, '07213', [revenue('D', 300)], 'ACTUAL').lines[0];
    const fallback = shareCommuneRevenue(TABLE, '07210', [revenue('D', 300)], 'ACTUAL').lines[0];
    expect([own.communeShare, own.provinceShare, own.communePercent]).toEqual([210, 90, 70]);
    expect([fallback.communeShare, fallback.provinceShare, fallback.communePercent]).toEqual([150, 150, 50]);
  });

  it('shares the estimate or the actual, as asked, adding lines of one item together', () => {
    const rows = [revenue('C', 1_000, 4_000), revenue('C', 1_000, 0)];
    expect(shareCommuneRevenue(TABLE, '07210', rows, 'ACTUAL').lines[0]).toMatchObject({ amount: 2_000, communeShare: 710 });
    expect(shareCommuneRevenue(TABLE, '07210', rows, 'ESTIMATE').lines[0]).toMatchObject({ amount: 4_000, communeShare: 1_420 });
  });

  it('leaves out transfers and expenditure, and names revenue items the table lacks', () => {
    const rows = [revenue('T', 5_000), revenue('X9', 7), { ...revenue('B', 1), section: 'CHI' as const }, revenue('B', 2)];
    const sharing = shareCommuneRevenue(TABLE, '07210', rows, 'ACTUAL');
    expect(sharing.lines.map((l) => l.itemCode)).toEqual(['B']);
    expect(sharing.unmatchedItemCodes).toEqual(['X9']);
  });
});

describe('the cap on a commune’s share', () => {
  it('moves the excess to the province in proportion to each kind’s share, odd đồng to the largest remainders', () => {
    // Shares 5 + 5 + 5 = 15 against a cap of 10: 5 to move, 5/3 = 1.67 each → 1 each, then the
    // 2 left go to the first two (equal remainders): cuts 2, 2, 1 → shares 3, 3, 4.
    const sharing = shareCommuneRevenue(TABLE, '07210', [revenue('L1', 5), revenue('L2', 5), revenue('L3', 5)], 'ACTUAL');
    expect(sharing.lines.map((l) => [l.communeShare, l.provinceShare])).toEqual([[3, 2], [3, 2], [4, 1]]);
    expect(sharing.capsApplied).toEqual([
      { communeCode: '07210', itemCode: 'L', itemName: 'Tiền sử dụng đất', cap: 10, communeShareBeforeCap: 15, communeShareAfterCap: 10, movedToProvince: 5 },
    ]);
    expect(sharing.totals).toEqual({ amount: 15, provinceShare: 5, communeShare: 10 });
  });

  it('does nothing at or under the cap', () => {
    const sharing = shareCommuneRevenue(TABLE, '07210', [revenue('L1', 6), revenue('L2', 4)], 'ACTUAL');
    expect(sharing.capsApplied).toEqual([]);
    expect(sharing.lines.map((l) => l.communeShare)).toEqual([6, 4]);
  });

  it('applies Bắc Ninh’s 700 billion đồng a year to the land-use fee kinds together', () => {
    const rules = loadSharingRules(DEFAULT_BUDGET_RULES_FILE);
    // Commune shares: 400 (tied to the commune's assets, 100%) + 300 (change of use, 100%) +
    // 100 (half of a 200 auction) = 800 billion; 100 billion over the cap, taken 4:3:1:
    // 50, 37.5 and 12.5 billion. The one-time lease rent (100% province) is not touched.
    const rows = [revenue('1411', 400 * BILLION), revenue('1412', 300 * BILLION), revenue('1416', 200 * BILLION), revenue('1415', 80 * BILLION)];
    const sharing = shareCommuneRevenue(rules, '07210', rows, 'ESTIMATE');
    expect(sharing.lines.map((l) => [l.itemCode, l.communeShare, l.provinceShare])).toEqual([
      ['1411', 350 * BILLION, 50 * BILLION],
      ['1412', 262.5 * BILLION, 37.5 * BILLION],
      ['1416', 87.5 * BILLION, 112.5 * BILLION],
      ['1415', 0, 80 * BILLION],
    ]);
    expect(sharing.capsApplied).toEqual([
      expect.objectContaining({ itemCode: '1400', cap: 700 * BILLION, communeShareBeforeCap: 800 * BILLION, communeShareAfterCap: 700 * BILLION, movedToProvince: 100 * BILLION }),
    ]);
  });
});

describe('a province', () => {
  it('adds its communes’ sharing by item, each commune capped on its own', () => {
    const first = shareCommuneRevenue(TABLE, '07210', [revenue('D', 300), revenue('L1', 12)], 'ACTUAL');
    const second = shareCommuneRevenue(TABLE, '07213', [revenue('D', 100), revenue('L1', 8)], 'ACTUAL');
    const province = sumSharings(TABLE, 'ACTUAL', [first, second]);
    // D: 150 + 70 commune (50% and 70%); L1: 10 (capped from 12) + 8.
    expect(province.lines.map((l) => [l.itemCode, l.amount, l.communeShare, l.provinceShare, l.communePercent])).toEqual([
      ['D', 400, 220, 180, null],
      ['L1', 20, 18, 2, 100],
    ]);
    expect(province.capsApplied.map((c) => [c.communeCode, c.movedToProvince])).toEqual([['07210', 2]]);
    expect(province.totals).toEqual({ amount: 420, provinceShare: 182, communeShare: 238 });
  });
});

describe('the shipped table (config/budget-rules/bac-ninh-2026-2030.yaml)', () => {
  const rules = loadSharingRules(DEFAULT_BUDGET_RULES_FILE);

  it('holds Bắc Ninh’s 27 province items, 21 commune items and 5 shared ones for 2026–2030', () => {
    const count = (rule: string) => rules.topLevel.filter((item) => item.rule === rule).length;
    expect([rules.province, rules.fiscalYears]).toEqual(['24', { from: 2026, to: 2030 }]);
    expect([count('PROVINCE'), count('COMMUNE'), count('SHARED') + count('BY_KIND')]).toEqual([27, 21, 5]);
    expect(rules.hasPlaceholders).toBe(true);
  });

  it('splits land-use fees by kind as proposed, capped at 700 billion đồng a year', () => {
    const kinds = ['1411', '1412', '1413', '1414', '1415', '1416', '1419'].map((code) => rules.items.get(code)!);
    expect(kinds.map((k) => [k.rule, k.communePercent, k.placeholder])).toEqual([
      ['COMMUNE', undefined, false], // land tied to assets the commune manages
      ['COMMUNE', undefined, false], // conversion of land-use purpose
      ['COMMUNE', undefined, false], // recognition of household and individual land-use rights
      ['COMMUNE', undefined, false], // surplus or interspersed plots
      ['PROVINCE', undefined, false], // one-time land rent for the whole lease
      ['SHARED', 50, false], // auctioned urban and residential projects
      ['COMMUNE_PERCENTAGE', undefined, false], // the rest, by each commune's percentage
    ]);
    expect(rules.caps).toEqual([expect.objectContaining({ itemCode: '1400', capVnd: 700 * BILLION })]);
  });

  it('has a rule for every revenue item the mock treasury exports', () => {
    const world = generateWorld({ size: 10, seed: 'rules', inconsistencyRate: 0 });
    const codes = new Set([...world.budgets.values()].flatMap((years) => [...years.values()].flat()).filter((l) => l.section === 'REVENUE').map((l) => l.itemCode));
    expect([...codes].filter((code) => !rules.items.has(code) && !rules.notShared.has(code))).toEqual([]);
  });
});

describe('a table with a mistake', () => {
  const base = 'province: "24"\nname: x\nfiscalYears: { from: 2026, to: 2030 }\n';
  it.each([
    ['a repeated item code', 'items:\n  - { code: "A", name: a, rule: province }\n  - { code: "A", name: b, rule: commune }', /item code A appears more than once/],
    ['a shared item without its percentage', 'items:\n  - { code: "A", name: a, rule: shared }', /items\.0.*communePercent/],
    ['a percentage over 100', 'items:\n  - { code: "A", name: a, rule: shared, communePercent: 120 }', /0–100/],
    ['commune percentages missing', 'items:\n  - { code: "A", name: a, rule: commune-percentage }', /no communePercentages/],
    ['an unknown rule', 'items:\n  - { code: "A", name: a, rule: half }', /items\.0/],
    ['broken YAML', 'items: [', /not valid YAML/],
  ])('stops with a message naming BUDGET_RULES_FILE and the fault: %s', (_what, items, message) => {
    expect(() => parseSharingRules(base + items, 'rules.yaml')).toThrow(/BUDGET_RULES_FILE="rules\.yaml"/);
    expect(() => parseSharingRules(base + items, 'rules.yaml')).toThrow(message);
  });

  it('names a file that cannot be read', () => {
    expect(() => loadSharingRules('/nonexistent/rules.yaml')).toThrow(/BUDGET_RULES_FILE="\/nonexistent\/rules\.yaml": cannot be read/);
  });
});
