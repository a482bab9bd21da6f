/** The gateway process: listening, caches, tokens, audit log, limits and the link to subgraphs. */
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEV_AUDIENCE, DEV_ISSUER, devKeyPaths } from '../keys';
import { SUBGRAPHS, SubgraphName } from '../sources';
import { ConfigError, Env, bool, cacheInvalidationToken, httpUrl, isProduction, nonNegativeInt, port, positiveInt, postgresUrl, read } from './env';
import { RedisTarget, loadRedisConfig } from './redis';
import { RateLimitConfig, RequestLimits, loadRateLimit, loadRequestLimits } from './limits';
import { MetricsConfig, loadMetricsConfig } from './metrics';
import { defaultAuditFile, devDirectory } from './paths';
import { GatewayClientTls, loadGatewayClientTls } from './tls';

/** Far above any answer the schema's page and list limits let a subgraph give. */
export const DEFAULT_SUBGRAPH_MAX_ANSWER_MIB = 64;
/** The shipped procedure catalogue (PROCEDURE_CATALOGUE_FILE's default). */
export const DEFAULT_PROCEDURE_CATALOGUE_FILE = resolve(__dirname, '..', '..', 'config', 'procedures', 'catalogue.yaml');

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** PROCEDURE_CATALOGUE_FILE: the province's procedure catalogue (lib/procedures). */
  procedureCatalogueFile: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphTimeoutMs: number;
  /** The largest answer the gateway reads from a subgraph; a larger one fails that subgraph's fields. */
  subgraphMaxAnswerBytes: number;
  /** The shared Redis (single, Cluster or Sentinel); unset: memory only. */
  redis: RedisTarget | undefined;
  redisCommandTimeoutMs: number;
  /** How long an automatic persisted query is kept, in seconds. */
  persistedQueryTtlS: number;
  /** Whole-response cache for operations without personal data, in ms (0: off). */
  responseCacheTtlMs: number;
  /** Responses at least this large are gzip/brotli-compressed when the client accepts it; null: never. */
  compressionMinBytes: number | null;
  /** Approximate memory for query plans, in MiB. */
  queryPlanCacheMiB: number;
  /** Adds a Server-Timing header (time in the gateway vs. waiting on subgraphs). */
  serverTiming: boolean;
  /** Identical subgraph calls in flight for the same caller are made once. */
  subgraphDeduplication: boolean;
  /** A request's concurrent query calls to one subgraph are sent as one call. */
  subgraphCallMerging: boolean;
  /** How long a caller's complete subgraph answers are reused, in ms (0: off). */
  subgraphAnswerCacheTtlMs: number;
  /** Memory for those answers, in MiB. */
  subgraphAnswerCacheMiB: number;
  /** The secret `POST /cache/invalidate` requires; unset: the endpoint is off. */
  cacheInvalidationToken: string | undefined;
  jwksUrl: string | undefined;
  jwksFile: string | undefined;
  jwtIssuer: string;
  jwtAudience: string;
  /** Longest token lifetime accepted (`exp − iat`, or `exp − now` without `iat`), in seconds. */
  jwtMaxTokenAgeS: number;
  allowAnonymous: boolean;
  /** The private key the gateway signs forwarded identities with. */
  forwardingPrivateKeyFile: string;
  /** Subgraph calls made in the same turn of the event loop share one signature (lib/forwarding). */
  forwardingBatchSignatures: boolean;
  /** The append-only audit log file ('' in production when only `auditDatabaseUrl` is set). */
  auditFile: string;
  /** The PostgreSQL audit log all replicas share, used instead of `auditFile` when set. */
  auditDatabaseUrl: string | undefined;
  /** Ed25519 private key (JWK) signing the audit log's checkpoints; required in production by the gateway's start. */
  auditCheckpointKeyFile: string | undefined;
  /** File sink: where the signed checkpoints are kept (default `<AUDIT_FILE>.checkpoints`). */
  auditCheckpointFile: string | undefined;
  /** A checkpoint every this many entries, and every this many seconds while entries arrive. */
  auditCheckpointEvery: number;
  auditCheckpointIntervalS: number;
  /** Under load, the shortest time between two audit batches (their records share one durable write), in ms. */
  auditCommitIntervalMs: number;
  devDir: string;
  production: boolean;
  /** Whether the API answers introspection (schema docs in the playground, code generators). */
  introspection: boolean;
  limits: RequestLimits;
  rateLimit: RateLimitConfig;
  /** Whether the gateway serves the GraphiQL playground at /playground (and /graphql to browsers). */
  playground: boolean;
  /** Who may read `GET /metrics` (lib/metrics-access.ts). */
  metrics: MetricsConfig;
  /** TLS with the gateway's client certificate to `https://` subgraphs; undefined: off. */
  subgraphTls?: GatewayClientTls;
}

