/**
 * The audit subgraph's source is the audit log itself, as the gateway wrote it (a file, or the
 * PostgreSQL table all gateway replicas share). It reads, never writes: only the gateway appends,
 * so the chain has one writer.
 */
import type { AuditEntry } from '../../lib/audit/entry';
import type { AuditSink } from '../../lib/audit/sink';

export class AuditLogReader {
  /** `log` is the sink createAuditSink() makes from the subgraph's configuration. */
  constructor(private readonly log: AuditSink) {}

  /** The newest `first` entries about one citizen, newest first; with `beforeSequence`, those older than that entry. */
  accessesTo(personalId: string, first: number, beforeSequence?: number): Promise<AuditEntry[]> {
    return this.log.readByPersonalId(personalId, first, beforeSequence);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}
