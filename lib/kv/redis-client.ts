/**
 * How the product connects to Redis, the one factory every Redis user calls (caches, invalidation,
 * rate limits, the subgraphs' replay guard): a single server, a Redis Cluster or a Sentinel-managed
 * primary, as configured (lib/config/redis.ts). Never wait for it: commands fail at once while it
 * is disconnected (no offline queue) and after `commandTimeoutMs` when it hangs, so callers fall
 * back to memory instead of stalling a request; the connection is retried forever in the background.
 */
import Redis, { Cluster, ClusterOptions, RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config';
import { describeError, log } from '../log';

/** A connection of any shape; callers use only what both ioredis classes offer. */
export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  commandTimeoutMs: number;
  /**
   * Subscribers queue their commands until connected; command connections queue nothing. A
   * subscriber's owner subscribes again on every 'ready': ioredis does not, since its own
   * SUBSCRIBE after a reconnection is a promise nobody handles.
   */
  subscriber?: boolean;
  /** Named in log lines, e.g. "source cache". */
  role: string;
}

/** Reconnect delay: 100 ms doubling up to 2 s, for as long as it takes. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(100 * 2 ** Math.min(attempt - 1, 5), 2000);
}

function connectionOptions(options: RedisClientOptions): RedisOptions {
  return {
    enableOfflineQueue: options.subscriber === true,
    autoResubscribe: false,
    commandTimeout: options.subscriber ? undefined : options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs * 4),
    maxRetriesPerRequest: options.subscriber ? null : 0,
    retryStrategy: reconnectDelayMs,
  };
}

function open(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const common = connectionOptions(options);
  // Concurrent commands of many requests travel in one round trip (per node in a cluster).
  const enableAutoPipelining = !options.subscriber;
  switch (target.mode) {
    case 'single':
      return new Redis(target.url, { ...common, enableAutoPipelining });
    case 'sentinel':
      return new Redis({
        ...common,
        enableAutoPipelining,
        sentinels: target.sentinels,
        name: target.name,
        ...(target.password ? { password: target.password, sentinelPassword: target.password } : {}),
        ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        sentinelRetryStrategy: reconnectDelayMs,
      });
    case 'cluster': {
      const clusterOptions: ClusterOptions = {
        enableOfflineQueue: common.enableOfflineQueue,
        enableAutoPipelining,
        clusterRetryStrategy: reconnectDelayMs,
        // A primary that fails over answers MOVED/CLUSTERDOWN for a few seconds; a request does not
        // wait for that (commandTimeout still bounds it), memory stands in meanwhile.
        retryDelayOnFailover: 100,
        retryDelayOnClusterDown: 100,
        retryDelayOnTryAgain: 100,
        maxRedirections: 4,
        slotsRefreshTimeout: Math.max(1000, options.commandTimeoutMs * 4),
        redisOptions: {
          ...common,
          ...(target.password ? { password: target.password } : {}),
          ...(target.tls ? { tls: {} } : {}),
        },
      };
      return new Cluster(target.nodes, clusterOptions);
    }
  }
}

export function createRedisClient(target: RedisTarget, options: RedisClientOptions): RedisClient {
  const client = open(target, options);
  // Once per outage, not once per reconnection attempt; the URL (it may hold a password) is never logged.
  let down = false;
  client.on('error', (error: Error) => {
    if (down) return;
    down = true;
    log.warn(`${options.role}: Redis unavailable; using in-process memory until it is back`, describeError(error));
  });
  client.on('ready', () => {
    if (down) log.info(`${options.role}: Redis reachable again`);
    down = false;
  });
  return client;
}

/**
 * Multi-key commands (MGET, DEL k1 k2) must stay within one hash slot in a cluster; the keys the
 * product uses are independent, so a cluster gets one command per key, pipelined per node.
 */
export async function getEach(client: RedisClient, keys: readonly string[]): Promise<(string | null)[]> {
  if (!client.isCluster) return (client as Redis).mget(...keys);
  return Promise.all(keys.map((key) => client.get(key)));
}

export async function deleteEach(client: RedisClient, keys: readonly string[]): Promise<void> {
  if (!client.isCluster) {
    await (client as Redis).del(...keys);
    return;
  }
  await Promise.all(keys.map((key) => client.del(key)));
}
