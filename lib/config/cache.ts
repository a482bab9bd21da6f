/** Cache defaults shared by the subgraphs' source cache and the gateway's Redis use. */
import type { SourceName } from '../sources';

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
