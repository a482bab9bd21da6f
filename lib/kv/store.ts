/**
 * The key-value interface every cache in the product stores through: source answers in the
 * subgraphs, persisted queries and whole responses in the gateway. Values are strings (callers
 * serialise), every entry has a time to live, and no operation throws: a backend that fails
 * answers "not found" and forgets writes, so a cache outage costs speed, never a request.
 */
export interface KeyValueStore {
  /** One value per key, `undefined` where there is none (or the backend could not answer). */
  getMany(keys: readonly string[]): Promise<(string | undefined)[]>;
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Deletes everywhere: this process and, with Redis, every replica's shared store. */
  delete(keys: readonly string[]): Promise<void>;
  /**
   * Takes `key` for `ttlMs` if nobody has (SET NX PX with Redis: every replica sharing the store
   * sees it): true for the first taker, false after. Memory answers while Redis cannot.
   */
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Drops only this process's copies (another replica already deleted the shared ones). */
  dropLocal(keys: readonly string[]): Promise<void>;
  /** Where values currently go: `redis`, or `memory` (configured so, or while Redis is unreachable). */
  readonly backend: 'memory' | 'redis';
  close(): Promise<void>;
}
