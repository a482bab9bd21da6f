/**
 * Starts one subgraph as an HTTP service: `POST /graphql`, `GET /health`, `GET /ready`,
 * `GET /metrics` (Prometheus: the process's source calls, breakers and caches).
 * Every subgraph folder exports a SubgraphDefinition; this file is the only place that turns one
 * into a running server, so they all behave alike.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode } from 'graphql';
import type { MetricsConfig, RedisTarget, SubgraphConfig, SubgraphServerTls } from '../../lib/config';
import { CheckedCall, checkForwardedCall, createForwardingVerifier, FORWARDING_HEADER, ForwardingVerifier } from '../../lib/forwarding';
import { HttpError, readBodyBytes, sendGraphQLError, sendJson } from '../../lib/graphql-http';
import { RunningHttpService, startHttpService } from '../../lib/http-service';
import { MemoryStore, RedisStore } from '../../lib/kv';
import { createJurisdictionKeySigner, createJurisdictionKeyVerifier } from '../../lib/jurisdiction-key';
import { readJwkFile } from '../../lib/keys';
import { requestIdFrom } from '../../lib/log';
import { serveMetrics } from '../../lib/metrics';
import { admitMetricsRequest, METRICS_PATH, OPEN_METRICS } from '../../lib/metrics-access';
import { startTracing } from '../../lib/tracing';
import type { Principal } from '../../lib/principal';
import type { SubgraphName } from '../../lib/sources';
import type { SourceCache } from '../../sources/kit/source-cache';
import { externalJurisdictionKeys, withDeclaredAccess } from './access';
import { createInvalidationEndpoint, INVALIDATION_PATH } from './cache-invalidation';
import { signIssuedJurisdictionKeys } from './jurisdiction-keys';
import { subgraphMetrics } from './metrics';
import { createGraphQLPipeline } from './graphql-pipeline';
import { subgraphRequestLog } from './request-log';
import { trustUnsignedCalls } from './unsigned-calls';

/** What a subgraph's resolvers receive; the server adds `principal`. */
type BaseContext = object;

export interface SubgraphDefinition<TContext extends BaseContext = BaseContext> {
  name: SubgraphName;
  typeDefs: DocumentNode;
  resolvers: GraphQLResolverMap<TContext>;
  /**
   * A fresh context per request: DataLoaders must never outlive the request they batch. The
   * server adds `principal`, the caller the gateway vouched for.
   */
  createContext(): Omit<TContext, 'principal'>;
  /** Readies what is kept ahead of requests (today's catalogue); `/ready` answers 503 until it has. */
  warmUp?(): Promise<void>;
  /** Releases source connections. */
  close(): Promise<void>;
  /** The subgraph's source caches: invalidated through `POST /cache/invalidate`, closed with the server. */
  caches?: readonly SourceCache[];
  /** This subgraph is where records are placed (population): it signs the jurisdiction keys it issues. */
  issuesJurisdictionKeys?: boolean;
}

/** A running subgraph: its URL, port and graceful stop. */
export type RunningService = RunningHttpService;

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
  /** Answer introspection of the subgraph's schema (development); off unless set. */
  introspection?: boolean;
  /** Who may read `/metrics` on this port (lib/metrics-access.ts); absent: open (development). */
  metrics?: MetricsConfig;
  /** Private key (JWK file) population signs jurisdiction keys with. */
  jurisdictionKeyPrivateKeyFile?: string;
  /** Public key (JWK file) the subgraphs that @require `jurisdictionKey` verify it with. */
  jurisdictionKeyPublicKeyFile?: string;
  /** TLS with client certificates; unset: plain HTTP. */
  tls?: SubgraphServerTls;
  /** The shared Redis where forwarded call ids are claimed, so no replica serves one twice; unset: this process remembers them. */
  redis?: RedisTarget;
  redisCommandTimeoutMs?: number;
}

/** The server options a subgraph's configuration gives (main.ts, tests, benchmarks). */
export function subgraphServerOptions(config: SubgraphConfig): SubgraphServerOptions {
  return {
    host: config.host,
    port: config.port,
    forwardingPublicKeyFile: config.forwardingPublicKeyFile,
    cacheInvalidationToken: config.cacheInvalidationToken,
    trustUnsigned: config.trustUnsigned,
    introspection: config.introspection,
    jurisdictionKeyPrivateKeyFile: config.jurisdictionKeyPrivateKeyFile,
    jurisdictionKeyPublicKeyFile: config.jurisdictionKeyPublicKeyFile,
    tls: config.tls,
    metrics: config.metrics,
    redis: config.redis,
    redisCommandTimeoutMs: config.redisCommandTimeoutMs,
  };
}

/** Requests larger than this are refused before they are verified (the gateway sends far less). */
const MAX_BODY_BYTES = 1_000_000;

/**
 * The gateway's signature covers the body, so the operation must come from the body alone: a GET
 * (whose operation rides in the URL) or a query string would let a header captured on the wire
 * carry another operation past the digest check.
 */
function refuseUnsignedParts(req: IncomingMessage): void {
  if (req.method !== 'POST') throw new HttpError(405, 'BAD_REQUEST', 'Subgraphs serve only POST from the gateway: the operation is read from the signed body', { allow: 'POST' });
  if ((req.url ?? '').includes('?')) throw new HttpError(400, 'BAD_REQUEST', 'Subgraphs read the operation from the signed body only: the URL must carry no query string');
}


type WithPrincipal = BaseContext & { principal: Principal };

