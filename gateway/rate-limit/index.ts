/**
 * Rate limits per `client_id`, checked once the caller is known and the body read, before any
 * GraphQL work: a batch costs one token per operation. Refused: HTTP 429, `Retry-After`, and
 * `extensions.code: RATE_LIMITED` with `extensions.retryAfter` in seconds.
 */
import type { RateLimitConfig, RedisTarget } from '../../lib/config';
import { HttpError } from '../../lib/graphql-http';
import { createRedisClient } from '../../lib/kv';
import { ANONYMOUS, type Principal } from '../../lib/principal';
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

/**
 * The bucket a request draws from: its client's (`client_id`, signed in the token); for callers
 * without a token (ALLOW_ANONYMOUS), the connection's address, so that one script cannot spend
 * every anonymous caller's allowance. Behind a proxy that is the proxy's address: limit anonymous
 * traffic there too.
 */
export function rateBucketOf(principal: Principal, peerAddress: string | undefined): string {
  return principal.subject === ANONYMOUS.subject ? `${ANONYMOUS.clientId}@${peerAddress ?? 'unknown'}` : principal.clientId;
}

/**
 * The refusal for this caller's request of `operations` operations, drawn from `bucket`, or null to
 * let it through. Listeners hear the client id, never the bucket (an address is no metric label).
 */
export async function admitByRate(limiter: RateLimiter, principal: Principal, operations: number, onRejected?: RateLimitListener, bucket = principal.clientId): Promise<HttpError | null> {
  const decision = await limiter.take(bucket, operations);
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
      const { principal } = request;
      const refusal = await admitByRate(limiter, principal, request.operations.length, onRejected, rateBucketOf(principal, request.req.socket?.remoteAddress));
      if (refusal) throw refusal;
    },
    close: () => limiter.close(),
  };
}
