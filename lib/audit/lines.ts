/** Reading a JSON-lines file a chunk at a time: each complete line with its byte offset. */
import { FileHandle, open } from 'node:fs/promises';

const CHUNK = 4 * 1024 * 1024;

export interface ScanResult {
  /** Byte offset just past the last complete line handed over (or where scanning stopped). */
  end: number;
  /** Bytes after the last newline (a line not terminated), when scanning reached the end. */
  tail: Buffer | null;
}

/** The complete lines of one chunk read, each with the byte offset where it starts. */
interface LineBatch {
  lines: Buffer[];
  offsets: number[];
}

/**
 * The newline-terminated lines of an open file from byte `from`, a chunk's worth at a time (one
 * promise per chunk, not per line: logs run to millions of lines); returns the bytes after the
 * last newline.
 */
async function* lineBatches(handle: FileHandle, from: number): AsyncGenerator<LineBatch, Buffer> {
  let position = from;
  let carry: Buffer = Buffer.alloc(0);
  let carryOffset = from;
  const chunk = Buffer.allocUnsafe(CHUNK);
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
    if (bytesRead === 0) return carry;
    position += bytesRead;
    const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
    const batch: LineBatch = { lines: [], offsets: [] };
    let start = 0;
    for (;;) {
      const newline = data.indexOf(10, start);
      if (newline < 0) break;
      batch.lines.push(data.subarray(start, newline));
      batch.offsets.push(carryOffset + start);
      start = newline + 1;
    }
    yield batch; // consumed before the next read reuses `chunk`
    carryOffset += start;
    carry = Buffer.from(data.subarray(start)); // copied: `chunk` is reused
  }
}

/** The file open for reading, or null when it does not exist (a missing file reads as empty). */
async function openIfExists(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Calls `onLine` for every newline-terminated line from byte `from` to the file's current end
 * (the line without its newline, and the offset where it starts). `onLine` returning false stops
 * the scan at that line. A missing file reads as empty.
 */
export async function scanLines(path: string, from: number, onLine: (line: Buffer, offset: number) => boolean | void): Promise<ScanResult> {
  const handle = await openIfExists(path);
  if (!handle) return { end: from, tail: null };
  try {
    const batches = lineBatches(handle, from);
    let end = from;
    for (;;) {
      const next = await batches.next();
      if (next.done) return { end, tail: next.value.length ? next.value : null };
      const { lines, offsets } = next.value;
      for (let i = 0; i < lines.length; i++) {
        if (onLine(lines[i], offsets[i]) === false) return { end: offsets[i], tail: null };
        end = offsets[i] + lines[i].length + 1;
      }
    }
  } finally {
    await handle.close();
  }
}

export function parseLine(line: Buffer): unknown {
  try {
    return JSON.parse(line.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Every line of a file from its start, newline-terminated or not (the last may lack one), read a
 * chunk at a time: for readers that stream the whole log without holding it. A missing file reads
 * as empty.
 */
export async function* readLines(path: string): AsyncGenerator<Buffer> {
  const handle = await openIfExists(path);
  if (!handle) return;
  try {
    const batches = lineBatches(handle, 0);
    for (;;) {
      const next = await batches.next();
      if (next.done) {
        if (next.value.length) yield next.value;
        return;
      }
      yield* next.value.lines;
    }
  } finally {
    await handle.close();
  }
}
