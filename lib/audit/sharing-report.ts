/**
 * The data-sharing report (Decree 278/2025/NĐ-CP asks that sharing between agencies be monitored,
 * traced and evaluated): over a period, which calling system read which source for which
 * procedure, how often and about how many people. Computed from the audit log alone, one entry at
 * a time, so the GraphQL query (the audit subgraph) and the CSV command (scripts/audit-sharing-report.ts)
 * give the same figures from the file or the PostgreSQL log.
 *
 * What the figures count (each row: one client_id × one source × one purpose):
 *  - entries: audit entries, i.e. personal reads (one per person per request);
 *  - requests: distinct gateway request ids among them;
 *  - persons: distinct personal IDs among them;
 *  - fieldReads: the fields those entries name, added up (a field read once per person per request);
 *  - fieldNames: the distinct fields (schema coordinates) among them;
 *  - refusals: refusal entries (`kind: "refusal"`): one per request and reason for which the
 *    gateway refused an authenticated caller personal data (a field outside the procedure or the
 *    scopes, no purpose, a record outside the jurisdiction) or the procedure it named. They count
 *    in no other figure.
 * An entry names the sources it read, not which field came from which source: an entry that read
 * two sources counts, with all its fields, in both sources' rows. The totals count every entry
 * once (requests and persons distinct over the whole period), so rows may add up to more than the
 * totals. An entry whose fields are only identifiers (a household member's personalId) names no
 * source: its rows have the source null, as have refusals of a procedure (before any field was asked).
 * A refusal for want of any purpose has the purpose `none`.
 *
 * Distinct counts hold the request ids and personal IDs of the period in memory (about 100 bytes
 * each): some hundreds of MB for tens of millions of reads.
 */
import { AuditEntry, isRefusal, PurposeBasis } from './entry';
import type { AuditSink } from './sink';

/** The longest period one report may cover, in days. */
export const MAX_REPORT_DAYS = 366;

const DAY_MS = 86_400_000;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * An ISO 8601 date (`2026-01-01`, midnight UTC) or date-time with its offset
 * (`2026-01-01T00:00:00+07:00`), else null.
 */
export function parseReportTime(text: string): Date | null {
  if (!DATE_ONLY.test(text) && !DATE_TIME.test(text)) return null;
  const time = new Date(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(time.getTime())) return null;
  // `2026-02-30` parses as 2 March: refuse a calendar date that does not exist.
  if (DATE_ONLY.test(text) && time.toISOString().slice(0, 10) !== text) return null;
  return time;
}

/** What is wrong with a period (`from` inclusive, `to` exclusive), or null. */
export function periodProblem(from: Date, to: Date): string | null {
  if (!(from.getTime() < to.getTime())) return '"from" must be earlier than "to"';
  if (to.getTime() - from.getTime() > MAX_REPORT_DAYS * DAY_MS) return `a report covers at most ${MAX_REPORT_DAYS} days; ask for several periods`;
  return null;
}

/** The fields of an entry the report reads. */
export type ReportedEntry = Pick<AuditEntry, 'at' | 'requestId' | 'clientId' | 'personalId' | 'fields' | 'sources' | 'purposeBasis' | 'procedure' | 'kind'>;

/** How a row's purpose was stated; `none`: no purpose at all (only refusals are made without one). */
export type ReportedPurpose = PurposeBasis | 'none';

export interface SharingCounts {
  entries: number;
  requests: number;
  persons: number;
  fieldReads: number;
  /** Distinct schema coordinates, sorted. */
  fieldNames: string[];
  /** Refusal entries (not counted in the figures above). */
  refusals: number;
}

export interface SharingRow extends SharingCounts {
  /** The calling system (the token's client_id). */
  clientId: string;
  /** The source (subgraph) read; null for reads of identifiers only. */
  source: string | null;
  /** How the purpose was stated; null for entries written before procedures (not recorded). */
  purposeBasis: ReportedPurpose | null;
  /** The catalogued procedure, when the purpose was one. */
  procedureCode: string | null;
  /** Its name as the newest entry of the row records it. */
  procedureName: string | null;
}

export interface SharingTotals extends SharingCounts {
  /** Distinct calling systems. */
  clients: number;
}

export interface SharingReport {
  /** ISO 8601, inclusive. */
  from: string;
  /** ISO 8601, exclusive. */
  to: string;
  rows: SharingRow[];
  totals: SharingTotals;
  /** Refusals are written to the audit log (since the release that records them) and counted. */
  refusalsRecorded: true;
  /** Stored lines that are not well-formed entries (damaged): not counted; `npm run audit:verify` names them. */
  unreadable: number;
}

class Tally {
  entries = 0;
  fieldReads = 0;
  refusals = 0;
  readonly requests = new Set<string>();
  readonly persons = new Set<string>();
  readonly fieldNames = new Set<string>();

  add(entry: ReportedEntry): void {
    if (isRefusal(entry)) {
      this.refusals++;
      return;
    }
    this.entries++;
    this.fieldReads += entry.fields.length;
    this.requests.add(entry.requestId);
    this.persons.add(entry.personalId);
    for (const field of entry.fields) this.fieldNames.add(field);
  }

  counts(): SharingCounts {
    return {
      entries: this.entries,
      requests: this.requests.size,
      persons: this.persons.size,
      fieldReads: this.fieldReads,
      fieldNames: [...this.fieldNames].sort(),
      refusals: this.refusals,
    };
  }
}

interface RowTally {
  clientId: string;
  source: string | null;
  purposeBasis: ReportedPurpose | null;
  procedureCode: string | null;
  procedureName: string | null;
  tally: Tally;
}

const compareText = (a: string | null, b: string | null) => (a === b ? 0 : a === null ? 1 : b === null ? -1 : a < b ? -1 : 1);

