/**
 * Where the shared Redis is: one server (`REDIS_URL`), a Redis Cluster (`REDIS_CLUSTER_NODES`) or
 * a primary found through Sentinel (`REDIS_SENTINELS` + `REDIS_SENTINEL_NAME`). At most one of
 * the three; none means every cache, rate limit and replay guard stays in this process's memory.
 * lib/kv/redis-client.ts turns the target into an ioredis client, the only place that does.
 */
import { z } from 'zod';
import { DEFAULT_REDIS_COMMAND_TIMEOUT_MS } from './cache';
import { ConfigError, Env, bool, positiveInt, read, redisUrl } from './env';

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisTarget =
  | { mode: 'single'; url: string }
  /** Seed nodes: ioredis learns the rest of the cluster (and every failover) from them. */
  | { mode: 'cluster'; nodes: RedisNode[]; password?: string; tls: boolean }
  | { mode: 'sentinel'; sentinels: RedisNode[]; name: string; password?: string; tls: boolean };

export interface RedisConfig {
  /** Unset: memory only. */
  redis: RedisTarget | undefined;
  redisCommandTimeoutMs: number;
}

const nodeList = z.string().transform((text, ctx) => {
  const nodes: RedisNode[] = [];
  for (const item of text.split(',').map((s) => s.trim()).filter(Boolean)) {
    const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(item);
    const port = match ? Number(match[2]) : NaN;
    if (!match || port < 1 || port > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected host:port,host:port,… ("${item}" is not)` });
      return z.NEVER;
    }
    nodes.push({ host: match[1].replace(/^\[|\]$/g, ''), port });
  }
  if (nodes.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'expected at least one host:port' });
    return z.NEVER;
  }
  return nodes;
});

export function loadRedisConfig(env: Env): RedisConfig {
  const v = read(
    {
      REDIS_URL: redisUrl.optional(),
      REDIS_CLUSTER_NODES: nodeList.optional(),
      REDIS_SENTINELS: nodeList.optional(),
      REDIS_SENTINEL_NAME: z.string().optional(),
      /** Cluster and Sentinel: the password of the Redis nodes (REDIS_URL carries its own). */
      REDIS_PASSWORD: z.string().optional(),
      REDIS_TLS: bool.default(false),
      REDIS_COMMAND_TIMEOUT_MS: positiveInt.max(10_000).default(DEFAULT_REDIS_COMMAND_TIMEOUT_MS),
    },
    env,
  );
  const given = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter((name) => v[name] !== undefined);
  if (given.length > 1) throw new ConfigError([`${given.join(' and ')}: set only one (a single Redis, a Redis Cluster, or Sentinel)`]);
  if (v.REDIS_SENTINELS && !v.REDIS_SENTINEL_NAME) throw new ConfigError(['REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the monitored primary\'s name)']);
  const auth = v.REDIS_PASSWORD ? { password: v.REDIS_PASSWORD } : {};
  let redis: RedisTarget | undefined;
  if (v.REDIS_URL) redis = { mode: 'single', url: v.REDIS_URL };
  else if (v.REDIS_CLUSTER_NODES) redis = { mode: 'cluster', nodes: v.REDIS_CLUSTER_NODES, tls: v.REDIS_TLS, ...auth };
  else if (v.REDIS_SENTINELS) redis = { mode: 'sentinel', sentinels: v.REDIS_SENTINELS, name: v.REDIS_SENTINEL_NAME!, tls: v.REDIS_TLS, ...auth };
  return { redis, redisCommandTimeoutMs: v.REDIS_COMMAND_TIMEOUT_MS };
}
