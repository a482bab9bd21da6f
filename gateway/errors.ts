/**
 * The last look at every error before it leaves the gateway: keep the message, path and the
 * codes a caller acts on; drop what only helps an attacker or leaks data (stack traces, the
 * subgraph's raw HTTP body, internal exception details).
 */
import type { GraphQLFormattedError } from 'graphql';

const KEPT_EXTENSIONS = ['code', 'reason', 'source', 'argument', 'serviceName', 'scope', 'retryAfter', 'age'];

export function formatGatewayError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const extensions: Record<string, unknown> = {};
  for (const key of KEPT_EXTENSIONS) {
    if (formatted.extensions?.[key] !== undefined) extensions[key] = formatted.extensions[key];
  }
  if (typeof extensions.code !== 'string') extensions.code = 'INTERNAL_SERVER_ERROR';
  return {
    message: formatted.message,
    ...(formatted.locations ? { locations: formatted.locations } : {}),
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions,
  };
}
