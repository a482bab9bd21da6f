/**
 * The gateway's observability as two features: metrics (metrics.ts, served at `GET /metrics` or
 * on a port of its own) and the per-operation log line (request-log.ts). Both observe the
 * gateway's events; nothing else is handed a metrics object. Traces and the log format live in
 * lib/ because the subgraphs share them.
 */
import { isRefusal } from '../../lib/audit/entry';
import type { MetricsConfig } from '../../lib/config';
import type { RouteHandler } from '../../lib/http-service';
import { log } from '../../lib/log';
import { serveMetrics } from '../../lib/metrics';
import { admitMetricsRequest, METRICS_PATH, MetricsServer, OPEN_METRICS, startMetricsServer } from '../../lib/metrics-access';
import type { GatewayEvents } from '../events';
import type { GatewayFeature } from '../feature';
import { operationMetricsPlugin } from './instrument';
import { createGatewayMetrics, GatewayMetrics } from './metrics';
import { requestLogPlugin } from './request-log';

export { createGatewayMetrics } from './metrics';
export type { GatewayMetrics } from './metrics';

/** `GET /metrics` in Prometheus's text format, to whom `access` allows (lib/metrics-access.ts). */
export function metricsRoute(metrics: GatewayMetrics, access: MetricsConfig = OPEN_METRICS): RouteHandler {
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== METRICS_PATH) return false;
    if (!admitMetricsRequest(access, req, res)) return true;
    serveMetrics(metrics.registry, res).catch(() => res.destroy());
    return true;
  };
}

function countEvents(metrics: GatewayMetrics, events: GatewayEvents): void {
  events.on('request.refused', ({ code }) => metrics.rejections.inc({ code }));
  events.on('limit.rejected', ({ code }) => metrics.rejections.inc({ code }));
  events.on('rate.limited', ({ clientId, store }) => metrics.rateLimitRejections.inc({ client_id: clientId, store }));
  events.on('http.response', ({ status }) => metrics.httpResponses.inc({ status: String(status) }));
  events.on('subgraph.call', ({ subgraph, outcome, startedAt, endedAt }) => metrics.subgraphDuration.observe({ subgraph, outcome }, (endedAt - startedAt) / 1000));
  events.on('subgraph.kept-answer', ({ subgraph, hit }) => metrics.subgraphAnswerLookups.inc({ subgraph, result: hit ? 'hit' : 'miss' }));
  events.on('audit.write', ({ outcome, seconds }) => metrics.auditWriteDuration.observe({ outcome }, seconds));
  events.on('audit.recorded', ({ records }) => {
    for (const record of records) {
      if (isRefusal(record)) continue;
      // Label values stay few: sources are the subgraphs, procedure codes only those the
      // catalogue holds (others are refused before any read), client ids bounded above.
      const procedure = record.procedure?.code ?? record.purposeBasis ?? 'none';
      const client_id = metrics.clientLabel(record.clientId);
      const sources = record.sources.length > 0 ? record.sources : ['(identifiers only)'];
      for (const source of sources) metrics.personalReads.inc({ client_id, source, procedure });
    }
  });
}

export interface MetricsOptions {
  /** Who may read `/metrics`, and whether on a port of its own (`METRICS_PORT`). */
  access: MetricsConfig | undefined;
  /** The interface the metrics port listens on. */
  host: string;
  events: GatewayEvents;
}

/** Register after access control: the operation counts see the answer as it leaves. */
export function metrics({ access, host, events }: MetricsOptions): GatewayFeature {
  const gatewayMetrics = createGatewayMetrics();
  countEvents(gatewayMetrics, events);
  let server: MetricsServer | undefined;
  return {
    name: 'metrics',
    plugins: [operationMetricsPlugin(gatewayMetrics)],
    routes: [metricsRoute(gatewayMetrics, access)],
    async start() {
      if (access?.port === undefined) return;
      server = await startMetricsServer(access, host, (res) => serveMetrics(gatewayMetrics.registry, res));
      return { metrics: server.url };
    },
    close: () => server?.close(),
  };
}

/** One log line per operation, and one per request refused before GraphQL. */
export function requestLog({ events }: { events: GatewayEvents }): GatewayFeature {
  events.on('request.refused', ({ status, code }) => log.info('request refused', { status, code }));
  return { name: 'request-log', plugins: [requestLogPlugin()] };
}