/** Adds entries one at a time (in chain order); `report()` gives the figures. */
export class SharingReportBuilder {
  private readonly rows = new Map<string, RowTally>();
  private readonly total = new Tally();
  private readonly clients = new Set<string>();
  private unreadable = 0;
  private readonly start: number;
  private readonly end: number;

  constructor(
    readonly from: Date,
    readonly to: Date,
  ) {
    this.start = from.getTime();
    this.end = to.getTime();
  }

  /** An entry (counted when its time lies in the period), or null for a line that is not one. */
  add(entry: ReportedEntry | null): void {
    if (!entry) {
      this.unreadable++;
      return;
    }
    const at = Date.parse(entry.at);
    if (!(at >= this.start && at < this.end)) return;
    this.total.add(entry);
    this.clients.add(entry.clientId);
    const purposeBasis: ReportedPurpose | null = entry.purposeBasis ?? (isRefusal(entry) ? 'none' : null);
    const procedureCode = purposeBasis === 'procedure' ? (entry.procedure?.code ?? null) : null;
    const sources = entry.sources.length > 0 ? [...new Set(entry.sources)] : [null];
    for (const source of sources) {
      const key = JSON.stringify([entry.clientId, source, purposeBasis, procedureCode]);
      let row = this.rows.get(key);
      if (!row) {
        row = { clientId: entry.clientId, source, purposeBasis, procedureCode, procedureName: null, tally: new Tally() };
        this.rows.set(key, row);
      }
      if (procedureCode) row.procedureName = entry.procedure?.name ?? row.procedureName;
      row.tally.add(entry);
    }
  }

  report(): SharingReport {
    const rows = [...this.rows.values()]
      .map(({ tally, ...key }): SharingRow => ({ ...key, ...tally.counts() }))
      .sort(
        (a, b) =>
          compareText(a.clientId, b.clientId) ||
          compareText(a.source, b.source) ||
          compareText(a.purposeBasis, b.purposeBasis) ||
          compareText(a.procedureCode, b.procedureCode),
      );
    return {
      from: this.from.toISOString(),
      to: this.to.toISOString(),
      rows,
      totals: { ...this.total.counts(), clients: this.clients.size },
      refusalsRecorded: true,
      unreadable: this.unreadable,
    };
  }
}

/** The report of a period from any entries (in chain order). */
export async function sharingReportOf(entries: AsyncIterable<ReportedEntry | null> | Iterable<ReportedEntry | null>, from: Date, to: Date): Promise<SharingReport> {
  const builder = new SharingReportBuilder(from, to);
  for await (const entry of entries) builder.add(entry);
  return builder.report();
}

/** The report of a period from an audit log (file or PostgreSQL), streamed. */
export function sharingReport(sink: Pick<AuditSink, 'readPeriod'>, from: Date, to: Date): Promise<SharingReport> {
  return sharingReportOf(sink.readPeriod(from, to), from, to);
}

/** How a row's purpose reads to a person: the procedure, or the kind of purpose. */
export function purposeLabel(row: Pick<SharingRow, 'purposeBasis' | 'procedureCode' | 'procedureName'>): string {
  switch (row.purposeBasis) {
    case 'procedure':
      return row.procedureName ? `${row.procedureCode ?? ''} ${row.procedureName}`.trim() : (row.procedureCode ?? 'procedure');
    case 'free-text':
      return 'free text (purpose:free-text)';
    case 'self':
      return 'self (a citizen reading their own data)';
    case 'none':
      return 'none stated (refused)';
    default:
      return 'not recorded (entries before the procedure catalogue)';
  }
}

const CSV_HEADER = [
  'client_id',
  'source',
  'purpose_kind',
  'procedure_code',
  'procedure_name',
  'entries',
  'requests',
  'persons',
  'field_reads',
  'distinct_fields',
  'fields',
  'refusals',
];

function csvCell(value: string | number): string {
  const text = String(value);
  // Quoted when needed; a leading = + - @ is prefixed so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r;]/.test(safe) || safe !== text ? `"${safe.replace(/"/g, '""')}"` : safe;
}

const PURPOSE_KIND = { procedure: 'procedure', 'free-text': 'free-text', self: 'self', none: 'none' } as const;

/** A row without a source: reads of identifiers only, or refusals before any source was asked (a procedure refused). */
function sourceLabel(row: SharingRow): string {
  if (row.source !== null) return row.source;
  return row.entries > 0 ? '(identifiers only)' : '(no source)';
}

/**
 * The report as UTF-8 CSV (RFC 4180, CRLF line ends, a byte-order mark so spreadsheets read the
 * Vietnamese names): a header, one row per client × source × purpose, then a totals row.
 */
export function sharingReportCsv(report: SharingReport): string {
  const lines = [CSV_HEADER.join(',')];
  for (const row of report.rows) {
    lines.push(
      [
        row.clientId,
        sourceLabel(row),
        row.purposeBasis ? PURPOSE_KIND[row.purposeBasis] : 'not-recorded',
        row.procedureCode ?? '',
        row.purposeBasis === 'procedure' ? (row.procedureName ?? '') : purposeLabel(row),
        row.entries,
        row.requests,
        row.persons,
        row.fieldReads,
        row.fieldNames.length,
        row.fieldNames.join(' '),
        row.refusals,
      ]
        .map(csvCell)
        .join(','),
    );
  }
  const t = report.totals;
  lines.push(
    [`TOTAL (systems: ${t.clients})`, '', '', '', `${report.from} to ${report.to}`, t.entries, t.requests, t.persons, t.fieldReads, t.fieldNames.length, t.fieldNames.join(' '), t.refusals]
      .map(csvCell)
      .join(','),
  );
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
