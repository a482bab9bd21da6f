/**
 * The gateway's observability: metrics (metrics.ts, instrument.ts), the per-operation log line
 * (request-log.ts), and the `GET /metrics` route. Traces and the log format live in lib/ because
 * the subgraphs share them.
 */
import type { RouteHandler } from '../routes';
import type { MetricsConfig } from '../../lib/config';
import { serveMetrics } from '../../lib/metrics';
import { admitMetricsRequest, METRICS_PATH, OPEN_METRICS } from '../../lib/metrics-access';
import type { GatewayMetrics } from './metrics';

export { createGatewayMetrics } from './metrics';
export type { GatewayMetrics } from './metrics';
export { observeAuditWrites, observeHttpResponse, observeSubgraphCalls, operationMetricsPlugin } from './instrument';
export { requestLogPlugin } from './request-log';

/** `GET /metrics` in Prometheus's text format, to whom `access` allows (lib/metrics-access.ts). */
export function metricsRoute(metrics: GatewayMetrics, access: MetricsConfig = OPEN_METRICS): RouteHandler {
  return (req, res) => {
    if ((req.url ?? '/').split('?')[0] !== METRICS_PATH) return false;
    if (!admitMetricsRequest(access, req, res)) return true;
    serveMetrics(metrics.registry, res).catch(() => res.destroy());
    return true;
  };
}
