/**
 * The data-sharing report computed from a generated audit log: its rows and totals against counts
 * made directly from the same entries (refusals among them), the period's bounds, old entries,
 * damaged lines, the CSV, and the same figures from the PostgreSQL log.
 */
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditRecord, isRefusal } from '../../../lib/audit/entry';
import { FileAuditSink } from '../../../lib/audit/file-sink';
import { PostgresAuditSink } from '../../../lib/audit/postgres-sink';
import { parseReportTime, periodProblem, sharingReport, SharingReport, sharingReportCsv } from '../../../lib/audit/sharing-report';
import { startPostgres, ThrowawayPostgres } from '../../../stack/postgres';
import { auditRecord, refusalRecord } from '../../support/audit-fixtures';
import { describeWithPostgres } from '../../support/needs-package';

const FROM = new Date('2026-01-01T00:00:00Z');
const TO = new Date('2026-02-01T00:00:00Z');

const PROCEDURES = [
  { code: 'local:birth-registration', name: 'Đăng ký khai sinh', catalogueVersion: '2026.1' },
  { code: 'local:marital-status-confirmation', name: 'Cấp Giấy xác nhận tình trạng hôn nhân', catalogueVersion: '2026.1' },
];
const SOURCE_SETS = [['population'], ['civil-status', 'population'], ['land'], [], ['social-insurance']];

/** A refusal, every seventh entry: of a field outside a procedure, of a procedure, or for want of any purpose. */
function generatedRefusal(n: number, at: string): AuditRecord {
  const base = { ...refusalRecord(n), at, requestId: `req-${Math.floor(n / 3)}`, clientId: `tthc-${n % 3}` };
  switch (n % 3) {
    case 0:
      return base;
    case 1:
      return { ...base, fields: [], sources: [], refusal: { code: 'UNKNOWN_PROCEDURE', reason: null, count: 1 }, procedure: { code: 'local:no-such', name: '', catalogueVersion: '2026.1' } };
    default:
      return { ...base, purpose: null, purposeBasis: null, procedure: null, dossier: null, refusal: { code: 'FORBIDDEN', reason: 'PURPOSE_REQUIRED', count: 2 } };
  }
}

/** A varied log: 3 clients, procedures, free text, self, entries before procedures, refusals, several sources; some outside the period. */
function generatedRecords(count: number): AuditRecord[] {
  return Array.from({ length: count }, (_, n) => {
    if (n % 7 === 6) return generatedRefusal(n, new Date(Date.UTC(2026, 0, 1 + (n % 45), 9, 0, 0, n)).toISOString());
    const base = auditRecord(n, `0241900${String(n % 37).padStart(5, '0')}`);
    const kind = n % 4;
    const sources = SOURCE_SETS[n % SOURCE_SETS.length];
    const day = n % 45; // days 31–44 fall after the period
    return {
      ...base,
      at: new Date(Date.UTC(2026, 0, 1 + day, 8, 0, 0, n)).toISOString(),
      requestId: `req-${Math.floor(n / 3)}`, // three people per request
      clientId: `tthc-${n % 3}`,
      fields: sources.length ? sources.map((s) => `${s}.field${n % 2}`) : ['Citizen.personalId'],
      sources,
      ...(kind === 0
        ? { purposeBasis: 'procedure' as const, procedure: PROCEDURES[n % 2], dossier: `HS-${n}`, purpose: `${PROCEDURES[n % 2].code} HS-${n}` }
        : kind === 1
          ? { purposeBasis: 'free-text' as const, procedure: null, dossier: null }
          : kind === 2
            ? { purposeBasis: 'self' as const, procedure: null, dossier: null }
            : {}),
    };
  });
}

/** The totals counted straight from the records, no report code involved. */
function directTotals(records: AuditRecord[], from = FROM, to = TO) {
  const all = records.filter((r) => new Date(r.at) >= from && new Date(r.at) < to);
  const inside = all.filter((r) => !isRefusal(r));
  return {
    entries: inside.length,
    requests: new Set(inside.map((r) => r.requestId)).size,
    persons: new Set(inside.map((r) => r.personalId)).size,
    fieldReads: inside.reduce((sum, r) => sum + r.fields.length, 0),
    fieldNames: [...new Set(inside.flatMap((r) => r.fields))].sort(),
    clients: new Set(all.map((r) => r.clientId)).size,
    refusals: all.length - inside.length,
  };
}