const subgraphUrlList = z
  .string()
  .transform((text, ctx) => {
    const out: Partial<Record<SubgraphName, string>> = {};
    for (const pair of text.split(',').map((p) => p.trim()).filter(Boolean)) {
      const [name, url] = pair.split('=');
      if (!(SUBGRAPHS as readonly string[]).includes(name) || !url || !/^https?:\/\//.test(url)) {
        ctx.addIssue({ code: 'custom', message: `expected name=url pairs with names from ${SUBGRAPHS.join(', ')}; got "${pair}"` });
        return z.NEVER;
      }
      out[name as SubgraphName] = url;
    }
    return out;
  });

/** One working day: the longest lifetime a token may have unless `JWT_MAX_TOKEN_AGE_S` says otherwise. */
export const DEFAULT_MAX_TOKEN_AGE_S = 8 * 3600;
const maxTokenAge = positiveInt.max(30 * 86_400).default(DEFAULT_MAX_TOKEN_AGE_S);

/** `JWT_MAX_TOKEN_AGE_S` alone: what `npm run token` may mint for the gateway to accept. */
export function loadMaxTokenAge(env: Env = process.env): number {
  return read({ JWT_MAX_TOKEN_AGE_S: maxTokenAge }, env).JWT_MAX_TOKEN_AGE_S;
}

