/**
 * Turns the personal records a response is about to carry into audit entries: one per citizen
 * per request, naming who (sub, client), why (the procedure and dossier, or a free-text purpose
 * marked as such), what (fields and their sources) and the
 * request id (the gateway's own; the caller's `x-request-id` beside it). No entry, no data: the caller awaits this before the response leaves.
 * And the personal reads it refused an authenticated caller: one `kind: "refusal"` entry per reason, in the same chain.
 */
import type { GatewayContext } from '../context';
import type { AccessPolicy } from '../access/policy';
import type { RecordRead } from '../access/response-settler';
import type { AuditRecord } from '../../lib/audit/entry';
import type { AuditSink } from '../../lib/audit/sink';
import type { Principal } from '../../lib/principal';

/** The sources (subgraphs) fields come from. */
function sourcesOf(fields: readonly string[], policy: Pick<AccessPolicy, 'ownersOf'>): string[] {
  const sources = new Set<string>();
  for (const coordinate of fields) {
    const owners = policy.ownersOf(coordinate);
    // Key fields are known to every subgraph; they say nothing about which source was read.
    if (owners.length === 1) sources.add(owners[0]);
  }
  if (fields.some((f) => f === 'Query.accessLog')) sources.add('audit');
  return [...sources].sort();
}

function purposeOf(principal: Principal) {
  const procedure = principal.procedure;
  return {
    procedure: procedure ? { code: procedure.code, name: procedure.name ?? procedure.code, catalogueVersion: procedure.catalogueVersion ?? '' } : null,
    // A refused procedure may come without its dossier (DOSSIER_REQUIRED).
    dossier: procedure?.dossier || null,
  };
}

export function auditRecordsFor(reads: RecordRead[], context: GatewayContext, policy: AccessPolicy, now = new Date()): AuditRecord[] {
  const at = now.toISOString();
  const { principal } = context;
  // Every personal read names a catalogued procedure and dossier, or a free-text purpose marked so
  // (or a citizen's own access). A principal built without a basis states free text.
  const basis = { purposeBasis: principal.purposeBasis ?? 'free-text', ...purposeOf(principal) } as const;
  return reads.map((read) => {
    const fields = [...read.fields].sort();
    return {
      at,
      requestId: context.requestId,
      callerRequestId: context.callerRequestId ?? null,
      subject: context.principal.subject,
      clientId: context.principal.clientId,
      purpose: context.principal.purpose,
      personalId: read.personalId,
      fields,
      sources: sourcesOf(fields, policy),
      locationIndependent: read.locationIndependent,
      ...basis,
    };
  });
}

/** A refusal as the audit log holds it: who, for which purpose, what was refused and why; no personal ID. */
export interface RefusalRecord {
  code: string;
  reason: string | null;
  fields: Iterable<string>;
  count: number;
}

/**
 * One refusal entry per reason, for a caller the gateway authenticated. The purpose is the one the
 * request stated (a refused procedure included), or none.
 */
export function refusalRecordsFor(
  refusals: RefusalRecord[],
  request: Pick<GatewayContext, 'requestId' | 'callerRequestId' | 'principal'>,
  policy: Pick<AccessPolicy, 'ownersOf'> | null,
  now = new Date(),
): AuditRecord[] {
  const at = now.toISOString();
  const { principal } = request;
  const stated = purposeOf(principal);
  const purposeBasis = stated.procedure ? 'procedure' : principal.purpose ? (principal.purposeBasis ?? 'free-text') : null;
  return refusals.map((refusal) => {
    const fields = [...new Set(refusal.fields)].sort();
    return {
      at,
      requestId: request.requestId,
      callerRequestId: request.callerRequestId ?? null,
      subject: principal.subject,
      clientId: principal.clientId,
      purpose: principal.purpose,
      personalId: '',
      fields,
      sources: policy ? sourcesOf(fields, policy) : [],
      locationIndependent: false,
      purposeBasis,
      ...stated,
      kind: 'refusal',
      refusal: { code: refusal.code, reason: refusal.reason, count: refusal.count },
    };
  });
}

/** Appends a response's refusals and reads and returns them as recorded (for whoever counts them). */
export function createAuditRecorder(sink: AuditSink) {
  return async (reads: RecordRead[], refusals: RefusalRecord[], context: GatewayContext, policy: AccessPolicy): Promise<AuditRecord[]> => {
    const records = [...refusalRecordsFor(refusals, context, policy), ...auditRecordsFor(reads, context, policy)];
    await sink.append(records);
    return records;
  };
}
