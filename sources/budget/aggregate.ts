/**
 * Budget arithmetic, kept apart from I/O so that it can be checked by hand: exported rows become a
 * Budget (revenue and expenditure sections, totals, percentages, balance), and a province's budget
 * is the sum of its communes' rows and its own.
 */
import type { BudgetRow } from './client';

export interface BudgetLine {
  itemCode: string;
  itemName: string;
  estimate: number;
  actual: number;
  percentOfEstimate: number | null;
}

export interface BudgetSection {
  lines: BudgetLine[];
  totalEstimate: number;
  totalActual: number;
  percentOfEstimate: number | null;
}

export interface Budget {
  unitCode: string;
  fiscalYear: number;
  revenue: BudgetSection;
  expenditure: BudgetSection;
  balance: number;
  communeCount: number;
}

/**
 * `actual` as a percentage of `estimate`, rounded half away from zero to 2 decimals; null when the
 * estimate is 0. Amounts are whole đồng, so the division is done exactly in integers.
 */
export function percentOfEstimate(actual: number, estimate: number): number | null {
  if (estimate === 0) return null;
  if (!Number.isSafeInteger(actual) || !Number.isSafeInteger(estimate)) {
    return Math.round((actual / estimate) * 10_000) / 100;
  }
  const numerator = BigInt(Math.abs(actual)) * 10_000n;
  const denominator = BigInt(Math.abs(estimate));
  const hundredths = (2n * numerator + denominator) / (2n * denominator);
  if (hundredths === 0n) return 0;
  const negative = actual < 0 !== estimate < 0;
  return (negative ? -Number(hundredths) : Number(hundredths)) / 100;
}

/** Lines with the same item code are added together; the name is the first one seen. */
function buildSection(rows: readonly BudgetRow[]): BudgetSection {
  const byItem = new Map<string, { itemCode: string; itemName: string; estimate: number; actual: number }>();
  let totalEstimate = 0;
  let totalActual = 0;
  for (const row of rows) {
    totalEstimate += row.estimate;
    totalActual += row.actual;
    const line = byItem.get(row.itemCode);
    if (line) {
      line.estimate += row.estimate;
      line.actual += row.actual;
    } else {
      byItem.set(row.itemCode, { itemCode: row.itemCode, itemName: row.itemName, estimate: row.estimate, actual: row.actual });
    }
  }
  return {
    lines: [...byItem.values()].map((line) => ({ ...line, percentOfEstimate: percentOfEstimate(line.actual, line.estimate) })),
    totalEstimate,
    totalActual,
    percentOfEstimate: percentOfEstimate(totalActual, totalEstimate),
  };
}

/** The budget made of `rows` (any number of units' lines for one year), lines in first-seen order. */
export function buildBudget(unitCode: string, fiscalYear: number, rows: readonly BudgetRow[], communeCount: number): Budget {
  const revenue = buildSection(rows.filter((row) => row.section === 'THU'));
  const expenditure = buildSection(rows.filter((row) => row.section === 'CHI'));
  return {
    unitCode,
    fiscalYear,
    revenue,
    expenditure,
    balance: revenue.totalActual - expenditure.totalActual,
    communeCount,
  };
}

/** A commune's budget, or null when the export has no rows for it. */
export function communeBudget(code: string, fiscalYear: number, rows: readonly BudgetRow[] | null): Budget | null {
  return rows && rows.length > 0 ? buildBudget(code, fiscalYear, rows, 1) : null;
}

/**
 * A province's budget: every commune's lines plus the province's own, added by item code;
 * communeCount is the number of communes with data. Null when there is no data at all.
 */
export function provinceBudget(
  code: string,
  fiscalYear: number,
  communeRows: ReadonlyArray<readonly BudgetRow[] | null>,
  ownRows: readonly BudgetRow[] | null,
): Budget | null {
  const withData = communeRows.filter((rows): rows is readonly BudgetRow[] => rows !== null && rows.length > 0);
  const rows = [...withData.flat(), ...(ownRows ?? [])];
  return rows.length > 0 ? buildBudget(code, fiscalYear, rows, withData.length) : null;
}
