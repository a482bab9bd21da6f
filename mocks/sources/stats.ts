/**
 * Calls a mock source received, by operation, as `/__stats` reports them; and the most recent
 * calls with when each arrived and was answered, as `/__calls` reports them (a benchmark reads
 * which calls waited on which: the source round trips on a request's critical path).
 */

export interface SourceStats {
  requests: number;
  byOperation: Record<string, number>;
}

/** One call: its operation, and wall-clock ms (epoch, fractional) when it arrived and was answered. */
export interface TimedCall {
  operation: string;
  startedAt: number;
  endedAt: number;
}

/** Calls kept for `/__calls`: enough for one request's calls, bounded under load. */
const KEPT_CALLS = 1000;

/** Epoch milliseconds with sub-millisecond precision, comparable across the sources of one process. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

export class CallCounter {
  private stats: SourceStats = { requests: 0, byOperation: {} };
  private timed: TimedCall[] = [];

  count(operation: string): void {
    this.stats.requests++;
    this.stats.byOperation[operation] = (this.stats.byOperation[operation] ?? 0) + 1;
  }

  get(): SourceStats {
    return { requests: this.stats.requests, byOperation: { ...this.stats.byOperation } };
  }

  reset(): void {
    this.stats = { requests: 0, byOperation: {} };
  }

  record(call: TimedCall): void {
    this.timed.push(call);
    if (this.timed.length > KEPT_CALLS) this.timed.splice(0, this.timed.length - KEPT_CALLS);
  }

  calls(): TimedCall[] {
    return [...this.timed];
  }

  resetCalls(): void {
    this.timed = [];
  }
}
