/** A source cache that keeps nothing: unit tests of loaders count every source call. */
import { DEFAULT_BUDGET_RULES_FILE } from '../../lib/config';
import type { SourceName } from '../../lib/sources';
import { SourceCache } from '../../sources/kit/source-cache';

export function uncached(source: SourceName): SourceCache {
  return new SourceCache(source, { ttlMs: 0 });
}

const perSource = (value: number) => ({ population: value, 'civil-status': value, land: value, 'social-insurance': value, budget: value, catalogue: value });

export const UNCACHED_CONFIG = {
  cacheTtlMs: perSource(0),
  cacheMaxEntries: 1,
  staleIfErrorMs: perSource(0),
  redis: undefined,
  redisCommandTimeoutMs: 250,
  cacheInvalidationToken: undefined,
  trustUnsigned: false,
  budgetRulesFile: DEFAULT_BUDGET_RULES_FILE,
  reconciliationCacheTtlMs: 0,
  indicatorsCacheTtlMs: 0,
  indicatorsMaxInsuranceLookups: 20_000,
};
