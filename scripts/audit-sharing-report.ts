/**
 * `npm run audit:sharing-report -- --from 2026-01-01 --to 2026-02-01 [--out report.csv] [--file <log> | --database <url>] [--table <name>]`:
 * the data-sharing report of a period as UTF-8 CSV (lib/audit/sharing-report.ts: the same figures
 * as the GraphQL query sharingReport), on standard output or into `--out`. The log is found as
 * `npm run audit:verify` finds it: `--file` or `--database`, else the gateway's configuration
 * (AUDIT_DATABASE_URL, else AUDIT_FILE). `from` is inclusive, `to` exclusive: ISO dates (midnight
 * UTC) or date-times with an offset. Exits 0 with the report, 2 on a bad argument or a log that
 * cannot be found or read. Prints counts and field names, never personal data.
 */
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { FileAuditSink } from '../lib/audit/file-sink';
import { PostgresAuditSink } from '../lib/audit/postgres-sink';
import { MAX_REPORT_DAYS, parseReportTime, periodProblem, sharingReport, SharingReport, sharingReportCsv } from '../lib/audit/sharing-report';
import { auditLogTarget } from './audit-verify';
import { exitWhenDone } from './command';

const USAGE =
  'usage: npm run audit:sharing-report -- --from 2026-01-01 --to 2026-02-01 [--out report.csv] [--file <log> | --database <url>] [--table <name>]';

export class UsageError extends Error {}

export interface ReportArguments {
  from: Date;
  to: Date;
  out?: string;
  file?: string;
  database?: string;
  table?: string;
}

/** The command line read and checked; throws UsageError naming what is wrong. */
export function readArguments(args: string[]): ReportArguments {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        out: { type: 'string' },
        file: { type: 'string' },
        database: { type: 'string' },
        table: { type: 'string' },
      },
      strict: true,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const time = (name: 'from' | 'to'): Date => {
    const text = values[name];
    if (!text) throw new UsageError(`--${name} is required`);
    const parsed = parseReportTime(text);
    if (!parsed) throw new UsageError(`--${name} "${text}": expected an ISO 8601 date (2026-01-01) or date-time with its offset (2026-01-01T00:00:00+07:00)`);
    return parsed;
  };
  const from = time('from');
  const to = time('to');
  const problem = periodProblem(from, to);
  if (problem) throw new UsageError(`the period ${from.toISOString()} to ${to.toISOString()}: ${problem} (at most ${MAX_REPORT_DAYS} days)`);
  if (values.file && values.database) throw new UsageError('name one audit log: --file or --database, not both');
  return { from, to, out: values.out, file: values.file, database: values.database, table: values.table };
}

/** The report from the log the arguments (or the configuration) name. */
export async function reportFor(args: ReportArguments): Promise<SharingReport> {
  const target = auditLogTarget({ file: args.file, database: args.database });
  if (!target) throw new UsageError('no audit log: name it with --file <path> or --database <url>');
  if (target.database) {
    const sink = new PostgresAuditSink(target.database, { table: args.table, maxConnections: 1 });
    try {
      if (!(await sink.exists())) throw new UsageError(`audit table not found: ${sink.where}`);
      return await sharingReport(sink, args.from, args.to);
    } finally {
      await sink.close();
    }
  }
  const path = resolve(target.path ?? '');
  if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`audit log not found: ${path} (use --file <path> to name another)`);
  return sharingReport(new FileAuditSink(path), args.from, args.to);
}

async function main(): Promise<number> {
  let args: ReportArguments;
  try {
    args = readArguments(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`audit:sharing-report: ${error.message}\n${USAGE}`);
    return 2;
  }
  let report: SharingReport;
  try {
    report = await reportFor(args);
  } catch (error) {
    console.error(`audit:sharing-report: ${(error as Error).message}`);
    return 2;
  }
  const csv = sharingReportCsv(report);
  if (args.out) {
    writeFileSync(args.out, csv, 'utf8');
    const t = report.totals;
    console.error(
      `wrote ${args.out}: ${report.rows.length} rows; ${t.entries} reads, ${t.requests} requests, ${t.persons} persons, ${t.clients} systems, ${t.refusals} refusals` +
        `${report.unreadable ? `; ${report.unreadable} damaged lines not counted (run npm run audit:verify)` : ''}`,
    );
  } else process.stdout.write(csv);
  return 0;
}

if (require.main === module) exitWhenDone('audit:sharing-report', main);
