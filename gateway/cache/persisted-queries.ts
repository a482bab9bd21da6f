/**
 * Automatic persisted queries (Apollo's APQ protocol): a client sends the SHA-256 of a query it
 * sent before instead of the query text; the first time, the gateway answers
 * PERSISTED_QUERY_NOT_FOUND and the client sends both, which registers it. Queries are kept in the
 * gateway's key-value store — Redis when configured, so every replica knows a query one of them
 * registered — for `ttlS` seconds.
 */
import type { KeyValueStore } from '../../lib/kv';
import type { GatewayFeature } from '../feature';

/** Apollo Server prefixes its keys with `apq:`; this namespaces them among the product's keys. */
const PREFIX = 'gw:';

export function persistedQueries({ store, ttlS }: { store: KeyValueStore; ttlS: number }): GatewayFeature {
  return {
    name: 'persisted-queries',
    persistedQueries: {
      ttl: ttlS,
      cache: {
        get: (key) => store.get(PREFIX + key),
        set: (key, value, options) => store.set(PREFIX + key, value, (options?.ttl ?? ttlS) * 1000),
        delete: (key) => store.delete([PREFIX + key]),
      },
    },
  };
}
