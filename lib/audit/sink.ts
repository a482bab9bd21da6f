/** Where audit entries are kept. The gateway appends; the audit subgraph and `npm run audit:verify` read. */
import type { AuditEntry, AuditRecord } from './entry';

export interface AuditSink {
  /**
   * Appends records and resolves only once they are durable (survive a crash of this process
   * or the machine's power loss, as far as the storage honours fsync/commit).
   */
  append(records: AuditRecord[]): Promise<void>;
  /** The newest `first` reads of one citizen's data, newest first (never a refusal: it names no one); with `beforeSeq`, only those older than that entry. */
  readByPersonalId(personalId: string, first: number, beforeSeq?: number): Promise<AuditEntry[]>;
  /** Every entry in chain order, as stored (unparsable ones as null), for verification. */
  readAll(): AsyncIterable<unknown>;
  /**
   * The entries written from `from` (inclusive) to `to` (exclusive), by their time, in chain order;
   * a stored line that is not a well-formed entry as null (its time cannot be known), for reports.
   */
  readPeriod(from: Date, to: Date): AsyncIterable<AuditEntry | null>;
  /** Prepares for appending at start; throws when this process may not write (another writer holds the log). */
  open?(): Promise<void>;
  close(): Promise<void>;
}

export class AuditUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The audit log cannot be written');
    this.name = 'AuditUnavailableError';
    this.cause = cause;
  }
}

/**
 * The log holds an entry that does not fit the chain (damaged, foreign, out of order, or not the
 * signed head): the sink appends nothing more until an operator has looked. The message names
 * the position (line or seq) and the problem, never an entry's content.
 */
export class AuditChainBrokenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditChainBrokenError';
  }
}

/**
 * The audit tables are missing, incomplete or not set up as the writer needs (the gateway's role
 * could rewrite them unseen): the message names the fix (`npm run audit:setup-database`).
 */
export class AuditSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuditSetupError';
  }
}
