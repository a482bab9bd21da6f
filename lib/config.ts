/**
 * The one place that reads the environment. Every process (gateway, subgraph, mocks) calls one of
 * the loaders below at start; everything else receives typed options. A bad value stops the
 * process with a message naming the variable and what it expects.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { DEV_AUDIENCE, DEV_ISSUER, devKeyPaths } from './keys';
import { SOURCES, SUBGRAPHS, SourceName, SubgraphName, defaultSourcePort, defaultSubgraphPort, envPrefix } from './sources';

export type Env = Record<string, string | undefined>;

export class ConfigError extends Error {
  constructor(public readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const nonNegativeInt = z.coerce.number().int().min(0);
/** The secret of `POST /cache/invalidate`, shared by the gateway and the subgraphs. */
const cacheInvalidationToken = z.string().min(32, 'use at least 32 characters (a random secret)').optional();
const rate = z.coerce.number().min(0).max(1);
const httpUrl = z.url({ protocol: /^https?$/ });
const postgresUrl = z.url({ protocol: /^postgres(ql)?$/, message: 'expected postgres://… or postgresql://…' });
const redisUrl = z.string().regex(/^rediss?:\/\//, 'expected redis://… or rediss://…');
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

/** A URL's password is never repeated in a message. */
function withoutPassword(value: string): string {
  return value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/?#@]*):[^/?#@]*@/i, '$1:***@');
}

/** Parses `env` against `shape`, naming each offending variable on failure. */
function read<S extends z.ZodRawShape>(shape: S, env: Env): z.infer<z.ZodObject<S>> {
  // Empty strings mean "unset", as they do in most shells and container specs.
  const cleaned: Env = {};
  for (const key of Object.keys(shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') cleaned[key] = value;
  }
  const result = z.object(shape).safeParse(cleaned);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}=${JSON.stringify(withoutPassword(env[name] ?? ''))}: ${issue.message}`;
      }),
    );
  }
  return result.data;
}

/** Where development keys, the local audit log and other generated files live (ignored by git). */
export function devDirectory(env: Env = process.env): string {
  return env.DEV_DIR && env.DEV_DIR !== '' ? resolve(env.DEV_DIR) : resolve(__dirname, '..', '.dev');
}

export function defaultAuditFile(env: Env = process.env): string {
  return resolve(devDirectory(env), 'audit', 'audit.log');
}

function isProduction(env: Env): boolean {
  return env.NODE_ENV === 'production';
}

// ---------------------------------------------------------------------------------------------
// Source connections, shared by subgraphs (as clients) and mocks (as servers checking the key).

export interface SourceConnection {
  url: string;
  apiKey: string;
}

export function loadSourceConnection(name: SourceName, env: Env = process.env): SourceConnection {
  const prefix = envPrefix(name);
  const values = read(
    {
      [`${prefix}_SOURCE_URL`]: httpUrl.default(`http://127.0.0.1:${defaultSourcePort(name)}`),
      [`${prefix}_SOURCE_KEY`]: z.string().min(8, 'an API key has at least 8 characters').default(`dev-${name}-key`),
    },
    env,
  ) as Record<string, string>;
  return { url: values[`${prefix}_SOURCE_URL`].replace(/\/$/, ''), apiKey: values[`${prefix}_SOURCE_KEY`] };
}

// ---------------------------------------------------------------------------------------------
// Mock sources

export interface MocksConfig {
  host: string;
  ports: Record<SourceName, number>;
  apiKeys: Record<SourceName, string>;
  worldSize: number;
  worldSeed: string;
  adminUnitsFile: string | undefined;
  inconsistencyRate: number;
  latencyMs: number;
  jitterMs: number;
  /** The key `/__truth`, `/__control` and `/__stats` require (header `x-mocks-control-key`); unset: mocks/main.ts uses `.dev/mocks-control-key`. */
  controlKey: string | undefined;
}

