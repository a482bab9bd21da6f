/**
 * Where the gateway's metrics are taken: an Apollo Server plugin for operations, and thin
 * wrappers around the subgraph fetcher, the audit recorder and the HTTP response. Each wrapper
 * returns what it wraps unchanged in behaviour.
 */
import type { ServerResponse } from 'node:http';
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
import type { Fetcher } from '@apollo/utils.fetcher';
import { secondsSince } from '../../lib/metrics';
import type { GatewayContext } from '../context';
import type { GatewayMetrics } from './metrics';

const ERROR_CODE = /^[A-Z][A-Z_]{0,39}$/;

/** `ok`, `partial` (data and errors), or the first error's code when there is no data. */
export function outcomeOf(body: GraphQLResponse['body']): string {
  if (body.kind !== 'single') return 'ok';
  const { data, errors } = body.singleResult;
  if (!errors || errors.length === 0) return 'ok';
  if (data !== null && data !== undefined) return 'partial';
  const code = errors[0]?.extensions?.code;
  return typeof code === 'string' && ERROR_CODE.test(code) ? code : 'INTERNAL_SERVER_ERROR';
}

/**
 * Counts and times every GraphQL operation. Placed after the access plugin, it sees the answer
 * as that plugin settled it; an audit failure, decided later, shows in the audit histogram and
 * in the HTTP status counter.
 */
export function operationMetricsPlugin(metrics: GatewayMetrics): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, request, response }) {
          const labels = { operation: metrics.operationLabel(operationName ?? request.operationName), outcome: outcomeOf(response.body) };
          metrics.operations.inc(labels);
          metrics.operationDuration.observe(labels, secondsSince(started));
        },
      };
    },
  };
}

/** The subgraph fetcher, timing each call to `subgraph`. */
export function observeSubgraphCalls(metrics: GatewayMetrics, subgraph: string, fetcher: Fetcher): Fetcher {
  return async (url, init) => {
    const started = performance.now();
    try {
      const response = await fetcher(url, init);
      metrics.subgraphDuration.observe({ subgraph, outcome: `${Math.floor(response.status / 100)}xx` }, secondsSince(started));
      return response;
    } catch (error) {
      const outcome = (error as Error)?.name === 'SubgraphTimeoutError' ? 'timeout' : 'error';
      metrics.subgraphDuration.observe({ subgraph, outcome }, secondsSince(started));
      throw error;
    }
  };
}

/** The audit recorder, timing each append. */
export function observeAuditWrites<A extends unknown[]>(metrics: GatewayMetrics, record: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args) => {
    const started = performance.now();
    try {
      await record(...args);
      metrics.auditWriteDuration.observe({ outcome: 'ok' }, secondsSince(started));
    } catch (error) {
      metrics.auditWriteDuration.observe({ outcome: 'error' }, secondsSince(started));
      throw error;
    }
  };
}

/** Counts the response by status once it has been sent. */
export function observeHttpResponse(metrics: GatewayMetrics, res: ServerResponse): void {
  res.once('finish', () => metrics.httpResponses.inc({ status: String(res.statusCode) }));
}
