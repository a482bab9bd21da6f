/**
 * Client for the budget source (Kho bạc / TABMIS): a CSV export of one fiscal year for up to 50
 * units (5-digit commune codes, or 2-digit province codes for a province's own lines), key in
 * `X-Treasury-Token`. Item names are quoted and may contain commas, so the body goes through a
 * real CSV parser; the header and every row are checked against their schema before anything is summed.
 */
import { parse } from 'csv-parse/sync';
import { SourceError } from '../kit/errors';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';
import { nonBlank, z } from '../kit/wire';

/** The source exports at most this many units per call. */
export const BUDGET_MAX_UNITS = 50;

const HEADER = ['unit_code', 'fiscal_year', 'section', 'item_code', 'item_name', 'estimate_vnd', 'actual_vnd'];

const WIRE_HEADER = z.array(z.string()).refine((names) => names.length === HEADER.length && names.every((name, i) => name.trim() === HEADER[i]));

/** A whole amount of đồng that a JavaScript number holds exactly. */
const wholeDong = z
  .string()
  .regex(/^-?\d+$/)
  .transform(Number)
  .refine(Number.isSafeInteger);

/** One exported row, in the header's column order. */
const WIRE_ROW = z.tuple([
  z.string().regex(/^(\d{2}|\d{5})$/),
  z.string().regex(/^\d{4}$/).transform(Number),
  z.enum(['THU', 'CHI']),
  z.string().regex(/^[A-Za-z0-9.-]{1,32}$/),
  nonBlank,
  wholeDong,
  wholeDong,
]);

export type BudgetSectionCode = 'THU' | 'CHI';

/** One line of a unit's budget, as exported. Amounts are whole đồng. */
export interface BudgetRow {
  unitCode: string;
  fiscalYear: number;
  section: BudgetSectionCode;
  itemCode: string;
  itemName: string;
  estimate: number;
  actual: number;
  /** The export carries no change dates: `producedAt` is null. */
  provenance: Provenance;
}

export class BudgetClient extends SourceClient {
  readonly source = 'budget' as const;

  protected authHeaders(): Record<string, string> {
    return { 'x-treasury-token': this.apiKey };
  }

  /** The rows of each unit among `unitCodes` (at most BUDGET_MAX_UNITS) that has any for the year. */
  async exportBudgets(fiscalYear: number, unitCodes: readonly string[]): Promise<Map<string, BudgetRow[]>> {
    if (unitCodes.length === 0) return new Map();
    if (unitCodes.length > BUDGET_MAX_UNITS) throw new RangeError(`The budget source exports at most ${BUDGET_MAX_UNITS} units per call`);
    const response = await this.send({
      path: '/tabmis/exports/budget.csv',
      query: { fiscalYear, units: unitCodes.join(',') },
    });
    if (response.status === 404) {
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered HTTP 404`, 404);
    }
    const requested = new Set(unitCodes);
    const byUnit = new Map<string, BudgetRow[]>();
    const fetchedAt = new Date();
    for (const row of this.parseRows(response.text, fetchedAt)) {
      if (row.fiscalYear !== fiscalYear || !requested.has(row.unitCode)) {
        throw this.badResponse('rows for a year or unit that was not asked for');
      }
      const rows = byUnit.get(row.unitCode);
      if (rows) rows.push(row);
      else byUnit.set(row.unitCode, [row]);
    }
    return byUnit;
  }

  private parseRows(text: string, fetchedAt: Date): BudgetRow[] {
    let records: string[][];
    try {
      records = parse(text, { bom: true, skip_empty_lines: true }) as string[][];
    } catch {
      // The parser's message may quote the data; the caller needs only the kind of failure.
      throw this.badResponse('a body that is not valid CSV');
    }
    const [header, ...rows] = records;
    if (!header) throw this.badResponse('a CSV export without the expected header');
    this.check(WIRE_HEADER, header, 'a CSV export without the expected header');
    return rows.map((row) => this.mapRow(row, fetchedAt));
  }

  private mapRow(row: string[], fetchedAt: Date): BudgetRow {
    const [unitCode, fiscalYear, section, itemCode, itemName, estimate, actual] = this.check(WIRE_ROW, row, 'a budget row with missing or unexpected fields');
    return { unitCode, fiscalYear, section, itemCode, itemName, estimate, actual, provenance: stampProvenance(this.source, null, fetchedAt) };
  }
}
