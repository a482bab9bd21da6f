/**
 * Metrics of each GraphQL operation, taken by an Apollo Server plugin; everything else the
 * gateway counts, it learns from events (index.ts).
 */
import type { ApolloServerPlugin, GraphQLResponse } from '@apollo/server';
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
 * Counts and times every GraphQL operation. Registered after access control, it sees the answer
 * as access control settled it; an audit failure, decided later, shows in the audit histogram and
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
