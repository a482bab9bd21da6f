/**
 * One audit entry: who read which citizen's data, when, why, and from which sources; or, marked
 * `kind: "refusal"`, a personal read the gateway refused an authenticated caller. Entries
 * form a hash chain: each one's hash covers its content and the previous entry's hash, so
 * changing, removing or reordering any entry breaks every hash after it.
 */
import { hash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  at: string;
  /** The gateway's own id for the request (never chosen by the caller). */
  requestId: string;
  /**
   * The caller's `x-request-id`, when it sent a plain one (at most 64 of `A-Z a-z 0-9 . _ -`):
   * kept for the caller's own correlation, never relied on. Absent in entries written before it
   * existed; covered by the hash when present.
   */
  callerRequestId?: string | null;
  subject: string;
  clientId: string;
  purpose: string | null;
  personalId: string;
  /** Schema coordinates read, e.g. `Citizen.fullName`. */
  fields: string[];
  /** The sources (subgraphs) those fields came from. */
  sources: string[];
  /** Read outside the caller's jurisdiction under a location-independent procedure. */
  locationIndependent: boolean;
  /**
   * How the purpose was stated: `procedure` (a catalogued procedure the request named, with its
   * dossier), `free-text` (a token's purpose, allowed by the scope purpose:free-text) or `self` (a
   * citizen's own access). Absent in entries written before procedures; covered by the hash when present.
   */
  purposeBasis?: PurposeBasis | null;
  /** The catalogued procedure: its code, its name and the catalogue's version when read. */
  procedure?: AuditProcedure | null;
  /** The dossier number the request named. */
  dossier?: string | null;
  /**
   * `refusal`: the gateway refused this read (no data left). Then `personalId` is empty (see
   * AuditRefusal), `fields` are the fields refused and `sources` their sources. Absent for a
   * read (and in every entry written before refusals were recorded); covered by the hash when present.
   */
  kind?: 'refusal' | null;
  /** With `kind: "refusal"`: why. */
  refusal?: AuditRefusal | null;
}

/**
 * Why a read was refused. Holds no personal ID or value: a refusal served nothing, the IDs a
 * caller sends may be anyone's (or no one's), and the log keeps what it holds for ever; the
 * dossier number, when the request named one, is what ties a refusal to a case.
 */
export interface AuditRefusal {
  /** The error code the caller got: FORBIDDEN, UNKNOWN_PROCEDURE, PROCEDURE_NOT_ALLOWED, DOSSIER_REQUIRED. */
  code: string;
  /** FORBIDDEN's reason (MISSING_SCOPE, PURPOSE_REQUIRED, OUTSIDE_PROCEDURE, OUTSIDE_JURISDICTION, …); null for the others. */
  reason: string | null;
  /** How many places of the answer were refused for this reason (records, or fields of records). */
  count: number;
}

export function isRefusal(entry: Pick<AuditRecord, 'kind'>): boolean {
  return entry.kind === 'refusal';
}

export type PurposeBasis = 'procedure' | 'free-text' | 'self';

export interface AuditProcedure {
  code: string;
  name: string;
  catalogueVersion: string;
}

export interface AuditEntry extends AuditRecord {
  seq: number;
  prevHash: string;
  hash: string;
}

export function hashEntry(seq: number, prevHash: string, record: AuditRecord): string {
  const content = JSON.stringify([
    seq,
    record.at,
    record.requestId,
    record.subject,
    record.clientId,
    record.purpose,
    record.personalId,
    record.fields,
    record.sources,
    record.locationIndependent,
    // Appended only when present, so entries written before the field existed verify unchanged.
    ...(record.callerRequestId == null ? [] : [record.callerRequestId]),
    // Likewise the purpose's basis, procedure and dossier (an array, never confused with the string before it).
    ...(record.purposeBasis == null
      ? []
      : [[record.purposeBasis, record.procedure?.code ?? null, record.procedure?.name ?? null, record.procedure?.catalogueVersion ?? null, record.dossier ?? null]]),
    // A refusal: tagged, so never confused with the purpose's array before it.
    ...(record.kind == null ? [] : [[record.kind, record.refusal?.code ?? null, record.refusal?.reason ?? null, record.refusal?.count ?? null]]),
  ]);
  return hash('sha256', `${prevHash}\n${content}`, 'hex');
}

/**
 * Every text of a record that its hash covers, besides its time: what a sink must store exactly
 * as given, or the stored entry would no longer match its hash.
 */
export function textsOf(record: AuditRecord): string[] {
  return [
    record.requestId,
    record.callerRequestId ?? '',
    record.subject,
    record.clientId,
    record.purpose ?? '',
    record.personalId,
    ...record.fields,
    ...record.sources,
    record.procedure?.code ?? '',
    record.procedure?.name ?? '',
    record.procedure?.catalogueVersion ?? '',
    record.dossier ?? '',
    record.refusal?.code ?? '',
    record.refusal?.reason ?? '',
  ];
}

