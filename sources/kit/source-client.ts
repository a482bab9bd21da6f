/**
 * The HTTP layer every source client shares: a keep-alive connection pool per source, the
 * source's API key, the mapping of transport failures to SourceError, and the source's
 * resilience policy (deadline, retries, circuit breaker, concurrency cap: resilience/). Source
 * clients add only what differs between sources: paths, payload shapes and batching rules.
 *
 * Requests go through node:http(s) with a keep-alive agent per source: a source call costs a
 * fraction of the CPU `fetch` spends on it (web streams, Request and Response objects, abort
 * plumbing), and nock (which intercepts node:http) still stands in for a source in unit tests.
 */
import { Agent as HttpAgent, IncomingMessage, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { readCappedBytes } from '../../lib/capped-body';
import { DEFAULT_SOURCE_RESILIENCE, type SourceResilience, type SubgraphConfig } from '../../lib/config';
import type { SourceName } from '../../lib/sources';
import { traceHeaders } from '../../lib/tracing';
import { SourceError } from './errors';
import { SourcePolicy } from './resilience/source-policy';
import { observeSourceCall } from './telemetry';
import type { z } from './wire';

export interface SourceClientOptions {
  /** Base URL of the source, without a trailing slash. */
  url: string;
  apiKey: string;
  /** Deadline for one call (shorthand for `resilience.timeoutMs`). */
  timeoutMs?: number;
  /** Upper bound on open connections to the source (default: `resilience.maxConcurrent`). */
  connections?: number;
  /** Largest answer read (bytes); a larger one fails as SOURCE_BAD_RESPONSE. Default MAX_SOURCE_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /**
   * Retries, circuit breaker and concurrency cap. Without it a call is one attempt with no
   * breaker (what unit tests of a client's mapping want); subgraphs pass `sourceClientOptions`.
   */
  resilience?: Partial<SourceResilience>;
}

/** A subgraph's options for the client of `source`: its connection and configured resilience. */
export function sourceClientOptions(config: SubgraphConfig, source: SourceName): SourceClientOptions {
  const connection = config.sources[source];
  if (!connection) throw new Error(`subgraph ${config.name} needs the ${source} source connection`);
  const resilience = config.sourceResilience?.[source] ?? {
    ...DEFAULT_SOURCE_RESILIENCE,
    timeoutMs: config.sourceTimeoutMs,
    maxConcurrent: config.sourceConcurrency,
  };
  return { ...connection, resilience };
}

/**
 * Far above any answer a source sends here (a budget export of 50 units, the catalogue's provinces:
 * well under 1 MiB), and far below what would exhaust a subgraph: a faulty source cannot make it
 * buffer hundreds of megabytes.
 */
export const MAX_SOURCE_RESPONSE_BYTES = 16 * 1024 * 1024;

/** A client built without resilience settings: one attempt, no breaker to trip. */
const SINGLE_ATTEMPT: Partial<SourceResilience> = { retries: 0, breakerMinCalls: Number.MAX_SAFE_INTEGER, maxConcurrent: 256, maxQueued: 100_000 };

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
  private readonly agent: HttpAgent;
  private readonly secure: boolean;
  private readonly options: SourceClientOptions;
  private policyInstance: SourcePolicy | undefined;
  private closed = false;

  constructor(options: SourceClientOptions) {
    this.url = options.url.replace(/\/$/, '');
    this.apiKey = options.apiKey;
    this.options = options;
    this.secure = this.url.startsWith('https:');
    const agentOptions = { keepAlive: true, timeout: 30_000, maxSockets: options.connections ?? options.resilience?.maxConcurrent ?? 32 };
    this.agent = this.secure ? new HttpsAgent(agentOptions) : new HttpAgent(agentOptions);
  }

  /** Built on first use: `source` is a subclass field, not yet set while this constructor runs. */
  get policy(): SourcePolicy {
    this.policyInstance ??= new SourcePolicy(this.source, {
      ...DEFAULT_SOURCE_RESILIENCE,
      ...(this.options.resilience ?? SINGLE_ATTEMPT),
      ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
    });
    return this.policyInstance;
  }

  /** Headers that carry the API key, in the form this source expects. */
  protected abstract authHeaders(): Record<string, string>;

  /**
   * Sends one request under the source's policy. Resolves for 2xx, 404 (callers decide what "not
   * found" means) and the request's `resolveStatuses`; rejects with SourceError for everything
   * else. `read` turns the response into the caller's value inside the policy, so a failure it
   * detects in the body (a SOAP Server Fault) is retried and counted like an HTTP one.
   */
  protected send(request: SourceRequest): Promise<SourceResponse>;
  protected send<T>(request: SourceRequest, read: (response: SourceResponse) => T): Promise<T>;
  protected send<T>(request: SourceRequest, read?: (response: SourceResponse) => T): Promise<T | SourceResponse> {
    return this.policy.run(async (signal) => {
      const response = await observeSourceCall(this.source, () => this.attempt(request, signal));
      return read ? read(response) : response;
    });
  }

  private async attempt(request: SourceRequest, signal: AbortSignal): Promise<SourceResponse> {
    // A call started after close (a look-ahead still on its way as the service stops) opens no
    // new connection.
    if (this.closed) throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source client is closed (the service is stopping)`);
    const url = new URL(this.url + request.path);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    let response: { status: number; contentType: string };
    let text: string;
    try {
      ({ response, text } = await this.exchange(url, request, signal));
    } catch (error) {
      if (error instanceof SourceError) throw error;
      const name = (error as Error)?.name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new SourceError(this.source, 'SOURCE_TIMEOUT', `The ${this.source} source did not answer within ${this.policy.options.timeoutMs} ms`);
      }
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source could not be reached`);
    }
    const ok = response.status >= 200 && response.status < 300;
    if (ok || response.status === 404 || request.resolveStatuses?.includes(response.status)) {
      return { status: response.status, contentType: response.contentType, text };
    }
    if (response.status === 401 || response.status === 403) {
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source refused the gateway's credentials`, response.status);
    }
    if (response.status === 400) {
      throw new SourceError(this.source, 'SOURCE_BAD_RESPONSE', `The ${this.source} source rejected the request as malformed`, response.status);
    }
    throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered HTTP ${response.status}`, response.status);
  }

  /** One HTTP exchange: status, content type and the whole body as text; rejects on abort or a broken connection. */
  private exchange(url: URL, request: SourceRequest, signal: AbortSignal): Promise<{ response: { status: number; contentType: string }; text: string }> {
    return new Promise((resolve, reject) => {
      const aborted = () => Object.assign(new Error('The call was aborted'), { name: 'AbortError' });
      const headers: Record<string, string> = { ...this.authHeaders(), ...request.headers, ...traceHeaders() };
      if (request.body !== undefined) headers['content-length'] = String(Buffer.byteLength(request.body));
      const send = this.secure ? httpsRequest : httpRequest;
      const limit = this.options.maxResponseBytes ?? MAX_SOURCE_RESPONSE_BYTES;
      const outgoing = send(url, { method: request.method ?? 'GET', headers, agent: this.agent, signal }, (incoming: IncomingMessage) => {
        const tooLarge = () => this.badResponse(`an answer larger than ${limit} bytes (read no further)`);
        readCappedBytes(incoming, incoming.headers['content-length'], limit, tooLarge).then(
          (bytes) => resolve({ response: { status: incoming.statusCode ?? 0, contentType: incoming.headers['content-type'] ?? '' }, text: bytes.toString('utf8') }),
          (error: unknown) => {
            incoming.destroy();
            // The refusal stands as it is; a broken stream after an abort is the abort.
            reject(signal.aborted && !(error instanceof SourceError) ? aborted() : error);
          },
        );
      });
      outgoing.on('error', (error) => reject(signal.aborted ? aborted() : error));
      outgoing.end(request.body);
    });
  }

  /** Parses a JSON body, turning garbage into SOURCE_BAD_RESPONSE rather than a crash. */
  protected parseJson<T>(response: SourceResponse): T {
    try {
      return JSON.parse(response.text) as T;
    } catch {
      throw this.badResponse('a body that is not valid JSON');
    }
  }

  /**
   * `value` as `schema` reads it; anything that does not fit is SOURCE_BAD_RESPONSE, naming `what`
   * (or what `what` makes of the path to the first misfit: field names, never values).
   */
  protected check<S extends z.ZodType>(schema: S, value: unknown, what: string | ((path: string) => string)): z.output<S> {
    const checked = schema.safeParse(value);
    if (checked.success) return checked.data;
    throw this.badResponse(typeof what === 'string' ? what : what(checked.error.issues[0]?.path.join('.') ?? ''));
  }

  protected badResponse(what: string): SourceError {
    return new SourceError(this.source, 'SOURCE_BAD_RESPONSE', `The ${this.source} source sent ${what}`);
  }

  /** Closes the connections; calling it again does nothing. */
  async close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
  }
}
