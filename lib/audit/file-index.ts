/**
 * The file sink's accessLog index: which byte offsets of the log hold entries about a citizen, so
 * one citizen's history costs a few small reads whatever the log's size. Pure JavaScript, kept in
 * a folder beside the log (`<log>.index/`):
 *  - sorted runs (`run-<n>.idx`): 16-byte records (64-bit hash of the personal ID, big-endian;
 *    the line's byte offset as a double), sorted by hash then offset, found by binary search;
 *  - `meta.json`: the runs and how many bytes of the log they cover, with the hash of the last
 *    entry covered (so a log that was replaced or cut is noticed and the index rebuilt);
 *  - entries past the runs are held in memory and written as a new run every FLUSH_AT entries;
 *    runs are merged into one when there are more than MAX_RUNS.
 *
 * It is derived data, never trusted over the log: before each lookup it catches up with what the
 * log gained, and every entry it points to is read back from the log and returned only if it
 * parses, is about that citizen and matches its own hash. Written by the process that reads
 * (the audit subgraph); a second reader of the same log would keep its own copy in memory and
 * write the same runs (each replaced atomically), so the files stay consistent.
 */
import { hash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, FileHandle, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditEntry, hashEntry, isEntryShaped, isRefusal } from './entry';
import { parseLine, scanLines } from './lines';

const RECORD = 16;
export const FLUSH_AT = 500_000;
const MAX_RUNS = 8;
const PERSONAL_ID_KEY = /"personalId":"((?:[^"\\]|\\.)*)"/;

interface Meta {
  v: 1;
  covered: number;
  lastOffset: number;
  lastHash: string | null;
  runs: Array<{ file: string; count: number }>;
}

/**
 * Whom a log line is indexed under: its personal ID; '' for a refusal (about no one the log names,
 * never in an access history); null for a line that is not an entry (the chain's checks report it).
 */
function indexedPersonalId(line: Buffer): string | null {
  const match = PERSONAL_ID_KEY.exec(line.toString('utf8'));
  if (!match) return null;
  return match[1] === '' ? '' : (JSON.parse(`"${match[1]}"`) as string);
}

/** The index's meta as written in `dir`; throws when it is missing or not JSON. */
function readMeta(dir: string): Meta {
  return JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
}

/** 64-bit key of a personal ID as two unsigned 32-bit halves. */
export function keyOf(personalId: string): [number, number] {
  const digest = hash('sha256', personalId, 'buffer');
  return [digest.readUInt32BE(0), digest.readUInt32BE(4)];
}

/** One index record, as runs hold it: the key's two halves, then the line's byte offset. */
function writeRecord(buffer: Buffer, at: number, hi: number, lo: number, offset: number): void {
  buffer.writeUInt32BE(hi, at);
  buffer.writeUInt32BE(lo, at + 4);
  buffer.writeDoubleBE(offset, at + 8);
}

function compare(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return aHi !== bHi ? (aHi < bHi ? -1 : 1) : aLo !== bLo ? (aLo < bLo ? -1 : 1) : 0;
}

class Run {
  private constructor(
    readonly file: string,
    readonly count: number,
    private readonly handle: FileHandle,
  ) {}

  static async open(file: string, count: number): Promise<Run> {
    return new Run(file, count, await open(file, 'r'));
  }

  private async at(i: number, buffer: Buffer): Promise<void> {
    await this.handle.read(buffer, 0, RECORD, i * RECORD);
  }

