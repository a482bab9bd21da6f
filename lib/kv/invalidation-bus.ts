/**
 * Tells every process that some citizens' cached source answers are out of date. With Redis it
 * is a pub/sub channel every subgraph replica subscribes to (in a Redis Cluster, PUBLISH reaches
 * every node, so a subscriber on any node hears it); without Redis, an in-process event
 * (there is no other process sharing the cache then). Delivery is at most once: a replica
 * disconnected from Redis misses messages, which is why the Redis store drops its stand-in
 * memory when it reconnects.
 *
 * Message on the channel `vncg:source-cache:invalidate` (JSON):
 *   {"v":1,"personalIds":["024190012345",…],"sources":["civil-status"]}
 * `sources` names whose answers changed; absent, every source's answers about them are dropped.
 */
import { EventEmitter } from 'node:events';
import { isPersonalId } from '../personal-id';
import { SOURCES, SourceName } from '../sources';
import type { RedisTarget } from '../config';
import { createRedisClient, RedisClient } from './redis-client';

export const INVALIDATION_CHANNEL = 'vncg:source-cache:invalidate';

export interface InvalidationMessage {
  personalIds: string[];
  sources?: SourceName[];
}

export interface InvalidationBus {
  /** Resolves true once the message is handed to every process (Redis accepted it, or in-process). */
  publish(message: InvalidationMessage): Promise<boolean>;
  subscribe(listener: (message: InvalidationMessage) => void): () => void;
  close(): Promise<void>;
}

export function encodeInvalidation(message: InvalidationMessage): string {
  return JSON.stringify({ v: 1, personalIds: message.personalIds, ...(message.sources ? { sources: message.sources } : {}) });
}

/** Reads a message from the channel; anything malformed is ignored (null), never half-applied. */
export function decodeInvalidation(text: string): InvalidationMessage | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const { v, personalIds, sources } = parsed as Record<string, unknown>;
  if (v !== 1 || !Array.isArray(personalIds) || !personalIds.every(isPersonalId)) return null;
  if (sources !== undefined && (!Array.isArray(sources) || !sources.every((s) => (SOURCES as readonly unknown[]).includes(s)))) return null;
  return { personalIds: personalIds as string[], ...(sources ? { sources: sources as SourceName[] } : {}) };
}

const local = new EventEmitter().setMaxListeners(0);

/** The bus of a process without Redis. */
export const localInvalidationBus: InvalidationBus = {
  async publish(message) {
    local.emit('message', message);
    return true;
  },
  subscribe(listener) {
    local.on('message', listener);
    return () => void local.off('message', listener);
  },
  async close() {},
};

export class RedisInvalidationBus implements InvalidationBus {
  private readonly subscriber: RedisClient;
  private readonly listeners = new Set<(message: InvalidationMessage) => void>();

  constructor(
    target: RedisTarget,
    private readonly publisher: RedisClient,
    commandTimeoutMs: number,
  ) {
    this.subscriber = createRedisClient(target, { commandTimeoutMs, subscriber: true, role: 'cache invalidation' });
    // Subscribed on every connection, the first and each reconnection, by this bus rather than by
    // ioredis (autoResubscribe is off): the SUBSCRIBE ioredis sends itself after a reconnection
    // rejects with nobody to handle it when the bus is closed before Redis answers it.
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(INVALIDATION_CHANNEL).catch(() => undefined);
    });
    this.subscriber.on('message', (channel: string, text: string) => {
      if (channel !== INVALIDATION_CHANNEL) return;
      const message = decodeInvalidation(text);
      if (message) for (const listener of this.listeners) listener(message);
    });
  }

  async publish(message: InvalidationMessage): Promise<boolean> {
    try {
      await this.publisher.publish(INVALIDATION_CHANNEL, encodeInvalidation(message));
      return true;
    } catch {
      return false;
    }
  }

  subscribe(listener: (message: InvalidationMessage) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscriber.disconnect();
  }
}
