/**
 * `npm run audit:verify [-- --file <path> | --database <url>] [--checkpoints <file>] [--public-key <jwk>]`:
 * checks the audit log's hash chain AND its signed checkpoints, in the file or, with `--database`
 * or `AUDIT_DATABASE_URL` set, in the PostgreSQL table (checkpoints in `<table>_checkpoints`).
 * Exits 0 when intact (with a summary), 1 at the first entry or checkpoint that fails (named by
 * seq, and by line for the file), 2 when the log cannot be found or reached. Prints positions and
 * problems only, never personal data.
 *
 * The checkpoints catch what the chain alone cannot: the log cut short before the newest
 * checkpoint, and entries changed or removed with every later hash recomputed. The public key is
 * `--public-key` (a JWK, a JWKS or an export), else the one of `AUDIT_CHECKPOINT_KEY_FILE`.
 *
 * A last line cut short by a crash (no newline, not parsable) was never acknowledged to anyone;
 * the gateway moves it to a quarantine file when it opens the log again, so it is reported but
 * does not break the chain.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadGatewayConfig } from '../lib/config';
import { checkCheckpoints, CheckpointVerifier, loadCheckpointVerifier, withoutKeyLines } from '../lib/audit/checkpoint';
import { ChainVerdict, ChainWalker, isEntryShaped, verifyChain } from '../lib/audit/entry';
import { defaultCheckpointFile, readCheckpointFile } from '../lib/audit/file-sink';
import { parseLine, scanLines } from '../lib/audit/lines';
import { PostgresAuditSink, PostgresAuditSinkOptions } from '../lib/audit/postgres-sink';
import type { AuditSink } from '../lib/audit/sink';

export interface AuditVerdict {
  /** The process exit status: 0 intact, 1 broken, 2 missing or unreachable. */
  status: 0 | 1 | 2;
  message: string;
}
export type AuditFileVerdict = AuditVerdict;

export interface VerifyOptions {
  /** The checkpoints' public key; without it checkpoints are not checked (and the summary says so). */
  verifier?: CheckpointVerifier;
  /** File sink: the checkpoint file (default `<log>.checkpoints`), or an export. */
  checkpointFile?: string;
}

function reportOf(verdict: ChainVerdict, where: string, note = ''): AuditVerdict {
  if (!verdict.ok) return { status: 1, message: `audit log BROKEN at entry ${verdict.brokenAt}: ${verdict.problem} (${where})` };
  return { status: 0, message: `audit log OK: ${verdict.entries} entries, chain intact${note} (${where})` };
}

type Signed = { ok: true; heads: Map<number, string>; last: number; count: number; note: string } | { ok: false; verdict: AuditVerdict };

function checkSigned(items: Array<{ value: unknown; position: number }>, verifier: CheckpointVerifier | undefined, where: string, label: (position: number) => string): Signed {
  const checkpoints = withoutKeyLines(items);
  if (!verifier) {
    const note = checkpoints.length ? `; ${checkpoints.length} checkpoints NOT checked (no public key: --public-key or AUDIT_CHECKPOINT_KEY_FILE)` : '';
    return { ok: true, heads: new Map(), last: 0, count: 0, note };
  }
  const checked = checkCheckpoints(checkpoints, verifier);
  if (!checked.ok) return { ok: false, verdict: { status: 1, message: `audit checkpoints BROKEN at ${label(checked.position)}: ${checked.problem} (${where})` } };
  const note = checkpoints.length
    ? `; ${checkpoints.length} signed checkpoints verified, the newest at entry ${checked.last} (entries after it are covered by the chain only)`
    : '; no signed checkpoints (if the gateway wrote some, they were removed)';
  return { ok: true, heads: checked.heads, last: checked.last, count: checkpoints.length, note };
}

function truncated(lastSeq: number, lastSigned: number, where: string): AuditVerdict {
  return {
    status: 1,
    message: `audit log BROKEN at entry ${lastSeq + 1}: the log ends at entry ${lastSeq}, but a signed checkpoint covers entry ${lastSigned} (entries were removed from its end) (${where})`,
  };
}

