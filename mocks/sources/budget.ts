/**
 * Budget (Kho bạc / TABMIS): a CSV export of one fiscal year for up to 50 units (5-digit
 * communes, or 2-digit provinces for the province's own lines), `X-Treasury-Token`. RFC 4180:
 * CRLF line ends, item names always quoted (they contain commas, and one contains quotes).
 * Errors are plain text.
 */
import type { BudgetLine, World } from '../world/types';
import { checkBatch, listParam } from './params';
import { Call, ERROR_STATUS, header, Reply, SourceDefinition, SourceFailure } from './contract';

const MAX_UNITS = 50;
const COLUMNS = ['unit_code', 'fiscal_year', 'section', 'item_code', 'item_name', 'estimate_vnd', 'actual_vnd'];
const SECTION = { REVENUE: 'THU', EXPENDITURE: 'CHI' } as const;

export function budgetSource(world: World): SourceDefinition {
  return {
    name: 'budget',
    format: 'csv',
    presentedKey: (call) => header(call, 'x-treasury-token'),
    renderError: (kind, message) => ({ status: ERROR_STATUS[kind], contentType: 'text/plain; charset=utf-8', body: `${message}\n` }),
    routes: [{ method: 'GET', path: /^\/tabmis\/exports\/budget\.csv$/, operation: 'budget:export', handle: (call) => exportCsv(world, call) }],
  };
}

function exportCsv(world: World, call: Call): Reply {
  const year = call.query.get('fiscalYear') ?? '';
  if (!/^\d{4}$/.test(year)) throw new SourceFailure('BAD_REQUEST', 'fiscalYear must be a 4-digit year');
  const units = listParam(call, 'units') ?? [];
  checkBatch(units, MAX_UNITS, 'unit code');
  const bad = units.find((unit) => !/^(\d{2}|\d{5})$/.test(unit));
  if (bad) throw new SourceFailure('BAD_REQUEST', `"${bad}" is not a 2-digit province or 5-digit commune code`);

  const rows = [COLUMNS.join(',')];
  for (const unit of units) {
    for (const line of world.budgets.get(unit)?.get(Number(year)) ?? []) rows.push(csvRow(unit, year, line));
  }
  return { status: 200, contentType: 'text/csv; charset=utf-8', body: rows.join('\r\n') + '\r\n' };
}

function csvRow(unit: string, year: string, line: BudgetLine): string {
  return [unit, year, SECTION[line.section], line.itemCode, quote(line.itemName), line.estimateVnd, line.actualVnd].join(',');
}

function quote(text: string): string {
  return `"${text.replace(/"/g, '""')}"`;
}