export function loadMocksConfig(env: Env = process.env): MocksConfig {
  const v = read(
    {
      MOCKS_HOST: z.string().default('127.0.0.1'),
      WORLD_SIZE: positiveInt.max(2_000_000).default(100_000),
      WORLD_SEED: z.string().default('vn-2026'),
      ADMIN_UNITS_FILE: z.string().optional(),
      INCONSISTENCY_RATE: rate.default(0.02),
      MOCK_LATENCY_MS: nonNegativeInt.default(0),
      MOCK_JITTER_MS: nonNegativeInt.default(0),
      MOCKS_CONTROL_KEY: z.string().min(16, 'use at least 16 characters (a random secret)').optional(),
    },
    env,
  );
  const ports = {} as Record<SourceName, number>;
  const apiKeys = {} as Record<SourceName, string>;
  for (const name of SOURCES) {
    const prefix = envPrefix(name);
    ports[name] = read({ [`${prefix}_MOCK_PORT`]: port.default(defaultSourcePort(name)) }, env)[`${prefix}_MOCK_PORT`] as number;
    apiKeys[name] = loadSourceConnection(name, env).apiKey;
  }
  return {
    host: v.MOCKS_HOST,
    ports,
    apiKeys,
    worldSize: v.WORLD_SIZE,
    worldSeed: v.WORLD_SEED,
    adminUnitsFile: v.ADMIN_UNITS_FILE,
    inconsistencyRate: v.INCONSISTENCY_RATE,
    latencyMs: v.MOCK_LATENCY_MS,
    jitterMs: v.MOCK_JITTER_MS,
    controlKey: v.MOCKS_CONTROL_KEY,
  };
}

// ---------------------------------------------------------------------------------------------
// Subgraphs

export interface SubgraphConfig {
  name: SubgraphName;
  host: string;
  port: number;
  /** Per-call timeout for source requests. */
  sourceTimeoutMs: number;
  /** Upper bound on simultaneous calls to a one-ID-per-call source. */
  sourceConcurrency: number;
  sources: Partial<Record<SourceName, SourceConnection>>;
  /** The gateway's public key: only requests it signed are served. */
  forwardingPublicKeyFile: string;
  /** The audit log the audit subgraph reads (the gateway writes it). */
  auditFile: string;
  /** The PostgreSQL audit log, used instead of `auditFile` when set. */
  auditDatabaseUrl?: string | undefined;
  /** How long each source's answers are reused, in ms (0: not cached). */
  cacheTtlMs: Record<SourceName, number>;
  cacheMaxEntries: number;
  /** The province's revenue-sharing rule table (YAML) the budget subgraph applies. */
  budgetRulesFile: string;
  /** How long a commune's reconciliation report is reused while its pages are read, in ms (0: not kept). */
  reconciliationCacheTtlMs: number;
  /** How long a commune's indicators are reused, in ms (0: not kept). */
  indicatorsCacheTtlMs: number;
  /** Most BHXH look-ups (one person per call) one indicators request may make. */
  indicatorsMaxInsuranceLookups: number;
  /** How long an expired answer may still be served when its source fails, in ms (0: never). */
  staleIfErrorMs: Record<SourceName, number>;
  /** Shared source cache and invalidation messages; unset: in-process memory only. */
  redisUrl: string | undefined;
  redisCommandTimeoutMs: number;
  /** Bearer token that `POST /cache/invalidate` requires; unset: the endpoint is off. */
  cacheInvalidationToken: string | undefined;
  /** Benchmark mode: unsigned calls are served as a fixed benchmark principal. Never in production. */
  trustUnsigned: boolean;
  /** How each source is called (deadline, retries, circuit breaker, concurrency); defaults when absent. */
  sourceResilience?: Partial<Record<SourceName, SourceResilience>>;
  /** Who may read `GET /metrics` (lib/metrics-access.ts); absent: open, as in development. */
  metrics?: MetricsConfig;
  /** Signing (population) and verification (the others) of jurisdiction keys; see loadLinkSecurity. */
  jurisdictionKeyPrivateKeyFile?: string;
  jurisdictionKeyPublicKeyFile?: string;
  /** TLS with client certificates on this subgraph's port; undefined: plain HTTP. */
  tls?: SubgraphServerTls;
}

