/** The in-process store: an LRU of strings with a time to live per entry. */
import { LRUCache } from 'lru-cache';
import type { KeyValueStore } from './store';

export class MemoryStore implements KeyValueStore {
  readonly backend = 'memory' as const;
  private readonly entries: LRUCache<string, string>;

  constructor(maxEntries = 100_000) {
    this.entries = new LRUCache<string, string>({ max: maxEntries });
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
