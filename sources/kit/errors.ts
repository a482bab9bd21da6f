/**
 * A source call's failure: which national system failed and how (`code`), for the subgraph to
 * report as `extensions.code` and `extensions.source`. Messages never carry personal data.
 */
import type { SourceName } from '../../lib/sources';

export type SourceErrorCode = 'SOURCE_UNAVAILABLE' | 'SOURCE_TIMEOUT' | 'SOURCE_BAD_RESPONSE';

export class SourceError extends Error {
  constructor(
    public readonly source: SourceName,
    public readonly code: SourceErrorCode,
    message: string,
    public readonly status?: number,
  ) {
    super(message);
    this.name = 'SourceError';
  }
}
