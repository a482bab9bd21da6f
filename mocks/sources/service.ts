/**
 * The HTTP plumbing every mock source shares, so that the six differ only in what they define:
 * routes, where the caller's key is, how errors look, and their body format. Here: the key
 * check, the per-key in-flight limit, injected latency, errors, outages and malformed bodies,
 * request counting, and the test endpoints `/__control`, `/__stats` and `/__health`.
 *
 * Order of a call: count it → read the body → read the key → in-flight limit (429) → latency →
 * outage (503) → key check (401) → route (404/405) → injected error (500) → handler → maybe
 * corrupt the 200 body. Test endpoints and open routes skip all of it, but every one of them except
 * `/__health` needs the control key (`x-mocks-control-key`): ground truth is every citizen's
 * record, and `/__control` can take a source down.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import type { SourceName } from '../../lib/sources';
import { corruptBody, BodyFormat } from './corrupt';

export type ErrorKind =
  | 'BAD_REQUEST'
  | 'BATCH_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL'
  | 'UNAVAILABLE';

/** The HTTP status of each kind of failure, unless a source's style says otherwise. */
export const ERROR_STATUS: Record<ErrorKind, number> = {
  BAD_REQUEST: 400,
  BATCH_TOO_LARGE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/** Thrown by handlers; the service renders it in the source's own error style. */
export class SourceFailure extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** A source could not take its port; the message says which and why. */
export class ListenError extends Error {}

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

export interface Call {
  method: string;
  path: string;
  /** Named groups of the route's path pattern, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the whole decoded path; named groups become `params`. */
  path: RegExp;
  /** The name calls are counted under in `/__stats`. */
  operation: string;
  handle(call: Call): Reply;
}

export interface SourceDefinition {
  name: SourceName;
  format: BodyFormat;
  routes: Route[];
  /** Routes for tests (ground truth): no key, no faults, not counted. */
  openRoutes?: Route[];
  /** The key the caller presented; may throw SourceFailure when the request cannot be read. */
  presentedKey(call: Call): string | undefined;
  renderError(kind: ErrorKind, message: string): Reply;
  /** Calls one key may have in flight before more are refused with 429. */
  maxInFlightPerKey?: number;
}

export interface ControlSettings {
  latencyMs: number;
  jitterMs: number;
  /** Share of calls answered with an injected HTTP 500. */
  errorRate: number;
  /** Every call answered HTTP 503. */
  outage: boolean;
  /** Share of successful calls whose body is corrupted. */
  malformedRate: number;
}

export interface SourceStats {
  requests: number;
  byOperation: Record<string, number>;
}

const controlPatch = z
  .object({
    latencyMs: z.number().min(0).max(60_000),
    jitterMs: z.number().min(0).max(60_000),
    errorRate: z.number().min(0).max(1),
    outage: z.boolean(),
    malformedRate: z.number().min(0).max(1),
  })
  .partial()
  .strict();

/** Validates a control patch; throws RangeError naming what is wrong. */
export function parseControlPatch(patch: unknown): Partial<ControlSettings> {
  const parsed = controlPatch.safeParse(patch);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RangeError(`${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

export function jsonReply(status: number, body: unknown): Reply {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

export function header(call: Call, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const MAX_BODY_BYTES = 1024 * 1024;

/** The header carrying the key of the test endpoints (`MOCKS_CONTROL_KEY`). */
export const MOCKS_CONTROL_HEADER = 'x-mocks-control-key';

/** 401 without the control key, 403 with a wrong one, null when it matches. */
export function checkControlKey(headers: IncomingHttpHeaders, expected: string): Reply | null {
  const presented = headers[MOCKS_CONTROL_HEADER];
  if (presented === undefined) {
    return jsonReply(401, { error: `The mocks' test endpoints need the ${MOCKS_CONTROL_HEADER} header (the key in MOCKS_CONTROL_KEY)` });
  }
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(expected))) {
    return jsonReply(403, { error: `The ${MOCKS_CONTROL_HEADER} header does not hold the mocks' control key (MOCKS_CONTROL_KEY)` });
  }
  return null;
}

