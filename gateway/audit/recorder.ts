/**
 * Turns the personal records a response is about to carry into audit entries: one per citizen
 * per request, naming who (sub, client), why (the procedure and dossier, or a free-text purpose
 * marked as such), what (fields and their sources) and the
 * request id (the gateway's own; the caller's `x-request-id` beside it). No entry, no data: the caller awaits this before the response leaves.
 */
import type { GatewayContext } from '../context';
import type { AccessPolicy } from '../access/policy';
import type { RecordRead } from '../access/response-settler';
import type { AuditRecord } from '../../lib/audit/entry';
import type { AuditSink } from '../../lib/audit/sink';

export function auditRecordsFor(reads: RecordRead[], context: GatewayContext, policy: AccessPolicy, now = new Date()): AuditRecord[] {
  const at = now.toISOString();
  const { principal } = context;
  const procedure = principal.procedure;
  // Every personal read names a catalogued procedure and dossier, or a free-text purpose marked so
  // (or a citizen's own access). A principal built without a basis states free text.
  const basis = {
    purposeBasis: principal.purposeBasis ?? 'free-text',
    procedure: procedure ? { code: procedure.code, name: procedure.name ?? procedure.code, catalogueVersion: procedure.catalogueVersion ?? '' } : null,
    dossier: procedure?.dossier ?? null,
  } as const;
  return reads.map((read) => {
    const fields = [...read.fields].sort();
    const sources = new Set<string>();
    for (const coordinate of fields) {
      const owners = policy.ownersOf(coordinate);
      // Key fields are known to every subgraph; they say nothing about which source was read.
      if (owners.length === 1) sources.add(owners[0]);
    }
    if (fields.some((f) => f === 'Query.accessLog')) sources.add('audit');
    return {
      at,
      requestId: context.requestId,
      callerRequestId: context.callerRequestId ?? null,
      subject: context.principal.subject,
      clientId: context.principal.clientId,
      purpose: context.principal.purpose,
      personalId: read.personalId,
      fields,
      sources: [...sources].sort(),
      locationIndependent: read.locationIndependent,
      ...basis,
    };
  });
}

/** Appends a response's reads and returns them as recorded (for whoever counts them). */
export function createAuditRecorder(sink: AuditSink) {
  return async (reads: RecordRead[], context: GatewayContext, policy: AccessPolicy): Promise<AuditRecord[]> => {
    const records = auditRecordsFor(reads, context, policy);
    await sink.append(records);
    return records;
  };
}
