/**
 * What the source client tells the outside about each HTTP attempt at a source, without knowing
 * who listens: its duration and outcome (for metrics).
 */
import { EventEmitter } from 'node:events';
import { secondsSince } from '../../lib/metrics';
import type { SourceName } from '../../lib/sources';
import { SourceError } from './errors';

export interface SourceCallRecord {
  source: SourceName;
  seconds: number;
  /** `ok`, or the SourceError code the attempt ended with (`error` for anything else). */
  outcome: string;
}

export const sourceCallEvents = new EventEmitter<{ call: [SourceCallRecord] }>();

/** Runs one attempt at `source` and publishes how long it took and how it ended. */
export async function observeSourceCall<T>(source: SourceName, attempt: () => Promise<T>): Promise<T> {
  const started = performance.now();
  let outcome = 'ok';
  try {
    return await attempt();
  } catch (error) {
    outcome = error instanceof SourceError ? error.code : 'error';
    throw error;
  } finally {
    sourceCallEvents.emit('call', { source, seconds: secondsSince(started), outcome });
  }
}
