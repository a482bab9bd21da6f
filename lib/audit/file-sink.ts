/**
 * The default audit sink: an append-only JSON-lines file. Appends are group-committed: records
 * from concurrent requests are chained, written and fsync'd together, and each request is
 * answered only after the fsync, so an acknowledged entry survives `kill -9`.
 *
 * Opening for append reads the whole log and checks the chain (and the signed checkpoints). A
 * damaged, foreign or out-of-chain line, or a log that ends before its last signed checkpoint,
 * makes the sink refuse every append (the gateway then answers personal reads with
 * AUDIT_UNAVAILABLE) and logs the line number and the problem; nothing is truncated or rewritten.
 * The same happens when the file changes size under the gateway (another writer, a truncation),
 * or is no longer the file at the log's path (removed or renamed: entries written to it would be
 * lost with it), and when the log holds more entries past its newest signed checkpoint than the
 * checkpoint policy can leave unsigned (checkpoints removed: see `unsignedTailProblem`).
 *
 * A write the system cuts short (disk full, a file size limit) is continued until every byte is
 * written, or fails the whole batch: nothing of it is acknowledged.
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
import { constants, mkdirSync, statSync } from 'node:fs';
import { open, FileHandle, truncate, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { log } from '../log';
import {
  checkCheckpoints,
  Checkpoint,
  checkpointDigest,
  checkpointDue,
  CheckpointSettings,
  checkpointVerifierOf,
  NO_EARLIER_CHECKPOINT,
  startTimer,
  unsignedTailProblem,
} from './checkpoint';
import { AuditEntry, AuditRecord, ChainWalker, isEntryShaped } from './entry';
import { FileAuditIndex } from './file-index';
import { chainRecords, GroupCommit, GroupCommitOptions } from './group-commit';
import { parseLine, readLines, scanLines } from './lines';
import { AuditChainBrokenError, AuditSink } from './sink';
import { takeWriterLock, WriterLock } from './writer-lock';

export interface FileAuditSinkOptions extends GroupCommitOptions {
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

/**
 * The log is opened for appending with O_DSYNC: each write returns once its bytes are on disk, as
 * a write then `fdatasync` would, in one call instead of two per batch (PostgreSQL's
 * `open_datasync` for its write-ahead log). A system without the flag (Windows) gets the write
 * and the `fdatasync`.
 */
const WRITES_ARE_DURABLE = constants.O_DSYNC !== undefined;
const APPEND_DURABLY = WRITES_ARE_DURABLE ? constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_DSYNC : 'a';

async function fsyncPath(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Writes every byte of `data` at the file's end: a write the system cuts short (disk full, a file
 * size limit) is continued, and one that writes nothing throws, so a caller never takes a torn
 * line for a written one.
 */
async function writeAll(handle: FileHandle, data: Buffer): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    if (bytesWritten <= 0) throw new Error(`the write stopped after ${offset} of ${data.length} bytes`);
    offset += bytesWritten;
  }
}

/** Appends `data` and returns once it is on disk. */
async function appendDurably(handle: FileHandle, data: Buffer): Promise<void> {
  await writeAll(handle, data);
  if (!WRITES_ARE_DURABLE) await handle.datasync();
}

