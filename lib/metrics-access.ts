/**
 * Who may read `GET /metrics` on the gateway and the subgraphs. The metrics hold no personal
 * data, but the calling systems' ids and operation names: in production they are served only
 *  - with `METRICS_TOKEN`: to a scraper sending `Authorization: Bearer <METRICS_TOKEN>`, or
 *  - with `METRICS_PORT`: on a port of their own (for the monitoring network only), and then not on
 *    the service's port (the token, when also set, is required there too);
 *  - with neither: not at all (the service says so in its start-up log).
 * Development (`NODE_ENV` not `production`) with neither serves them openly, as before.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsConfig } from './config';
import { sendJson } from './graphql-http';

export const METRICS_PATH = '/metrics';

/** How `/metrics` is served on the service's own port. */
export type MetricsExposure = 'open' | 'token' | 'elsewhere' | 'off';

/** Development default for callers built without configuration (tests, embedded stacks). */
export const OPEN_METRICS: MetricsConfig = { token: undefined, port: undefined, production: false };

export function metricsExposure(config: MetricsConfig): MetricsExposure {
  if (config.port !== undefined) return 'elsewhere';
  if (config.token) return 'token';
  return config.production ? 'off' : 'open';
}

function sameSecret(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Whether the request carries `Authorization: Bearer <token>` (exactly one such header). */
function bearerMatches(req: IncomingMessage, token: string): boolean {
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer +(\S+)\s*$/i.exec(header) : null;
  return match !== null && sameSecret(match[1], token);
}

function refuseWithoutToken(res: ServerResponse): void {
  sendJson(res, 401, { error: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' }, { 'www-authenticate': 'Bearer realm="metrics"' });
}

/**
 * On the service's own port: whether this request may read `/metrics`. When it may not, the
 * request has been answered (401 without the token, 404 where metrics are served elsewhere or off).
 */
export function admitMetricsRequest(config: MetricsConfig, req: IncomingMessage, res: ServerResponse): boolean {
  switch (metricsExposure(config)) {
    case 'open':
      return true;
    case 'token':
      if (bearerMatches(req, config.token as string)) return true;
      refuseWithoutToken(res);
      return false;
    case 'elsewhere':
      sendJson(res, 404, { error: 'Not found. /metrics is served on its own port (METRICS_PORT), not this one.' });
      return false;
    case 'off':
      sendJson(res, 404, { error: 'Not found. /metrics is off in production until METRICS_TOKEN or METRICS_PORT is set.' });
      return false;
  }
}

/** One start-up log line's fields: where and how `/metrics` can be read. */
export function describeMetricsExposure(config: MetricsConfig, metricsUrl?: string): Record<string, string> {
  switch (metricsExposure(config)) {
    case 'open':
      return { metrics: `${METRICS_PATH} (open: development)` };
    case 'token':
      return { metrics: `${METRICS_PATH} (Authorization: Bearer <METRICS_TOKEN>)` };
    case 'elsewhere':
      return { metrics: `${metricsUrl ?? `port ${config.port}`}${config.token ? ' (Authorization: Bearer <METRICS_TOKEN>)' : ''}` };
    case 'off':
      return { metrics: 'off: set METRICS_TOKEN (a bearer token scrapers send) or METRICS_PORT (a port of its own) to serve /metrics in production' };
  }
}

export interface MetricsServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** `/metrics` on `METRICS_PORT` (required here), alone; the token is required when set. */
export async function startMetricsServer(config: MetricsConfig, host: string, serve: (res: ServerResponse) => Promise<void>): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    if ((req.url ?? '/').split('?')[0] !== METRICS_PATH) return sendJson(res, 404, { error: 'Not found. This port serves only /metrics.' });
    if (config.token && !bearerMatches(req, config.token)) return refuseWithoutToken(res);
    serve(res).catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}${METRICS_PATH}`,
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
