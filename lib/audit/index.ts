/** Picks the audit sink the configuration names: PostgreSQL when a database URL is set, else the file. */
import { CheckpointSettings, DEFAULT_CHECKPOINT_EVERY, DEFAULT_CHECKPOINT_INTERVAL_MS, loadCheckpointSigner } from './checkpoint';
import { FileAuditSink } from './file-sink';
import { PostgresAuditSink } from './postgres-sink';
import type { AuditSink } from './sink';

export interface AuditSinkConfig {
  auditFile: string;
  auditDatabaseUrl?: string;
  /** The gateway's: the private key that signs checkpoints. Readers leave it out. */
  auditCheckpointKeyFile?: string;
  /** File sink: where checkpoints go (default `<audit file>.checkpoints`). */
  auditCheckpointFile?: string;
  auditCheckpointEvery?: number;
  auditCheckpointIntervalS?: number;
  /** The gateway's: the shortest time between two appended batches under load, in ms. */
  auditCommitIntervalMs?: number;
  /** Production (the gateway's configuration): PostgreSQL tables this role could rewrite stop the gateway. Readers leave it out. */
  production?: boolean;
}

export function checkpointSettingsOf(config: AuditSinkConfig): CheckpointSettings | undefined {
  if (!config.auditCheckpointKeyFile) return undefined;
  return {
    signer: loadCheckpointSigner(config.auditCheckpointKeyFile),
    every: config.auditCheckpointEvery ?? DEFAULT_CHECKPOINT_EVERY,
    intervalMs: config.auditCheckpointIntervalS ? config.auditCheckpointIntervalS * 1000 : DEFAULT_CHECKPOINT_INTERVAL_MS,
  };
}

export function createAuditSink(config: AuditSinkConfig): AuditSink {
  const checkpoints = checkpointSettingsOf(config);
  const commitIntervalMs = config.auditCommitIntervalMs;
  if (config.auditDatabaseUrl) return new PostgresAuditSink(config.auditDatabaseUrl, { checkpoints, production: config.production, commitIntervalMs });
  if (!config.auditFile) throw new Error('no audit log configured: set AUDIT_DATABASE_URL or AUDIT_FILE');
  return new FileAuditSink(config.auditFile, { checkpoints, checkpointFile: config.auditCheckpointFile, commitIntervalMs });
}
