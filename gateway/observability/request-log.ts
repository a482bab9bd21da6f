/**
 * One log line per GraphQL operation: its name, outcome, error codes, duration and the calling
 * system. The request id comes with every line (lib/log.ts). Never the query, the variables or
 * the answer: they hold personal IDs and names.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { log, telemetryName } from '../../lib/log';
import type { GatewayContext } from '../context';
import { outcomeOf } from './instrument';

const MAX_CODES = 10;

export function requestLogPlugin(): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, response, contextValue }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))].slice(0, MAX_CODES);
          log.info('operation', {
            operation: telemetryName(operationName),
            outcome: outcomeOf(response.body),
            ...(codes.length > 0 ? { errorCodes: codes } : {}),
            durationMs: Math.round(performance.now() - started),
            clientId: contextValue.principal.clientId,
          });
        },
      };
    },
  };
}
