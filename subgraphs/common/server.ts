/**
 * Starts one subgraph as an HTTP service: `POST /graphql`, `GET /health`, `GET /ready`,
 * `GET /metrics` (Prometheus: the process's source calls, breakers and caches).
 * Every subgraph folder exports a SubgraphDefinition; this file is the only place that turns one
 * into a running server, so all five behave alike.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, BaseContext } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLFormattedError } from 'graphql';
import { createForwardingVerifier, FORWARDING_HEADER, ForwardingVerifier } from '../../lib/forwarding';
import { handleGraphQLRequest, sendJson } from '../../lib/graphql-http';
import { DrainOptions, drainHttpServer } from '../../lib/http-drain';
import { readJwkFile } from '../../lib/keys';
import { requestIdFrom, withRequestId } from '../../lib/log';
import type { MetricsConfig } from '../../lib/config';
import { serveMetrics } from '../../lib/metrics';
import { admitMetricsRequest, METRICS_PATH, OPEN_METRICS } from '../../lib/metrics-access';
import { continueTrace, startTracing } from '../../lib/tracing';
import type { Principal } from '../../lib/principal';
import type { SubgraphName } from '../../lib/sources';
import { withDeclaredAccess } from './access';
import { createInvalidationEndpoint, INVALIDATION_PATH } from './cache-invalidation';
import { subgraphMetrics } from './metrics';
import { subgraphRequestLogPlugin } from './request-log';
import type { SourceCache } from './source-cache';
import { trustUnsignedCalls } from './unsigned-calls';

export interface SubgraphDefinition<TContext extends BaseContext = BaseContext> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * A fresh context per request: DataLoaders must never outlive the request they batch. The
   * server adds `principal`, the caller the gateway vouched for.
   */
  createContext(): Omit<TContext, 'principal'>;
  /** Releases source connections. */
  close(): Promise<void>;
  /** The subgraph's source caches: invalidated through `POST /cache/invalidate`, closed with the server. */
  caches?: readonly SourceCache[];
}

export interface RunningService {
  url: string;
  port: number;
  /** Graceful stop: `/ready` answers 503 at once, requests in flight finish; idempotent. */
  close(options?: DrainOptions): Promise<void>;
}

/** Error codes a subgraph may pass through; anything else is masked as an internal error. */
const PASSED_CODES = new Set([
  'BAD_USER_INPUT',
  'SOURCE_UNAVAILABLE',
  'SOURCE_TIMEOUT',
  'SOURCE_BAD_RESPONSE',
  'SOURCE_QUOTA_EXCEEDED',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'FORBIDDEN',
  'UNAUTHENTICATED',
]);

export function maskUnexpectedError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  if (typeof code === 'string' && PASSED_CODES.has(code)) return formatted;
  return { message: 'Internal error in the subgraph', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}

export interface SubgraphServerOptions {
  host?: string;
  port?: number;
  /** The gateway's forwarding public key (JWK file); requests it did not sign are refused. */
  forwardingPublicKeyFile?: string;
  /** Or the verifier itself (tests and in-process stacks). */
  forwardingVerifier?: ForwardingVerifier;
  /** The secret `POST /cache/invalidate` requires; unset, the endpoint is off. */
  cacheInvalidationToken?: string;
  /** Benchmark mode: serve unsigned calls as the benchmark principal (see unsigned-calls.ts). */
  trustUnsigned?: boolean;
  /** Who may read `/metrics` on this port (lib/metrics-access.ts); absent: open (development). */
  metrics?: MetricsConfig;
}

type WithPrincipal = BaseContext & { principal: Principal };

export async function startSubgraph<TContext extends WithPrincipal>(
  definition: SubgraphDefinition<TContext>,
  options: SubgraphServerOptions,
): Promise<RunningService> {
  const signedOnly =
    options.forwardingVerifier ??
    (options.forwardingPublicKeyFile ? await createForwardingVerifier(readJwkFile(options.forwardingPublicKeyFile)) : null);
  if (!signedOnly) throw new Error(`subgraph ${definition.name}: no gateway forwarding key configured`);
  const verifier = options.trustUnsigned ? trustUnsignedCalls(signedOnly, definition.name) : signedOnly;
  const invalidation = createInvalidationEndpoint({ subgraph: definition.name, caches: definition.caches ?? [], token: options.cacheInvalidationToken });
  const resolvers = withDeclaredAccess(definition.typeDefs, definition.resolvers);
  const apollo = new ApolloServer<TContext>({
    schema: buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }),
    includeStacktraceInErrorResponses: false,
    // Stopped by close() once requests in flight are answered, not on its own at SIGTERM.
    stopOnTerminationSignals: false,
    formatError: maskUnexpectedError,
    // The gateway is the only intended caller; it sends JSON with the right content type.
    csrfPrevention: true,
    // Usage reporting to Apollo's cloud is not used: traces would only cost time.
    plugins: [ApolloServerPluginInlineTraceDisabled(), subgraphRequestLogPlugin(definition.name)],
  });
  await apollo.start();
  // Propagation works even when the process's main set up no tracing (tests, embedded use).
  startTracing({ serviceName: `subgraph-${definition.name}` });
  const metrics = subgraphMetrics();
  metrics.watchCaches(definition.caches ?? []);

  let ready = true;
  let closing: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok', subgraph: definition.name });
    if (path === '/ready') return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready', subgraph: definition.name });
    if (path === INVALIDATION_PATH) {
      return void invalidation(req, res).catch(() => {
        if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
      });
    }
    if (path === METRICS_PATH) {
      if (!admitMetricsRequest(options.metrics ?? OPEN_METRICS, req, res)) return;
      return void serveMetrics(metrics.registry, res).catch(() => res.destroy());
    }
    if (path !== '/graphql') return sendJson(res, 404, { error: 'not found' });
    const forwarded = req.headers[FORWARDING_HEADER];
    // The gateway's request id on every log line, its trace continued into the source calls.
    void withRequestId(requestIdFrom(req.headers), () =>
      continueTrace(req.headers, `subgraph ${definition.name}`, () =>
        verifier
          .verify(typeof forwarded === 'string' ? forwarded : undefined)
          .then(
            (principal) =>
              handleGraphQLRequest(apollo, req, res, {
                context: async () => ({ ...definition.createContext(), principal }) as TContext,
              }),
            (error: Error) =>
              sendJson(res, 401, { errors: [{ message: error.message, extensions: { code: 'UNAUTHENTICATED' } }] }),
          )
          .catch(() => {
            if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
            else res.destroy();
          }),
      ),
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/graphql`,
    port,
    close(drain?: DrainOptions) {
      ready = false;
      closing ??= (async () => {
        await drainHttpServer(server, drain);
        await apollo.stop();
        await definition.close();
        metrics.unwatchCaches(definition.caches ?? []);
        await Promise.all((definition.caches ?? []).map((cache) => cache.close()));
      })();
      return closing;
    },
  };
}