  /** Offsets of every record with this key. */
  async find(hi: number, lo: number): Promise<number[]> {
    const record = Buffer.allocUnsafe(RECORD);
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      await this.at(mid, record);
      if (compare(record.readUInt32BE(0), record.readUInt32BE(4), hi, lo) < 0) low = mid + 1;
      else high = mid;
    }
    const offsets: number[] = [];
    const block = Buffer.allocUnsafe(RECORD * 64);
    for (let i = low; i < this.count; ) {
      const n = Math.min(64, this.count - i);
      await this.handle.read(block, 0, n * RECORD, i * RECORD);
      for (let j = 0; j < n; j++) {
        if (block.readUInt32BE(j * RECORD) !== hi || block.readUInt32BE(j * RECORD + 4) !== lo) return offsets;
        offsets.push(block.readDoubleBE(j * RECORD + 8));
      }
      i += n;
    }
    return offsets;
  }

  /** Every record in order, in blocks. */
  async *records(): AsyncIterable<Buffer> {
    const block = Buffer.allocUnsafe(RECORD * 65_536);
    for (let i = 0; i < this.count; i += 65_536) {
      const n = Math.min(65_536, this.count - i);
      await this.handle.read(block, 0, n * RECORD, i * RECORD);
      yield block.subarray(0, n * RECORD);
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

export class FileAuditIndex {
  readonly dir: string;
  private runs: Run[] = [];
  private meta: Meta | null = null;
  /** Entries past the runs: key `hi:lo` → offsets, and the keys in arrival order for flushing. */
  private tail = new Map<string, number[]>();
  private tailCount = 0;
  private scanned = 0;
  private lastOffset = -1;
  private lastHash: string | null = null;
  private catching: Promise<void> | null = null;

  constructor(
    readonly logPath: string,
    dir?: string,
  ) {
    this.dir = dir ?? `${logPath}.index`;
  }

  private async load(): Promise<void> {
    if (this.meta) return;
    mkdirSync(this.dir, { recursive: true });
    let meta: Meta | null = null;
    try {
      meta = readMeta(this.dir);
    } catch {
      meta = null;
    }
    if (meta && (await this.stillMatches(meta.lastOffset, meta.lastHash, meta.covered))) {
      try {
        this.runs = await Promise.all(meta.runs.map((run) => Run.open(join(this.dir, run.file), run.count)));
      } catch {
        meta = null;
      }
    } else meta = null;
    if (!meta) {
      await this.reset();
      return;
    }
    this.meta = meta;
    this.scanned = meta.covered;
    this.lastOffset = meta.lastOffset;
    this.lastHash = meta.lastHash;
    // Runs no meta names are leftovers of an interrupted write.
    for (const file of readdirSync(this.dir)) if (file.startsWith('run-') && !meta.runs.some((run) => run.file === file)) rmSync(join(this.dir, file), { force: true });
  }

  /** Starts from nothing: the log was replaced, cut or the index is missing or damaged. */
  private async reset(): Promise<void> {
    await Promise.all(this.runs.map((run) => run.close()));
    this.runs = [];
    for (const file of readdirSync(this.dir)) if (file.startsWith('run-') || file === 'meta.json') rmSync(join(this.dir, file), { force: true });
    this.meta = { v: 1, covered: 0, lastOffset: -1, lastHash: null, runs: [] };
    this.tail = new Map();
    this.tailCount = 0;
    this.scanned = 0;
    this.lastOffset = -1;
    this.lastHash = null;
  }

  /** Whether the log still holds, at `offset`, the entry with `hash`, and is at least `covered` long. */
  private async stillMatches(offset: number, hash: string | null, covered: number): Promise<boolean> {
    const size = await stat(this.logPath).then((s) => s.size, () => 0);
    if (size < covered) return false;
    if (offset < 0) return covered === 0;
    const entry = await this.entryAt(offset);
    return entry !== null && entry.hash === hash;
  }

  private async entryAt(offset: number): Promise<AuditEntry | null> {
    const handle = await open(this.logPath, 'r').catch(() => null);
    if (!handle) return null;
    try {
      let size = 1024;
      for (;;) {
        const buffer = Buffer.allocUnsafe(size);
        const { bytesRead } = await handle.read(buffer, 0, size, offset);
        const newline = buffer.subarray(0, bytesRead).indexOf(10);
        if (newline < 0) {
          if (bytesRead < size || size >= 1 << 24) return null;
          size *= 4;
          continue;
        }
        const value = parseLine(buffer.subarray(0, newline));
        return isEntryShaped(value) && hashEntry(value.seq, value.prevHash, value) === value.hash ? value : null;
      }
    } finally {
      await handle.close();
    }
  }

  /** Reads what the log gained since the last look (complete lines only). */
  catchUp(): Promise<void> {
    this.catching ??= (async () => {
      await this.load();
      if (!(await this.stillMatches(this.lastOffset, this.lastHash, this.scanned))) await this.reset();
      const { end } = await scanLines(this.logPath, this.scanned, (line, offset) => {
        const personalId = indexedPersonalId(line);
        if (personalId === null) return;
        this.lastOffset = offset;
        if (personalId === '') return;
        const [hi, lo] = keyOf(personalId);
        const key = `${hi}:${lo}`;
        const offsets = this.tail.get(key);
        if (offsets) offsets.push(offset);
        else this.tail.set(key, [offset]);
        this.tailCount++;
      });
      if (end > this.scanned && this.lastOffset >= 0) this.lastHash = (await this.entryAt(this.lastOffset))?.hash ?? null;
      this.scanned = end;
      if (this.tailCount >= FLUSH_AT) await this.flush();
    })().finally(() => {
      this.catching = null;
    });
    return this.catching;
  }

  /** Writes the in-memory entries as a sorted run (and merges runs when there are many). */
  async flush(): Promise<void> {
    if (this.tailCount === 0 || !this.meta) return;
    const keys = [...this.tail.keys()].map((key) => key.split(':').map(Number) as [number, number]);
    keys.sort((a, b) => compare(a[0], a[1], b[0], b[1]));
    const buffer = Buffer.allocUnsafe(this.tailCount * RECORD);
    let at = 0;
    for (const [hi, lo] of keys) {
      for (const offset of this.tail.get(`${hi}:${lo}`) as number[]) {
        writeRecord(buffer, at, hi, lo, offset);
        at += RECORD;
      }
    }
    const file = `run-${this.scanned}.idx`;
    await this.writeAtomically(file, buffer);
    this.runs.push(await Run.open(join(this.dir, file), this.tailCount));
    this.tail = new Map();
    this.tailCount = 0;
    if (this.runs.length > MAX_RUNS) await this.merge();
    await this.saveMeta();
  }

  private async writeAtomically(file: string, data: Buffer | string): Promise<void> {
    const temporary = join(this.dir, `${file}.tmp`);
    await writeFile(temporary, data);
    await rename(temporary, join(this.dir, file));
  }

  private async saveMeta(): Promise<void> {
    this.meta = { v: 1, covered: this.scanned, lastOffset: this.lastOffset, lastHash: this.lastHash, runs: this.runs.map((run) => ({ file: run.file.split('/').pop() as string, count: run.count })) };
    await this.writeAtomically('meta.json', JSON.stringify(this.meta));
  }

  /** Merges every run into one (k-way, streaming). */
  private async merge(): Promise<void> {
    const file = `run-${this.scanned}-merged.idx`;
    const temporary = join(this.dir, `${file}.tmp`);
    const out = await open(temporary, 'w');
    const total = this.runs.reduce((sum, run) => sum + run.count, 0);
    try {
      const cursors = await Promise.all(
        this.runs.map(async (run) => {
          const iterator = run.records()[Symbol.asyncIterator]();
          const first = await iterator.next();
          return { iterator, block: first.done ? null : (first.value as Buffer), at: 0 };
        }),
      );
      const output = Buffer.allocUnsafe(RECORD * 65_536);
      let used = 0;
      for (;;) {
        let best = -1;
        for (let i = 0; i < cursors.length; i++) {
          const c = cursors[i];
          if (!c.block) continue;
          if (best < 0) {
            best = i;
            continue;
          }
          const b = cursors[best];
          const order = compare(c.block.readUInt32BE(c.at), c.block.readUInt32BE(c.at + 4), b.block!.readUInt32BE(b.at), b.block!.readUInt32BE(b.at + 4));
          if (order < 0 || (order === 0 && c.block.readDoubleBE(c.at + 8) < b.block!.readDoubleBE(b.at + 8))) best = i;
        }
        if (best < 0) break;
        const c = cursors[best];
        c.block!.copy(output, used, c.at, c.at + RECORD);
        used += RECORD;
        if (used === output.length) {
          await out.write(output, 0, used);
          used = 0;
        }
        c.at += RECORD;
        if (c.at >= c.block!.length) {
          const next = await c.iterator.next();
          c.block = next.done ? null : Buffer.from(next.value as Buffer);
          c.at = 0;
        }
      }
      if (used) await out.write(output, 0, used);
    } finally {
      await out.close();
    }
    await rename(temporary, join(this.dir, file));
    const old = this.runs;
    this.runs = [await Run.open(join(this.dir, file), total)];
    await this.saveMeta();
    for (const run of old) {
      await run.close();
      rmSync(run.file, { force: true });
    }
  }

  /** The newest `first` entries about one citizen (older than `beforeSeq`), newest first, each checked against the log. */
  async lookup(personalId: string, first: number, beforeSeq = Number.MAX_SAFE_INTEGER): Promise<AuditEntry[]> {
    await this.catchUp();
    const [hi, lo] = keyOf(personalId);
    const offsets = [...(this.tail.get(`${hi}:${lo}`) ?? [])];
    for (const run of this.runs) offsets.push(...(await run.find(hi, lo)));
    const unique = [...new Set(offsets)].sort((a, b) => b - a);
    const found: AuditEntry[] = [];
    for (const offset of unique) {
      if (found.length >= first) break;
      const entry = await this.entryAt(offset);
      if (entry && entry.personalId === personalId && !isRefusal(entry) && entry.seq < beforeSeq) found.push(entry);
    }
    return found;
  }

  async close(): Promise<void> {
    await this.catching;
    await Promise.all(this.runs.map((run) => run.close()));
    this.runs = [];
    this.meta = null;
  }
}

/**
 * An order-free digest of index records: their number and the sum, modulo 2^256, of each 16-byte
 * record's SHA-256 (an additive multiset hash). The records the log calls for and those the index
 * holds must agree on both: a record dropped from the index (a read hidden from that citizen's
 * accessLog) or one added cannot keep the sum without SHA-256 values found to balance it.
 */
export class IndexRecordDigest {
  count = 0;
  /** The sum in eight 32-bit limbs, each a plain number until it could pass 2^53, then carried into `carried`. */
  private readonly limbs = new Array<number>(8).fill(0);
  private carried = 0n;
  private readonly record = Buffer.allocUnsafe(RECORD);

  add(record: Buffer): void {
    const digest = hash('sha256', record, 'buffer');
    for (let i = 0; i < 8; i++) this.limbs[i] += digest.readUInt32BE(i * 4);
    if (++this.count % 1_000_000 === 0) this.carry();
  }

  /** For the log's side: the record the index writes for this entry. */
  addEntry(personalId: string, offset: number): void {
    const [hi, lo] = keyOf(personalId);
    writeRecord(this.record, 0, hi, lo, offset);
    this.add(this.record);
  }

  private carry(): void {
    for (let i = 0; i < 8; i++) {
      this.carried += BigInt(this.limbs[i]) << BigInt(32 * (7 - i));
      this.limbs[i] = 0;
    }
    this.carried %= 1n << 256n;
  }

  equals(other: IndexRecordDigest): boolean {
    this.carry();
    other.carry();
    return this.count === other.count && this.carried === other.carried;
  }
}

/** The index beside a log as `audit:verify` reads it: what it says it covers, and its records' digest. */
export type StoredIndex = { found: false } | { found: true; covered: number; digest: IndexRecordDigest } | { found: true; problem: string };

/**
 * Reads the runs the index's meta names, checking each holds whole records in order, into one
 * digest; the log's side is added by the caller as it scans (`addEntry`).
 */
export async function readStoredIndex(logPath: string, dir = `${logPath}.index`): Promise<StoredIndex> {
  let meta: Meta;
  try {
    meta = readMeta(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { found: false };
    return { found: true, problem: `its meta.json cannot be read as JSON (${dir})` };
  }
  if (typeof meta?.covered !== 'number' || !Array.isArray(meta.runs)) return { found: true, problem: `its meta.json is not an index's (${dir})` };
  const digest = new IndexRecordDigest();
  for (const { file, count } of meta.runs) {
    if (typeof file !== 'string' || file.includes('/') || !Number.isSafeInteger(count) || count < 0) return { found: true, problem: `its meta.json names a run it cannot hold (${dir})` };
    const path = join(dir, file);
    const size = await stat(path).then((s) => s.size, () => -1);
    if (size !== count * RECORD) return { found: true, problem: `run ${file} holds ${size < 0 ? 'no file' : `${size} bytes`} where its ${count} records take ${count * RECORD} (${dir})` };
    const run = await Run.open(path, count);
    try {
      let [hi, lo, offset] = [-1, -1, -1];
      let at = 0;
      for await (const block of run.records()) {
        for (let i = 0; i < block.length; i += RECORD, at++) {
          const next: [number, number, number] = [block.readUInt32BE(i), block.readUInt32BE(i + 4), block.readDoubleBE(i + 8)];
          if ((compare(hi, lo, next[0], next[1]) || offset - next[2]) > 0) return { found: true, problem: `run ${file} is out of order at record ${at + 1} (${dir})` };
          [hi, lo, offset] = next;
          digest.add(block.subarray(i, i + RECORD));
        }
      }
    } finally {
      await run.close();
    }
  }
  return { found: true, covered: meta.covered, digest };
}
