/**
 * The gateway: Apollo Server over @apollo/gateway, composed from the supergraph file, serving
 * `/graphql` in the shared HTTP shell (lib/http-service.ts). Everything else is a feature
 * (feature.ts), registered below one line each; the list's order is the order they act in.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { AuditSink } from '../lib/audit/sink';
import type { GatewayConfig } from '../lib/config';
import { createForwardingSigner, ForwardingSigner } from '../lib/forwarding';
import { executeGraphQLRequest, HttpError, readGraphQLRequest, sendGraphQLError } from '../lib/graphql-http';
import type { DrainOptions } from '../lib/http-drain';
import { startHttpService } from '../lib/http-service';
import { readJwkFile } from '../lib/keys';
import { openCacheBackend } from '../lib/kv';
import { startTracing } from '../lib/tracing';
import { accessControl } from './access';
import { acceptSecurityFeatures } from './access/requirements';
import { authentication } from './auth';
import type { TokenVerifier } from './auth/token-verifier';
import { cacheInvalidation } from './cache/invalidation-route';
import { persistedQueries } from './cache/persisted-queries';
import { responseCache } from './cache/response-cache';
import { compression } from './compression';
import { callerRequestIdOf, GatewayContext, requestIdOf } from './context';
import { formatGatewayError } from './errors';
import { createGatewayEvents } from './events';
import { GatewayFeature, IncomingGraphQLRequest, registerFeatures } from './feature';
import { requestLimits } from './limits';
import { metrics, requestLog } from './observability';
import { reuseBuiltOperations } from './operation-reuse';
import { playground } from './playground';
import { rateLimit } from './rate-limit';
import { runInRequest } from './request-scope';
import { serverTiming } from './server-timing';
import { variableDefaults } from './variable-defaults';
import { createSubgraphCalls } from './subgraph-calls';
import { subgraphTlsFromFiles } from './subgraph-calls/fetcher';

export interface GatewayOptions {
  /** The supergraph SDL; read from `config.supergraphPath` when absent. */
  supergraphSdl?: string;
  /** Defaults built from `config`; tests pass their own. */
  tokenVerifier?: TokenVerifier;
  forwardingSigner?: ForwardingSigner;
  auditSink?: AuditSink;
  /** Registered after the gateway's own features. */
  features?: GatewayFeature[];
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

export function readSupergraph(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`Cannot read the supergraph at SUPERGRAPH_PATH=${path}; run "npm run compose" to write it`);
  }
}