/** How a subgraph calls one source: what it does when the source is slow, failing or busy. */
export interface SourceResilience {
  /** Deadline for one source call: waiting for a slot, every attempt and the pauses between them. */
  timeoutMs: number;
  /** Further attempts after a transient failure (unreachable, HTTP 5xx or 429); sources are only read. */
  retries: number;
  /** Pause before the first retry; later pauses grow exponentially, with random jitter. */
  retryBackoffMs: number;
  /** Share of failed calls (0–1, exclusive) within `breakerWindowMs` that opens the circuit. */
  breakerFailureRate: number;
  /** Calls needed within the window before the circuit may open. */
  breakerMinCalls: number;
  breakerWindowMs: number;
  /** How long an open circuit refuses calls before one probe call is let through. */
  breakerCooldownMs: number;
  /** Calls in flight to the source from one process (and connections kept to it). */
  maxConcurrent: number;
  /** Calls allowed to wait for a slot; beyond that a call fails at once. */
  maxQueued: number;
}

/**
 * Each setting's variable, rule and default. `SOURCE_<NAME>` sets it for every source,
 * `<SOURCE>_SOURCE_<NAME>` (e.g. `LAND_SOURCE_RETRIES`) for one.
 */
const RESILIENCE_SETTINGS: { [K in keyof SourceResilience]: [name: string, rule: z.ZodType<number>, fallback: number] } = {
  timeoutMs: ['TIMEOUT_MS', positiveInt.max(600_000), 5000],
  retries: ['RETRIES', nonNegativeInt.max(10), 2],
  retryBackoffMs: ['RETRY_BACKOFF_MS', nonNegativeInt.max(60_000), 100],
  breakerFailureRate: ['BREAKER_FAILURE_RATE', z.coerce.number().gt(0).lt(1), 0.5],
  breakerMinCalls: ['BREAKER_MIN_CALLS', positiveInt, 10],
  breakerWindowMs: ['BREAKER_WINDOW_MS', positiveInt.min(1000).max(3_600_000), 10_000],
  breakerCooldownMs: ['BREAKER_COOLDOWN_MS', positiveInt.max(3_600_000), 10_000],
  maxConcurrent: ['CONCURRENCY', positiveInt.max(256), 16],
  maxQueued: ['QUEUE_MAX', nonNegativeInt.max(100_000), 1000],
};

/** The defaults above, for clients built without configuration. */
export const DEFAULT_SOURCE_RESILIENCE = Object.fromEntries(
  Object.entries(RESILIENCE_SETTINGS).map(([key, [, , fallback]]) => [key, fallback]),
) as unknown as SourceResilience;

export function loadSourceResilience(source: SourceName, env: Env = process.env): SourceResilience {
  const settings = {} as SourceResilience;
  for (const [key, [name, rule, fallback]] of Object.entries(RESILIENCE_SETTINGS) as [keyof SourceResilience, [string, z.ZodType<number>, number]][]) {
    const shared = read({ [`SOURCE_${name}`]: rule.default(fallback) }, env)[`SOURCE_${name}`] as number;
    const own = `${envPrefix(source)}_SOURCE_${name}`;
    settings[key] = read({ [own]: rule.default(shared) }, env)[own] as number;
  }
  return settings;
}

/**
 * Default reuse of source answers, in seconds: identity and civil status change rarely within a
 * minute, land and budget data change over days, the catalogue only by resolution.
 */
export const DEFAULT_CACHE_TTL_S: Record<SourceName, number> = {
  population: 60,
  'civil-status': 60,
  land: 300,
  'social-insurance': 60,
  budget: 600,
  catalogue: 3600,
};

/** How long an expired source answer may stand in for a failing source, in seconds. */
export const DEFAULT_STALE_IF_ERROR_S = 300;
/** A Redis command slower than this is given up and the in-process memory used instead. */
export const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 250;

/** The shipped example: Bắc Ninh's revenue-sharing rules for 2026–2030. */
export const DEFAULT_BUDGET_RULES_FILE = resolve(__dirname, '..', 'config', 'budget-rules', 'bac-ninh-2026-2030.yaml');

/** Procedures: the shipped procedure catalogue (PROCEDURE_CATALOGUE_FILE's default). */
export const DEFAULT_PROCEDURE_CATALOGUE_FILE = resolve(__dirname, '..', 'config', 'procedures', 'catalogue.yaml');

