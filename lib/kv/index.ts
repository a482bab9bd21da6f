/**
 * Opens the cache backend of one service: the memory store alone, or Redis (fronted by memory,
 * which also stands in during outages) and its invalidation channel when a Redis URL is set.
 */
import { localInvalidationBus, InvalidationBus, RedisInvalidationBus } from './invalidation-bus';
import { MemoryStore } from './memory-store';
import { RedisStore } from './redis-store';
import type { RedisTarget } from '../config';
import type { KeyValueStore } from './store';

export type { KeyValueStore } from './store';
export type { InvalidationBus, InvalidationMessage } from './invalidation-bus';
export { MemoryStore } from './memory-store';
export { RedisStore } from './redis-store';
export { createRedisClient } from './redis-client';
export { FailurePause } from './failure-pause';
export type { RedisClient } from './redis-client';

export interface CacheBackendOptions {
  redis?: RedisTarget | undefined;
  commandTimeoutMs: number;
  /** Entries kept in memory (the whole store without Redis, this process's tier with it). */
  maxEntries: number;
  /** Named in log lines. */
  role: string;
  /** Listen for invalidation messages (subgraphs; the gateway when it keeps subgraph answers). */
  invalidation?: boolean;
}

export interface CacheBackend {
  store: KeyValueStore;
  bus: InvalidationBus;
  close(): Promise<void>;
}

export function openCacheBackend(options: CacheBackendOptions): CacheBackend {
  if (!options.redis) {
    const store = new MemoryStore(options.maxEntries);
    return { store, bus: localInvalidationBus, close: () => store.close() };
  }
  const store = new RedisStore({ target: options.redis, commandTimeoutMs: options.commandTimeoutMs, local: new MemoryStore(options.maxEntries), role: options.role });
  const bus = options.invalidation === false ? localInvalidationBus : new RedisInvalidationBus(options.redis, store.client, options.commandTimeoutMs);
  return {
    store,
    bus,
    close: async () => {
      await Promise.all([bus.close(), store.close()]);
    },
  };
}
