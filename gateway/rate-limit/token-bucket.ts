/**
 * A token bucket per key, in this process's memory: `burst` tokens to start with, refilled at
 * `perSecond`; each request takes `cost` tokens or is refused with the wait until it could.
 * The memory store stands alone without Redis and stands in for Redis while it is away.
 */
import { LRUCache } from 'lru-cache';

export interface BucketSettings {
  /** Tokens added per second. */
  perSecond: number;
  /** The bucket's size: how many requests may come at once. */
  burst: number;
}

export interface RateDecision {
  allowed: boolean;
  /** When refused: milliseconds until `cost` tokens are there again. */
  retryAfterMs: number;
  /** Whole tokens left after this request. */
  remaining: number;
}

interface Bucket {
  tokens: number;
  /** When `tokens` was last brought up to date, ms since the epoch. */
  at: number;
}

/** The decision for one take, and the bucket after it (shared with the Redis script's logic). */
export function takeFromBucket(bucket: Bucket | undefined, settings: BucketSettings, cost: number, now: number): { decision: RateDecision; bucket: Bucket } {
  const last = bucket ?? { tokens: settings.burst, at: now };
  const elapsed = Math.max(0, now - last.at);
  let tokens = Math.min(settings.burst, last.tokens + (elapsed * settings.perSecond) / 1000);
  const allowed = tokens >= cost;
  if (allowed) tokens -= cost;
  const retryAfterMs = allowed ? 0 : Math.ceil(((cost - tokens) * 1000) / settings.perSecond);
  return { decision: { allowed, retryAfterMs, remaining: Math.floor(tokens) }, bucket: { tokens, at: Math.max(now, last.at) } };
}

export class MemoryBuckets {
  private readonly buckets: LRUCache<string, Bucket>;

  constructor(
    private readonly settings: BucketSettings,
    maxKeys = 100_000,
  ) {
    // A bucket left alone long enough to be full again is the same as no bucket.
    const refillMs = Math.ceil((settings.burst * 1000) / settings.perSecond);
    this.buckets = new LRUCache({ max: maxKeys, ttl: Math.max(1000, refillMs), ttlAutopurge: false });
  }

  take(key: string, cost = 1, now = Date.now()): RateDecision {
    const { decision, bucket } = takeFromBucket(this.buckets.get(key), this.settings, cost, now);
    this.buckets.set(key, bucket);
    return decision;
  }
}
