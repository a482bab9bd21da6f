/**
 * The cache backends (one set of Redis connections, or one memory store) behind a subgraph's source
 * caches: opened by the first cache of a subgraph instance, shared by the others, closed when the
 * last one closes.
 */
import type { SubgraphConfig } from '../../lib/config';
import { CacheBackend, openCacheBackend } from '../../lib/kv';

/** What of a subgraph's configuration the source caches read; one object per subgraph instance. */
export type CacheConfig = Pick<SubgraphConfig, 'name' | 'cacheTtlMs' | 'cacheMaxEntries'> &
  Partial<Pick<SubgraphConfig, 'staleIfErrorMs' | 'redis' | 'redisCommandTimeoutMs'>>;

/** One backend (one set of Redis connections) per subgraph instance, shared by its caches. */
const backends = new WeakMap<CacheConfig, { backend: CacheBackend; users: number }>();

/** A share of the subgraph instance's backend; the last share released closes it. */
export function acquireBackend(config: CacheConfig): { backend: CacheBackend; release(): Promise<void> } {
  let entry = backends.get(config);
  if (!entry) {
    const backend = openCacheBackend({
      redis: config.redis,
      commandTimeoutMs: config.redisCommandTimeoutMs ?? 250,
      maxEntries: config.cacheMaxEntries,
      role: `subgraph ${config.name}: source cache`,
    });
    entry = { backend, users: 0 };
    backends.set(config, entry);
  }
  entry.users++;
  const held = entry;
  let released = false;
  return {
    backend: held.backend,
    async release() {
      if (released) return;
      released = true;
      if (--held.users > 0) return;
      backends.delete(config);
      await held.backend.close();
    },
  };
}
