/**
 * The gateway's fetcher for subgraph calls: undici's `request` over a keep-alive pool, in the
 * shape @apollo/gateway's RemoteGraphQLDataSource expects. It replaces the default
 * make-fetch-happen fetcher, which opens more sockets and costs more CPU per call.
 */
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { Agent, request } from 'undici';

export interface SubgraphFetcherOptions {
  /** Per-call deadline; a subgraph slower than this fails with a timeout error. */
  timeoutMs: number;
  /** Connections kept per subgraph origin. */
  connections?: number;
}

export class SubgraphTimeoutError extends Error {
  constructor(url: string, timeoutMs: number) {
    super(`Subgraph at ${new URL(url).host} did not answer within ${timeoutMs} ms`);
    this.name = 'SubgraphTimeoutError';
  }
}

/** A fully buffered response: subgraph answers are small JSON documents. */
class BufferedResponse implements FetcherResponse {
  bodyUsed = false;
  readonly redirected = false;
  constructor(
    readonly url: string,
    readonly status: number,
    readonly headers: Headers,
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
  const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: options.connections ?? 64, pipelining: 1 });

  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    try {
      const response = await request(url, {
        dispatcher,
        method: (init.method ?? 'POST') as 'POST',
        headers: init.headers,
        body: init.body,
        signal: init.signal ?? AbortSignal.timeout(options.timeoutMs),
      });
      const body = await response.body.text();
      const headers = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
      }
      return new BufferedResponse(url, response.statusCode, headers, body);
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') throw new SubgraphTimeoutError(url, options.timeoutMs);
      throw error;
    }
  };

  return { fetcher: fetcher as Fetcher, close: () => dispatcher.close() };
}
