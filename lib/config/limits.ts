/** Request limits and rate limits (gateway); README "Limits" says what each refusal means. */
import { z } from 'zod';
import { Env, nonNegativeInt, positiveInt, read } from './env';

/** What one request may ask; each is refused before execution with its own error code. */
export interface RequestLimits {
  maxBodyBytes: number;
  /** Operations in one batched request (a JSON array). */
  maxBatchOperations: number;
  /** Bytes of the query document itself. */
  maxQueryBytes: number;
  maxTokens: number;
  maxDepth: number;
  maxAliases: number;
  maxDirectives: number;
  /** Estimated values fetched, list sizes counted (gateway/limits/cost.ts). */
  maxCost: number;
}

export interface RateLimitConfig {
  /** Sustained requests per second per client_id; 0 turns rate limiting off. */
  perSecond: number;
  /** Requests a client may make at once above the sustained rate (the bucket's size). */
  burst: number;
}

export function loadRequestLimits(env: Env): RequestLimits {
  const v = read(
    {
      MAX_BODY_BYTES: positiveInt.max(100_000_000).default(262_144),
      MAX_BATCH_OPERATIONS: positiveInt.max(1000).default(10),
      MAX_QUERY_BYTES: positiveInt.max(10_000_000).default(16_384),
      MAX_QUERY_TOKENS: positiveInt.max(1_000_000).default(2000),
      MAX_QUERY_DEPTH: positiveInt.max(1000).default(10),
      MAX_QUERY_ALIASES: nonNegativeInt.max(100_000).default(20),
      MAX_QUERY_DIRECTIVES: nonNegativeInt.max(100_000).default(20),
      MAX_QUERY_COST: positiveInt.default(25_000),
    },
    env,
  );
  return {
    maxBodyBytes: v.MAX_BODY_BYTES,
    maxBatchOperations: v.MAX_BATCH_OPERATIONS,
    maxQueryBytes: v.MAX_QUERY_BYTES,
    maxTokens: v.MAX_QUERY_TOKENS,
    maxDepth: v.MAX_QUERY_DEPTH,
    maxAliases: v.MAX_QUERY_ALIASES,
    maxDirectives: v.MAX_QUERY_DIRECTIVES,
    maxCost: v.MAX_QUERY_COST,
  };
}

export function loadRateLimit(env: Env): RateLimitConfig {
  const v = read(
    { RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(1_000_000).default(50), RATE_LIMIT_BURST: positiveInt.max(1_000_000).default(100) },
    env,
  );
  return { perSecond: v.RATE_LIMIT_PER_SECOND, burst: v.RATE_LIMIT_BURST };
}
