/**
 * The last look at every error before it leaves the gateway: keep the message, path and the
 * codes a caller acts on; drop what only helps an attacker or leaks data (stack traces, the
 * subgraph's raw HTTP body, internal exception details).
 */
import { GraphQLError, GraphQLFormattedError } from 'graphql';
import { isLimitCode } from './limits';

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

export function formatGatewayError(formatted: GraphQLFormattedError, error?: unknown): GraphQLFormattedError {
  const extensions: Record<string, unknown> = {};
  for (const key of KEPT_EXTENSIONS) {
    if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
  }
  extensions.code = specificValidationCode(formatted, error) ?? extensions.code;
  if (typeof extensions.code !== 'string') extensions.code = 'INTERNAL_SERVER_ERROR';
  return {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}
