/**
 * Civil-status events in today's units: before July 2025 under the old communes that went into a
 * commune, from then on under its own code; a split old commune's acts reported as unplaced.
 */
import { indexConversion, Succession } from '../../../lib/admin-units';
import type { MonthlyRegistrations } from '../../../sources/civil-status/statistics';
import { placedEvents } from '../../../subgraphs/indicators/old-units';

const row = (formerCode: string, currentCode: string, how: Succession['how']): Succession => ({ formerCode, currentCode, how, note: '' });
// 07210 took Thọ Xương (07201) whole and part of Song Mai (07222); 07210 was also an old number (Hoàng Văn Thụ).
const conversion = indexConversion([], [row('07201', '07210', 'WHOLE'), row('07210', '07210', 'WHOLE'), row('07222', '07210', 'PART'), row('07222', '07228', 'PART')]);

/** One birth in every month of the range, under whatever code is asked, and the calls made. */
function register() {
  const calls: string[] = [];
  const eventsOf = async (code: string, from: string, to: string): Promise<MonthlyRegistrations[]> => {
    calls.push(`${code} ${from}..${to}`);
    const months: MonthlyRegistrations[] = [];
    for (let m = from; m <= to; m = m.endsWith('-12') ? `${Number(m.slice(0, 4)) + 1}-01` : `${m.slice(0, 5)}${String(Number(m.slice(5)) + 1).padStart(2, '0')}`) {
      months.push({ month: m, births: 1, marriages: 0, deaths: 0 });
    }
    return months;
  };
  return { calls, eventsOf };
}

it('counts old units that went in whole before July 2025, its own code after, and the split one as unplaced', async () => {
  const { calls, eventsOf } = register();
  const placed = await placedEvents('07210', conversion, { from: '2025-05', to: '2025-08' }, eventsOf);
  // May and June: 07201 and old 07210, whole (2 each); July and August: the commune's own code (1 each).
  expect(placed.months.map((m) => [m.month, m.births])).toEqual([['2025-05', 2], ['2025-06', 2], ['2025-07', 1], ['2025-08', 1]]);
  expect([...placed.unplaced]).toEqual([['07222', 2]]);
  expect(calls.sort()).toEqual(['07201 2025-05..2025-06', '07210 2025-05..2025-06', '07210 2025-07..2025-08', '07222 2025-05..2025-06']);
});

it('reads a unit the table does not list (created later, or no table) under its own code throughout', async () => {
  const { eventsOf } = register();
  const placed = await placedEvents('06978', conversion, { from: '2025-05', to: '2025-08' }, eventsOf);
  expect(placed.months.map((m) => m.births)).toEqual([1, 1, 1, 1]);
  expect(placed.unplaced.size).toBe(0);
});

it('lists every month of the range, with zeros where nothing was placed', async () => {
  const nothing = async () => [] as MonthlyRegistrations[];
  const placed = await placedEvents('07210', conversion, { from: '2025-06', to: '2025-07' }, nothing);
  expect(placed.months).toEqual([
    { month: '2025-06', births: 0, marriages: 0, deaths: 0 },
    { month: '2025-07', births: 0, marriages: 0, deaths: 0 },
  ]);
});