/** A UTF-16 surrogate not paired with its partner (with the u flag, a well-formed pair is one code point, never matched). */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether a text is well-formed Unicode (String.prototype.isWellFormed, which ES2023's types lack). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/**
 * Why a record cannot be chained, or null. A lone surrogate has no UTF-8 form: a database stores
 * U+FFFD in its place, so the stored entry would no longer match its hash and break the chain for
 * every later append. Names no content.
 */
export function unchainableRecordProblem(record: AuditRecord): string | null {
  return textsOf(record).every(isWellFormedText) ? null : 'audit record contains a lone UTF-16 surrogate (not well-formed Unicode), which cannot be stored as hashed';
}

export function chainEntry(seq: number, prevHash: string, record: AuditRecord): AuditEntry {
  return { seq, ...record, prevHash, hash: hashEntry(seq, prevHash, record) };
}

export type ChainVerdict = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; problem: string };

const STRING_FIELDS = ['at', 'requestId', 'subject', 'clientId', 'personalId', 'hash', 'prevHash'] as const;

function isRefusalShaped(value: unknown): boolean {
  const refusal = value as Record<string, unknown> | null;
  return !!refusal && typeof refusal === 'object' && typeof refusal.code === 'string' && (refusal.reason === null || typeof refusal.reason === 'string') && Number.isSafeInteger(refusal.count);
}

function isProcedureShaped(value: unknown): boolean {
  const procedure = value as Record<string, unknown> | null;
  return !!procedure && typeof procedure === 'object' && ['code', 'name', 'catalogueVersion'].every((key) => typeof procedure[key] === 'string');
}

/** Whether a parsed value has the shape of an entry (so hashing it cannot throw). */
export function isEntryShaped(value: unknown): value is AuditEntry {
  if (!value || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    Number.isSafeInteger(entry.seq) &&
    STRING_FIELDS.every((field) => typeof entry[field] === 'string') &&
    (entry.purpose === null || typeof entry.purpose === 'string') &&
    (entry.callerRequestId == null || typeof entry.callerRequestId === 'string') &&
    (entry.purposeBasis == null || entry.purposeBasis === 'procedure' || entry.purposeBasis === 'free-text' || entry.purposeBasis === 'self') &&
    (entry.procedure == null || isProcedureShaped(entry.procedure)) &&
    (entry.dossier == null || typeof entry.dossier === 'string') &&
    // The hash covers procedure and dossier only beside a purposeBasis: without one, neither may be there.
    (entry.purposeBasis != null || (entry.procedure == null && entry.dossier == null)) &&
    (entry.kind == null ? entry.refusal == null : entry.kind === 'refusal' && isRefusalShaped(entry.refusal)) &&
    Array.isArray(entry.fields) &&
    Array.isArray(entry.sources) &&
    typeof entry.locationIndependent === 'boolean'
  );
}

/**
 * Walks a chain one entry at a time from a known point (the genesis, or a verified entry),
 * saying what is wrong with the first entry that does not fit. Used by verification, by the
 * sinks when they open the log and by the file index. Never looks at personal data beyond
 * hashing it, and its problems name positions only.
 */
export class ChainWalker {
  expectedSeq: number;
  prevHash: string;
  /** Signed head hashes by seq: an entry at such a seq must have exactly that hash. */
  private readonly signed: Map<number, string>;

  constructor(options: { afterSeq?: number; afterHash?: string; signedHeads?: Map<number, string> } = {}) {
    this.expectedSeq = (options.afterSeq ?? 0) + 1;
    this.prevHash = options.afterHash ?? GENESIS_HASH;
    this.signed = options.signedHeads ?? new Map();
  }

  /** The last entry accepted. */
  get seq(): number {
    return this.expectedSeq - 1;
  }

  /** Checks the next entry: null when it fits (and it becomes the head), else the problem. */
  step(raw: unknown): string | null {
    if (!isEntryShaped(raw)) return 'it is not a well-formed audit record (damaged, or not written by the gateway)';
    const entry = raw;
    if (entry.seq !== this.expectedSeq) {
      return `expected entry ${this.expectedSeq}, found ${String(entry.seq)} (an entry was removed, reordered or inserted)`;
    }
    if (entry.prevHash !== this.prevHash) return 'its link to the previous entry does not match (an earlier entry was changed or removed)';
    if (hashEntry(entry.seq, entry.prevHash, entry) !== entry.hash) return 'its content does not match its hash (the entry was changed)';
    const signed = this.signed.get(entry.seq);
    if (signed !== undefined && signed !== entry.hash) {
      return 'its hash differs from the signed checkpoint of this entry (entries were changed or removed and the later hashes recomputed)';
    }
    this.prevHash = entry.hash;
    this.expectedSeq++;
    return null;
  }
}

/** Checks a sequence of entries in order; names the first that does not fit the chain. */
export async function verifyChain(entries: AsyncIterable<unknown> | Iterable<unknown>): Promise<ChainVerdict> {
  const walker = new ChainWalker();
  let count = 0;
  for await (const raw of entries) {
    count++;
    const problem = walker.step(raw);
    if (problem) {
      const seq = (raw as { seq?: unknown } | null)?.seq;
      // A wrong link or content is the entry's own seq; a missing or foreign entry is where one was expected.
      const brokenAt = isEntryShaped(raw) && seq === walker.expectedSeq ? seq : walker.expectedSeq;
      return { ok: false, entries: count, brokenAt, problem };
    }
  }
  return { ok: true, entries: count };
}