/** Which sources each subgraph reads. */
export const SUBGRAPH_SOURCES: Record<SubgraphName, SourceName[]> = {
  population: ['population', 'catalogue'],
  'civil-status': ['civil-status'],
  land: ['land', 'catalogue'],
  'social-insurance': ['social-insurance'],
  budget: ['budget', 'catalogue'],
  audit: [],
  reconciliation: ['population', 'civil-status', 'catalogue'],
  indicators: ['population', 'civil-status', 'land', 'social-insurance', 'budget', 'catalogue'],
};

export function loadSubgraphConfig(name: SubgraphName, env: Env = process.env): SubgraphConfig {
  const prefix = envPrefix(name);
  const v = read(
    {
      SUBGRAPH_HOST: z.string().default('127.0.0.1'),
      [`${prefix}_SUBGRAPH_PORT`]: port.default(defaultSubgraphPort(name)),
      SOURCE_TIMEOUT_MS: positiveInt.default(5000),
      SOURCE_CONCURRENCY: positiveInt.max(256).default(16),
      FORWARDING_PUBLIC_KEY_FILE: isProduction(env)
        ? z.string({ message: 'required in production: the gateway forwarding public key (JWK file)' })
        : z.string().default(devKeyPaths(devDirectory(env)).forwardingPublicKey),
      AUDIT_FILE: z.string().default(defaultAuditFile(env)),
      AUDIT_DATABASE_URL: postgresUrl.optional(),
      SOURCE_CACHE_MAX_ENTRIES: positiveInt.default(100_000),
      BUDGET_RULES_FILE: z.string().default(DEFAULT_BUDGET_RULES_FILE),
      RECONCILIATION_CACHE_TTL_S: nonNegativeInt.max(86_400).default(60),
      INDICATORS_CACHE_TTL_S: nonNegativeInt.max(86_400).default(3600),
      INDICATORS_MAX_INSURANCE_LOOKUPS: positiveInt.max(1_000_000).default(20_000),
      REDIS_URL: redisUrl.optional(),
      REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(10_000).default(DEFAULT_REDIS_COMMAND_TIMEOUT_MS),
      CACHE_INVALIDATION_TOKEN: cacheInvalidationToken,
      SUBGRAPH_TRUST_UNSIGNED: bool.default(false),
    },
    env,
  ) as Record<string, string & number> & { AUDIT_DATABASE_URL?: string };
  const cacheTtlMs = {} as Record<SourceName, number>;
  for (const source of SOURCES) {
    const variable = `${envPrefix(source)}_CACHE_TTL_S`;
    cacheTtlMs[source] = (read({ [variable]: nonNegativeInt.max(86_400).default(DEFAULT_CACHE_TTL_S[source]) }, env)[variable] as number) * 1000;
  }
  const staleIfErrorMs = {} as Record<SourceName, number>;
  for (const source of SOURCES) {
    const variable = `${envPrefix(source)}_STALE_IF_ERROR_S`;
    staleIfErrorMs[source] = (read({ [variable]: nonNegativeInt.max(86_400).default(DEFAULT_STALE_IF_ERROR_S) }, env)[variable] as number) * 1000;
  }
  if (v.SUBGRAPH_TRUST_UNSIGNED && isProduction(env)) {
    throw new ConfigError(['SUBGRAPH_TRUST_UNSIGNED=true: refused with NODE_ENV=production (it lets anyone call the subgraphs around the gateway)']);
  }
  const sources: Partial<Record<SourceName, SourceConnection>> = {};
  const sourceResilience: Partial<Record<SourceName, SourceResilience>> = {};
  for (const source of SUBGRAPH_SOURCES[name]) {
    sources[source] = loadSourceConnection(source, env);
    sourceResilience[source] = loadSourceResilience(source, env);
  }
  return {
    name,
    host: v.SUBGRAPH_HOST,
    port: v[`${prefix}_SUBGRAPH_PORT`],
    sourceTimeoutMs: v.SOURCE_TIMEOUT_MS,
    sourceConcurrency: v.SOURCE_CONCURRENCY,
    sources,
    forwardingPublicKeyFile: v.FORWARDING_PUBLIC_KEY_FILE,
    auditFile: v.AUDIT_FILE,
    auditDatabaseUrl: v.AUDIT_DATABASE_URL,
    cacheTtlMs,
    cacheMaxEntries: v.SOURCE_CACHE_MAX_ENTRIES,
    budgetRulesFile: resolve(v.BUDGET_RULES_FILE),
    reconciliationCacheTtlMs: v.RECONCILIATION_CACHE_TTL_S * 1000,
    indicatorsCacheTtlMs: v.INDICATORS_CACHE_TTL_S * 1000,
    indicatorsMaxInsuranceLookups: v.INDICATORS_MAX_INSURANCE_LOOKUPS,
    staleIfErrorMs,
    redisUrl: v.REDIS_URL as string | undefined,
    redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    cacheInvalidationToken: v.CACHE_INVALIDATION_TOKEN as string | undefined,
    trustUnsigned: v.SUBGRAPH_TRUST_UNSIGNED as unknown as boolean,
    sourceResilience,
    metrics: loadMetricsConfig(env),
    ...loadSubgraphLinkSecurity(env),
  };
}

