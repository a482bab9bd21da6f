/**
 * The HTTP layer every source client shares: a keep-alive undici connection pool per source, a
 * per-call timeout, the source's API key, and the mapping of transport failures to SourceError.
 * Source clients add only what differs between sources: paths, payload shapes and batching rules.
 *
 * Requests go through `fetch` with the undici pool as dispatcher, so that nock (which intercepts
 * fetch) can stand in for a source in unit tests while production keeps undici's pooling.
 */
import { Agent } from 'undici';
import type { SourceName } from '../../lib/sources';
import { SourceError } from './errors';

export interface SourceClientOptions {
  /** Base URL of the source, without a trailing slash. */
  url: string;
  apiKey: string;
  timeoutMs?: number;
  /** Upper bound on open connections to the source. */
  connections?: number;
}

export interface SourceRequest {
  method?: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  body?: string;
  /**
   * Error statuses the caller reads the body of instead of the default mapping below, for
   * sources that say what went wrong in the body (a SOAP 1.1 Fault arrives with HTTP 500).
   */
  resolveStatuses?: readonly number[];
}

export interface SourceResponse {
  status: number;
  contentType: string;
  text: string;
}

export abstract class SourceClient {
  abstract readonly source: SourceName;
  protected readonly url: string;
  protected readonly apiKey: string;
  private readonly timeoutMs: number;
  private readonly dispatcher: Agent;

  constructor(options: SourceClientOptions) {
    this.url = options.url.replace(/\/$/, '');
    this.apiKey = options.apiKey;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.dispatcher = new Agent({ keepAliveTimeout: 30_000, connections: options.connections ?? 32 });
  }

  /** Headers that carry the API key, in the form this source expects. */
  protected abstract authHeaders(): Record<string, string>;

  /**
   * Sends one request. Resolves for 2xx, 404 (callers decide what "not found" means) and the
   * request's `resolveStatuses`; rejects with SourceError for everything else.
   */
  protected async send(request: SourceRequest): Promise<SourceResponse> {
    const url = new URL(this.url + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method: request.method ?? 'GET',
        headers: { ...this.authHeaders(), ...request.headers },
        body: request.body,
        signal: AbortSignal.timeout(this.timeoutMs),
        // Honoured by Node's fetch; keeps connections pooled per source.
        dispatcher: this.dispatcher,
      } as unknown as RequestInit);
      text = await response.text();
    } catch (error) {
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new SourceError(this.source, 'SOURCE_TIMEOUT', `The ${this.source} source did not answer within ${this.timeoutMs} ms`);
      }
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source could not be reached`);
    }
    if (response.ok || response.status === 404 || request.resolveStatuses?.includes(response.status)) {
      return { status: response.status, contentType: response.headers.get('content-type') ?? '', text };
    }
    if (response.status === 401 || response.status === 403) {
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source refused the gateway's credentials`, response.status);
    }
    if (response.status === 400) {
      throw new SourceError(this.source, 'SOURCE_BAD_RESPONSE', `The ${this.source} source rejected the request as malformed`, response.status);
    }
    throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered HTTP ${response.status}`, response.status);
  }

  /** Parses a JSON body, turning garbage into SOURCE_BAD_RESPONSE rather than a crash. */
  protected parseJson<T>(response: SourceResponse): T {
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw this.badResponse('a body that is not valid JSON');
    }
  }

  protected badResponse(what: string): SourceError {
    return new SourceError(this.source, 'SOURCE_BAD_RESPONSE', `The ${this.source} source sent ${what}`);
  }

  async close(): Promise<void> {
    await this.dispatcher.close();
  }
}
