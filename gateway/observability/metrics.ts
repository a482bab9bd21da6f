/**
 * The gateway's metrics, served at `GET /metrics` (Prometheus text format):
 *  - gateway_operations_total{operation,outcome} and gateway_operation_duration_seconds: every
 *    GraphQL operation by name, with outcome `ok`, `partial` (data and errors) or the error
 *    code that stopped it;
 *  - gateway_http_responses_total{status}: every response of /graphql, including those refused
 *    before GraphQL (401, 413, 429);
 *  - gateway_rejections_total{code}: requests refused by a limit before execution;
 *  - gateway_rate_limit_rejections_total{client_id,store}: 429s, per calling system;
 *  - gateway_subgraph_request_duration_seconds{subgraph,outcome}: each call to a subgraph;
 *  - gateway_subgraph_answer_cache_lookups_total{subgraph,result}: calls answered from a caller's
 *    recent subgraph answers (`hit`) or sent on (`miss`);
 *  - gateway_audit_write_duration_seconds{outcome}: appending a response's reads to the audit log;
 *  - gateway_personal_reads_total{client_id,source,procedure}: personal-record reads the audit log
 *    holds, counted as the data-sharing report counts its rows (lib/audit/sharing-report.ts), live.
 * Source latency, cache hit ratio and circuit-breaker state are measured where they happen, in
 * the subgraphs (subgraphs/common/metrics.ts), each serving its own /metrics.
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { boundedLabel, createRegistry, LATENCY_BUCKETS } from '../../lib/metrics';

export interface GatewayMetrics {
  registry: Registry;
  operations: Counter<'operation' | 'outcome'>;
  operationDuration: Histogram<'operation' | 'outcome'>;
  httpResponses: Counter<'status'>;
  rejections: Counter<'code'>;
  rateLimitRejections: Counter<'client_id' | 'store'>;
  subgraphDuration: Histogram<'subgraph' | 'outcome'>;
  subgraphAnswerLookups: Counter<'subgraph' | 'result'>;
  auditWriteDuration: Histogram<'outcome'>;
  personalReads: Counter<'client_id' | 'source' | 'procedure'>;
  /** The label for a caller-chosen operation name (bounded, see lib/metrics.ts). */
  operationLabel(name: string | null | undefined): string;
  /** The label for a token's client_id (bounded like operation names). */
  clientLabel(clientId: string): string;
}

/** Distinct operation names kept as labels; clients use a few dozen. */
const MAX_OPERATION_NAMES = 200;
/**
 * Distinct calling systems kept as labels: the issuer registers them (a province's TTHC system,
 * a few vendors), so a country's worth fits; the rest count as `(other)`.
 */
const MAX_CLIENT_IDS = 500;

export function createGatewayMetrics(): GatewayMetrics {
  const registry = createRegistry('gateway');
  return {
    registry,
    operations: new Counter({
      name: 'gateway_operations_total',
      help: 'GraphQL operations by operation name and outcome (ok, partial, or the error code that stopped it)',
      labelNames: ['operation', 'outcome'] as const,
      registers: [registry],
    }),
    operationDuration: new Histogram({
      name: 'gateway_operation_duration_seconds',
      help: 'Time from receiving a GraphQL operation to sending its answer',
      labelNames: ['operation', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    httpResponses: new Counter({
      name: 'gateway_http_responses_total',
      help: 'Responses of the GraphQL endpoint by HTTP status, including requests refused before GraphQL',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    rejections: new Counter({
      name: 'gateway_rejections_total',
      help: 'Requests refused before execution, by error code (limits, rate limit, malformed body)',
      labelNames: ['code'] as const,
      registers: [registry],
    }),
    rateLimitRejections: new Counter({
      name: 'gateway_rate_limit_rejections_total',
      help: 'Requests refused with HTTP 429, by calling system and where its bucket was kept',
      labelNames: ['client_id', 'store'] as const,
      registers: [registry],
    }),
    subgraphDuration: new Histogram({
      name: 'gateway_subgraph_request_duration_seconds',
      help: 'Calls from the gateway to each subgraph, by outcome (HTTP status class, timeout or error)',
      labelNames: ['subgraph', 'outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    subgraphAnswerLookups: new Counter({
      name: 'gateway_subgraph_answer_cache_lookups_total',
      help: "Subgraph calls answered from the caller's recent answers (hit) or sent to the subgraph (miss)",
      labelNames: ['subgraph', 'result'] as const,
      registers: [registry],
    }),
    auditWriteDuration: new Histogram({
      name: 'gateway_audit_write_duration_seconds',
      help: "Appending one response's personal-record reads to the audit log (durable before the answer leaves)",
      labelNames: ['outcome'] as const,
      buckets: LATENCY_BUCKETS,
      registers: [registry],
    }),
    personalReads: new Counter({
      name: 'gateway_personal_reads_total',
      help:
        'Personal-record reads written to the audit log, by calling system, source and procedure code ' +
        '(free-text, self, or none); a read of two sources counts once for each, as in the data-sharing report',
      labelNames: ['client_id', 'source', 'procedure'] as const,
      registers: [registry],
    }),
    operationLabel: boundedLabel(MAX_OPERATION_NAMES),
    // Client ids are the issuer's (`tthc-bac-ninh`), not the caller's free choice: any short one is shown.
    clientLabel: boundedLabel(MAX_CLIENT_IDS, (id) => id.length <= 128),
  };
}
