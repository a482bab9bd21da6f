/**
 * The same token bucket kept in Redis, so every gateway replica draws from one bucket per
 * client. One Lua script reads, refills, takes and writes atomically, timed by Redis's own clock
 * (replicas' clocks may differ). Keys expire once the bucket would be full again. The script
 * touches one key, so it runs unchanged on a Redis Cluster (the key's node runs it).
 */
import type { RedisClient } from '../../lib/kv';
import type { BucketSettings, RateDecision } from './token-bucket';

const TAKE_SCRIPT = `
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate / 1000)
  at = now
end
local allowed = 0
local wait = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  wait = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return { allowed, wait, math.floor(tokens) }
`;

type TakeCommand = (key: string, perSecond: number, burst: number, cost: number) => Promise<[number, number, number]>;

export class RedisBuckets {
  private readonly takeCommand: TakeCommand;

  constructor(
    redis: RedisClient,
    private readonly settings: BucketSettings,
    private readonly keyPrefix = 'vn-gateway:rate:',
  ) {
    // defineCommand sends the script by its SHA and loads it again after a Redis restart.
    if (!(redis as unknown as Record<string, unknown>).vnTakeToken) redis.defineCommand('vnTakeToken', { numberOfKeys: 1, lua: TAKE_SCRIPT });
    this.takeCommand = (redis as unknown as { vnTakeToken: TakeCommand }).vnTakeToken.bind(redis);
  }

  async take(key: string, cost = 1): Promise<RateDecision> {
    const [allowed, retryAfterMs, remaining] = await this.takeCommand(this.keyPrefix + key, this.settings.perSecond, this.settings.burst, cost);
    return { allowed: allowed === 1, retryAfterMs, remaining };
  }
}
