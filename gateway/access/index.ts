/**
 * Access control with its audit trail, as one feature: every personal datum that leaves is within
 * the caller's scope, jurisdiction and purpose (a catalogued procedure and its fields, procedures.ts), and recorded in the audit log before the answer
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
import { bindProcedureCatalogue, ProcedureCatalogue, readProcedureCatalogue } from '../../lib/procedures/catalogue';
import { accessControlPlugin } from './plugin';
import { admitProcedure } from './procedures';

export interface AccessControlFeatureOptions {
  config: GatewayConfig;
  events: GatewayEvents;
  /** Opened from `config` when absent; tests pass their own. */
  auditSink?: AuditSink;
}

/**
 * The province's procedure catalogue: its shape is checked at once (a mistake stops the gateway
 * from starting), every field it names once the schema is loaded (before the gateway listens).
 */
function procedureCatalogue(file: string) {
  const parsed = readProcedureCatalogue(file);
  let bound: ProcedureCatalogue | null = null;
  let problem: unknown = null;
  return {
    bind(apiSchema: Parameters<typeof bindProcedureCatalogue>[1]) {
      try {
        bound = bindProcedureCatalogue(parsed, apiSchema);
        problem = null;
      } catch (error) {
        problem = error;
      }
    },
    /** Throws the catalogue's problem, if the schema check found one. */
    ready(): ProcedureCatalogue {
      if (problem) throw problem;
      if (!bound) throw new Error(`The procedure catalogue ${file} could not be checked: the gateway has no schema loaded`);
      return bound;
    },
  };
}

export function accessControl({ config, events, auditSink }: AccessControlFeatureOptions): GatewayFeature {
  if (!auditSink && config.production && !config.auditCheckpointKeyFile) {
    throw new Error("AUDIT_CHECKPOINT_KEY_FILE is required in production: the Ed25519 key (JWK file) that signs the audit log's checkpoints");
  }
  const catalogue = procedureCatalogue(config.procedureCatalogueFile);
  const sink = auditSink ?? createAuditSink(config);
  const record = createAuditRecorder(sink);
  return {
    name: 'access-control',
    onRequest(request) {
      // After authentication: the procedure and dossier the request names (headers).
      if (request.principal) request.principal = admitProcedure(request.principal, request.req.headers, catalogue.ready());
    },
    async start() {
      catalogue.ready();
      // A file another live gateway writes stops this one here, before it serves anything.
      await sink.open?.();
    },
    plugins: [
      accessControlPlugin({
        onSchema: (apiSchema) => catalogue.bind(apiSchema),
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
