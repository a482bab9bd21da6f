/**
 * Rate limits per client (`client_id`): a token bucket in Redis when REDIS_URL is set, so all
 * replicas share it; in memory otherwise. When Redis is unreachable or slow the limiter counts in
 * this process instead of refusing (fail open to memory): a Redis outage must not stop the
 * communes' desks, and the per-process bucket still bounds each replica. After a failed take it
 * counts in memory for a second before asking Redis again, so a Redis that hangs delays one
 * request by the command timeout rather than every request.
 */
import { FailurePause, RedisClient } from '../../lib/kv';
import { describeError, log } from '../../lib/log';
import { RedisBuckets } from './redis-buckets';
import { BucketSettings, MemoryBuckets, RateDecision } from './token-bucket';

export type BucketStore = 'redis' | 'memory';

export interface RateLimiter {
  readonly settings: BucketSettings;
  /** Takes `cost` tokens (at most the bucket's size) from the client's bucket. */
  take(clientId: string, cost?: number): Promise<RateDecision & { store: BucketStore }>;
  close(): Promise<void>;
}

export interface RateLimiterOptions extends BucketSettings {
  /** The shared store; null or absent: memory only. The limiter closes it. */
  redis?: RedisClient | null;
}

export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const settings: BucketSettings = { perSecond: options.perSecond, burst: options.burst };
  const memory = new MemoryBuckets(settings);
  const redis = options.redis ? { buckets: new RedisBuckets(options.redis, settings), pause: new FailurePause(options.redis) } : null;
  let onMemory = false;

  return {
    settings,
    async take(clientId, cost = 1) {
      const tokens = Math.min(Math.max(1, cost), settings.burst);
      if (redis?.pause.open) {
        try {
          const decision = await redis.buckets.take(clientId, tokens);
          if (onMemory) log.info('rate limit: Redis is back; buckets are shared again');
          onMemory = false;
          return { ...decision, store: 'redis' };
        } catch (error) {
          if (!onMemory) log.warn('rate limit: Redis unavailable; counting in this process until it is back', describeError(error));
          onMemory = true;
          redis.pause.failed();
        }
      }
      return { ...memory.take(clientId, tokens), store: 'memory' };
    },
    async close() {
      if (!options.redis) return;
      try {
        await options.redis.quit();
      } catch {
        options.redis.disconnect();
      }
    },
  };
}
