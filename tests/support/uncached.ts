/** A source cache that keeps nothing: unit tests of loaders count every source call. */
import type { SourceName } from '../../lib/sources';
import { SourceCache } from '../../subgraphs/common/source-cache';

export function uncached(source: SourceName): SourceCache {
  return new SourceCache(source, { ttlMs: 0 });
}

export const UNCACHED_CONFIG = {
  cacheTtlMs: { population: 0, 'civil-status': 0, land: 0, 'social-insurance': 0, budget: 0, catalogue: 0 },
  cacheMaxEntries: 1,
};