// ---------------------------------------------------------------------------------------------
// The gateway-to-subgraph link: signed jurisdiction keys and TLS with client certificates

export interface SubgraphServerTls {
  certFile: string;
  keyFile: string;
  /** The CA that signed the gateway's client certificate: connections without one are refused. */
  clientCaFile: string;
}

export interface GatewayClientTls {
  /** The CA that signed the subgraphs' server certificates. */
  caFile: string;
  certFile: string;
  keyFile: string;
}

/** All of a group of settings or none: TLS half configured is a mistake, not a choice. */
function allOrNone<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]: string } | undefined {
  const set = Object.entries(values).filter(([, value]) => value !== undefined);
  if (set.length === 0) return undefined;
  if (set.length < Object.keys(values).length) {
    const missing = Object.keys(values).filter((name) => values[name] === undefined);
    throw new ConfigError([`${missing.join(', ')}: required with ${set.map(([name]) => name).join(', ')} (TLS needs all of them)`]);
  }
  return values as { [K in keyof T]: string };
}

function loadSubgraphLinkSecurity(env: Env): Pick<SubgraphConfig, 'jurisdictionKeyPrivateKeyFile' | 'jurisdictionKeyPublicKeyFile' | 'tls'> {
  const dev = devKeyPaths(devDirectory(env));
  // In production unset stays unset: a subgraph whose schema needs the key refuses to start without it.
  const devDefault = (path: string) => (isProduction(env) ? z.string().optional() : z.string().default(path));
  const v = read(
    {
      JURISDICTION_KEY_PRIVATE_KEY_FILE: devDefault(dev.jurisdictionPrivateKey),
      JURISDICTION_KEY_PUBLIC_KEY_FILE: devDefault(dev.jurisdictionPublicKey),
      SUBGRAPH_TLS_CERT_FILE: z.string().optional(),
      SUBGRAPH_TLS_KEY_FILE: z.string().optional(),
      SUBGRAPH_TLS_CLIENT_CA_FILE: z.string().optional(),
    },
    env,
  );
  const tls = allOrNone({ SUBGRAPH_TLS_CERT_FILE: v.SUBGRAPH_TLS_CERT_FILE, SUBGRAPH_TLS_KEY_FILE: v.SUBGRAPH_TLS_KEY_FILE, SUBGRAPH_TLS_CLIENT_CA_FILE: v.SUBGRAPH_TLS_CLIENT_CA_FILE });
  return {
    jurisdictionKeyPrivateKeyFile: v.JURISDICTION_KEY_PRIVATE_KEY_FILE,
    jurisdictionKeyPublicKeyFile: v.JURISDICTION_KEY_PUBLIC_KEY_FILE,
    tls: tls && { certFile: tls.SUBGRAPH_TLS_CERT_FILE, keyFile: tls.SUBGRAPH_TLS_KEY_FILE, clientCaFile: tls.SUBGRAPH_TLS_CLIENT_CA_FILE },
  };
}

function loadGatewayClientTls(env: Env): GatewayClientTls | undefined {
  const v = read({ SUBGRAPH_TLS_CA_FILE: z.string().optional(), GATEWAY_TLS_CERT_FILE: z.string().optional(), GATEWAY_TLS_KEY_FILE: z.string().optional() }, env);
  const tls = allOrNone({ SUBGRAPH_TLS_CA_FILE: v.SUBGRAPH_TLS_CA_FILE, GATEWAY_TLS_CERT_FILE: v.GATEWAY_TLS_CERT_FILE, GATEWAY_TLS_KEY_FILE: v.GATEWAY_TLS_KEY_FILE });
  return tls && { caFile: tls.SUBGRAPH_TLS_CA_FILE, certFile: tls.GATEWAY_TLS_CERT_FILE, keyFile: tls.GATEWAY_TLS_KEY_FILE };
}

