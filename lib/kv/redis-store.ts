/**
 * Redis as the store every replica shares, fronted by this process's memory:
 *  - reads look in memory first, then Redis; what Redis answers is kept in memory for a few
 *    seconds (`localTtlMs`), so hot keys cost no round trip. Invalidation messages (see
 *    invalidation-bus.ts) drop those copies in every replica at once;
 *  - writes go to both;
 *  - while Redis cannot answer — disconnected, a command failed or timed out (then memory alone is
 *    used for a short pause, so a hung Redis costs one timeout, not one per request), or before
 *    the first connection — memory alone serves, with the full time to live. Requests never fail
 *    for it;
 *  - when Redis answers again it is used again: deletions it missed are replayed, and the memory
 *    is emptied, since invalidation messages may have been missed meanwhile;
 *  - in a Redis Cluster, multi-key reads and deletions go one key per command (keys of different
 *    hash slots cannot share one), pipelined per node.
 */
import { FailurePause } from './failure-pause';
import { MemoryStore } from './memory-store';
import type { RedisTarget } from '../config';
import { createRedisClient, deleteEach, getEach, RedisClient } from './redis-client';
import type { KeyValueStore } from './store';

export interface RedisStoreOptions {
  target: RedisTarget;
  commandTimeoutMs: number;
  /** This process's tier: short-lived copies while Redis is up, the whole cache while it is not. */
  local: MemoryStore;
  /** How long a value stays in memory while Redis is up. */
  localTtlMs?: number;
  role: string;
}

/** Deletions remembered while Redis is away; beyond this the rest expire by their TTL. */
const MAX_PENDING_DELETES = 50_000;
export const DEFAULT_LOCAL_TTL_MS = 5000;

export class RedisStore implements KeyValueStore {
  readonly client: RedisClient;
  private readonly local: MemoryStore;
  private readonly localTtlMs: number;
  private readonly pause: FailurePause;
  /** Redis was unusable since the last successful command: memory may miss invalidations. */
  private away = true;
  private readonly pendingDeletes = new Set<string>();
  /** Keys this process claimed: kept apart from the cache tier, which reconnections empty. */
  private readonly claims: MemoryStore;

  constructor(options: RedisStoreOptions) {
    this.local = options.local;
    this.claims = new MemoryStore(100_000);
    this.localTtlMs = options.localTtlMs ?? DEFAULT_LOCAL_TTL_MS;
    this.client = createRedisClient(options.target, { commandTimeoutMs: options.commandTimeoutMs, role: options.role });
    this.pause = new FailurePause(this.client);
    this.client.on('close', () => {
      this.away = true;
    });
    this.client.on('ready', () => this.answered());
  }

  get backend(): 'memory' | 'redis' {
    return this.usable() ? 'redis' : 'memory';
  }

  private usable(): boolean {
    return this.client.status === 'ready' && this.pause.open;
  }

  private failed(): void {
    this.pause.failed();
    this.away = true;
  }

  private answered(): void {
    if (!this.away) return;
    this.away = false;
    this.local.clear();
    if (this.pendingDeletes.size > 0) void this.replayDeletes();
  }

  async getMany(keys: readonly string[]): Promise<(string | undefined)[]> {
    const values = await this.local.getMany(keys);
    if (!this.usable()) return values;
    const missing: number[] = [];
    values.forEach((value, index) => value === undefined && missing.push(index));
    if (missing.length === 0) return values;
    try {
      const fetched = await getEach(this.client, missing.map((index) => keys[index]));
      this.answered();
      fetched.forEach((value, i) => {
        if (value === null) return;
        values[missing[i]] = value;
        void this.local.set(keys[missing[i]], value, this.localTtlMs);
      });
    } catch {
      this.failed();
    }
    return values;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.getMany([key]))[0];
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    if (!this.usable()) return this.local.set(key, value, ttlMs);
    await this.local.set(key, value, Math.min(ttlMs, this.localTtlMs));
    try {
      await this.client.set(key, value, 'PX', Math.max(1, Math.round(ttlMs)));
      this.answered();
    } catch {
      this.failed();
      await this.local.set(key, value, ttlMs);
    }
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    // Memory first: it answers for this process at once and is what remains when Redis is away.
    if (!(await this.claims.claim(key, ttlMs))) return false;
    if (!this.usable()) return true;
    try {
      const taken = await this.client.set(key, '1', 'PX', Math.max(1, Math.round(ttlMs)), 'NX');
      this.answered();
      return taken === 'OK';
    } catch {
      this.failed();
      return true;
    }
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.local.delete(keys);
    if (this.usable()) {
      try {
        await deleteEach(this.client, keys);
        this.answered();
        return;
      } catch {
        this.failed();
      }
    }
    for (const key of keys) if (this.pendingDeletes.size < MAX_PENDING_DELETES) this.pendingDeletes.add(key);
  }

  /** Drops this process's copies (an invalidation from another replica reached it). */
  async dropLocal(keys: readonly string[]): Promise<void> {
    await this.local.delete(keys);
  }

  private async replayDeletes(): Promise<void> {
    const keys = [...this.pendingDeletes];
    this.pendingDeletes.clear();
    for (let start = 0; start < keys.length; start += 500) {
      try {
        await deleteEach(this.client, keys.slice(start, start + 500));
      } catch {
        for (const key of keys.slice(start)) this.pendingDeletes.add(key);
        return;
      }
    }
  }

  async close(): Promise<void> {
    this.client.disconnect();
    await Promise.all([this.local.close(), this.claims.close()]);
  }
}