export function loadGatewayConfig(env: Env = process.env): GatewayConfig {
  const production = isProduction(env);
  const dev = devKeyPaths(devDirectory(env));
  const requiredInProduction = (what: string, devDefault: string) =>
    production ? z.string({ message: `required in production: ${what}` }) : z.string().default(devDefault);
  const v = read(
    {
      // Development listens on loopback only; production on every interface.
      HOST: z.string().default(production ? '0.0.0.0' : '127.0.0.1'),
      PORT: port.default(4000),
      SUPERGRAPH_PATH: z.string().default('schema/supergraph.graphql'),
      PROCEDURE_CATALOGUE_FILE: z.string().default(DEFAULT_PROCEDURE_CATALOGUE_FILE),
      SUBGRAPH_URLS: subgraphUrlList.default({}),
      SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),
      SUBGRAPH_MAX_ANSWER_MIB: positiveInt.max(1024).default(DEFAULT_SUBGRAPH_MAX_ANSWER_MIB),
      PERSISTED_QUERY_TTL_S: positiveInt.max(30 * 86_400).default(86_400),
      RESPONSE_CACHE_TTL_S: nonNegativeInt.max(3600).default(10),
      RESPONSE_COMPRESSION: bool.default(true),
      RESPONSE_COMPRESSION_MIN_BYTES: nonNegativeInt.max(10_000_000).default(1024),
      QUERY_PLAN_CACHE_MIB: positiveInt.max(4096).default(64),
      SERVER_TIMING: bool.default(false),
      SUBGRAPH_DEDUPLICATION: bool.default(true),
      SUBGRAPH_CALL_MERGING: bool.default(true),
      SUBGRAPH_ANSWER_CACHE_TTL_S: nonNegativeInt.max(300).default(10),
      SUBGRAPH_ANSWER_CACHE_MIB: positiveInt.max(4096).default(64),
      CACHE_INVALIDATION_TOKEN: cacheInvalidationToken,
      JWKS_URL: httpUrl.optional(),
      JWKS_FILE: z.string().optional(),
      JWT_ISSUER: requiredInProduction('the token issuer (iss) to trust', DEV_ISSUER),
      JWT_AUDIENCE: requiredInProduction('the audience (aud) tokens must name', DEV_AUDIENCE),
      JWT_MAX_TOKEN_AGE_S: maxTokenAge,
      ALLOW_ANONYMOUS: bool.default(false),
      FORWARDING_PRIVATE_KEY_FILE: requiredInProduction('the forwarding private key (JWK file)', dev.forwardingPrivateKey),
      FORWARDING_BATCH_SIGNATURES: bool.default(true),
      // Required in production unless AUDIT_DATABASE_URL is set: checked below.
      AUDIT_FILE: production ? z.string().optional() : z.string().default(defaultAuditFile(env)),
      AUDIT_DATABASE_URL: postgresUrl.optional(),
      AUDIT_CHECKPOINT_KEY_FILE: production ? z.string().optional() : z.string().default(dev.auditCheckpointPrivateKey),
      AUDIT_CHECKPOINT_FILE: z.string().optional(),
      AUDIT_CHECKPOINT_EVERY: positiveInt.max(10_000_000).default(1000),
      AUDIT_CHECKPOINT_INTERVAL_S: positiveInt.max(86_400).default(60),
      AUDIT_COMMIT_INTERVAL_MS: nonNegativeInt.max(100).default(5),
      INTROSPECTION: bool.default(!production),
      PLAYGROUND: bool.default(true),
    },
    env,
  );
  if (production && !v.AUDIT_FILE && !v.AUDIT_DATABASE_URL) {
    throw new ConfigError([
      'AUDIT_DATABASE_URL or AUDIT_FILE: one is required in production (the audit log: PostgreSQL, shared by all gateway replicas, or a file for a single gateway)',
    ]);
  }
  // Development trusts the local issuer unless told otherwise; production must say which issuer.
  let jwksFile = v.JWKS_FILE;
  if (!v.JWKS_URL && !jwksFile) {
    if (production) throw new ConfigError(['JWKS_URL or JWKS_FILE: one is required in production (the token issuer\'s keys)']);
    jwksFile = dev.issuerJwks;
  }
  return {
    host: v.HOST,
    port: v.PORT,
    supergraphPath: v.SUPERGRAPH_PATH,
    procedureCatalogueFile: resolve(v.PROCEDURE_CATALOGUE_FILE),
    subgraphUrls: v.SUBGRAPH_URLS,
    subgraphTimeoutMs: v.SUBGRAPH_TIMEOUT_MS,
    subgraphMaxAnswerBytes: v.SUBGRAPH_MAX_ANSWER_MIB * 1024 * 1024,
    ...loadRedisConfig(env),
    persistedQueryTtlS: v.PERSISTED_QUERY_TTL_S,
    responseCacheTtlMs: v.RESPONSE_CACHE_TTL_S * 1000,
    compressionMinBytes: v.RESPONSE_COMPRESSION ? v.RESPONSE_COMPRESSION_MIN_BYTES : null,
    queryPlanCacheMiB: v.QUERY_PLAN_CACHE_MIB,
    serverTiming: v.SERVER_TIMING,
    subgraphDeduplication: v.SUBGRAPH_DEDUPLICATION,
    subgraphCallMerging: v.SUBGRAPH_CALL_MERGING,
    subgraphAnswerCacheTtlMs: v.SUBGRAPH_ANSWER_CACHE_TTL_S * 1000,
    subgraphAnswerCacheMiB: v.SUBGRAPH_ANSWER_CACHE_MIB,
    cacheInvalidationToken: v.CACHE_INVALIDATION_TOKEN,
    jwksUrl: v.JWKS_URL,
    jwksFile: v.JWKS_URL ? undefined : jwksFile,
    jwtIssuer: v.JWT_ISSUER,
    jwtAudience: v.JWT_AUDIENCE,
    jwtMaxTokenAgeS: v.JWT_MAX_TOKEN_AGE_S,
    allowAnonymous: v.ALLOW_ANONYMOUS,
    forwardingPrivateKeyFile: v.FORWARDING_PRIVATE_KEY_FILE,
    forwardingBatchSignatures: v.FORWARDING_BATCH_SIGNATURES,
    auditFile: v.AUDIT_FILE ?? '',
    auditDatabaseUrl: v.AUDIT_DATABASE_URL,
    auditCheckpointKeyFile: v.AUDIT_CHECKPOINT_KEY_FILE,
    auditCheckpointFile: v.AUDIT_CHECKPOINT_FILE,
    auditCheckpointEvery: v.AUDIT_CHECKPOINT_EVERY,
    auditCheckpointIntervalS: v.AUDIT_CHECKPOINT_INTERVAL_S,
    auditCommitIntervalMs: v.AUDIT_COMMIT_INTERVAL_MS,
    devDir: devDirectory(env),
    production,
    introspection: v.INTROSPECTION,
    limits: loadRequestLimits(env),
    rateLimit: loadRateLimit(env),
    playground: v.PLAYGROUND,
    metrics: loadMetricsConfig(env),
    subgraphTls: loadGatewayClientTls(env),
  };
}