export async function startGateway(config: GatewayConfig, options: GatewayOptions = {}): Promise<RunningGateway> {
  const supergraphSdl = options.supergraphSdl ?? readSupergraph(config.supergraphPath);
  // Propagation works even when the process's main set up no tracing (tests, embedded use).
  startTracing({ serviceName: 'gateway' });
  const events = createGatewayEvents();
  // Persisted queries and whole answers: in Redis when configured, shared by every replica.
  const cache = openCacheBackend({ redis: config.redis, commandTimeoutMs: config.redisCommandTimeoutMs, maxEntries: 10_000, role: 'gateway cache', invalidation: config.subgraphAnswerCacheTtlMs > 0 });
  const subgraphs = createSubgraphCalls({
    urls: config.subgraphUrls,
    timeoutMs: config.subgraphTimeoutMs,
    maxAnswerBytes: config.subgraphMaxAnswerBytes,
    tls: subgraphTlsFromFiles(config.subgraphTls),
    signer: options.forwardingSigner ?? (await createForwardingSigner(readJwkFile(config.forwardingPrivateKeyFile), { batch: config.forwardingBatchSignatures })),
    deduplicate: config.subgraphDeduplication,
    mergeCalls: config.subgraphCallMerging,
    keptAnswers: { ttlMs: config.subgraphAnswerCacheTtlMs, maxBytes: config.subgraphAnswerCacheMiB * 1024 * 1024 },
    invalidations: cache.bus,
    events,
    around: (subgraph, call) => features.aroundSubgraphCall(subgraph, call),
  });

  const features = registerFeatures([
    authentication({ config, verifier: options.tokenVerifier }),
    rateLimit({ ...config.rateLimit, redis: config.redis, redisCommandTimeoutMs: config.redisCommandTimeoutMs, events }),
    variableDefaults(),
    requestLimits({ limits: config.limits, introspection: config.introspection, events }),
    persistedQueries({ store: cache.store, ttlS: config.persistedQueryTtlS }),
    responseCache({ store: cache.store, ttlMs: config.responseCacheTtlMs }),
    serverTiming({ enabled: config.serverTiming, events }),
    accessControl({ config, events, auditSink: options.auditSink }),
    metrics({ access: config.metrics, host: config.host, events }),
    requestLog({ events }),
    compression({ minBytes: config.compressionMinBytes }),
    playground({ config }),
    cacheInvalidation({ token: config.cacheInvalidationToken, subgraphs }),
    ...(options.features ?? []),
  ]);

  // @apollo/gateway sends usage figures to Apollo's servers unless this is set; a gateway over
  // citizens' data reports to no third party, whatever the environment says.
  process.env.APOLLO_TELEMETRY_DISABLED = 'true';
  reuseBuiltOperations();
  const apollo = new ApolloServer<GatewayContext>({
    // @apollo/gateway implements the Apollo Server 4 gateway interface, which Apollo Server 5
    // accepts unchanged at run time. The security directives stay in the schema; only the
    // refusal to load them is lifted, because access control enforces them.
    gateway: new ApolloGateway({
      supergraphSdl: acceptSecurityFeatures(supergraphSdl),
      experimental_approximateQueryPlanStoreMiB: config.queryPlanCacheMiB,
      buildService: subgraphs.buildService,
    }) as unknown as GatewayInterface,
    includeStacktraceInErrorResponses: false,
    // Stopped by close() after the HTTP server has drained, not at SIGTERM (which would fail
    // the requests still in flight).
    stopOnTerminationSignals: false,
    formatError: formatGatewayError,
    csrfPrevention: true,
    introspection: config.introspection,
    validationRules: features.validationRules,
    allowBatchedHttpRequests: config.limits.maxBatchOperations > 1,
    persistedQueries: features.persistedQueries ?? false,
    plugins: [ApolloServerPluginLandingPageDisabled(), ...features.plugins],
  });
  await apollo.start();
  const addresses = await features.start();

  /** Admission by the features' hooks, then Apollo Server; a refusal is answered here. */
  async function serveGraphQL(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    res.setHeader('x-request-id', requestId);
    res.once('finish', () => events.emit('http.response', { status: res.statusCode }));
    const incoming: IncomingGraphQLRequest = { req, requestId };
    try {
      await features.admitRequest(incoming);
      const { principal } = incoming;
      // No feature vouched for the caller: nobody is served rather than everybody.
      if (!principal) throw new HttpError(401, 'UNAUTHENTICATED', 'The gateway authenticates no one: no authentication is configured');
      const read = await readGraphQLRequest(req, { maxBodyBytes: config.limits.maxBodyBytes, maxBatchOperations: config.limits.maxBatchOperations });
      const admitted = { ...incoming, principal, operations: read.operations };
      await features.admitOperations(admitted);
      // A feature may narrow the principal once the body is read (access control: the procedure named).
      const context: GatewayContext = { requestId, callerRequestId: callerRequestIdOf(req), principal: admitted.principal };
      // In the request's scope: Apollo Server reads persisted queries without passing its context.
      return await runInRequest(context, () => executeGraphQLRequest(apollo, read, req, res, { context: async () => context, writeBody: features.writeBody }));
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      events.emit('request.refused', { status: error.status, code: error.code });
      sendGraphQLError(res, error);
    }
  }

  const service = await startHttpService({
    host: config.host,
    port: config.port,
    routes: features.routes,
    requestIdOf,
    callerRequestIdOf,
    spanName: 'POST /graphql',
    graphql: serveGraphQL,
    async release() {
      await apollo.stop();
      await features.close();
      await subgraphs.close();
      await cache.close();
    },
  });
  return { url: service.url, port: service.port, server: service.server, metricsUrl: addresses.metrics, close: service.close };
}