// ---------------------------------------------------------------------------------------------
// Graceful shutdown on SIGTERM, gateway and subgraphs alike

export interface ShutdownConfig {
  /** After SIGTERM, keep serving (with /ready at 503) this long so load balancers stop sending. */
  delayMs: number;
  /** Longest wait for requests in flight before the remaining connections are cut. */
  timeoutMs: number;
}

export function loadShutdownConfig(env: Env = process.env): ShutdownConfig {
  const v = read(
    { SHUTDOWN_DELAY_MS: nonNegativeInt.max(300_000).default(0), SHUTDOWN_TIMEOUT_MS: positiveInt.max(600_000).default(25_000) },
    env,
  );
  return { delayMs: v.SHUTDOWN_DELAY_MS, timeoutMs: v.SHUTDOWN_TIMEOUT_MS };
}

// ---------------------------------------------------------------------------------------------
// Logs and traces, for every process

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export interface ObservabilityConfig {
  logLevel: (typeof LOG_LEVELS)[number];
  /** OTLP/HTTP collector spans are exported to; unset: spans are not recorded. */
  otlpEndpoint: string | undefined;
}

export function loadObservabilityConfig(env: Env = process.env): ObservabilityConfig {
  const v = read({ LOG_LEVEL: z.enum(LOG_LEVELS).default('info'), OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional() }, env);
  return { logLevel: v.LOG_LEVEL, otlpEndpoint: v.OTEL_EXPORTER_OTLP_ENDPOINT };
}

// ---------------------------------------------------------------------------------------------
// Request limits and rate limits (gateway); README "Limits" says what each refusal means

/** What one request may ask; each is refused before execution with its own error code. */
export interface RequestLimits {
  maxBodyBytes: number;
  /** Operations in one batched request (a JSON array). */
  maxBatchOperations: number;
  /** Bytes of the query document itself. */
  maxQueryBytes: number;
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Estimated values fetched, list sizes counted (gateway/limits/cost.ts). */
  maxCost: number;
}

export interface RateLimitConfig {
  /** Sustained requests per second per client_id; 0 turns rate limiting off. */
  perSecond: number;
  /** Requests a client may make at once above the sustained rate (the bucket's size). */
  burst: number;
}

function loadRequestLimits(env: Env): RequestLimits {
  const v = read(
    {
      MAX_BODY_BYTES: positiveInt.max(100_000_000).default(262_144),
      MAX_BATCH_OPERATIONS: positiveInt.max(1000).default(10),
      MAX_QUERY_BYTES: positiveInt.max(10_000_000).default(16_384),
      MAX_QUERY_TOKENS: positiveInt.max(1_000_000).default(2000),
      MAX_QUERY_DEPTH: positiveInt.max(1000).default(10),
      MAX_QUERY_ALIASES: nonNegativeInt.max(100_000).default(20),
      MAX_QUERY_DIRECTIVES: nonNegativeInt.max(100_000).default(20),
      MAX_QUERY_COST: positiveInt.default(25_000),
    },
    env,
  );
  return {
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxBatchOperations: v.MAX_BATCH_OPERATIONS,
    maxQueryBytes: v.MAX_QUERY_BYTES,
    maxTokens: v.MAX_QUERY_TOKENS,
    maxDepth: v.MAX_QUERY_DEPTH,
    maxAliases: v.MAX_QUERY_ALIASES,
    maxDirectives: v.MAX_QUERY_DIRECTIVES,
    maxCost: v.MAX_QUERY_COST,
  };
}

function loadRateLimit(env: Env): RateLimitConfig {
  const v = read(
    { RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(50), RATE_LIMIT_BURST: positiveInt.max(1_000_000).default(100) },
    env,
  );
  return { perSecond: v.RATE_LIMIT_PER_SECOND, burst: v.RATE_LIMIT_BURST };
}