/** The records cut where the head reaches a multiple of `every`: a checkpoint is due after each such part. */
function partsUpToCheckpoints(seq: number, records: AuditRecord[], every: number | undefined): AuditRecord[][] {
  if (!every) return [records];
  const parts: AuditRecord[][] = [];
  for (let at = 0; at < records.length; ) {
    const room = every - ((seq + at) % every);
    parts.push(records.slice(at, at + room));
    at += room;
  }
  return parts;
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
  /** The device and inode of the file this sink holds open (set at open; an open file's never change). */
  private held: { dev: number; ino: number } | null = null;
  private lastCheckpointSeq = 0;
  /** What the next checkpoint signs as `prev` (the digest of the newest one in the file). */
  private checkpointPrev = NO_EARLIER_CHECKPOINT;
  /** Whether the checkpoint file's directory was fsync'd since this sink first wrote to it. */
  private checkpointDirSynced = false;
  private broken: string | null = null;
  private stopTimer: (() => void) | null = null;
  private checkpointing: Promise<void> = Promise.resolve();
  /** The timer's latest heartbeat, which close waits for. */
  private beat: Promise<void> = Promise.resolve();
  private index: FileAuditIndex | null = null;
  private lock: WriterLock | null = null;
  private locking: Promise<WriterLock> | null = null;
  private readonly batches: GroupCommit;
  readonly checkpointFile: string;

  constructor(
    readonly path: string,
    private readonly options: FileAuditSinkOptions = {},
  ) {
    this.checkpointFile = options.checkpointFile ?? defaultCheckpointFile(path);
    this.batches = new GroupCommit((records) => this.commit(records), options);
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
    const settings = this.options.checkpoints;
    if (settings && !this.stopTimer) this.stopTimer = startTimer(settings, () => this.heartbeat());
  }

  /**
   * The timer: signs the head every interval, moved or not, so the newest checkpoint's age tells
   * whether the log is still being vouched for (`audit:verify --max-age`). A sink not yet open
   * (a gateway with no reads since its start) opens, and so checks the log, first.
   */
  private heartbeat(): void {
    if (this.broken) return;
    // A refusal to open is logged by refuse(), and answered to the next append.
    this.beat = this.handle ? this.checkpoint(true) : this.ensureOpen().then(() => this.checkpoint(true), () => undefined);
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
      this.checkpointPrev = checked.nextPrev;
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
    const unsigned = settings ? unsignedTailProblem(walker.seq, lastSigned, settings.every) : null;
    if (unsigned) {
      this.refuse(
        `audit log ${this.path} against its checkpoint file ${this.checkpointFile}: ${unsigned}. ` +
          'If the checkpoints were lost innocently, restore the checkpoint file from its copy (npm run audit:checkpoints -- --export); ' +
          'if the log is older than its checkpoint key, or once investigated, keep the log and its checkpoint file as evidence, move both aside and restart: the gateway starts a new log',
      );
    }
    this.seq = walker.seq;
    this.lastHash = walker.prevHash;
    this.lastCheckpointSeq = lastSigned;
    const handle = await open(this.path, APPEND_DURABLY, 0o600);
    await fsyncPath(dirname(this.path)); // the log's directory entry, when this open created it, survives a power loss
    if (endLine) {
      await appendDurably(handle, Buffer.from('\n'));
      size += 1;
    }
    const { dev, ino } = await handle.stat();
    this.held = { dev, ino };
    this.size = size;
    this.handle = handle;
  }

  append(records: AuditRecord[]): Promise<void> {
    return this.batches.append(records);
  }

  /**
   * Writes a batch in parts that each end at the latest where a checkpoint is due, signing it
   * before the next part, so no more than `every` entries are ever unsigned (what opening the log
   * allows). A part that fails fails the batch: nothing of it is acknowledged.
   */
  private async commit(records: AuditRecord[]): Promise<void> {
    await this.ensureOpen(); // the head the parts are cut from
    const every = this.options.checkpoints?.every;
    for (const part of partsUpToCheckpoints(this.seq, records, every)) {
      await this.requireCheckpoints();
      const before = this.seq;
      await this.write(part);
      if (every && checkpointDue(before, this.seq, every)) await this.checkpoint();
    }
  }

  /** Throws when a checkpoint that was due could not be written (signing it once more first). */
  private async requireCheckpoints(): Promise<void> {
    const every = this.options.checkpoints?.every;
    if (!every) return;
    const due = Math.floor(this.seq / every) * every;
    if (this.lastCheckpointSeq >= due) return;
    await this.checkpoint();
    if (this.lastCheckpointSeq < due) {
      throw new Error(`the audit checkpoint of entry ${this.seq} could not be written to ${this.checkpointFile}; no entry is written until it is`);
    }
  }

  private async write(records: AuditRecord[]): Promise<void> {
    const handle = await this.ensureOpen();
    try {
      this.checkStillTheLog();
      const entries = chainRecords(this.seq, this.lastHash, records);
      const text = Buffer.from(entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
      await appendDurably(handle, text);
      const last = entries[entries.length - 1];
      this.seq = last.seq;
      this.lastHash = last.hash;
      this.size += text.length;
    } catch (error) {
      if (error instanceof AuditChainBrokenError) throw error;
      // Nothing of this batch is acknowledged; reopen on the next attempt to re-read the tail.
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      this.opening = null;
      throw error;
    }
  }

  /**
   * Refuses when the open file is no longer the one at the log's path (removed or renamed: what is
   * written to it would be lost with it) or no longer has the size this sink left it at. One `stat`
   * of the path tells both: when it names the held inode, its size is the held file's (an `fstat`
   * of the handle as well doubled the cost of every batch). The `stat` is synchronous: an inode
   * the kernel holds in memory answers in about 4 µs, where the thread pool's round trip cost about
   * 35 µs of CPU and a wait for a pool thread before every batch.
   */
  private checkStillTheLog(): void {
    const atPath = statSync(this.path, { throwIfNoEntry: false });
    if (!atPath || !this.held || atPath.dev !== this.held.dev || atPath.ino !== this.held.ino) {
      this.refuse(`audit log ${this.path} was removed or replaced under the gateway after entry ${this.seq}: the file it writes is no longer at that path`);
    }
    if (atPath.size !== this.size) {
      this.refuse(`audit log ${this.path} changed under the gateway after entry ${this.seq}: ${atPath.size} bytes where ${this.size} were written; another process wrote to it or cut it`);
    }
  }

  /**
   * Signs the current head into the checkpoint file, linked to the checkpoint before it: unless it
   * is signed already, or always for a `heartbeat`. A failure is logged, not thrown: the entries it
   * would cover are durable and acknowledged regardless (and no more are written past the next
   * multiple of `every` until a checkpoint is).
   */
  checkpoint(heartbeat = false): Promise<void> {
    this.checkpointing = this.checkpointing.then(async () => {
      const settings = this.options.checkpoints;
      if (!settings || this.broken || !this.handle || this.seq === 0) return;
      if (!heartbeat && this.seq <= this.lastCheckpointSeq) return;
      const signed: Checkpoint = settings.signer.sign(this.seq, this.lastHash, new Date(), this.checkpointPrev);
      try {
        await this.appendCheckpoint(signed);
      } catch {
        log.error(`audit checkpoint of entry ${signed.seq} could not be written to ${this.checkpointFile}`, { auditFile: this.path });
        return;
      }
      this.lastCheckpointSeq = signed.seq;
      this.checkpointPrev = checkpointDigest(signed);
      await this.syncCheckpointDirOnce();
    });
    return this.checkpointing;
  }

  /** Appends one checkpoint line, whole or not at all (a failed write is cut back off). */
  private async appendCheckpoint(signed: Checkpoint): Promise<void> {
    const file = await open(this.checkpointFile, 'a', 0o600);
    try {
      const { size } = await file.stat();
      try {
        await writeAll(file, Buffer.from(JSON.stringify(signed) + '\n'));
        await file.datasync();
      } catch (error) {
        await file.truncate(size).catch(() => undefined); // a torn line would break every later checkpoint
        throw error;
      }
    } finally {
      await file.close();
    }
  }

  /** Once the checkpoint file may have been created: its directory entry must survive a power loss too. */
  private async syncCheckpointDirOnce(): Promise<void> {
    if (this.checkpointDirSynced) return;
    try {
      await fsyncPath(dirname(this.checkpointFile));
      this.checkpointDirSynced = true;
    } catch {
      log.error(`the directory of ${this.checkpointFile} could not be synced`, { auditFile: this.path });
    }
  }

  async readByPersonalId(personalId: string, first: number, beforeSeq?: number): Promise<AuditEntry[]> {
    this.index ??= new FileAuditIndex(this.path, this.options.indexDir);
    return this.index.lookup(personalId, first, beforeSeq);
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
    this.stopTimer?.();
    this.stopTimer = null;
    await this.beat;
    await this.checkpoint();
    await this.handle?.close();
    this.handle = null;
    await this.index?.close();
    this.index = null;
    await this.lock?.release();
    this.lock = null;
    this.locking = null;
  }
}
