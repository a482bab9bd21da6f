/**
 * Source answers kept for a short time per subgraph process, shared by all requests: a citizen
 * asked about twice in a minute (by one dossier's several query-plan steps, or by two desks) costs
 * one source call. Single-flight: while a key is being fetched, other requests for it wait for
 * that fetch instead of starting their own.
 *
 * Only source data is cached, never decisions: scopes and jurisdiction are checked on every
 * request after the cache, so a cached answer reaches only callers who could have fetched it.
 */
import { LRUCache } from 'lru-cache';
import type { SubgraphConfig } from '../../lib/config';
import type { SourceName } from '../../lib/sources';
import { markServedFromCache } from './provenance';

export interface SourceCacheOptions {
  /** How long an answer is served from memory. 0 turns the cache off. */
  ttlMs: number;
  maxEntries?: number;
}

type BatchFetch<V> = (keys: readonly string[]) => Promise<Map<string, V>>;

/** "The source has no such record" is an answer too, and is kept like one. */
const NOT_FOUND = '\u0000not-found';

export class SourceCache {
  private readonly entries: LRUCache<string, string> | null;
  private readonly inFlight = new Map<string, Promise<unknown>>();

  constructor(
    readonly source: SourceName,
    options: SourceCacheOptions,
  ) {
    this.entries = options.ttlMs > 0 ? new LRUCache<string, string>({ max: options.maxEntries ?? 100_000, ttl: options.ttlMs }) : null;
  }

  /**
   * Wraps a batch fetch: keys answered from memory, keys already being fetched awaited, and the
   * rest fetched in one call. Answers are stored as JSON so no request can change another's copy.
   */
  batch<V>(namespace: string, fetch: BatchFetch<V>): BatchFetch<V> {
    if (!this.entries) return fetch;
    const entries = this.entries;
    return async (keys) => {
      const found = new Map<string, V>();
      const waiting: Promise<void>[] = [];
      const misses: string[] = [];
      for (const key of keys) {
        const cacheKey = `${namespace}:${key}`;
        const hit = entries.get(cacheKey);
        if (hit !== undefined) {
          if (hit !== NOT_FOUND) {
            const value = JSON.parse(hit) as V;
            markServedFromCache(value);
            found.set(key, value);
          }
          continue;
        }
        const pending = this.inFlight.get(cacheKey);
        if (pending) {
          waiting.push(
            pending.then((value) => {
              if (value !== null) found.set(key, structuredClone(value) as V);
            }),
          );
          continue;
        }
        misses.push(key);
      }

      if (misses.length > 0) {
        const fetching = fetch(misses);
        for (const key of misses) {
          const cacheKey = `${namespace}:${key}`;
          const single = fetching.then((answers) => answers.get(key) ?? null);
          single.catch(() => undefined); // the caller below sees the failure; waiters see it too
          this.inFlight.set(cacheKey, single);
          void single.finally(() => this.inFlight.delete(cacheKey)).catch(() => undefined);
        }
        const answers = await fetching;
        for (const key of misses) {
          const value = answers.get(key);
          entries.set(`${namespace}:${key}`, value === undefined ? NOT_FOUND : JSON.stringify(value));
          if (value !== undefined) found.set(key, value);
        }
      }
      await Promise.all(waiting);
      return found;
    };
  }

  /** Wraps a one-key fetch (sources that take one ID per call). */
  one<V>(namespace: string, fetch: (key: string) => Promise<V | null>): (key: string) => Promise<V | null> {
    const batched = this.batch<V>(namespace, async ([key]) => {
      const value = await fetch(key);
      return value === null ? new Map() : new Map([[key, value]]);
    });
    return async (key) => (await batched([key])).get(key) ?? null;
  }

  /** Drops every cached answer about these keys (for instance when a source reports a change). */
  invalidate(namespace: string, keys: readonly string[]): void {
    for (const key of keys) this.entries?.delete(`${namespace}:${key}`);
  }

  clear(): void {
    this.entries?.clear();
  }
}

/** The cache for one source, sized and timed as the subgraph's configuration says. */
export function sourceCacheFor(source: SourceName, config: Pick<SubgraphConfig, 'cacheTtlMs' | 'cacheMaxEntries'>): SourceCache {
  return new SourceCache(source, { ttlMs: config.cacheTtlMs[source], maxEntries: config.cacheMaxEntries });
}
