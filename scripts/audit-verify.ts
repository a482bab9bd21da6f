/**
 * `npm run audit:verify [-- --file <path> | --database <url>] [--checkpoints <file>] [--public-key <jwk>]
 *  [--checkpoint-every <n>] [--max-age <seconds>] [--expect-at-least <seq> [--expect-hash <hash>]]`:
 * checks the audit log's hash chain AND its signed checkpoints, in the file or, with `--database`
 * or `AUDIT_DATABASE_URL` set, in the PostgreSQL table (checkpoints in `<table>_checkpoints`).
 * Exits 0 when intact (with a summary), 1 at the first entry or checkpoint that fails (named by
 * seq, and by line for the file), 2 when the log cannot be found or reached, or its checkpoints
 * cannot be checked (no public key). Prints positions and problems only, never personal data.
 *
 * The checkpoints catch what the chain alone cannot: the log cut short before the newest
 * checkpoint, and entries changed or removed with every later hash recomputed. The public key is
 * `--public-key` (a JWK, a JWKS or an export), else the one of `AUDIT_CHECKPOINT_KEY_FILE`. More
 * entries past the newest checkpoint than `--checkpoint-every` (default AUDIT_CHECKPOINT_EVERY)
 * means checkpoints were removed: broken.
 *
 * A roll-back of the log and its checkpoints to an earlier signed state is only seen against
 * something kept elsewhere: `--expect-at-least <seq>` (and `--expect-hash`, the hash of that entry)
 * from a checkpoint exported or shipped earlier, and `--max-age <seconds>`: the newest checkpoint
 * must be younger (the gateway signs one every AUDIT_CHECKPOINT_INTERVAL_S, idle or not).
 *
 * A file log's accessLog index (`<log>.index/`, derived from the log by the audit subgraph) must
 * hold exactly the records the log calls for in the part it says it covers: one dropped would hide
 * a read from the citizen's access history while the log stays intact. Exit 1 when it does not.
 *
 * A last line cut short by a crash (no newline, not parsable) was never acknowledged to anyone;
 * the gateway moves it to a quarantine file when it opens the log again, so it is reported but
 * does not break the chain.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, loadGatewayConfig } from '../lib/config';
import {
  checkCheckpoints,
  Checkpoint,
  CheckpointVerifier,
  DEFAULT_CHECKPOINT_EVERY,
  loadCheckpointVerifier,
  unsignedTailProblem,
  withoutKeyLines,
} from '../lib/audit/checkpoint';
import { ChainVerdict, ChainWalker, isEntryShaped, verifyChain } from '../lib/audit/entry';
import { IndexRecordDigest, readStoredIndex, StoredIndex } from '../lib/audit/file-index';
import { defaultCheckpointFile, readCheckpointFile } from '../lib/audit/file-sink';
import { parseLine, scanLines } from '../lib/audit/lines';
import { PostgresAuditSink, PostgresAuditSinkOptions } from '../lib/audit/postgres-sink';
import type { AuditSink } from '../lib/audit/sink';
import { exitWhenDone } from './command';

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
  /** The gateway's AUDIT_CHECKPOINT_EVERY: at most this many entries may follow the newest checkpoint. */
  every?: number;
  /** Broken when the newest checkpoint was signed longer ago than this. */
  maxAgeS?: number;
  /** Broken when the log ends before this entry (a seq recorded elsewhere)... */
  expectAtLeast?: number;
  /** ...or when that entry's hash is not this one. */
  expectHash?: string;
  /** The time freshness is judged at (tests); default now. */
  now?: Date;
}

function reportOf(verdict: ChainVerdict, where: string, note = ''): AuditVerdict {
  if (!verdict.ok) return { status: 1, message: `audit log BROKEN at entry ${verdict.brokenAt}: ${verdict.problem} (${where})` };
  return { status: 0, message: `audit log OK: ${verdict.entries} entries, chain intact${note} (${where})` };
}

type Signed =
  | { ok: true; heads: Map<number, string>; last: number; newest: Checkpoint | null; count: number; note: string }
  | { ok: false; verdict: AuditVerdict };

function checkSigned(items: Array<{ value: unknown; position: number }>, verifier: CheckpointVerifier | undefined, where: string, label: (position: number) => string): Signed {
  const checkpoints = withoutKeyLines(items);
  if (!verifier) {
    if (checkpoints.length) {
      // Unchecked checkpoints vouch for nothing: a log rewritten with its checkpoints would pass.
      const message = `audit log NOT verified: ${checkpoints.length} signed checkpoints cannot be checked, no public key could be loaded (give --public-key <jwk>, or set AUDIT_CHECKPOINT_KEY_FILE to a key file that exists) (${where})`;
      return { ok: false, verdict: { status: 2, message } };
    }
    return { ok: true, heads: new Map(), last: 0, newest: null, count: 0, note: '' };
  }
  const checked = checkCheckpoints(checkpoints, verifier);
  if (!checked.ok) return { ok: false, verdict: { status: 1, message: `audit checkpoints BROKEN at ${label(checked.position)}: ${checked.problem} (${where})` } };
  const note = checkpoints.length
    ? `; ${checkpoints.length} signed checkpoints verified, the newest at entry ${checked.last} (entries after it are covered by the chain only)`
    : '; no signed checkpoints (if the gateway wrote some, they were removed)';
  return { ok: true, heads: checked.heads, last: checked.last, newest: checked.newest, count: checkpoints.length, note };
}

