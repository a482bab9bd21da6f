/**
 * The gateway: Apollo Server over @apollo/gateway, composed from the supergraph file, with
 * subgraph calls through undici, on a plain node:http server with `/graphql`, `/health`,
 * `/ready` and `/metrics`. Cross-cutting features are Apollo Server plugins passed in `plugins`.
 */
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloGateway, GraphQLDataSourceProcessOptions, RemoteGraphQLDataSource } from '@apollo/gateway';
import { ApolloServer, ApolloServerPlugin } from '@apollo/server';
import type { GatewayGraphQLResponse, GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GatewayConfig } from '../lib/config';
import { createForwardingSigner, ForwardingSigner } from '../lib/forwarding';
import { handleGraphQLRequest, HttpError, sendJson } from '../lib/graphql-http';
import { DrainOptions, drainHttpServer } from '../lib/http-drain';
import { readJwkFile } from '../lib/keys';
import { log, withRequestId } from '../lib/log';
import { serveMetrics } from '../lib/metrics';
import { startMetricsServer } from '../lib/metrics-access';
import { continueTrace, startTracing, traceHeaders } from '../lib/tracing';
import type { SubgraphName } from '../lib/sources';
import { accessControlPlugin } from './access/plugin';
import { acceptSecurityFeatures } from './access/requirements';
import { createAuditSink } from '../lib/audit';
import { createAuditRecorder } from './audit/recorder';
import type { AuditSink } from '../lib/audit/sink';
import { createAuthenticator } from './auth/authenticate';
import { createTokenVerifier, TokenVerifier } from './auth/token-verifier';
import { callerRequestIdOf, GatewayContext, requestIdOf } from './context';
import { formatGatewayError } from './errors';
import { createSubgraphFetcher, subgraphTlsFromFiles } from './subgraph-fetcher';
import { CALLER_HEADER, callerIdentity, signingFetcher } from './forwarding-fetcher';
import { openCacheBackend } from '../lib/kv';
import { persistedQueries } from './cache/persisted-queries';
import { responseCachePlugin } from './cache/response-cache';
import { createSubgraphAnswerCache } from './cache/subgraph-answers';
import { invalidationRoute } from './cache/invalidation-route';
import { createResponseCompressor } from './compression';
import { createServerTiming } from './server-timing';
import { deduplicateSubgraphCalls } from './subgraph-deduplication';
import { playgroundFromConfig } from './playground';
import type { RouteHandler } from './routes';
import { classifySubgraphFailure, subgraphFailureResponse } from './subgraph-failures';
import { requestLimits, screenDocuments } from './limits';
import { admitByRate, rateLimiterFor } from './rate-limit';
import {
  createGatewayMetrics,
  metricsRoute,
  observeAuditWrites,
  observeHttpResponse,
  observeSubgraphCalls,
  operationMetricsPlugin,
  requestLogPlugin,
} from './observability';

export interface GatewayOptions {
  /** The supergraph SDL; read from `config.supergraphPath` when absent. */
  supergraphSdl?: string;
  plugins?: ApolloServerPlugin<GatewayContext>[];
  /** Defaults built from `config`; tests pass their own. */
  tokenVerifier?: TokenVerifier;
  forwardingSigner?: ForwardingSigner;
  auditSink?: AuditSink;
  /** Extra HTTP routes (metrics, …), tried in order after the playground and before `/graphql`. */
  routes?: RouteHandler[];
}

export interface RunningGateway {
  url: string;
  port: number;
  server: Server;
  /** `/metrics` on its own port (`METRICS_PORT`); undefined when served on the gateway's port or off. */
  metricsUrl?: string;
  /**
   * Graceful stop: `/ready` answers 503 at once, requests in flight finish (their audit entries
   * written), then the audit log is flushed and everything released.
   */
  close(options?: DrainOptions): Promise<void>;
}

/**
 * Forwards the request id (to follow one request across services) and the caller's identity,
 * which the fetcher signs per call (forwarding-fetcher.ts), so subgraphs serve only the gateway
 * and apply the same principal's limits. A subgraph that is down or too slow nulls only its own
 * fields (subgraph-failures.ts).
 */
class SubgraphDataSource extends RemoteGraphQLDataSource<GatewayContext> {
  constructor(
    config: ConstructorParameters<typeof RemoteGraphQLDataSource<GatewayContext>>[0],
    private readonly subgraph: string,
  ) {
    super(config);
  }

