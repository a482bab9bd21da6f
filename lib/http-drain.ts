/**
 * Stopping an HTTP server without cutting anyone off, as a rolling restart needs: the server
 * keeps answering (with `/ready` at 503) for `delayMs` so load balancers take it out of rotation,
 * then stops accepting connections, lets requests in flight finish, closes keep-alive
 * connections as soon as they fall idle, and after `timeoutMs` cuts whatever is left.
 */
import type { Server } from 'node:http';

export interface DrainOptions {
  /** Keep serving this long after readiness turns false, before refusing new connections. */
  delayMs?: number;
  /** Longest wait for requests in flight; then remaining connections are closed. */
  timeoutMs?: number;
}

export const DEFAULT_DRAIN_TIMEOUT_MS = 25_000;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function drainHttpServer(server: Server, options: DrainOptions = {}): Promise<void> {
  // Responses from now on tell the client not to reuse the connection.
  server.on('request', (_req, res) => {
    if (!res.headersSent) res.shouldKeepAlive = false;
  });
  if (options.delayMs) await sleep(options.delayMs);
  if (!server.listening) return;

  await new Promise<void>((resolve) => {
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const cut = setTimeout(() => server.closeAllConnections(), options.timeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS);
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(cut);
      resolve();
    });
    server.closeIdleConnections();
  });
}
