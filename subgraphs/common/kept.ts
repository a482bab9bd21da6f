/**
 * Values computed from many source calls (a commune's reconciliation report, its indicators),
 * kept in this process for a while per key and computed once however many requests ask for them
 * meanwhile. Unlike the source cache this holds derived results, never a source's answer, so
 * access is still decided per request by the resolver that reads it.
 */
import { LRUCache } from 'lru-cache';

export class Kept<V extends NonNullable<unknown>> {
  private readonly values: LRUCache<string, V> | null;
  private readonly computing = new Map<string, Promise<V>>();

  /** `ttlMs` 0 keeps nothing (each request computes, though concurrent ones still share). */
  constructor(ttlMs: number, maxEntries = 500) {
    this.values = ttlMs > 0 ? new LRUCache<string, V>({ max: maxEntries, ttl: ttlMs }) : null;
  }

  /** The kept value, the one being computed, or a new computation. A failure is not kept. */
  get(key: string, compute: () => Promise<V>): Promise<V> {
    const kept = this.values?.get(key);
    if (kept !== undefined) return Promise.resolve(kept);
    let running = this.computing.get(key);
    if (!running) {
      running = compute()
        .then((value) => {
          this.values?.set(key, value);
          return value;
        })
        .finally(() => this.computing.delete(key));
      this.computing.set(key, running);
    }
    return running;
  }

  /** Whether `key` is kept now (it would cost no source call). */
  has(key: string): boolean {
    return this.values?.has(key) ?? false;
  }
}
