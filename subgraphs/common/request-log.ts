/**
 * One log line per operation a subgraph serves: at `warn` when it carries errors (their codes and
 * the sources they name), at `debug` otherwise. The request id the gateway forwarded is on every
 * line (lib/log.ts); values, variables and answers never are.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import { log } from '../../lib/log';

const MAX_CODES = 10;

export function subgraphRequestLogPlugin(subgraph: string): ApolloServerPlugin<BaseContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors ?? []) : [];
          const durationMs = Math.round(performance.now() - started);
          if (errors.length === 0) return log.debug('operation', { subgraph, durationMs });
          const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))].slice(0, MAX_CODES);
          const sources = [...new Set(errors.map((e) => e.extensions?.source).filter((s): s is string => typeof s === 'string'))];
          log.warn('operation with errors', { subgraph, durationMs, errorCodes: codes, ...(sources.length ? { sources } : {}) });
        },
      };
    },
  };
}