/** The purpose a row stands for, as the report keys it: a refusal without one reads `none`. */
const purposeOf = (r: AuditRecord) => r.purposeBasis ?? (isRefusal(r) ? 'none' : null);

function expectConsistent(report: SharingReport, records: AuditRecord[]) {
  expect(report.totals).toEqual(directTotals(records));
  expect(report.refusalsRecorded).toBe(true);
  const all = records.filter((r) => new Date(r.at) >= FROM && new Date(r.at) < TO);
  const inside = all.filter((r) => !isRefusal(r));
  // Every row against the records it stands for.
  for (const row of report.rows) {
    const ofRow = all.filter(
      (r) =>
        r.clientId === row.clientId &&
        (row.source === null ? r.sources.length === 0 : r.sources.includes(row.source)) &&
        purposeOf(r) === row.purposeBasis &&
        (r.purposeBasis === 'procedure' ? r.procedure!.code : null) === row.procedureCode,
    );
    const mine = ofRow.filter((r) => !isRefusal(r));
    expect(row.refusals).toBe(ofRow.length - mine.length);
    expect(row.entries).toBe(mine.length);
    expect(row.requests).toBe(new Set(mine.map((r) => r.requestId)).size);
    expect(row.persons).toBe(new Set(mine.map((r) => r.personalId)).size);
    expect(row.fieldReads).toBe(mine.reduce((sum, r) => sum + r.fields.length, 0));
  }
  // Each entry lands in one row per source it names (or the identifiers-only row).
  expect(report.rows.reduce((sum, row) => sum + row.entries, 0)).toBe(inside.reduce((sum, r) => sum + Math.max(1, r.sources.length), 0));
  // Likewise each refusal, in the refusals column only.
  const refusals = all.filter(isRefusal);
  expect(refusals.length).toBeGreaterThan(0);
  expect(report.rows.reduce((sum, row) => sum + row.refusals, 0)).toBe(refusals.reduce((sum, r) => sum + Math.max(1, r.sources.length), 0));
}

describe('the sharing report from the audit file', () => {
  let dir: string;
  let sink: FileAuditSink;
  const records = generatedRecords(900);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sharing-report-'));
    sink = new FileAuditSink(join(dir, 'audit.log'));
    for (let i = 0; i < records.length; i += 100) await sink.append(records.slice(i, i + 100));
  });
  afterAll(async () => {
    await sink.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('totals and rows equal counts made directly from the log', async () => {
    const report = await sharingReport(sink, FROM, TO);
    expectConsistent(report, records);
    expect(report.rows.length).toBeGreaterThan(10);
    expect(report.unreadable).toBe(0);
  });

  it('one row per client × source × purpose, procedures named, old entries and identifier-only reads marked', async () => {
    const report = await sharingReport(sink, FROM, TO);
    const keys = report.rows.map((r) => JSON.stringify([r.clientId, r.source, r.purposeBasis, r.procedureCode]));
    expect(new Set(keys).size).toBe(keys.length);
    expect(report.rows).toContainEqual(
      expect.objectContaining({ clientId: 'tthc-0', source: 'population', purposeBasis: 'procedure', procedureCode: 'local:birth-registration', procedureName: 'Đăng ký khai sinh' }),
    );
    expect(report.rows.some((r) => r.purposeBasis === null && r.procedureCode === null)).toBe(true);
    expect(report.rows.some((r) => r.source === null && r.fieldNames.join() === 'Citizen.personalId')).toBe(true);
    expect(report.rows.some((r) => r.purposeBasis === 'self')).toBe(true);
    // Refusals: of a field outside the procedure, of a procedure not in the catalogue, for want of a purpose.
    expect(report.rows).toContainEqual(expect.objectContaining({ source: 'land', purposeBasis: 'procedure', procedureCode: 'local:marital-status-confirmation', refusals: expect.any(Number) }));
    expect(report.rows).toContainEqual(expect.objectContaining({ source: null, procedureCode: 'local:no-such', entries: 0, persons: 0, refusals: expect.any(Number) }));
    expect(report.rows.filter((r) => r.purposeBasis === 'none').every((r) => r.entries === 0 && r.refusals > 0)).toBe(true);
    expect(report.rows.some((r) => r.purposeBasis === 'none')).toBe(true);
  });

  it('counts only the period: from inclusive, to exclusive', async () => {
    const at = new Date(records[5].at);
    const report = await sharingReport(sink, at, new Date(at.getTime() + 1));
    expect(report.totals.entries).toBe(records.filter((r) => r.at === records[5].at).length);
    const none = await sharingReport(sink, new Date('2025-01-01T00:00:00Z'), new Date('2025-02-01T00:00:00Z'));
    expect(none.rows).toEqual([]);
    expect(none.totals).toMatchObject({ entries: 0, requests: 0, persons: 0, fieldReads: 0, clients: 0 });
  });

  it('a damaged line is counted as unreadable, never as a read', async () => {
    const damaged = join(dir, 'damaged.log');
    const copy = new FileAuditSink(damaged);
    await copy.append(records.slice(0, 10));
    await copy.close();
    appendFileSync(damaged, '{"not":"an entry"}\nnot json\n');
    const report = await sharingReport(new FileAuditSink(damaged), FROM, TO);
    expect(report.unreadable).toBe(2);
    expect(report.totals.entries).toBe(records.slice(0, 10).filter((r) => new Date(r.at) < TO && !isRefusal(r)).length);
  });

  it('CSV: UTF-8 with a header, one line per row and a totals line', async () => {
    const report = await sharingReport(sink, FROM, TO);
    const csv = sharingReportCsv(report);
    expect(csv.startsWith('\uFEFFclient_id,source,purpose_kind,procedure_code,procedure_name,entries,requests,persons,field_reads,distinct_fields,fields,refusals\r\n')).toBe(true);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(report.rows.length + 2);
    const total = lines[lines.length - 1].split(',');
    expect(total[0]).toBe(`TOTAL (systems: ${report.totals.clients})`);
    expect(total.slice(5, 10).map(Number)).toEqual([report.totals.entries, report.totals.requests, report.totals.persons, report.totals.fieldReads, report.totals.fieldNames.length]);
    expect(csv).toContain('Đăng ký khai sinh');
    expect(Number(total[total.length - 1])).toBe(report.totals.refusals);
    expect(report.totals.refusals).toBeGreaterThan(0);
    // The refusal column of the rows adds up as the rows do.
    const rowRefusals = lines.slice(1, -1).reduce((sum, line) => sum + Number(line.split(',').at(-1)), 0);
    expect(rowRefusals).toBe(report.rows.reduce((sum, row) => sum + row.refusals, 0));
    expect(lines.some((line) => line.split(',')[1] === '(no source)')).toBe(true);
  });
});

