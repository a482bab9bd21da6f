/**
 * After a failed Redis command, memory alone serves for a while before Redis is asked again: a
 * Redis that hangs costs its callers one command timeout (`REDIS_COMMAND_TIMEOUT_MS`), not one per
 * request. Its client's `ready` (a reconnection) ends the pause at once.
 */
import type { RedisClient } from './redis-client';

/** After a failed command, memory alone is used for this long before Redis is tried again. */
const PAUSE_AFTER_FAILURE_MS = 1000;

export class FailurePause {
  private until = 0;

  constructor(client: RedisClient, private readonly pauseMs = PAUSE_AFTER_FAILURE_MS) {
    client.on('ready', () => {
      this.until = 0;
    });
  }

  /** Whether Redis may be asked now. */
  get open(): boolean {
    return Date.now() >= this.until;
  }

  failed(): void {
    this.until = Date.now() + this.pauseMs;
  }
}
