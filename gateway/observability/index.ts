/**
 * The gateway's observability: metrics (metrics.ts, instrument.ts), the per-operation log line
 * (request-log.ts), and the `GET /metrics` route. Traces and the log format live in lib/ because
 * the subgraphs share them.
 */
import type { RouteHandler } from '../routes';
import { serveMetrics } from '../../lib/metrics';
import type { GatewayMetrics } from './metrics';

export { createGatewayMetrics } from './metrics';
export type { GatewayMetrics } from './metrics';
export { observeAuditWrites, observeHttpResponse, observeSubgraphCalls, operationMetricsPlugin } from './instrument';
export { requestLogPlugin } from './request-log';

/** `GET /metrics` in Prometheus's text format. */
export function metricsRoute(metrics: GatewayMetrics): RouteHandler {
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== '/metrics') return false;
    serveMetrics(metrics.registry, res).catch(() => res.destroy());
    return true;
  };
}
