/**
 * Where a source-backed record came from and how fresh it is. Source clients stamp every record
 * they map (`stampProvenance`); the source cache marks records it serves from memory (`cached`)
 * and, when it serves an expired answer because the source failed, `stale`. The schema exposes
 * it as each type's `provenance` field.
 */
import type { SourceName } from '../../lib/sources';

export interface Provenance {
  source: SourceName;
  /** When the source last changed the record, as the source says (ISO 8601); null if it does not say. */
  producedAt: string | null;
  /** When this subgraph fetched it from the source (ISO 8601). */
  fetchedAt: string;
  /** Served from the source cache rather than fetched for this request. */
  cached: boolean;
  /** Served past its time to live because the source failed (stale-if-error). */
  stale: boolean;
}

export interface WithProvenance {
  provenance?: Provenance;
}

export function stampProvenance(source: SourceName, producedAt: string | null | undefined, fetchedAt: Date = new Date()): Provenance {
  return { source, producedAt: producedAt ?? null, fetchedAt: fetchedAt.toISOString(), cached: false, stale: false };
}

/** Marks a record (and the records it holds) as served from the cache, optionally stale. */
export function markServedFromCache(value: unknown, stale = false): void {
  if (typeof value !== 'object' || value === null) return;
  if (Array.isArray(value)) {
    for (const item of value) markServedFromCache(item, stale);
    return;
  }
  const provenance = (value as WithProvenance).provenance;
  if (provenance && typeof provenance === 'object') {
    provenance.cached = true;
    if (stale) provenance.stale = true;
  }
  // Records held inside this one (a citizen's household, a land right's parcel) came with it.
  for (const [key, field] of Object.entries(value)) {
    if (key !== 'provenance' && typeof field === 'object' && field !== null) markServedFromCache(field, stale);
  }
}

/** Age of the answer in whole seconds, from when it was fetched. */
export function ageSeconds(provenance: Provenance, now: number = Date.now()): number {
  return Math.max(0, Math.floor((now - Date.parse(provenance.fetchedAt)) / 1000));
}
