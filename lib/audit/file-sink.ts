/**
 * The default audit sink: an append-only JSON-lines file. Appends are group-committed: records
 * from concurrent requests are chained, written and fsync'd together, and each request is
 * answered only after the fsync, so an acknowledged entry survives `kill -9`.
 *
 * Opening for append reads the whole log and checks the chain (and the signed checkpoints). A
 * damaged, foreign or out-of-chain line, or a log that ends before its last signed checkpoint,
 * makes the sink refuse every append (the gateway then answers personal reads with
 * AUDIT_UNAVAILABLE) and logs the line number and the problem; nothing is truncated or rewritten.
 * The same happens when the file changes size under the gateway (another writer, a truncation).
 *
 * A torn last line (no newline: a write cut short by a crash, never acknowledged, since an entry
 * is acknowledged only after its whole batch is written and fsync'd) is moved, byte for byte, to
 * `<log>.torn-<byte offset>` beside the log (fsync'd) before the log is cut back to its last
 * complete line; a warning names the line and the quarantine file. A last line that is a whole
 * entry of the chain but lost only its newline is kept and its line ended.
 *
 * One process writes a file (writer-lock.ts: a second live writer is refused at start, a dead one's
 * lock taken over); replicas each use their own file or share the PostgreSQL sink.
 */
