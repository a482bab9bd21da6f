/**
 * The in-process store: an LRU of strings with a time to live per entry, bounded by entries and by
 * size (keys and values in UTF-16 code units), so that large values cannot grow a process past its
 * memory, whoever chooses them (a client asking for answers under ever new keys, say).
 */
import { LRUCache } from 'lru-cache';
import type { KeyValueStore } from './store';

/** The default bound on what one store holds: 64 Mi code units (about 128 MiB of strings). */
export const DEFAULT_MAX_STORE_UNITS = 64 * 1024 * 1024;

export class MemoryStore implements KeyValueStore {
  readonly backend = 'memory' as const;
  private readonly entries: LRUCache<string, string>;

  constructor(maxEntries = 100_000, maxUnits = DEFAULT_MAX_STORE_UNITS) {
    this.entries = new LRUCache<string, string>({ max: maxEntries, maxSize: maxUnits, sizeCalculation: (value, key) => key.length + value.length + 1 });
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    return keys.map((key) => this.entries.get(key));
  }

  async get(key: string): Promise<string | undefined> {
    return this.entries.get(key);
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    this.entries.set(key, value, { ttl: ttlMs });
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (this.entries.has(key)) return false;
    this.entries.set(key, '1', { ttl: ttlMs });
    return true;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
  }

  async dropLocal(keys: readonly string[]): Promise<void> {
    await this.delete(keys);
  }

  clear(): void {
    this.entries.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}
