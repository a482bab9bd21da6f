/**
 * The default audit sink: an append-only JSON-lines file. Appends are group-committed: records
 * from concurrent requests are chained, written and fsync'd together, and each request is
 * answered only after the fsync, so an acknowledged entry survives `kill -9`. A line cut short by
 * a crash was never acknowledged; it is dropped when the file is opened again.
 *
 * One process writes a file; replicas each use their own file or share the PostgreSQL sink.
 */
import { createReadStream, mkdirSync } from 'node:fs';
import { open, FileHandle, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { AuditEntry, AuditRecord, GENESIS_HASH } from './entry';
import { chainRecords, GroupCommit } from './group-commit';
import type { AuditSink } from './sink';

async function* readLines(path: string): AsyncIterable<string> {
  let size = 0;
  try {
    size = (await stat(path)).size;
  } catch {
    return;
  }
  if (size === 0) return;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) if (line.length > 0) yield line;
}

/** Reads every complete entry; returns where the last complete line ends. */
async function scanTail(path: string): Promise<{ seq: number; hash: string; validBytes: number }> {
  let seq = 0;
  let hash = GENESIS_HASH;
  let validBytes = 0;
  let offset = 0;
  for await (const line of readLines(path)) {
    offset += Buffer.byteLength(line) + 1;
    try {
      const entry = JSON.parse(line) as AuditEntry;
      seq = entry.seq;
      hash = entry.hash;
      validBytes = offset;
    } catch {
      break; // a torn last line: never acknowledged
    }
  }
  return { seq, hash, validBytes };
}

export class FileAuditSink implements AuditSink {
  private handle: FileHandle | null = null;
  private opening: Promise<void> | null = null;
  private seq = 0;
  private lastHash = GENESIS_HASH;
  private readonly batches = new GroupCommit((records) => this.commit(records));

  constructor(readonly path: string) {}

  private async ensureOpen(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    this.opening ??= (async () => {
      mkdirSync(dirname(this.path), { recursive: true });
      const tail = await scanTail(this.path);
      const size = await stat(this.path).then((s) => s.size, () => 0);
      if (size > tail.validBytes) await truncate(this.path, tail.validBytes);
      this.seq = tail.seq;
      this.lastHash = tail.hash;
      this.handle = await open(this.path, 'a');
      // The last entry is whole but its newline was cut off: end its line, or the next would join it.
      if (size < tail.validBytes) await this.handle.write('\n');
    })();
    await this.opening;
    if (!this.handle) throw new Error('audit file did not open');
    return this.handle;
  }

  append(records: AuditRecord[]): Promise<void> {
    return this.batches.append(records);
  }

  private async commit(records: AuditRecord[]): Promise<void> {
    try {
      const handle = await this.ensureOpen();
      const entries = chainRecords(this.seq, this.lastHash, records);
      await handle.write(entries.map((entry) => JSON.stringify(entry)).join('\n') + '\n');
      await handle.datasync();
      const last = entries[entries.length - 1];
      this.seq = last.seq;
      this.lastHash = last.hash;
    } catch (error) {
      // Nothing of this batch is acknowledged; reopen on the next attempt to re-read the tail.
      await this.handle?.close().catch(() => undefined);
      this.handle = null;
      this.opening = null;
      throw error;
    }
  }

  async readByPersonalId(personalId: string, first: number): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    for await (const entry of this.readAll()) {
      if ((entry as AuditEntry | null)?.personalId === personalId) found.push(entry as AuditEntry);
    }
    return found.reverse().slice(0, first);
  }

  async *readAll(): AsyncIterable<unknown> {
    for await (const line of readLines(this.path)) {
      try {
        yield JSON.parse(line) as unknown;
      } catch {
        yield null; // a damaged line: verification reports it
      }
    }
  }

  async close(): Promise<void> {
    await this.batches.drain();
    await this.handle?.close();
    this.handle = null;
  }
}