export async function startSubgraph<TContext extends WithPrincipal>(
  definition: SubgraphDefinition<TContext>,
  options: SubgraphServerOptions,
): Promise<RunningHttpService> {
  // Only a verifier made here claims ids in Redis; one handed in (tests, in-process stacks) keeps its own.
  // Ids are claimed on the Redis connection of the subgraph's source caches where it has one: a
  // call's claim and its first cache read then leave in one write and cost Redis one read.
  const claimsInRedis = Boolean(options.redis && !options.forwardingVerifier && options.forwardingPublicKeyFile);
  const cacheStore = (definition.caches ?? []).map((cache) => cache.store).find((store) => store instanceof RedisStore);
  const ownCallIds = claimsInRedis && !cacheStore
    ? new RedisStore({ target: options.redis!, commandTimeoutMs: options.redisCommandTimeoutMs ?? 250, local: new MemoryStore(1), role: `subgraph ${definition.name}: replay guard` })
    : undefined;
  const callIds = claimsInRedis ? (cacheStore ?? ownCallIds) : undefined;
  const signedOnly =
    options.forwardingVerifier ??
    (options.forwardingPublicKeyFile
      ? await createForwardingVerifier(readJwkFile(options.forwardingPublicKeyFile), { audience: definition.name, callIds })
      : null);
  if (!signedOnly) throw new Error(`subgraph ${definition.name}: no gateway forwarding key configured`);
  const verifier = options.trustUnsigned ? trustUnsignedCalls(signedOnly, definition.name) : signedOnly;
  const invalidation = createInvalidationEndpoint({ subgraph: definition.name, caches: definition.caches ?? [], token: options.cacheInvalidationToken });
  const needsKeyVerifier = externalJurisdictionKeys(definition.typeDefs).size > 0;
  if (needsKeyVerifier && !options.jurisdictionKeyPublicKeyFile) {
    throw new Error(`subgraph ${definition.name}: JURISDICTION_KEY_PUBLIC_KEY_FILE is required (it verifies the jurisdiction keys population signs)`);
  }
  let resolvers = withDeclaredAccess(definition.typeDefs, definition.resolvers, {
    jurisdictionKeys: needsKeyVerifier ? createJurisdictionKeyVerifier(readJwkFile(options.jurisdictionKeyPublicKeyFile!)) : undefined,
  });
  if (definition.issuesJurisdictionKeys) {
    if (!options.jurisdictionKeyPrivateKeyFile) throw new Error(`subgraph ${definition.name}: JURISDICTION_KEY_PRIVATE_KEY_FILE is required (it signs the jurisdiction keys it issues)`);
    // Signed on top of the access checks: a key is signed only when the field is asked for, not
    // each time a guarded field of the record needs its (plain) key to judge the caller.
    resolvers = signIssuedJurisdictionKeys(definition.typeDefs, resolvers, createJurisdictionKeySigner(readJwkFile(options.jurisdictionKeyPrivateKeyFile)));
  }
  const pipeline = createGraphQLPipeline<TContext>({
    schema: buildSubgraphSchema({ typeDefs: definition.typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> }),
    introspection: options.introspection ?? false,
    onOperation: subgraphRequestLog(definition.name),
  });
  // Propagation works even when the process's main set up no tracing (tests, embedded use).
  startTracing({ serviceName: `subgraph-${definition.name}` });
  const metrics = subgraphMetrics();
  metrics.watchCaches(definition.caches ?? []);

  /** The body is read once: its digest is verified against the signature, then the same bytes are served. */
  async function serveGraphQL(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const forwarded = req.headers[FORWARDING_HEADER];
    let body: Buffer;
    let call: CheckedCall;
    try {
      refuseUnsignedParts(req);
      body = await readBodyBytes(req, MAX_BODY_BYTES);
      try {
        call = await checkForwardedCall(verifier, typeof forwarded === 'string' ? forwarded : undefined, body);
      } catch (error) {
        throw new HttpError(401, 'UNAUTHENTICATED', (error as Error).message);
      }
    } catch (error) {
      if (error instanceof HttpError) return sendGraphQLError(res, error);
      throw error;
    }
    // A query runs while the call's id is claimed; its answer waits for the claim (graphql-pipeline.ts).
    await pipeline.serve(req, res, body, { ...definition.createContext(), principal: call.principal } as TContext, call.firstUse);
  }

  const metricsRoute = (req: IncomingMessage, res: ServerResponse): boolean => {
    if ((req.url ?? '/').split('?')[0] !== METRICS_PATH) return false;
    if (admitMetricsRequest(options.metrics ?? OPEN_METRICS, req, res)) serveMetrics(metrics.registry, res).catch(() => res.destroy());
    return true;
  };
  const invalidationRoute = (req: IncomingMessage, res: ServerResponse): boolean => {
    if ((req.url ?? '/').split('?')[0] !== INVALIDATION_PATH) return false;
    invalidation(req, res).catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: 'Internal error' });
    });
    return true;
  };

  return startHttpService({
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    identity: { subgraph: definition.name },
    tls: options.tls,
    routes: [invalidationRoute, metricsRoute],
    // The gateway's request id on every log line, its trace continued into the source calls.
    requestIdOf: (req) => requestIdFrom(req.headers),
    spanName: `subgraph ${definition.name}`,
    graphql: serveGraphQL,
    // Reference data before traffic, so that no request waits on it (a failure is logged, not fatal).
    warmUp: definition.warmUp,
    async release() {
      await definition.close();
      metrics.unwatchCaches(definition.caches ?? []);
      await Promise.all((definition.caches ?? []).map((cache) => cache.close()));
      await ownCallIds?.close();
    },
  });
}
