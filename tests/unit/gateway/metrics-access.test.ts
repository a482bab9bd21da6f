/**
 * Who may read `/metrics` (lib/metrics-access.ts), on the gateway's route and on a real subgraph
 * server: open in development; in production only with `METRICS_TOKEN` (bearer) or on
 * `METRICS_PORT`, and off with neither.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createGatewayMetrics, metricsRoute } from '../../../gateway/observability';
import { ConfigError, loadGatewayConfig, loadMetricsConfig, loadSubgraphConfig, MetricsConfig } from '../../../lib/config';
import type { ForwardingVerifier } from '../../../lib/forwarding';
import { serveMetrics } from '../../../lib/metrics';
import { describeMetricsExposure, metricsExposure, startMetricsServer } from '../../../lib/metrics-access';
import { RunningService, startSubgraph } from '../../../subgraphs/common/server';
import { SUBGRAPH_FACTORIES } from '../../../subgraphs/registry';

const TOKEN = 'a-metrics-token-of-at-least-32-characters';
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  JWKS_FILE: '/k.json',
  JWT_ISSUER: 'i',
  JWT_AUDIENCE: 'a',
  FORWARDING_PRIVATE_KEY_FILE: '/f',
  AUDIT_FILE: '/a',
};
const production = (extra: Partial<MetricsConfig> = {}): MetricsConfig => ({ token: undefined, port: undefined, production: true, ...extra });

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { headers });
  return { status: response.status, text: await response.text() };
}

describe('configuration', () => {
  it('reads METRICS_TOKEN and METRICS_PORT for the gateway and the subgraphs', () => {
    expect(loadGatewayConfig({ ...PRODUCTION_ENV, METRICS_TOKEN: TOKEN }).metrics).toEqual({ token: TOKEN, port: undefined, production: true });
    expect(loadSubgraphConfig('land', { METRICS_PORT: '9464', DEV_DIR: tmpdir() }).metrics).toEqual({ token: undefined, port: 9464, production: false });
    expect(() => loadMetricsConfig({ METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadMetricsConfig({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
  });

  it('decides the exposure: open in development, off in production without token or port', () => {
    expect(metricsExposure({ token: undefined, port: undefined, production: false })).toBe('open');
    expect(metricsExposure(production())).toBe('off');
    expect(metricsExposure(production({ token: TOKEN }))).toBe('token');
    expect(metricsExposure(production({ port: 9464 }))).toBe('elsewhere');
    expect(describeMetricsExposure(production()).metrics).toMatch(/^off: set METRICS_TOKEN .* or METRICS_PORT/);
  });
});

describe("the gateway's /metrics route", () => {
  let server: Server;
  let base: string;
  let access: MetricsConfig;
  const metrics = createGatewayMetrics();

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (!metricsRoute(metrics, access)(req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is open in development', async () => {
    access = { token: undefined, port: undefined, production: false };
    const answer = await get(`${base}/metrics`);
    expect(answer.status).toBe(200);
    expect(answer.text).toContain('gateway_process_cpu');
  });

  it('is off in production with neither METRICS_TOKEN nor METRICS_PORT, saying how to turn it on', async () => {
    access = production();
    const answer = await get(`${base}/metrics`, { authorization: `Bearer ${TOKEN}` });
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.text)).toEqual({ error: 'Not found. /metrics is off in production until METRICS_TOKEN or METRICS_PORT is set.' });
  });

  it('needs the bearer token in production with METRICS_TOKEN', async () => {
    access = production({ token: TOKEN });
    for (const headers of [{}, { authorization: 'Bearer wrong-token' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }] as Record<string, string>[]) {
      const answer = await get(`${base}/metrics`, headers);
      expect(answer.status).toBe(401);
      expect(JSON.parse(answer.text)).toEqual({ error: 'GET /metrics needs "Authorization: Bearer <METRICS_TOKEN>"' });
      expect(answer.text).not.toContain('gateway_');
    }
    expect((await get(`${base}/metrics`, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
  });

  it('is not on the service port when METRICS_PORT is set', async () => {
    access = production({ port: 9464 });
    expect((await get(`${base}/metrics`)).status).toBe(404);
  });
});

describe('METRICS_PORT: /metrics on a port of its own', () => {
  it('serves only /metrics there, with the token when one is set', async () => {
    const metrics = createGatewayMetrics();
    const own = await startMetricsServer(production({ port: 0, token: TOKEN }), '127.0.0.1', (res) => serveMetrics(metrics.registry, res));
    try {
      expect(own.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect((await get(own.url)).status).toBe(401);
      expect((await get(own.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      expect((await get(own.url.replace('/metrics', '/graphql'), { authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    } finally {
      await own.close();
    }
    const open = await startMetricsServer(production({ port: 0 }), '127.0.0.1', (res) => serveMetrics(metrics.registry, res));
    try {
      expect((await get(open.url)).status).toBe(200);
    } finally {
      await open.close();
    }
  });
});

describe("a subgraph's /metrics", () => {
  const refuseAll: ForwardingVerifier = { verify: () => Promise.reject(new Error('unsigned')) };
  const start = (metrics: MetricsConfig | undefined): Promise<RunningService> => {
    const config = { ...loadSubgraphConfig('budget', { DEV_DIR: tmpdir(), BUDGET_SOURCE_URL: 'http://127.0.0.1:9' }), port: 0 };
    return startSubgraph(SUBGRAPH_FACTORIES.budget(config), { host: '127.0.0.1', port: 0, forwardingVerifier: refuseAll, metrics });
  };

  it('is open without settings (development), off in production, behind the token with METRICS_TOKEN', async () => {
    const cases: [MetricsConfig | undefined, Record<string, string>, number][] = [
      [undefined, {}, 200],
      [production(), {}, 404],
      [production({ token: TOKEN }), {}, 401],
      [production({ token: TOKEN }), { authorization: `Bearer ${TOKEN}` }, 200],
      [production({ port: 9464 }), {}, 404],
    ];
    for (const [metrics, headers, status] of cases) {
      const subgraph = await start(metrics);
      try {
        const answer = await get(subgraph.url.replace('/graphql', '/metrics'), headers);
        expect({ metrics, status: answer.status }).toEqual({ metrics, status });
        if (status === 200) expect(answer.text).toContain('subgraph_process_cpu');
      } finally {
        await subgraph.close();
      }
    }
  });
});
