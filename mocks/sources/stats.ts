/** Calls a mock source received, by operation, as `/__stats` reports them. */

export interface SourceStats {
  requests: number;
  byOperation: Record<string, number>;
}

export class CallCounter {
  private stats: SourceStats = { requests: 0, byOperation: {} };

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
}
