/**
 * Rate limits per `client_id`, checked once the caller is known and the body read, before any
 * GraphQL work: a batch costs one token per operation. Refused: HTTP 429, `Retry-After`, and
 * `extensions.code: RATE_LIMITED` with `extensions.retryAfter` in seconds.
 */
import type { RateLimitConfig, RedisTarget } from '../../lib/config';
import { HttpError } from '../../lib/graphql-http';
import { createRedisClient } from '../../lib/kv';
import type { Principal } from '../../lib/principal';
import type { GatewayEvents } from '../events';
import type { GatewayFeature } from '../feature';
import { BucketStore, createRateLimiter, RateLimiter } from './limiter';

export { createRateLimiter } from './limiter';
export type { RateLimiter } from './limiter';

export interface RateLimitWiring extends RateLimitConfig {
  redis: RedisTarget | undefined;
  redisCommandTimeoutMs: number;
}

/** The configured limiter, or null when RATE_LIMIT_PER_SECOND is 0. */
export function rateLimiterFor(config: RateLimitWiring): RateLimiter | null {
  if (config.perSecond <= 0) return null;
  const redis = config.redis ? createRedisClient(config.redis, { commandTimeoutMs: config.redisCommandTimeoutMs, role: 'rate limit' }) : null;
  return createRateLimiter({ perSecond: config.perSecond, burst: config.burst, redis });
}

export type RateLimitListener = (clientId: string, store: BucketStore) => void;

/** The refusal for this caller's request of `operations` operations, or null to let it through. */
export async function admitByRate(limiter: RateLimiter, principal: Principal, operations: number, onRejected?: RateLimitListener): Promise<HttpError | null> {
  const decision = await limiter.take(principal.clientId, operations);
  if (decision.allowed) return null;
  onRejected?.(principal.clientId, decision.store);
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  const { perSecond, burst } = limiter.settings;
  return new HttpError(
    429,
    'RATE_LIMITED',
    `Too many requests from this client (client_id): the limit is ${perSecond} per second with bursts of ${burst}. Retry after ${seconds} s.`,
    { 'retry-after': String(seconds) },
    { retryAfter: seconds },
  );
}

export interface RateLimitOptions extends RateLimitWiring {
  events: GatewayEvents;
}

/** Register after authentication (the bucket is the caller's) and before the document checks. */
export function rateLimit({ events, ...wiring }: RateLimitOptions): GatewayFeature {
  const limiter = rateLimiterFor(wiring);
  if (!limiter) return { name: 'rate-limit' };
  const onRejected: RateLimitListener = (clientId, store) => events.emit('rate.limited', { clientId, store });
  return {
    name: 'rate-limit',
    async onOperations(request) {
      const refusal = await admitByRate(limiter, request.principal, request.operations.length, onRejected);
      if (refusal) throw refusal;
    },
    close: () => limiter.close(),
  };
}