// ---------------------------------------------------------------------------------------------
// Who may read `GET /metrics` (gateway and subgraphs); lib/metrics-access.ts applies it

export interface MetricsConfig {
  /** Bearer token `/metrics` requires; unset: none (see `production`). */
  token: string | undefined;
  /** A port of its own for `/metrics` (then not on the service's port); unset: the service's port. */
  port: number | undefined;
  /** In production, with neither token nor port, `/metrics` is off. */
  production: boolean;
}

export function loadMetricsConfig(env: Env = process.env): MetricsConfig {
  const v = read(
    { METRICS_TOKEN: z.string().min(32, 'use at least 32 characters (a random secret)').optional(), METRICS_PORT: port.min(1).optional() },
    env,
  );
  return { token: v.METRICS_TOKEN, port: v.METRICS_PORT, production: isProduction(env) };
}

// ---------------------------------------------------------------------------------------------
// Gateway

export interface GatewayConfig {
  host: string;
  port: number;
  supergraphPath: string;
  /** Procedures: PROCEDURE_CATALOGUE_FILE, the province's procedure catalogue (lib/procedures). */
  procedureCatalogueFile: string;
  /** Overrides of the routing URLs written in the supergraph, by subgraph name. */
  subgraphUrls: Partial<Record<SubgraphName, string>>;
  subgraphTimeoutMs: number;
  redisUrl: string | undefined;
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
      // Procedures: the province's procedure catalogue (one setting, read here only).
      PROCEDURE_CATALOGUE_FILE: z.string().default(DEFAULT_PROCEDURE_CATALOGUE_FILE),
      SUBGRAPH_URLS: subgraphUrlList.default({}),
      SUBGRAPH_TIMEOUT_MS: positiveInt.default(10_000),
      REDIS_URL: redisUrl.optional(),
      REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(10_000).default(DEFAULT_REDIS_COMMAND_TIMEOUT_MS),
      PERSISTED_QUERY_TTL_S: positiveInt.max(30 * 86_400).default(86_400),
      RESPONSE_CACHE_TTL_S: nonNegativeInt.max(3600).default(10),
      RESPONSE_COMPRESSION: bool.default(true),
      RESPONSE_COMPRESSION_MIN_BYTES: nonNegativeInt.max(10_000_000).default(1024),
      QUERY_PLAN_CACHE_MIB: positiveInt.max(4096).default(64),
      SERVER_TIMING: bool.default(false),
      SUBGRAPH_DEDUPLICATION: bool.default(true),
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
      // Required in production unless AUDIT_DATABASE_URL is set: checked below.
      AUDIT_FILE: production ? z.string().optional() : z.string().default(defaultAuditFile(env)),
      AUDIT_DATABASE_URL: postgresUrl.optional(),
      AUDIT_CHECKPOINT_KEY_FILE: production ? z.string().optional() : z.string().default(dev.auditCheckpointPrivateKey),
      AUDIT_CHECKPOINT_FILE: z.string().optional(),
      AUDIT_CHECKPOINT_EVERY: positiveInt.max(10_000_000).default(1000),
      AUDIT_CHECKPOINT_INTERVAL_S: positiveInt.max(86_400).default(60),
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
    redisUrl: v.REDIS_URL,
    redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS,
    persistedQueryTtlS: v.PERSISTED_QUERY_TTL_S,
    responseCacheTtlMs: v.RESPONSE_CACHE_TTL_S * 1000,
    compressionMinBytes: v.RESPONSE_COMPRESSION ? v.RESPONSE_COMPRESSION_MIN_BYTES : null,
    queryPlanCacheMiB: v.QUERY_PLAN_CACHE_MIB,
    serverTiming: v.SERVER_TIMING,
    subgraphDeduplication: v.SUBGRAPH_DEDUPLICATION,
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
    auditFile: v.AUDIT_FILE ?? '',
    auditDatabaseUrl: v.AUDIT_DATABASE_URL,
    auditCheckpointKeyFile: v.AUDIT_CHECKPOINT_KEY_FILE,
    auditCheckpointFile: v.AUDIT_CHECKPOINT_FILE,
    auditCheckpointEvery: v.AUDIT_CHECKPOINT_EVERY,
    auditCheckpointIntervalS: v.AUDIT_CHECKPOINT_INTERVAL_S,
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