  override async process(options: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<GatewayGraphQLResponse> {
    try {
      return await super.process(options);
    } catch (error) {
      const failure = classifySubgraphFailure(error, this.subgraph);
      if (!failure) throw error;
      return subgraphFailureResponse(failure, this.subgraph, options.request, 'document' in options ? options.document : undefined);
    }
  }

  override async willSendRequest({ request, context }: GraphQLDataSourceProcessOptions<GatewayContext>): Promise<void> {
    if (!context?.principal) return; // the gateway's own calls (health checks) carry no caller
    request.http?.headers.set('x-request-id', context.requestId);
    // W3C traceparent of the current span (@apollo/gateway's fetch span), continued by the subgraph.
    for (const [name, value] of Object.entries(traceHeaders())) request.http?.headers.set(name, value);
    request.http?.headers.set(CALLER_HEADER, callerIdentity(context.principal));
  }
}

/** The code of a request the authenticator answered itself, by status. */
const REFUSAL_CODES: Record<number, string> = { 400: 'BAD_REQUEST', 401: 'UNAUTHENTICATED' };

export function readSupergraph(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`Cannot read the supergraph at SUPERGRAPH_PATH=${path}; run "npm run compose" to write it`);
  }
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const supergraphSdl = options.supergraphSdl ?? readSupergraph(config.supergraphPath);
  const subgraphFetcher = createSubgraphFetcher({ timeoutMs: config.subgraphTimeoutMs, tls: subgraphTlsFromFiles(config.subgraphTls) });
  const signer = options.forwardingSigner ?? (await createForwardingSigner(readJwkFile(config.forwardingPrivateKeyFile)));
  const tokenVerifier =
    options.tokenVerifier ??
    createTokenVerifier({
      jwksUrl: config.jwksUrl,
      jwksFile: config.jwksFile,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      maxTokenAgeSeconds: config.jwtMaxTokenAgeS,
    });
  const authenticator = createAuthenticator(tokenVerifier, { allowAnonymous: config.allowAnonymous });
  if (!options.auditSink && config.production && !config.auditCheckpointKeyFile) {
    throw new Error('AUDIT_CHECKPOINT_KEY_FILE is required in production: the Ed25519 key (JWK file) that signs the audit log\'s checkpoints');
  }
  const auditSink = options.auditSink ?? createAuditSink(config);
  const metrics = createGatewayMetrics();
  // A caller's complete subgraph answers, reused for a few seconds (cache/subgraph-answers.ts).
  const answers =
    config.subgraphAnswerCacheTtlMs > 0
      ? createSubgraphAnswerCache({
          ttlMs: config.subgraphAnswerCacheTtlMs,
          maxBytes: config.subgraphAnswerCacheMiB * 1024 * 1024,
          keyHeaders: [CALLER_HEADER],
          onLookup: (subgraph, hit) => metrics.subgraphAnswerLookups.inc({ subgraph, result: hit ? 'hit' : 'miss' }),
        })
      : null;
  // Persisted queries and whole answers: in Redis when configured, shared by every replica. Its
  // invalidation channel tells this gateway which citizens' answers to drop.
  const cache = openCacheBackend({ redisUrl: config.redisUrl, commandTimeoutMs: config.redisCommandTimeoutMs, maxEntries: 10_000, role: 'gateway cache', invalidation: answers !== null });
  if (answers) cache.bus.subscribe((message) => answers.invalidatePersons(message.personalIds));
  const timing = config.serverTiming ? createServerTiming() : null;
  // Propagation works even when the process's main set up no tracing (tests, embedded use).
  startTracing({ serviceName: 'gateway' });
  const limits = requestLimits(config.limits, { introspection: config.introspection, onReject: (code) => metrics.rejections.inc({ code }) });
  const rateLimiter = rateLimiterFor({ ...config.rateLimit, redisUrl: config.redisUrl, redisCommandTimeoutMs: config.redisCommandTimeoutMs });
  const onRateLimited = (clientId: string, store: string) => metrics.rateLimitRejections.inc({ client_id: clientId, store });
  const onRefused = (error: HttpError) => {
    metrics.rejections.inc({ code: error.code });
    log.info('request refused', { status: error.status, code: error.code });
  };
  const writeBody = config.compressionMinBytes === null ? undefined : createResponseCompressor({ minBytes: config.compressionMinBytes });

  const subgraphUrls = new Map<string, string>();
  const gateway = new ApolloGateway({
    // The directives stay in the schema; only the refusal to load them is lifted, because the
    // access plugin below is what enforces them.
    supergraphSdl: acceptSecurityFeatures(supergraphSdl),
    experimental_approximateQueryPlanStoreMiB: config.queryPlanCacheMiB,
    buildService: ({ name, url }) => {
      const subgraphUrl = config.subgraphUrls[name as SubgraphName] ?? url;
      if (subgraphUrl) subgraphUrls.set(name, subgraphUrl);
      // Each call signed for this subgraph and its body, just before it is sent.
      const signed = signingFetcher(subgraphFetcher.fetcher, signer, name);
      // Concurrent identical subgraph calls for the same caller are made once (subgraph-deduplication.ts).
      const shared = config.subgraphDeduplication ? deduplicateSubgraphCalls(signed, { keyHeaders: [CALLER_HEADER] }) : signed;
      const observed = observeSubgraphCalls(metrics, name, timing ? timing.timed(shared) : shared);
      // The audit subgraph's answers change with every read, so they are never reused.
      return new SubgraphDataSource({ url: subgraphUrl, fetcher: answers && name !== 'audit' ? answers.around(name, observed) : observed }, name);
    },
  });

  const apollo = new ApolloServer<GatewayContext>({
    // @apollo/gateway still implements the Apollo Server 4 gateway interface, which
    // Apollo Server 5 accepts unchanged at run time.
    gateway: gateway as unknown as GatewayInterface,
    includeStacktraceInErrorResponses: false,
    // Stopped by close() after the HTTP server has drained, not on its own at SIGTERM (which
    // would fail the requests still in flight).
    stopOnTerminationSignals: false,
    formatError: formatGatewayError,
    csrfPrevention: true,
    introspection: config.introspection,
    validationRules: limits.validationRules,
    allowBatchedHttpRequests: config.limits.maxBatchOperations > 1,
    persistedQueries: persistedQueries(cache.store, config.persistedQueryTtlS),
    plugins: [
      ApolloServerPluginLandingPageDisabled(),
      // First: the limits price the operation as the caller sent it.
      ...limits.plugins,
      // Before the access plugin: it reads the operation as sent and the answer before settling.
      ...(config.responseCacheTtlMs > 0 ? [responseCachePlugin({ store: cache.store, ttlMs: config.responseCacheTtlMs })] : []),
      ...(timing ? [timing.plugin] : []),
      accessControlPlugin({ recordReads: observeAuditWrites(metrics, createAuditRecorder(auditSink)) }),
      // After the access plugin: they see the answer it settled.
      operationMetricsPlugin(metrics),
      requestLogPlugin(),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  const routes: RouteHandler[] = [
    ...(config.playground ? [playgroundFromConfig(config)] : []),
    metricsRoute(metrics, config.metrics),
    invalidationRoute({ token: config.cacheInvalidationToken, answers, subgraphUrl: (name) => subgraphUrls.get(name), fetcher: subgraphFetcher.fetcher }),
    ...(options.routes ?? []),
  ];
  let ready = true;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/health') return sendJson(res, 200, { status: 'ok' });
    if (path === '/ready') return sendJson(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not ready' });
    if (routes.some((route) => route(req, res))) return;
    if (path !== '/graphql') return sendJson(res, 404, { error: 'Not found. The GraphQL endpoint is /graphql.' });
    const requestId = requestIdOf(req);
    const callerRequestId = callerRequestIdOf(req);
    res.setHeader('x-request-id', requestId);
    observeHttpResponse(metrics, res);
    // Every log line of this request carries its id; the caller's trace is continued.
    void withRequestId(requestId, () =>
      continueTrace(req.headers, 'POST /graphql', () =>
        authenticator
          .authenticate(req, res)
          .then((principal) => {
            if (!principal) return log.info('request refused', { status: res.statusCode, code: REFUSAL_CODES[res.statusCode] ?? 'SERVICE_UNAVAILABLE' });
            return handleGraphQLRequest(apollo, req, res, {
              context: async () => ({ requestId, callerRequestId, principal }),
              writeBody,
              maxBodyBytes: config.limits.maxBodyBytes,
              maxBatchOperations: config.limits.maxBatchOperations,
              // The rate limit first (a batch costs one token per operation), then document sizes.
              admit: async (operations) =>
                (rateLimiter && (await admitByRate(rateLimiter, principal, operations.length, onRateLimited))) || screenDocuments(operations, config.limits),
              onRefused,
            });
          })
          .catch(() => {
            if (!res.headersSent) sendJson(res, 500, { errors: [{ message: 'Internal error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
            else res.destroy();
          }),
      ),
      callerRequestId,
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
  // METRICS_PORT: /metrics on a port of its own, for the monitoring network (lib/metrics-access.ts).
  const metricsServer =
    config.metrics?.port !== undefined ? await startMetricsServer(config.metrics, config.host, (res) => serveMetrics(metrics.registry, res)) : undefined;
  let closing: Promise<void> | undefined;

  return {
    url: `http://${host}:${port}/graphql`,
    port,
    server,
    metricsUrl: metricsServer?.url,
    close(drain?: DrainOptions) {
      ready = false;
      closing ??= (async () => {
        await metricsServer?.close();
        await drainHttpServer(server, drain);
        await apollo.stop();
        await subgraphFetcher.close();
        await auditSink.close();
        await cache.close();
        answers?.close();
        await rateLimiter?.close();
      })();
      return closing;
    },
  };
}
