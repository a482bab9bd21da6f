/** Picks the audit sink the configuration names: PostgreSQL when a database URL is set, else the file. */
import { FileAuditSink } from './file-sink';
import { PostgresAuditSink } from './postgres-sink';
import type { AuditSink } from './sink';

export function createAuditSink(config: { auditFile: string; auditDatabaseUrl?: string }): AuditSink {
  if (config.auditDatabaseUrl) return new PostgresAuditSink(config.auditDatabaseUrl);
  if (!config.auditFile) throw new Error('no audit log configured: set AUDIT_DATABASE_URL or AUDIT_FILE');
  return new FileAuditSink(config.auditFile);
}
