/**
 * The HTTP shell the gateway and every subgraph run in: `GET /health`, `GET /ready` (503 until
 * the service's warm-up has settled and from the moment a stop begins), extra routes, `/graphql`
 * inside the request's id and trace, a 404 for anything else, a 500 (never a stack trace) for a
 * handler that fails, and a graceful stop that drains the server before releasing what the
 * service holds.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { sendJson } from './graphql-http';
import { DrainOptions, drainHttpServer } from './http-drain';
import { readRequiredFile } from './keys';
import { withRequestId } from './log';
import { continueTrace } from './tracing';

/**
 * A route beside `/graphql`: it looks at the request and, when it is its own, answers it and
 * returns true; otherwise it returns false and touches nothing.
 */
export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** TLS with client certificates: only a client holding a certificate from `clientCaFile` connects. */
export interface ServerTlsFiles {
  certFile: string;
  keyFile: string;
  clientCaFile: string;
}

export interface HttpServiceOptions {
  host: string;
  port: number;
  /** Added to the `/health` and `/ready` answers (`{ subgraph: 'land' }`). */
  identity?: Record<string, string>;
  tls?: ServerTlsFiles;
  /** Tried in order after `/health` and `/ready`, before `/graphql`. */
  routes?: readonly RouteHandler[];
  /** The request's id for logs and traces: the gateway makes one, a subgraph takes the gateway's. */
  requestIdOf(req: IncomingMessage): string;
  /** The caller's own request id, kept beside ours in log lines. */
  callerRequestIdOf?(req: IncomingMessage): string | null;
  /** Names the request's span. */
  spanName: string;
  /** Serves `POST|GET /graphql`; refusals are its own to answer. */
  graphql(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void>;
  /** Releases what the service holds, once requests in flight have finished. */
  release(): Promise<void>;
  /**
   * Readies what the service keeps ahead of requests, run once the port is held (so no other
   * process can take it meanwhile); `/ready` answers 503 until it settles. It reports its own
   * failures: a rejection only ends the wait.
   */
  warmUp?(): Promise<void>;
}

export interface RunningHttpService {
  url: string;
  port: number;
  server: Server;
  /** Settles when the warm-up has (at once without one): from then on `/ready` says ready. */
  ready: Promise<void>;
  /** Graceful stop: `/ready` answers 503 at once, requests in flight finish, then `release`; idempotent. */
  close(options?: DrainOptions): Promise<void>;
}

function internalError(res: ServerResponse): void {
  if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  else res.destroy();
}

function listenOn(options: HttpServiceOptions, handler: (req: IncomingMessage, res: ServerResponse) => void): Server {
  if (!options.tls) return createServer(handler);
  // The handshake itself refuses a client without a certificate from the CA: no request is read.
  return createTlsServer(
    {
      cert: readRequiredFile(options.tls.certFile, 'TLS certificate'),
      key: readRequiredFile(options.tls.keyFile, 'TLS key'),
      ca: readRequiredFile(options.tls.clientCaFile, 'CA certificate for client certificates'),
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: 'TLSv1.2',
    },
    handler,
  ) as unknown as Server;
}

export async function startHttpService(options: HttpServiceOptions): Promise<RunningHttpService> {
  const routes = options.routes ?? [];
  const identity = options.identity ?? {};
  let ready = false;
  let closing: Promise<void> | undefined;
  const server = listenOn(options, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok', ...identity });
    if (path === '/ready') return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', ...identity });
    try {
      if (routes.some((route) => route(req, res))) return;
    } catch {
      return internalError(res);
    }
    if (path !== '/graphql') return sendJson(res, 404, { error: 'Not found. The GraphQL endpoint is /graphql.' });
    const requestId = options.requestIdOf(req);
    // Every log line of this request carries its id; the caller's trace is continued.
    void withRequestId(
      requestId,
      () => continueTrace(req.headers, options.spanName, () => options.graphql(req, res, requestId).catch(() => internalError(res))),
      options.callerRequestIdOf?.(req),
    );
  });
  // Longer than the load balancers' idle timeout, so they, not we, close idle connections.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' ? '127.0.0.1' : options.host;
  // Ready once warmed up, unless a stop began meanwhile.
  const warmedUp = (options.warmUp?.() ?? Promise.resolve())
    .catch(() => undefined)
    .then(() => {
      ready = closing === undefined;
    });
  return {
    url: `${options.tls ? 'https' : 'http'}://${host}:${port}/graphql`,
    port,
    server,
    ready: warmedUp,
    close(drain?: DrainOptions) {
      ready = false;
      closing ??= (async () => {
        await drainHttpServer(server, drain);
        await options.release();
      })();
      return closing;
    },
  };
}
