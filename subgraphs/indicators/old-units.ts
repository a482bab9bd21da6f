/**
 * Civil-status events in today's units. The register keeps an act under the unit that registered
 * it, so months before 1 July 2025 are counted under the old communes: a commune's events are its
 * own code's from July 2025 on, plus, before it, those of each old commune that went into it and
 * into nothing else (whole, renamed, unchanged, type changed). An old commune split between
 * several of today's communes cannot say which part an act belongs to: its acts are reported as
 * unplaced, with its code, instead of being dropped or given to the first part.
 */
import { REFORM_DATE, UnitConversion } from '../../lib/admin-units';
import type { MonthlyRegistrations } from '../../sources/civil-status/statistics';

/** The last month counted under the old units. */
const LAST_OLD_MONTH = '2025-06';

export interface PlacedEvents {
  months: MonthlyRegistrations[];
  /** Acts registered at split old communes, by old code (births + marriages + deaths). */
  unplaced: Map<string, number>;
}

export async function placedEvents(
  communeCode: string,
  conversion: UnitConversion,
  range: { from: string; to: string },
  eventsOf: (code: string, from: string, to: string) => Promise<MonthlyRegistrations[]>,
): Promise<PlacedEvents> {
  const predecessors = conversion.predecessors.get(communeCode) ?? [];
  // A unit the table does not list (created later, or no table at all): its own code throughout.
  if (predecessors.length === 0) return { months: await eventsOf(communeCode, range.from, range.to), unplaced: new Map() };
  const byMonth = new Map<string, MonthlyRegistrations>();
  const add = (rows: MonthlyRegistrations[], keep: (month: string) => boolean) => {
    for (const row of rows) {
      if (!keep(row.month)) continue;
      const total = byMonth.get(row.month) ?? { month: row.month, births: 0, marriages: 0, deaths: 0 };
      total.births += row.births;
      total.marriages += row.marriages;
      total.deaths += row.deaths;
      byMonth.set(row.month, total);
    }
  };
  const reformMonth = REFORM_DATE.slice(0, 7);
  const unplaced = new Map<string, number>();
  const jobs: Promise<void>[] = [];
  if (range.to >= reformMonth) {
    const from = range.from > reformMonth ? range.from : reformMonth;
    jobs.push(eventsOf(communeCode, from, range.to).then((rows) => add(rows, () => true)));
  }
  if (range.from <= LAST_OLD_MONTH) {
    const to = range.to < LAST_OLD_MONTH ? range.to : LAST_OLD_MONTH;
    for (const formerCode of new Set(predecessors.map((row) => row.formerCode))) {
      const split = new Set(conversion.successors.get(formerCode)?.map((row) => row.currentCode)).size > 1;
      jobs.push(
        eventsOf(formerCode, range.from, to).then((rows) => {
          if (!split) return add(rows, () => true);
          const count = rows.reduce((total, row) => total + row.births + row.marriages + row.deaths, 0);
          if (count > 0) unplaced.set(formerCode, count);
        }),
      );
    }
  }
  await Promise.all(jobs);
  // Every month of the range is listed, as the register lists them: zeros where nothing was placed.
  for (let month = range.from; month <= range.to; month = nextMonth(month)) {
    if (!byMonth.has(month)) byMonth.set(month, { month, births: 0, marriages: 0, deaths: 0 });
  }
  return { months: [...byMonth.values()].sort((a, b) => (a.month < b.month ? -1 : 1)), unplaced };
}

function nextMonth(month: string): string {
  const [year, number] = month.split('-').map(Number);
  return number === 12 ? `${year + 1}-01` : `${year}-${String(number + 1).padStart(2, '0')}`;
}
