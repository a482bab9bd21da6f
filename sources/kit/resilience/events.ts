/**
 * What the source policies do, for whoever wants to count it (metrics, logs): circuit-breaker
 * state changes, retries, and calls refused without reaching the source. Nothing here carries
 * request data.
 */
import { EventEmitter } from 'node:events';
import type { SourceName } from '../../../lib/sources';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface ResilienceEvents {
  breaker: [{ source: SourceName; state: BreakerState }];
  retry: [{ source: SourceName; attempt: number; delayMs: number }];
  rejected: [{ source: SourceName; reason: 'circuit-open' | 'queue-full' }];
}

export const resilienceEvents = new EventEmitter<ResilienceEvents>();
