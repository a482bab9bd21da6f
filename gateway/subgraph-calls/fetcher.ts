/**
 * The gateway's fetcher for subgraph calls: undici's `request` over a keep-alive pool, in the
 * shape @apollo/gateway's RemoteGraphQLDataSource expects. It replaces the default
 * make-fetch-happen fetcher, which opens more sockets and costs more CPU per call.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Fetcher, FetcherHeaders, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent } from 'undici';
import { readCappedBytes } from '../../lib/capped-body';
import { DEFAULT_SUBGRAPH_MAX_ANSWER_MIB } from '../../lib/config';
import { startDeadline } from '../../lib/deadline';
import { readRequiredFile } from '../../lib/keys';

export interface SubgraphFetcherOptions {
  /** Per-call deadline; a subgraph slower than this fails with a timeout error. */
  timeoutMs: number;
  /** The largest answer read from a subgraph, in bytes (`SUBGRAPH_MAX_ANSWER_MIB`); a larger one fails the call. */
  maxAnswerBytes?: number;
  /** Connections kept per subgraph origin. */
  connections?: number;
  /** TLS to `https://` subgraphs: the CA that signed their certificates and the gateway's client certificate. */
  tls?: SubgraphClientTls;
}

/** PEM contents. */
export interface SubgraphClientTls {
  ca: string;
  cert: string;
  key: string;
}

/** Reads the gateway's subgraph TLS files (lib/config `subgraphTls`); undefined when TLS is off. */
export function subgraphTlsFromFiles(files: { caFile: string; certFile: string; keyFile: string } | undefined): SubgraphClientTls | undefined {
  if (!files) return undefined;
  return {
    ca: readRequiredFile(files.caFile, 'subgraph CA certificate'),
    cert: readRequiredFile(files.certFile, 'gateway client certificate'),
    key: readRequiredFile(files.keyFile, 'gateway client key'),
  };
}

export class SubgraphTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`Subgraph at ${new URL(url).host} did not answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

/**
 * A subgraph answered more than the gateway reads: the call fails as the subgraph being
 * unavailable, instead of the gateway holding an answer of any size in memory.
 */
export class SubgraphAnswerTooLargeError extends Error {
  constructor(url: string, maxBytes: number) {
    super(`Subgraph at ${new URL(url).host} answered more than ${maxBytes} bytes`);
    this.name = 'SubgraphAnswerTooLargeError';
  }
}

/**
 * Headers over a plain object of lower-cased names: a subgraph call's, and its answer's read
 * straight from undici's (already lower-cased) header object. Building WHATWG or node-fetch
 * Headers for each of a dossier's half-dozen subgraph calls (names validated, a URL parsed) costs
 * more than the few lookups the gateway makes.
 */
export class PlainHeaders implements FetcherHeaders {
  constructor(readonly raw: IncomingHttpHeaders = {}) {}
  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }
  has(name: string): boolean {
    return this.raw[name.toLowerCase()] !== undefined;
  }
  set(name: string, value: string): void {
    this.raw[name.toLowerCase()] = value;
  }
  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }
  delete(name: string): void {
    delete this.raw[name.toLowerCase()];
  }
  *entries(): IterableIterator<[string, string]> {
    for (const name of Object.keys(this.raw)) {
      const value = this.get(name);
      if (value !== null) yield [name, value];
    }
  }
  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }
  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}

/** A fully buffered response: subgraph answers are small JSON documents. */
export class BufferedResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: FetcherHeaders,
    private readonly body: string,
  ) {}
  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }
  get statusText(): string {
    return String(this.status);
  }
  async text(): Promise<string> {
    this.bodyUsed = true;
    return this.body;
  }
  async json(): Promise<unknown> {
    this.bodyUsed = true;
    return JSON.parse(this.body);
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    this.bodyUsed = true;
    const bytes = Buffer.from(this.body);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }
  clone(): FetcherResponse {
    return new BufferedResponse(this.url, this.status, this.headers, this.body);
  }
}

export interface SubgraphFetcher {
  fetcher: Fetcher;
  close(): Promise<void>;
}

export function createSubgraphFetcher(options: SubgraphFetcherOptions): SubgraphFetcher {
  const dispatcher = new Agent({
    keepAliveTimeout: 60_000,
    connections: options.connections ?? 64,
    pipelining: 1,
    // Subgraphs are trusted only when their certificate chains to this CA; they check ours in turn.
    ...(options.tls ? { connect: { ca: options.tls.ca, cert: options.tls.cert, key: options.tls.key, rejectUnauthorized: true } } : {}),
  });

  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_SUBGRAPH_MAX_ANSWER_MIB * 1024 * 1024;
  // The handful of subgraph URLs, each parsed once: undici's `request(url)` parsed it on every call.
  const targets = new Map<string, { origin: string; path: string }>();
  const targetOf = (url: string) => {
    let target = targets.get(url);
    if (!target) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      if (targets.size >= 100) targets.clear();
      targets.set(url, target);
    }
    return target;
  };
  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    // One deadline for the whole call (undici's own header/body timeouts are coarse, ~1 s).
    const deadline = init.signal ? undefined : startDeadline(options.timeoutMs);
    try {
      const response = await dispatcher.request({
        ...targetOf(url),
        method: (init.method ?? 'POST') as 'POST',
        headers: init.headers,
        body: init.body,
        signal: init.signal ?? deadline?.signal,
      });
      const declared = response.headers['content-length'] as string | undefined;
      // An answer whose declared length is within the cap is read by undici, which holds a body to
      // its declared length and reads it faster than any stream consumer (every subgraph call).
      const body =
        declared !== undefined && Number(declared) <= maxAnswerBytes
          ? await response.body.text()
          : (
              await readCappedBytes(response.body, declared, maxAnswerBytes, () => {
                // The rest is not read: the connection is dropped, and the abort it reports is this error.
                response.body.on('error', () => {}).destroy();
                return new SubgraphAnswerTooLargeError(url, maxAnswerBytes);
              })
            ).toString('utf8');
      return new BufferedResponse(url, response.statusCode, new PlainHeaders(response.headers), body);
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new SubgraphTimeoutError(url, options.timeoutMs);
      throw error;
    } finally {
      deadline?.clear();
    }
  };

  return { fetcher: fetcher as Fetcher, close: () => dispatcher.close() };
}
