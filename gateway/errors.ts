/**
 * The last look at every error before it leaves the gateway: keep the message, path and the
 * codes a caller acts on; drop what only helps an attacker or leaks data (stack traces, the
 * subgraph's raw HTTP body, internal exception details).
 */
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { log } from '../lib/log';
import { isLimitCode } from './limits';

/** What an unexpected error says: nothing of its own words. */
export const UNEXPECTED_ERROR_MESSAGE = 'Internal error in the gateway; quote the x-request-id response header when reporting it';

const KEPT_EXTENSIONS = ['code', 'reason', 'source', 'argument', 'serviceName', 'scope', 'retryAfter', 'age'];

/**
 * Apollo files every validation error under GRAPHQL_VALIDATION_FAILED; a limit's validation rule
 * (gateway/limits) and Apollo's own introspection switch say more, and the caller acts on it.
 */
function specificValidationCode(formatted: GraphQLFormattedError, error: unknown): string | undefined {
  if (formatted.extensions?.code !== 'GRAPHQL_VALIDATION_FAILED') return undefined;
  const original = error instanceof GraphQLError ? error.originalError : undefined;
  const code = original instanceof GraphQLError ? original.extensions.code : undefined;
  if (isLimitCode(code)) return code;
  if (formatted.extensions?.validationErrorCode === 'INTROSPECTION_DISABLED') return 'INTROSPECTION_DISABLED';
  return undefined;
}

/**
 * Apollo answers some mistakes of the caller with a 4xx and no code ("provided sha does not match
 * query"), which would otherwise read as an internal error: they are the caller's, with their words.
 */
function clientErrorCode(formatted: GraphQLFormattedError, error: unknown): string | undefined {
  if (formatted.extensions?.code !== undefined && formatted.extensions.code !== 'INTERNAL_SERVER_ERROR') return undefined;
  const status = error instanceof GraphQLError ? (error.extensions.http as { status?: number } | undefined)?.status : undefined;
  return status !== undefined && status >= 400 && status < 500 ? 'BAD_REQUEST' : undefined;
}

export function formatGatewayError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const extensions: Record<string, unknown> = {};
  for (const key of KEPT_EXTENSIONS) {
    if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
  }
  extensions.code = specificValidationCode(formatted, error) ?? clientErrorCode(formatted, error) ?? extensions.code;
  if (typeof extensions.code !== 'string') extensions.code = 'INTERNAL_SERVER_ERROR';
  // Kept for the operator under the request id (the log line carries it); the caller gets none of it.
  if (extensions.code === 'INTERNAL_SERVER_ERROR') log.error('unexpected error in a GraphQL answer', { error: formatted.message.slice(0, 200) });
  return {
    // An error nobody gave a code to says nothing the caller can act on, and its words may be an
    // internal exception's ("Maximum call stack size exceeded"): the request id finds it in the log.
    message: extensions.code === 'INTERNAL_SERVER_ERROR' ? UNEXPECTED_ERROR_MESSAGE : formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}