describe('the period', () => {
  it('reads ISO dates and date-times with an offset, and nothing else', () => {
    expect(parseReportTime('2026-01-01')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    expect(parseReportTime('2026-01-01T07:00:00+07:00')?.toISOString()).toBe('2026-01-01T00:00:00.000Z');
    for (const bad of ['2026-02-30', '01/02/2026', '2026-01-01T00:00:00', 'yesterday', '']) expect(parseReportTime(bad)).toBeNull();
  });

  it('from before to, at most 366 days', () => {
    expect(periodProblem(FROM, TO)).toBeNull();
    expect(periodProblem(TO, FROM)).toMatch(/earlier/);
    expect(periodProblem(FROM, FROM)).toMatch(/earlier/);
    expect(periodProblem(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-02T00:00:00Z'))).toBeNull();
    expect(periodProblem(new Date('2026-01-01T00:00:00Z'), new Date('2027-01-03T00:00:00Z'))).toMatch(/366 days/);
  });
});

describeWithPostgres('the sharing report from the PostgreSQL log', () => {
  let server: ThrowawayPostgres;
  let dir: string;

  beforeAll(async () => {
    server = await startPostgres();
    dir = mkdtempSync(join(tmpdir(), 'sharing-report-pg-'));
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives the same report as the file holding the same entries', async () => {
    const records = generatedRecords(2500); // more than one page of rows
    const database = new PostgresAuditSink(server.url, { table: 'audit_sharing' });
    const file = new FileAuditSink(join(dir, 'audit.log'));
    try {
      for (let i = 0; i < records.length; i += 500) {
        await database.append(records.slice(i, i + 500));
        await file.append(records.slice(i, i + 500));
      }
      const fromDatabase = await sharingReport(database, FROM, TO);
      expectConsistent(fromDatabase, records);
      expect(fromDatabase).toEqual(await sharingReport(file, FROM, TO));
    } finally {
      await Promise.all([database.close(), file.close()]);
    }
  }, 60_000);

  it('a table not yet created reads as an empty report', async () => {
    const database = new PostgresAuditSink(server.url, { table: 'audit_never_written' });
    try {
      expect((await sharingReport(database, FROM, TO)).totals.entries).toBe(0);
    } finally {
      await database.close();
    }
  });
});
