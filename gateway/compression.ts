/**
 * Compressed answers for the 10–40 Mbps lines communes sit on: a response of at least `minBytes`
 * goes out brotli- or gzip-compressed when the client's Accept-Encoding allows it (brotli
 * preferred, at quality 4: fast, about 0.1 ms for a dossier, and nearly as small as the slowest
 * setting). Every answer says `Vary: Accept-Encoding`, so caches on the way keep the variants
 * apart.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { brotliCompress, brotliCompressSync, BrotliOptions, constants, gzip, gzipSync } from 'node:zlib';
import type { GatewayFeature } from './feature';

export type Encoding = 'br' | 'gzip';

const brotli = promisify(brotliCompress);
const gzipped = promisify(gzip);
/** Answers up to this size are compressed on the event loop (about 0.2 ms at most). */
const SYNC_COMPRESSION_MAX_BYTES = 64 * 1024;
const GZIP_OPTIONS = { level: 6 };

/** Quality 4 (fast, nearly as small as the slowest setting), tuned for JSON text of this size. */
function brotliOptions(size: number): BrotliOptions {
  return {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: 4,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: size,
    },
  };
}

/** The encoding to answer with: the client's highest-weighted of br and gzip (br on a tie), or null. */
export function chooseEncoding(acceptEncoding: string | undefined): Encoding | null {
  if (!acceptEncoding) return null;
  const weights = new Map<string, number>();
  for (const part of acceptEncoding.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const weight = q ? Number(q.slice(2)) : 1;
    weights.set(name, Number.isFinite(weight) ? weight : 0);
  }
  const weightOf = (encoding: Encoding) => weights.get(encoding) ?? weights.get('*') ?? 0;
  const [br, gz] = [weightOf('br'), weightOf('gzip')];
  if (br <= 0 && gz <= 0) return null;
  return br >= gz ? 'br' : 'gzip';
}

export interface CompressionOptions {
  /** Smaller answers go out as they are: compressing them saves less than it costs. */
  minBytes: number;
}

function addVary(res: ServerResponse): void {
  const vary = res.getHeader('vary');
  const current = Array.isArray(vary) ? vary.join(', ') : vary === undefined ? '' : String(vary);
  if (!/(^|,)\s*accept-encoding\s*(,|$)/i.test(current)) res.setHeader('vary', current ? `${current}, Accept-Encoding` : 'Accept-Encoding');
}

/** Writes a complete response body, compressed when worthwhile and accepted. */
export function createResponseCompressor(options: CompressionOptions) {
  return async (req: IncomingMessage, res: ServerResponse, body: string): Promise<void> => {
    addVary(res);
    const encoding = chooseEncoding(req.headers['accept-encoding']);
    const bytes = Buffer.from(body);
    if (!encoding || bytes.length < options.minBytes || res.getHeader('content-encoding')) {
      res.setHeader('content-length', bytes.length);
      res.end(bytes);
      return;
    }
    // A dossier (a few KiB) compresses in well under 0.2 ms: on the event loop that is cheaper
    // than the hand-off to libuv's thread pool and back (0.5–0.8 ms of wait, measured), and it
    // is on every answer's critical path. Larger answers go to the pool so as not to stall others.
    const small = bytes.length <= SYNC_COMPRESSION_MAX_BYTES;
    let compressed: Buffer;
    if (encoding === 'br') {
      const tuned = brotliOptions(bytes.length);
      compressed = small ? brotliCompressSync(bytes, tuned) : await brotli(bytes, tuned);
    } else {
      compressed = small ? gzipSync(bytes, GZIP_OPTIONS) : await gzipped(bytes, GZIP_OPTIONS);
    }
    res.setHeader('content-encoding', encoding);
    res.setHeader('content-length', compressed.length);
    res.end(compressed);
  };
}

/** Off when `minBytes` is null. */
export function compression({ minBytes }: { minBytes: number | null }): GatewayFeature {
  return minBytes === null ? { name: 'compression' } : { name: 'compression', writeBody: createResponseCompressor({ minBytes }) };
}