/** Broken when the entry `expectAtLeast` recorded elsewhere has another hash than `expectHash`. */
function expectedHashProblem(value: unknown, options: VerifyOptions): string | null {
  if (options.expectHash === undefined || !isEntryShaped(value) || value.seq !== options.expectAtLeast || value.hash === options.expectHash) return null;
  return 'its hash differs from the one given with --expect-hash (the log was rolled back to an earlier state and written on)';
}

/** The next entry checked against the chain, then the outside record: null, or the seq to name and the problem. */
function checkNext(walker: ChainWalker, value: unknown, options: VerifyOptions): { seq: number; problem: string } | null {
  const expected = walker.expectedSeq;
  const problem = walker.step(value);
  // A wrong link or content is the entry's own seq; a missing or foreign entry is where one was expected.
  if (problem) return { seq: isEntryShaped(value) && value.seq === expected ? value.seq : expected, problem };
  const unexpected = expectedHashProblem(value, options);
  return unexpected ? { seq: expected, problem: unexpected } : null;
}

/** Cut short: broken at the first entry missing from its end. */
function removedFromEnd(entries: number, why: string): string {
  return `BROKEN at entry ${entries + 1}: the log ends at entry ${entries}, but ${why} (entries were removed from its end)`;
}

/**
 * What the whole log, its chain intact, must still satisfy: no entry removed from its end, no
 * more unsigned entries than the gateway's policy leaves (asked for the file: the PostgreSQL sink
 * signs in the transaction of the batch that is due, into a table that refuses deletes), and the
 * outside record and the freshness asked for. Null when it does.
 */
function tailProblem(entries: number, signed: Extract<Signed, { ok: true }>, options: VerifyOptions & { unsignedTail?: boolean }): string | null {
  if (signed.last > entries) return removedFromEnd(entries, `a signed checkpoint covers entry ${signed.last}`);
  if (options.expectAtLeast !== undefined && entries < options.expectAtLeast) {
    return removedFromEnd(entries, `entry ${options.expectAtLeast} was recorded elsewhere (--expect-at-least)`);
  }
  const every = options.every ?? DEFAULT_CHECKPOINT_EVERY;
  const unsigned = options.unsignedTail ? unsignedTailProblem(entries, signed.last, every) : null;
  if (unsigned) return `BROKEN: ${unsigned} (give --checkpoint-every if the gateway signs every other number of entries than ${every})`;
  if (options.maxAgeS !== undefined) {
    if (!signed.newest) return `NOT current: no signed checkpoint shows it is (--max-age ${options.maxAgeS})`;
    const ageS = ((options.now ?? new Date()).getTime() - Date.parse(signed.newest.at)) / 1000;
    if (!(ageS <= options.maxAgeS)) {
      return `NOT current: the newest signed checkpoint (entry ${signed.newest.seq}) was signed at ${signed.newest.at}, more than ${options.maxAgeS} s ago (--max-age): the gateway stopped signing, or the log was rolled back to an earlier state`;
    }
  }
  return null;
}

function tailBroken(problem: string, where: string): AuditVerdict {
  return { status: 1, message: `audit log ${problem} (${where})` };
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
  // The accessLog index's records for the part of the log it says it covers, as the log calls for them.
  const index = await readStoredIndex(file);
  const covered = index.found && 'covered' in index ? index.covered : -1;
  const expected = new IndexRecordDigest();
  let lineNo = 0;
  let failed: { seq: number; problem: string } | null = null;
  const broken = (at: { seq: number; problem: string }): AuditVerdict => ({
    status: 1,
    message: `audit log BROKEN at entry ${at.seq} (line ${lineNo}): ${at.problem} (${file})`,
  });
  const { tail, end } = await scanLines(file, 0, (line, offset) => {
    lineNo++;
    const value = parseLine(line);
    failed = checkNext(walker, value, options);
    // An entry about a citizen has its record in the index; a refusal (no personal ID) has none.
    if (failed === null && offset < covered && isEntryShaped(value) && value.personalId !== '') expected.addEntry(value.personalId, offset);
    return failed === null;
  });
  if (failed) return broken(failed);
  let note = signed.note;
  if (tail) {
    lineNo++;
    const value = parseLine(tail);
    if (value === undefined) note += `; an incomplete last line (line ${lineNo}, a write cut short by a crash, never acknowledged) was ignored`;
    else {
      const last = checkNext(walker, value, options);
      if (last) return broken(last);
    }
  }
  const problem = tailProblem(walker.seq, signed, { ...options, unsignedTail: true });
  if (problem) return tailBroken(problem, file);
  const indexed = indexProblem(index, expected, end);
  if (typeof indexed === 'object') return { status: 1, message: `audit log OK: ${walker.seq} entries, chain intact${note}; but its accessLog index is BROKEN: ${indexed.problem}. Citizens' access histories are read through it: move ${file}.index aside as evidence, and the audit subgraph rebuilds it from the log (${file})` };
  return reportOf({ ok: true, entries: walker.seq }, file, note + indexed);
}