import { mkdirSync } from 'node:fs';
import { open, FileHandle, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { log } from '../log';
import { checkCheckpoints, Checkpoint, checkpointDue, CheckpointSettings, checkpointVerifierOf, startTimer } from './checkpoint';
import { AuditEntry, AuditRecord, ChainWalker, isEntryShaped } from './entry';
import { FileAuditIndex } from './file-index';
import { chainRecords, GroupCommit } from './group-commit';
import { parseLine, readLines, scanLines } from './lines';
import { AuditChainBrokenError, AuditSink } from './sink';
import { takeWriterLock, WriterLock } from './writer-lock';

export interface FileAuditSinkOptions {
  /** Signed checkpoints (the gateway); absent for readers. */
  checkpoints?: CheckpointSettings;
  /** Where checkpoints are kept; default `<log>.checkpoints` beside the log. */
  checkpointFile?: string;
  /** The accessLog index folder; default `<log>.index`. */
  indexDir?: string;
}

export function defaultCheckpointFile(logPath: string): string {
  return join(dirname(logPath), `${basename(logPath)}.checkpoints`);
}

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The checkpoints in a file, with their line numbers (unparsable lines as undefined values). */
export async function readCheckpointFile(path: string): Promise<Array<{ value: unknown; position: number }>> {
  const found: Array<{ value: unknown; position: number }> = [];
  let line = 0;
  const { tail } = await scanLines(path, 0, (text) => {
    found.push({ value: parseLine(text), position: ++line });
  });
  if (tail) found.push({ value: parseLine(tail), position: ++line });
  return found;
}

export class FileAuditSink implements AuditSink {
  private handle: FileHandle | null = null;
  private opening: Promise<void> | null = null;
  private seq = 0;
  private lastHash = '';
  /** The file's size as this sink last left it. */
  private size = 0;
  private lastCheckpointSeq = 0;
  private broken: string | null = null;
  private stopTimer: (() => void) | null = null;
  private checkpointing: Promise<void> = Promise.resolve();
  private index: FileAuditIndex | null = null;
  private lock: WriterLock | null = null;
  private locking: Promise<WriterLock> | null = null;
  private readonly batches = new GroupCommit((records) => this.commit(records));
  readonly checkpointFile: string;

  constructor(
    readonly path: string,
    private readonly options: FileAuditSinkOptions = {},
  ) {
    this.checkpointFile = options.checkpointFile ?? defaultCheckpointFile(path);
  }

  /** Why appends are refused, or null. */
  get refusal(): string | null {
    return this.broken;
  }

  private refuse(message: string): never {
    if (!this.broken) {
      this.broken = message;
      log.error(`${message}; refusing every audit append (personal reads answer AUDIT_UNAVAILABLE) until an operator has dealt with it. Nothing in the log was changed; run npm run audit:verify`, {
        auditFile: this.path,
      });
    }
    throw new AuditChainBrokenError(this.broken);
  }

  private async ensureOpen(): Promise<FileHandle> {
    if (this.broken) throw new AuditChainBrokenError(this.broken);
    if (this.handle) return this.handle;
    this.opening ??= this.openChecked();
    await this.opening;
    if (!this.handle) throw new Error('audit file did not open');
    return this.handle;
  }

  /**
   * Becomes the file's one writer (the gateway's start calls it): throws AuditWriterConflictError
   * while another live process writes it. Readers never call it.
   */
  async open(): Promise<void> {
    mkdirSync(dirname(this.path), { recursive: true });
    this.locking ??= takeWriterLock(this.path);
    try {
      this.lock = await this.locking;
    } catch (error) {
      this.locking = null;
      throw error;
    }
  }

  private async openChecked(): Promise<void> {
    await this.open();
    let heads = new Map<number, string>();
    let lastSigned = 0;
    const settings = this.options.checkpoints;
    if (settings) {
      const checked = checkCheckpoints(await readCheckpointFile(this.checkpointFile), checkpointVerifierOf(settings.signer.publicJwk));
      if (!checked.ok) this.refuse(`audit checkpoint file ${this.checkpointFile} line ${checked.position}: ${checked.problem}`);
      heads = checked.heads;
      lastSigned = checked.last;
    }
    const walker = new ChainWalker({ signedHeads: heads });
    let lineNo = 0;
    let failure: string | null = null;
    const scan = await scanLines(this.path, 0, (line) => {
      lineNo++;
      failure = walker.step(parseLine(line));
      return failure === null;
    });
    if (failure) this.refuse(`audit log ${this.path} line ${lineNo}: ${failure as string}`);
    let size = scan.end;
    let endLine = false;
    if (scan.tail) {
      lineNo++;
      const value = parseLine(scan.tail);
      if (value !== undefined) {
        // Whole JSON without its newline: only acceptable as the chain's next entry.
        const problem = walker.step(value);
        if (problem) this.refuse(`audit log ${this.path} line ${lineNo} (the last, unterminated): ${problem}`);
        size += scan.tail.length;
        endLine = true;
      } else {
        const quarantine = `${this.path}.torn-${scan.end}`;
        await writeFile(quarantine, scan.tail, { mode: 0o600, flag: 'w' });
        await fsyncPath(quarantine);
        await fsyncPath(dirname(this.path));
        await truncate(this.path, scan.end);
        log.warn(`audit log ${this.path} line ${lineNo}: an incomplete last line of ${scan.tail.length} bytes (a write cut short by a crash, never acknowledged) was moved to ${quarantine}`, {
          auditFile: this.path,
        });
      }
    }
    if (lastSigned > walker.seq) {
      this.refuse(`audit log ${this.path} ends at entry ${walker.seq} (line ${lineNo}), but a signed checkpoint covers entry ${lastSigned}: entries were removed from its end`);
    }
    this.seq = walker.seq;
    this.lastHash = walker.prevHash;
    this.lastCheckpointSeq = lastSigned;
    const handle = await open(this.path, 'a', 0o600);
    if (endLine) {
      await handle.write('\n');
      await handle.datasync();
      size += 1;
    }
    this.size = size;
    this.handle = handle;
    if (settings && !this.stopTimer) this.stopTimer = startTimer(settings, () => void this.checkpoint());
  }

  append(records: AuditRecord[]): Promise<void> {
    return this.batches.append(records);
  }

  private async commit(records: AuditRecord[]): Promise<void> {
    const handle = await this.ensureOpen();
    const before = this.seq;
    try {
      const { size } = await handle.stat();
      if (size !== this.size) {
        this.refuse(`audit log ${this.path} changed under the gateway after entry ${this.seq}: ${size} bytes where ${this.size} were written; another process wrote to it or cut it`);
      }
      const entries = chainRecords(this.seq, this.lastHash, records);
      const text = entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n';
      await handle.write(text);
      await handle.datasync();
      const last = entries[entries.length - 1];
      this.seq = last.seq;
      this.lastHash = last.hash;
      this.size += Buffer.byteLength(text);
    } catch (error) {
      if (error instanceof AuditChainBrokenError) throw error;
      // Nothing of this batch is acknowledged; reopen on the next attempt to re-read the tail.
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      this.opening = null;
      throw error;
    }
    const every = this.options.checkpoints?.every;
    if (every && checkpointDue(before, this.seq, every)) await this.checkpoint();
  }

  /**
   * Signs the current head into the checkpoint file, unless it is signed already. A failure is
   * logged, not thrown: the entries it would cover are durable and acknowledged regardless.
   */
  checkpoint(): Promise<void> {
    this.checkpointing = this.checkpointing.then(async () => {
      const settings = this.options.checkpoints;
      if (!settings || this.broken || !this.handle || this.seq <= this.lastCheckpointSeq) return;
      const signed: Checkpoint = settings.signer.sign(this.seq, this.lastHash);
      try {
        const file = await open(this.checkpointFile, 'a', 0o600);
        try {
          await file.write(JSON.stringify(signed) + '\n');
          await file.datasync();
        } finally {
          await file.close();
        }
        this.lastCheckpointSeq = signed.seq;
      } catch {
        log.error(`audit checkpoint of entry ${signed.seq} could not be written to ${this.checkpointFile}`, { auditFile: this.path });
      }
    });
    return this.checkpointing;
  }

  async readByPersonalId(personalId: string, first: number): Promise<AuditEntry[]> {
    this.index ??= new FileAuditIndex(this.path, this.options.indexDir);
    return this.index.lookup(personalId, first);
  }

  async *readAll(): AsyncIterable<unknown> {
    const values: unknown[] = [];
    const { tail } = await scanLines(this.path, 0, (line) => {
      values.push(parseLine(line) ?? null); // a damaged line: verification reports it
    });
    if (tail) values.push(parseLine(tail) ?? null);
    yield* values;
  }

  /** Streams the log line by line: memory stays flat whatever its size. */
  async *readPeriod(from: Date, to: Date): AsyncIterable<AuditEntry | null> {
    const start = from.getTime();
    const end = to.getTime();
    for await (const line of readLines(this.path)) {
      const value = parseLine(line);
      if (!isEntryShaped(value)) {
        yield null;
        continue;
      }
      const at = Date.parse(value.at);
      if (at >= start && at < end) yield value;
    }
  }

  async close(): Promise<void> {
    await this.batches.drain();
    await this.checkpoint();
    this.stopTimer?.();
    this.stopTimer = null;
    await this.handle?.close();
    this.handle = null;
    await this.index?.close();
    this.index = null;
    await this.lock?.release();
    this.lock = null;
    this.locking = null;
  }
}
