/** A subgraph process: its port, sources, caches, audit log and link security. */
import { resolve } from 'node:path';
import { z } from 'zod';
import { devKeyPaths } from '../keys';
import { SOURCES, SourceName, SubgraphName, defaultSubgraphPort, envPrefix } from '../sources';
import { DEFAULT_CACHE_TTL_S, DEFAULT_STALE_IF_ERROR_S } from './cache';
import { ConfigError, Env, bool, cacheInvalidationToken, isProduction, nonNegativeInt, port, positiveInt, postgresUrl, read } from './env';
import { RedisTarget, loadRedisConfig } from './redis';
import { MetricsConfig, loadMetricsConfig } from './metrics';
import { defaultAuditFile, devDirectory } from './paths';
import { SourceConnection, SourceResilience, loadSourceConnection, loadSourceResilience } from './sources';
import { SubgraphLinkSecurity, loadSubgraphLinkSecurity } from './tls';

export interface SubgraphConfig extends SubgraphLinkSecurity {
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
  redis: RedisTarget | undefined;
  redisCommandTimeoutMs: number;
  /** Bearer token that `POST /cache/invalidate` requires; unset: the endpoint is off. */
  cacheInvalidationToken: string | undefined;
  /** Benchmark mode: unsigned calls are served as a fixed benchmark principal. Never in production. */
  trustUnsigned: boolean;
  /** The subgraph answers introspection of its own schema: outside production only. */
  introspection?: boolean;
  /** How each source is called (deadline, retries, circuit breaker, concurrency); defaults when absent. */
  sourceResilience?: Partial<Record<SourceName, SourceResilience>>;
  /** Who may read `GET /metrics` (lib/metrics-access.ts); absent: open, as in development. */
  metrics?: MetricsConfig;
}

/** The shipped example: Bắc Ninh's revenue-sharing rules for 2026–2030. */
export const DEFAULT_BUDGET_RULES_FILE = resolve(__dirname, '..', '..', 'config', 'budget-rules', 'bac-ninh-2026-2030.yaml');

/** Which sources each subgraph reads. */
export const SUBGRAPH_SOURCES: Record<SubgraphName, SourceName[]> = {
  population: ['population', 'catalogue'],
  'civil-status': ['civil-status', 'catalogue'],
  land: ['land', 'catalogue'],
  'social-insurance': ['social-insurance', 'catalogue'],
  budget: ['budget', 'catalogue'],
  audit: [],
  reconciliation: ['population', 'civil-status', 'catalogue'],
  indicators: ['population', 'civil-status', 'land', 'social-insurance', 'budget', 'catalogue'],
  household: [],
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
    ...loadRedisConfig(env),
    cacheInvalidationToken: v.CACHE_INVALIDATION_TOKEN as string | undefined,
    trustUnsigned: v.SUBGRAPH_TRUST_UNSIGNED as unknown as boolean,
    introspection: !isProduction(env),
    sourceResilience,
    metrics: loadMetricsConfig(env),
    ...loadSubgraphLinkSecurity(env),
  };
}
