/**
 * How the product connects to Redis: never wait for it. Commands fail at once while it is
 * disconnected (no offline queue) and after `commandTimeoutMs` when it hangs, so callers fall back
 * to memory instead of stalling a request; the connection is retried forever in the background.
 */
import Redis from 'ioredis';
import { describeError, log } from '../log';

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

export function createRedisClient(url: string, options: RedisClientOptions): Redis {
  const client = new Redis(url, {
    enableOfflineQueue: options.subscriber === true,
    autoResubscribe: false,
    commandTimeout: options.subscriber ? undefined : options.commandTimeoutMs,
    connectTimeout: Math.max(1000, options.commandTimeoutMs * 4),
    maxRetriesPerRequest: options.subscriber ? null : 0,
    retryStrategy: reconnectDelayMs,
    // Concurrent commands of many requests travel in one round trip.
    enableAutoPipelining: !options.subscriber,
  });
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
