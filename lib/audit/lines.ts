/** Reading a JSON-lines file a chunk at a time: each complete line with its byte offset. */
import { open } from 'node:fs/promises';

const CHUNK = 4 * 1024 * 1024;

export interface ScanResult {
  /** Byte offset just past the last complete line handed over (or where scanning stopped). */
  end: number;
  /** Bytes after the last newline (a line not terminated), when scanning reached the end. */
  tail: Buffer | null;
}

/**
 * Calls `onLine` for every newline-terminated line from byte `from` to the file's current end
 * (the line without its newline, and the offset where it starts). `onLine` returning false stops
 * the scan at that line. A missing file reads as empty.
 */
export async function scanLines(path: string, from: number, onLine: (line: Buffer, offset: number) => boolean | void): Promise<ScanResult> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { end: from, tail: null };
    throw error;
  }
  try {
    let position = from;
    let carry: Buffer = Buffer.alloc(0);
    let carryOffset = from;
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const newline = data.indexOf(10, start);
        if (newline < 0) break;
        if (onLine(data.subarray(start, newline), carryOffset + start) === false) return { end: carryOffset + start, tail: null };
        start = newline + 1;
      }
      carryOffset += start;
      carry = Buffer.from(data.subarray(start)); // copied: `chunk` is reused
    }
    return { end: carryOffset, tail: carry.length ? carry : null };
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
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let position = 0;
    let carry: Buffer = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, CHUNK, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
      let start = 0;
      for (;;) {
        const newline = data.indexOf(10, start);
        if (newline < 0) break;
        yield data.subarray(start, newline);
        start = newline + 1;
      }
      carry = Buffer.from(data.subarray(start)); // copied: `chunk` is reused
    }
    if (carry.length) yield carry;
  } finally {
    await handle.close();
  }
}
