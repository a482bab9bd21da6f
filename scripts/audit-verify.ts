/**
 * `npm run audit:verify [-- --file <path> | --database <url>]`: checks the audit log's hash chain,
 * in the file or, with `--database` or `AUDIT_DATABASE_URL` set, in the PostgreSQL table. Exits 0
 * when the chain is intact, 1 at the first entry that does not fit it (changed, removed or
 * reordered), 2 when the log cannot be found or reached. Prints entry numbers and the problem
 * only, never personal data.
 *
 * A last line cut short by a crash (no newline, not parsable) was never acknowledged to anyone;
 * the gateway drops it when it opens the log again, so it is reported but does not break the chain.
 */
import { existsSync, openSync, readSync, closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadGatewayConfig } from '../lib/config';
import { ChainVerdict, verifyChain } from '../lib/audit/entry';
import { FileAuditSink } from '../lib/audit/file-sink';
import { PostgresAuditSink, PostgresAuditSinkOptions } from '../lib/audit/postgres-sink';
import type { AuditSink } from '../lib/audit/sink';

export interface AuditVerdict {
  /** The process exit status: 0 intact, 1 broken, 2 missing or unreachable. */
  status: 0 | 1 | 2;
  message: string;
}
export type AuditFileVerdict = AuditVerdict;

function reportOf(verdict: ChainVerdict, where: string, note = ''): AuditVerdict {
  if (!verdict.ok) return { status: 1, message: `audit log BROKEN at entry ${verdict.brokenAt}: ${verdict.problem} (${where})` };
  return { status: 0, message: `audit log OK: ${verdict.entries} entries, chain intact${note} (${where})` };
}

function endsWithNewline(path: string): boolean {
  const size = statSync(path).size;
  if (size === 0) return true;
  const fd = openSync(path, 'r');
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    closeSync(fd);
  }
}

/** The entries as stored, holding back an unparsable last line when the file ends mid-line. */
async function* withoutTornTail(entries: AsyncIterable<unknown>, fileEndsMidLine: boolean, torn: { seen: boolean }) {
  let held: { value: unknown } | null = null;
  for await (const entry of entries) {
    if (held) yield held.value;
    held = { value: entry };
  }
  if (!held) return;
  if (held.value === null && fileEndsMidLine) torn.seen = true;
  else yield held.value;
}

export async function verifyAuditFile(path: string): Promise<AuditFileVerdict> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    return { status: 2, message: `audit log not found: ${file} (nothing to verify; use --file <path> to name another)` };
  }
  const torn = { seen: false };
  const entries = withoutTornTail(new FileAuditSink(file).readAll(), !endsWithNewline(file), torn);
  const verdict = await verifyChain(entries);
  const tail = torn.seen ? '; an incomplete last line (a write cut short by a crash, never acknowledged) was ignored' : '';
  return reportOf(verdict, file, tail);
}

/** Checks the chain of any sink, `where` naming it in the message. */
export async function verifyAuditSink(sink: AuditSink, where: string): Promise<AuditVerdict> {
  return reportOf(await verifyChain(sink.readAll()), where);
}

/** Checks the chain in the PostgreSQL audit table at `url`. */
export async function verifyAuditDatabase(url: string, options: Pick<PostgresAuditSinkOptions, 'table'> = {}): Promise<AuditVerdict> {
  const sink = new PostgresAuditSink(url, { ...options, maxConnections: 1 });
  try {
    if (!(await sink.exists())) return { status: 2, message: `audit table not found: ${sink.where} (nothing to verify)` };
    return await verifyAuditSink(sink, sink.where);
  } catch (error) {
    return { status: 2, message: `audit database cannot be read: ${sink.where}: ${(error as Error).message}` };
  } finally {
    await sink.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { file: { type: 'string' }, database: { type: 'string' } } });
  let path = values.file;
  let database = values.database;
  if (!path && !database) {
    try {
      const config = loadGatewayConfig(process.env);
      database = config.auditDatabaseUrl;
      path = config.auditFile;
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      console.error(`${error.message}\nName the audit log with --file <path> or --database <url>.`);
      return 2;
    }
  }
  const { status, message } = database ? await verifyAuditDatabase(database) : await verifyAuditFile(path ?? '');
  (status === 0 ? console.log : console.error)(message);
  return status;
}

if (require.main === module) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      console.error(`audit:verify: ${(error as Error).message}`);
      process.exit(2);
    },
  );
}
