/**
 * The one place that reads the environment. Every process (gateway, subgraph, mocks) calls one of
 * the loaders below at start; everything else receives typed options. A bad value stops the
 * process with a message naming the variable and what it expects. One module per concern; this
 * file only gathers them, so `lib/config` stays the single import.
 */
export { ConfigError } from './env';
export type { Env } from './env';
export { defaultAuditFile, devDirectory } from './paths';
export { DEFAULT_SOURCE_RESILIENCE, loadSourceConnection, loadSourceResilience } from './sources';
export type { SourceConnection, SourceResilience } from './sources';
export { loadMocksConfig } from './mocks';
export type { MocksConfig } from './mocks';
export { DEFAULT_CACHE_TTL_S, DEFAULT_REDIS_COMMAND_TIMEOUT_MS, DEFAULT_STALE_IF_ERROR_S } from './cache';
export { DEFAULT_BUDGET_RULES_FILE, SUBGRAPH_SOURCES, loadSubgraphConfig } from './subgraph';
export type { SubgraphConfig } from './subgraph';
export type { GatewayClientTls, SubgraphLinkSecurity, SubgraphServerTls } from './tls';
export { loadShutdownConfig } from './shutdown';
export type { ShutdownConfig } from './shutdown';
export { LOG_LEVELS, loadObservabilityConfig } from './observability';
export type { ObservabilityConfig } from './observability';
export type { RateLimitConfig, RequestLimits } from './limits';
export { loadMetricsConfig } from './metrics';
export type { MetricsConfig } from './metrics';
export { DEFAULT_MAX_TOKEN_AGE_S, DEFAULT_PROCEDURE_CATALOGUE_FILE, DEFAULT_SUBGRAPH_MAX_ANSWER_MIB, loadGatewayConfig, loadMaxTokenAge } from './gateway';
export type { GatewayConfig } from './gateway';
export { loadRedisConfig } from './redis';
export type { RedisConfig, RedisNode, RedisTarget } from './redis';
export { loadWorkersConfig } from './workers';
export type { WorkersConfig } from './workers';
