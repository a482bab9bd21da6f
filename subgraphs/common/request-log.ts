/**
 * One log line per operation a subgraph serves: at `warn` when it carries errors (their codes and
 * the sources they name), at `debug` otherwise. The request id the gateway forwarded is on every
 * line (lib/log.ts); values, variables and answers never are.
 */
import { log } from '../../lib/log';
import type { OperationOutcome } from './graphql-pipeline';

const MAX_CODES = 10;

export function subgraphRequestLog(subgraph: string): (outcome: OperationOutcome, startedAt: number) => void {
  return ({ errors }, startedAt) => {
    const durationMs = Math.round(performance.now() - startedAt);
    if (errors.length === 0) return log.debug('operation', { subgraph, durationMs });
    const codes = [...new Set(errors.map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR')))].slice(0, MAX_CODES);
    const sources = [...new Set(errors.map((e) => e.extensions?.source).filter((s): s is string => typeof s === 'string'))];
    log.warn('operation with errors', { subgraph, durationMs, errorCodes: codes, ...(sources.length ? { sources } : {}) });
  };
}
