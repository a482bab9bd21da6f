/**
 * Access control with its audit trail, as one feature: every personal datum that leaves is within
 * the caller's scope, jurisdiction and purpose, and recorded in the audit log before the answer
 * leaves (plugin.ts; the log: lib/audit). Register it after every feature that must see the
 * operation as the caller sent it or the answer before it is settled (the response cache), and
 * before those that report the answer as it leaves (metrics, the request log).
 */
import type { GatewayConfig } from '../../lib/config';
import { createAuditSink } from '../../lib/audit';
import { secondsSince } from '../../lib/metrics';
import type { AuditSink } from '../../lib/audit/sink';
import { createAuditRecorder } from '../audit/recorder';
import type { GatewayEvents } from '../events';
import type { GatewayFeature } from '../feature';
import { accessControlPlugin } from './plugin';

export interface AccessControlFeatureOptions {
  config: GatewayConfig;
  events: GatewayEvents;
  /** Opened from `config` when absent; tests pass their own. */
  auditSink?: AuditSink;
}

export function accessControl({ config, events, auditSink }: AccessControlFeatureOptions): GatewayFeature {
  if (!auditSink && config.production && !config.auditCheckpointKeyFile) {
    throw new Error("AUDIT_CHECKPOINT_KEY_FILE is required in production: the Ed25519 key (JWK file) that signs the audit log's checkpoints");
  }
  const sink = auditSink ?? createAuditSink(config);
  const record = createAuditRecorder(sink);
  return {
    name: 'access-control',
    plugins: [
      accessControlPlugin({
        async recordReads(...args) {
          const started = performance.now();
          try {
            await record(...args);
            events.emit('audit.write', { outcome: 'ok', seconds: secondsSince(started) });
          } catch (error) {
            events.emit('audit.write', { outcome: 'error', seconds: secondsSince(started) });
            throw error;
          }
        },
      }),
    ],
    close: () => sink.close(),
  };
}