/**
 * The sidecar index the audit subgraph answers accessLog from (lib/audit/file-index.ts) holds
 * exactly the records the log calls for in the part it covers: one left out would hide a read
 * from the citizen it was about. A note for the summary when it does or covers more than the log
 * (it is then rebuilt when next read), nothing when there is none on disk, else the problem.
 */
function indexProblem(index: StoredIndex, expected: IndexRecordDigest, logEnd: number): string | { problem: string } {
  if (!index.found) return ''; // none on disk yet: the audit subgraph writes its first run at FLUSH_AT entries
  if ('problem' in index) return { problem: index.problem };
  if (index.covered > logEnd) return `; its accessLog index covers ${index.covered} bytes, more than the log's ${logEnd}, and is rebuilt when next read`;
  if (index.digest.count !== expected.count) {
    return { problem: `it holds ${index.digest.count} records for the log's first ${index.covered} bytes, where the log has ${expected.count} entries about citizens there` };
  }
  if (!index.digest.equals(expected)) {
    return { problem: `it holds as many records as the log's first ${index.covered} bytes call for (${expected.count}), but not the same ones` };
  }
  return `; its accessLog index matches the log (${expected.count} records, the first ${index.covered} bytes; the rest is read from the log)`;
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
      const failed = checkNext(walker, value, options);
      if (failed) return { status: 1, message: `audit log BROKEN at entry ${failed.seq}: ${failed.problem} (${sink.where})` };
    }
    const problem = tailProblem(walker.seq, signed, options);
    if (problem) return tailBroken(problem, sink.where);
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
  | { path?: string; database?: string; checkpointFile?: string; configuredKey?: string; checkpointEvery?: number }
  | null {
  let path = options.file;
  let database = options.database;
  let checkpointFile = options.checkpoints;
  let configuredKey: string | undefined;
  let checkpointEvery: number | undefined;
  try {
    const config = loadGatewayConfig(process.env);
    configuredKey = config.auditCheckpointKeyFile;
    checkpointEvery = config.auditCheckpointEvery;
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
  return { path, database, checkpointFile, configuredKey, checkpointEvery };
}

/** A command-line option given wrong: said in one line, exit 2. */
class UsageError extends Error {}

/** A whole number of at least `min` given for `option`, or a thrown error saying what is wrong. */
function wholeNumber(text: string | undefined, option: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new UsageError(`${option} takes a whole number of at least ${min}, not "${text}"`);
  }
  return Number(text);
}

/** The checks asked for on the command line beyond the chain and checkpoints. */
function outsideChecks(values: Record<string, string | undefined>, configuredEvery: number | undefined): Pick<VerifyOptions, 'every' | 'maxAgeS' | 'expectAtLeast' | 'expectHash'> {
  const expectAtLeast = wholeNumber(values['expect-at-least'], '--expect-at-least', 1);
  const expectHash = values['expect-hash'];
  if (expectHash !== undefined && (expectAtLeast === undefined || !/^[0-9a-f]{64}$/.test(expectHash))) {
    throw new UsageError('--expect-hash takes the 64 hex digits of the hash of the entry --expect-at-least names (a checkpoint\'s seq and hash)');
  }
  return {
    every: wholeNumber(values['checkpoint-every'], '--checkpoint-every', 1) ?? configuredEvery,
    maxAgeS: wholeNumber(values['max-age'], '--max-age', 1),
    expectAtLeast,
    expectHash,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      file: { type: 'string' },
      database: { type: 'string' },
      table: { type: 'string' },
      checkpoints: { type: 'string' },
      'public-key': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'max-age': { type: 'string' },
      'expect-at-least': { type: 'string' },
      'expect-hash': { type: 'string' },
    },
  });
  const target = auditLogTarget(values);
  if (!target) return 2;
  const { path, database, checkpointFile, configuredKey, checkpointEvery } = target;
  let checks: VerifyOptions;
  try {
    checks = outsideChecks(values, checkpointEvery);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`audit:verify: ${error.message}`);
    return 2;
  }
  const verifier = verifierFor(values['public-key'], configuredKey);
  const { status, message } = database
    ? await verifyAuditDatabase(database, { table: values.table, verifier, ...checks })
    : await verifyAuditFile(path ?? '', { verifier, checkpointFile, ...checks });
  (status === 0 ? console.log : console.error)(message);
  return status;
}

if (require.main === module) exitWhenDone('audit:verify', main);
