/** The budget source over HTTP: a CSV export that parses, with quoting, limits and plain-text errors. */
import type { RunningMocks } from '../../../mocks';
import { call, parseCsv, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let base: string;
const KEY = { 'x-treasury-token': TEST_KEYS.budget };

beforeAll(async () => {
  mocks = await startTestMocks();
  base = `${mocks.urls.budget}/tabmis/exports/budget.csv`;
});
afterAll(() => mocks.close());

describe('GET /tabmis/exports/budget.csv', () => {
  it('exports every line of the requested units as RFC 4180 CSV', async () => {
    const commune = mocks.world.catalogue.communes[0].Code;
    const province = mocks.world.catalogue.provinces[0].Code;
    const answer = await call(`${base}?fiscalYear=2026&units=${commune},${province}`, { headers: KEY });
    expect(answer.status).toBe(200);
    expect(answer.contentType).toBe('text/csv; charset=utf-8');
    const [header, ...rows] = parseCsv(answer.text);
    expect(header).toEqual(['unit_code', 'fiscal_year', 'section', 'item_code', 'item_name', 'estimate_vnd', 'actual_vnd']);
    const expected = mocks.world.budgets.get(commune)!.get(2026)!;
    expect(rows).toHaveLength(2 * expected.length);
    expect(rows.slice(0, expected.length)).toEqual(
      expected.map((l) => [commune, '2026', l.section === 'REVENUE' ? 'THU' : 'CHI', l.itemCode, l.itemName, String(l.estimateVnd), String(l.actualVnd)]),
    );
    expect(rows.every((r) => r.length === 7)).toBe(true);
    // Names with commas and with quotes come through intact.
    expect(rows.map((r) => r[4])).toContain('Chi sự nghiệp giáo dục, đào tạo');
    expect(rows.map((r) => r[4])).toContain('Chi chương trình mục tiêu quốc gia "Xây dựng nông thôn mới"');
    for (const r of rows.filter((row) => row[1] === '2026')) expect(Number(r[6])).toBeLessThan(Number(r[5]));
  });

  it('has no rows for unknown units or years without data', async () => {
    for (const query of ['fiscalYear=2026&units=99999,98', 'fiscalYear=2024&units=00004']) {
      const answer = await call(`${base}?${query}`, { headers: KEY });
      expect(answer.status).toBe(200);
      expect(parseCsv(answer.text)).toHaveLength(1);
    }
  });

  it.each([
    ['no year', 'units=00004'],
    ['a bad year', 'fiscalYear=20x6&units=00004'],
    ['no units', 'fiscalYear=2026'],
    ['a bad unit code', 'fiscalYear=2026&units=123'],
    ['51 units', `fiscalYear=2026&units=${Array.from({ length: 51 }, (_, i) => String(10000 + i)).join(',')}`],
  ])('answers %s with 400 in plain text', async (_what, query) => {
    const answer = await call(`${base}?${query}`, { headers: KEY });
    expect(answer.status).toBe(400);
    expect(answer.contentType).toBe('text/plain; charset=utf-8');
    expect(answer.text.length).toBeGreaterThan(5);
  });

  it('takes 50 units and refuses a wrong key with 401', async () => {
    const units = Array.from({ length: 50 }, (_, i) => String(10000 + i)).join(',');
    expect((await call(`${base}?fiscalYear=2026&units=${units}`, { headers: KEY })).status).toBe(200);
    const denied = await call(`${base}?fiscalYear=2026&units=00004`, { headers: { 'x-treasury-token': 'nope-nope-nope' } });
    expect([denied.status, denied.contentType]).toEqual([401, 'text/plain; charset=utf-8']);
  });
});