export async function verifyAuditFile(path: string, options: VerifyOptions = {}): Promise<AuditFileVerdict> {
  const file = resolve(path);
  if (!existsSync(file) || !statSync(file).isFile()) {
    return { status: 2, message: `audit log not found: ${file} (nothing to verify; use --file <path> to name another)` };
  }
  const checkpointFile = resolve(options.checkpointFile ?? defaultCheckpointFile(file));
  const signed = checkSigned(await readCheckpointFile(checkpointFile), options.verifier, checkpointFile, (line) => `checkpoint line ${line}`);
  if (!signed.ok) return signed.verdict;
  const walker = new ChainWalker({ signedHeads: signed.heads });
  let lineNo = 0;
  let broken: AuditVerdict | null = null;
  const fail = (value: unknown, problem: string) => {
    const seq = isEntryShaped(value) && value.seq === walker.expectedSeq ? value.seq : walker.expectedSeq;
    broken = { status: 1, message: `audit log BROKEN at entry ${seq} (line ${lineNo}): ${problem} (${file})` };
  };
  const { tail } = await scanLines(file, 0, (line) => {
    lineNo++;
    const value = parseLine(line);
    const problem = walker.step(value);
    if (problem) fail(value, problem);
    return problem === null;
  });
  if (broken) return broken;
  let note = signed.note;
  if (tail) {
    lineNo++;
    const value = parseLine(tail);
    if (value === undefined) note += `; an incomplete last line (line ${lineNo}, a write cut short by a crash, never acknowledged) was ignored`;
    else {
      const problem = walker.step(value);
      if (problem) fail(value, problem);
      if (broken) return broken;
    }
  }
  if (signed.last > walker.seq) return truncated(walker.seq, signed.last, file);
  return reportOf({ ok: true, entries: walker.seq }, file, note);
}

/** Checks the chain of any sink, `where` naming it in the message. */
export async function verifyAuditSink(sink: AuditSink, where: string): Promise<AuditVerdict> {
  return reportOf(await verifyChain(sink.readAll()), where);
}

/** Checks the chain and checkpoints in the PostgreSQL audit table at `url`. */
export async function verifyAuditDatabase(url: string, options: Pick<PostgresAuditSinkOptions, 'table'> & VerifyOptions = {}): Promise<AuditVerdict> {
  const sink = new PostgresAuditSink(url, { table: options.table, maxConnections: 1 });
  try {
    if (!(await sink.exists())) return { status: 2, message: `audit table not found: ${sink.where} (nothing to verify)` };
    const stored = await sink.readCheckpoints();
    const signed = checkSigned(stored.map((value) => ({ value, position: value.seq })), options.verifier, sink.where, (seq) => `the checkpoint of entry ${seq}`);
    if (!signed.ok) return signed.verdict;
    const walker = new ChainWalker({ signedHeads: signed.heads });
    for await (const value of sink.readAll()) {
      const problem = walker.step(value);
      if (problem) {
        const seq = isEntryShaped(value) && value.seq === walker.expectedSeq ? value.seq : walker.expectedSeq;
        return { status: 1, message: `audit log BROKEN at entry ${seq}: ${problem} (${sink.where})` };
      }
    }
    if (signed.last > walker.seq) return truncated(walker.seq, signed.last, sink.where);
    return reportOf({ ok: true, entries: walker.seq }, sink.where, signed.note);
  } catch (error) {
    return { status: 2, message: `audit database cannot be read: ${sink.where}: ${(error as Error).message}` };
  } finally {
    await sink.close();
  }
}

/** The verifier from `--public-key`, else from the configured checkpoint key when it exists. */
export function verifierFor(publicKey: string | undefined, configuredKey: string | undefined): CheckpointVerifier | undefined {
  if (publicKey) return loadCheckpointVerifier(publicKey);
  return configuredKey && existsSync(configuredKey) ? loadCheckpointVerifier(configuredKey) : undefined;
}

/** Which audit log a command reads: the options given, else the gateway's configuration. Null: said why. */
export function auditLogTarget(options: { file?: string; database?: string; checkpoints?: string }):
  | { path?: string; database?: string; checkpointFile?: string; configuredKey?: string }
  | null {
  let path = options.file;
  let database = options.database;
  let checkpointFile = options.checkpoints;
  let configuredKey: string | undefined;
  try {
    const config = loadGatewayConfig(process.env);
    configuredKey = config.auditCheckpointKeyFile;
    if (!path && !database) {
      database = config.auditDatabaseUrl;
      path = config.auditFile;
      checkpointFile ??= config.auditCheckpointFile;
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    if (!path && !database) {
      console.error(`${error.message}\nName the audit log with --file <path> or --database <url>.`);
      return null;
    }
  }
  return { path, database, checkpointFile, configuredKey };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      database: { type: 'string' },
      table: { type: 'string' },
      checkpoints: { type: 'string' },
      'public-key': { type: 'string' },
    },
  });
  const target = auditLogTarget(values);
  if (!target) return 2;
  const { path, database, checkpointFile, configuredKey } = target;
  const verifier = verifierFor(values['public-key'], configuredKey);
  const { status, message } = database
    ? await verifyAuditDatabase(database, { table: values.table, verifier })
    : await verifyAuditFile(path ?? '', { verifier, checkpointFile });
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