export class MockService {
  readonly server: Server;
  private control: ControlSettings;
  private stats: SourceStats = { requests: 0, byOperation: {} };
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly definition: SourceDefinition,
    private readonly apiKey: string,
    initial: Pick<ControlSettings, 'latencyMs' | 'jitterMs'>,
    /** The key every test endpoint but `/__health` requires. */
    private readonly controlKey: string,
  ) {
    if (!controlKey) throw new Error(`The ${definition.name} mock needs a control key for its test endpoints`);
    this.control = { errorRate: 0, outage: false, malformedRate: 0, ...initial };
    this.server = createServer((req, res) => {
      this.handle(req, res).catch(() => res.destroy());
    });
    this.server.keepAliveTimeout = 65_000;
  }

  get name(): SourceName {
    return this.definition.name;
  }

  getControl(): ControlSettings {
    return { ...this.control };
  }

  setControl(patch: unknown): ControlSettings {
    this.control = { ...this.control, ...parseControlPatch(patch) };
    return this.getControl();
  }

  getStats(): SourceStats {
    return { requests: this.stats.requests, byOperation: { ...this.stats.byOperation } };
  }

  resetStats(): void {
    this.stats = { requests: 0, byOperation: {} };
  }

  /** Listens on `port` (0: any free port); resolves with the port taken. */
  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (error: NodeJS.ErrnoException) =>
        reject(new ListenError(`The ${this.name} mock cannot listen on ${host}:${port} (${error.code ?? error.message})`));
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const [rawPath, rawQuery] = q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
    const path = safeDecode(rawPath);
    const method = req.method ?? 'GET';
    if (path.startsWith('/__')) {
      const answer = await this.testEndpoint(req, method, path, rawQuery);
      if (answer) return send(res, answer);
    }

    const match = matchRoute(this.definition.routes, method, path);
    this.count(match.route?.operation ?? 'unknown');
    let release = () => {};
    let reply: Reply;
    try {
      const call: Call = { method, path, params: match.params, query: new URLSearchParams(rawQuery), headers: req.headers, body: await readBody(req) };
      // A request too broken to hold a key is reported as such, but only after latency and outage.
      let key: string | undefined;
      let unreadable: unknown;
      try {
        key = this.definition.presentedKey(call);
      } catch (error) {
        unreadable = error;
      }
      release = this.admit(key ?? '');
      await this.delay();
      if (this.control.outage) throw new SourceFailure('UNAVAILABLE', `The ${this.name} service is temporarily unavailable`);
      if (unreadable) throw unreadable;
      if (key !== this.apiKey) throw new SourceFailure('UNAUTHORIZED', 'Missing or invalid access key');
      if (!match.route) {
        throw match.pathKnown
          ? new SourceFailure('METHOD_NOT_ALLOWED', `Method ${method} is not allowed on ${path}`)
          : new SourceFailure('NOT_FOUND', `No resource at ${path}`);
      }
      if (Math.random() < this.control.errorRate) throw new SourceFailure('INTERNAL', 'Internal error (injected)');
      reply = match.route.handle(call);
      if (reply.status === 200 && Math.random() < this.control.malformedRate) reply = { ...reply, body: corruptBody(this.definition.format, reply.body) };
    } catch (error) {
      const failure = error instanceof SourceFailure ? error : new SourceFailure('INTERNAL', 'Internal error');
      reply = this.definition.renderError(failure.kind, failure.message);
    } finally {
      release();
    }
    send(res, reply);
  }

  /** Counts the call against its key; refuses it when the key already has too many in flight. */
  private admit(key: string): () => void {
    const limit = this.definition.maxInFlightPerKey;
    if (limit === undefined) return () => {};
    const current = this.inFlight.get(key) ?? 0;
    if (current >= limit) throw new SourceFailure('TOO_MANY_REQUESTS', `More than ${limit} calls in flight for this key`);
    this.inFlight.set(key, current + 1);
    return () => {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
    };
  }

  private delay(): Promise<void> {
    const ms = this.control.latencyMs + Math.random() * this.control.jitterMs;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  }

  private count(operation: string): void {
    this.stats.requests++;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
  }

  /** The answer of `/__control`, `/__stats`, `/__health` or an open route; null when `path` is none. */
  private async testEndpoint(req: IncomingMessage, method: string, path: string, rawQuery: string): Promise<Reply | null> {
    switch (path) {
      case '/__health':
        return jsonReply(200, { status: 'ok' });
    }
    // Every other `/__` path is a test endpoint, or a guess at one: the key first.
    const refused = checkControlKey(req.headers, this.controlKey);
    if (refused) return refused;
    switch (path) {
      case '/__stats':
        if (method === 'DELETE') this.resetStats();
        return method === 'GET' || method === 'DELETE' ? jsonReply(200, this.getStats()) : jsonReply(405, { error: 'use GET or DELETE' });
      case '/__control':
        if (method === 'GET') return jsonReply(200, this.getControl());
        if (method !== 'PUT') return jsonReply(405, { error: 'use GET or PUT' });
        try {
          return jsonReply(200, this.setControl(JSON.parse(await readBody(req))));
        } catch (error) {
          return jsonReply(400, { error: error instanceof SyntaxError ? 'the body is not valid JSON' : (error as Error).message });
        }
    }
    const match = matchRoute(this.definition.openRoutes ?? [], method, path);
    if (!match.route) return null;
    try {
      return match.route.handle({ method, path, params: match.params, query: new URLSearchParams(rawQuery), headers: req.headers, body: '' });
    } catch (error) {
      return jsonReply(error instanceof SourceFailure ? ERROR_STATUS[error.kind] : 500, { error: (error as Error).message });
    }
  }
}

function matchRoute(routes: Route[], method: string, path: string): { route?: Route; params: Record<string, string>; pathKnown: boolean } {
  let pathKnown = false;
  for (const route of routes) {
    const m = route.path.exec(path);
    if (!m) continue;
    pathKnown = true;
    if (route.method === method) return { route, params: { ...m.groups }, pathKnown };
  }
  return { params: {}, pathKnown };
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path; // a stray % is left as it is; no route will match it
  }
}

/** The whole body; past the size limit it stops reading and fails (the connection is then closed). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData);
      req.pause();
      reject(new SourceFailure('PAYLOAD_TOO_LARGE', `The request body exceeds ${MAX_BODY_BYTES} bytes`));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers: Record<string, string | number> = { 'content-type': reply.contentType, 'content-length': Buffer.byteLength(reply.body) };
  // A request whose body was left unread cannot be followed by another on the same connection.
  if (!res.req.complete) headers.connection = 'close';
  res.writeHead(reply.status, headers);
  res.end(reply.body);
}
