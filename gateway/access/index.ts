/**
 * Access control with its audit trail, as one feature: every personal datum that leaves is within
 * the caller's scope, jurisdiction and purpose (a catalogued procedure and its fields, procedures.ts), and recorded in the audit log before the answer
 * leaves (plugin.ts; the log: lib/audit), as is each refusal of personal data or of a named
 * procedure to a caller with a valid token. Register it after the rate limit (a refused procedure
 * writes to the log, which no caller may flood), after every feature that must see the
 * operation as the caller sent it or the answer before it is settled (the response cache), and
 * before those that report the answer as it leaves (metrics, the request log).
 */
import type { GatewayConfig } from '../../lib/config';
import { createAuditSink } from '../../lib/audit';
import { secondsSince } from '../../lib/metrics';
import type { AuditSink } from '../../lib/audit/sink';
import { createAuditRecorder, refusalRecordsFor } from '../audit/recorder';
import { callerRequestIdOf } from '../context';
import type { GatewayEvents } from '../events';
import type { GatewayFeature } from '../feature';
import { bindProcedureCatalogue, ProcedureCatalogue, readProcedureCatalogue } from '../../lib/procedures/catalogue';
import { accessControlPlugin } from './plugin';
import { ANONYMOUS } from '../../lib/principal';
import { admitProcedure, ProcedureRefused } from './procedures';

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
  /** Times an append and tells the gateway's events how it went. */
  const timed = async <T>(append: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const appended = await append();
      events.emit('audit.write', { outcome: 'ok', seconds: secondsSince(started) });
      return appended;
    } catch (error) {
      events.emit('audit.write', { outcome: 'error', seconds: secondsSince(started) });
      throw error;
    }
  };
  return {
    name: 'access-control',
    // The procedure and dossier the request names (headers), once the rate limit has let the request
    // in: a refused procedure is written to the audit log, which a caller must not be able to flood.
    async onOperations(request) {
      try {
        request.principal = admitProcedure(request.principal, request.req.headers, catalogue.ready());
      } catch (error) {
        if (error instanceof ProcedureRefused && request.principal !== ANONYMOUS) {
          const { code, name, catalogueVersion, dossier } = error.procedure;
          const principal = { ...request.principal, procedure: { code, name: name ?? '', catalogueVersion, dossier: dossier ?? '' } };
          const refusal = { code: error.code, reason: null, fields: [], count: 1 };
          // Awaited, so the refusal is in the log when the caller hears it; best-effort, since it serves nothing.
          await timed(() => sink.append(refusalRecordsFor([refusal], { requestId: request.requestId, callerRequestId: callerRequestIdOf(request.req), principal }, null))).catch(
            () => undefined,
          );
        }
        throw error;
      }
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
          const records = await timed(() => record(...args));
          if (records.length > 0) events.emit('audit.recorded', { records });
        },
      }),
    ],
    close: () => sink.close(),
  };
}
