/**
 * How one subgraph process calls one source when the source is slow, failing or busy
 * (cockatiel policies, outermost first):
 *  - a deadline for the whole call (`timeoutMs`): waiting for a slot, every attempt and the
 *    pauses between them, so a failing source costs the caller at most that long;
 *  - retries of transient failures (unreachable, HTTP 5xx, 429) with exponential backoff and
 *    decorrelated jitter, so replicas do not retry in step; every source call is a read;
 *  - a circuit breaker: when more than `breakerFailureRate` of the calls in the last
 *    `breakerWindowMs` failed, calls fail at once for `breakerCooldownMs`, then one probe call
 *    is let through (half-open) and its outcome closes or reopens the circuit;
 *  - a bulkhead: at most `maxConcurrent` calls in flight, `maxQueued` waiting.
 * Failures come out as SourceError, so callers see SOURCE_UNAVAILABLE or SOURCE_TIMEOUT with
 * the source named, as for any other source failure.
 */
import {
  BrokenCircuitError,
  BulkheadRejectedError,
  bulkhead,
  circuitBreaker,
  CircuitState,
  ExponentialBackoff,
  handleWhen,
  IPolicy,
  retry,
  SamplingBreaker,
  wrap,
} from 'cockatiel';
import type { SourceResilience } from '../../../lib/config';
import { startDeadline } from '../../../lib/deadline';
import type { SourceName } from '../../../lib/sources';
import { SourceError } from '../errors';
import { type BreakerState, resilienceEvents } from './events';

const BREAKER_STATES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.Open]: 'open',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Isolated]: 'open',
};

/**
 * A failure that says the source is unwell rather than that the request was wrong: worth a retry,
 * and counted by the circuit breaker. Refused credentials, 4xx and malformed answers are not.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof SourceError)) return false;
  if (error.code === 'SOURCE_TIMEOUT') return true;
  if (error.code !== 'SOURCE_UNAVAILABLE') return false;
  return error.status === undefined || error.status === 429 || error.status >= 500;
}

export class SourcePolicy {
  private readonly policy: IPolicy;
  private breakerState: BreakerState = 'closed';

  constructor(readonly source: SourceName, readonly options: SourceResilience) {
    const transient = handleWhen(isTransient);
    const retries = retry(transient, {
      maxAttempts: options.retries,
      backoff: new ExponentialBackoff({ initialDelay: options.retryBackoffMs, maxDelay: Math.max(options.retryBackoffMs * 8, 1) }),
    });
    retries.onRetry(({ delay, attempt }) => resilienceEvents.emit('retry', { source, attempt, delayMs: delay }));
    const breaker = circuitBreaker(transient, {
      halfOpenAfter: options.breakerCooldownMs,
      breaker: new SamplingBreaker({
        threshold: options.breakerFailureRate,
        duration: options.breakerWindowMs,
        // Expressed as a rate by cockatiel: this many calls within the window.
        minimumRps: options.breakerMinCalls / (options.breakerWindowMs / 1000),
      }),
    });
    breaker.onStateChange((state) => {
      this.breakerState = BREAKER_STATES[state];
      resilienceEvents.emit('breaker', { source, state: this.breakerState });
    });
    this.policy = wrap(retries, breaker, bulkhead(options.maxConcurrent, options.maxQueued));
  }

  get state(): BreakerState {
    return this.breakerState;
  }

  /**
   * Runs `attempt` under the policy. Each attempt gets the call's deadline as its signal; when
   * the deadline passes during a pause between attempts, the last attempt's error is reported.
   */
  run<T>(attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { signal: deadline, clear: clearDeadline } = startDeadline(this.options.timeoutMs);
    let attempting = false;
    let lastError: unknown;
    const execution = this.policy.execute(async () => {
      if (deadline.aborted) throw this.timeout();
      attempting = true;
      try {
        return await attempt(deadline);
      } catch (error) {
        lastError = error;
        throw error;
      } finally {
        attempting = false;
      }
    }, deadline);

    return new Promise<T>((resolve, reject) => {
      // The bulkhead's queue does not watch the signal: the deadline is kept here.
      const expire = () => reject(attempting || lastError === undefined ? this.timeout() : lastError);
      deadline.addEventListener('abort', expire, { once: true });
      execution
        .then(resolve, (error: unknown) => reject(this.translate(error)))
        .finally(() => {
          deadline.removeEventListener('abort', expire);
          clearDeadline();
        });
    });
  }

  private translate(error: unknown): unknown {
    if (error instanceof BrokenCircuitError) {
      resilienceEvents.emit('rejected', { source: this.source, reason: 'circuit-open' });
      return new SourceError(
        this.source,
        'SOURCE_UNAVAILABLE',
        `The ${this.source} source is failing; calls to it are paused for up to ${Math.ceil(this.options.breakerCooldownMs / 1000)} s`,
      );
    }
    if (error instanceof BulkheadRejectedError) {
      resilienceEvents.emit('rejected', { source: this.source, reason: 'queue-full' });
      return new SourceError(this.source, 'SOURCE_UNAVAILABLE', `Too many calls are waiting for the ${this.source} source`, 429);
    }
    if (error instanceof Error && error.name === 'TaskCancelledError') return this.timeout();
    return error;
  }

  private timeout(): SourceError {
    return new SourceError(this.source, 'SOURCE_TIMEOUT', `The ${this.source} source did not answer within ${this.options.timeoutMs} ms`);
  }
}
