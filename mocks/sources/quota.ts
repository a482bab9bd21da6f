/** The per-key in-flight limit some national services enforce: one key's calls beyond it get HTTP 429. */
import { SourceFailure } from './contract';

export class InFlightLimit {
  private readonly inFlight = new Map<string, number>();

  /** `limit` undefined: no limit. */
  constructor(private readonly limit: number | undefined) {}

  /** Counts the call against its key; refuses it when the key already has too many in flight. */
  admit(key: string): () => void {
    const limit = this.limit;
    if (limit === undefined) return () => {};
    const current = this.inFlight.get(key) ?? 0;
    if (current >= limit) throw new SourceFailure('TOO_MANY_REQUESTS', `More than ${limit} calls in flight for this key`);
    this.inFlight.set(key, current + 1);
    return () => {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left > 0) this.inFlight.set(key, left);
      else this.inFlight.delete(key);
    };
  }
}
