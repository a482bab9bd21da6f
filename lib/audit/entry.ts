/**
 * One audit entry: who read which citizen's data, when, why, and from which sources. Entries
 * form a hash chain: each one's hash covers its content and the previous entry's hash, so
 * changing, removing or reordering any entry breaks every hash after it.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditRecord {
  at: string;
  requestId: string;
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
  ]);
  return createHash('sha256').update(prevHash).update('\n').update(content).digest('hex');
}

export function chainEntry(seq: number, prevHash: string, record: AuditRecord): AuditEntry {
  return { seq, ...record, prevHash, hash: hashEntry(seq, prevHash, record) };
}

export type ChainVerdict = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number; problem: string };

/** Checks a sequence of entries in order; names the first that does not fit the chain. */
export async function verifyChain(entries: AsyncIterable<unknown> | Iterable<unknown>): Promise<ChainVerdict> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let count = 0;
  for await (const raw of entries) {
    count++;
    const entry = raw as AuditEntry;
    if (!entry || typeof entry !== 'object' || typeof entry.hash !== 'string') {
      return { ok: false, entries: count, brokenAt: expectedSeq, problem: 'the entry is not a well-formed audit record' };
    }
    if (entry.seq !== expectedSeq) {
      return { ok: false, entries: count, brokenAt: expectedSeq, problem: `expected entry ${expectedSeq}, found ${String(entry.seq)} (an entry was removed or reordered)` };
    }
    if (entry.prevHash !== prevHash) {
      return { ok: false, entries: count, brokenAt: entry.seq, problem: 'its link to the previous entry does not match (an earlier entry was changed or removed)' };
    }
    if (hashEntry(entry.seq, entry.prevHash, entry) !== entry.hash) {
      return { ok: false, entries: count, brokenAt: entry.seq, problem: 'its content does not match its hash (the entry was changed)' };
    }
    prevHash = entry.hash;
    expectedSeq++;
  }
  return { ok: true, entries: count };
}
