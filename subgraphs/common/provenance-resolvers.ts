/**
 * The schema side of provenance, shared by every subgraph that serves source-backed records: the
 * `Provenance` type's resolvers (the @shareable type of lib/schema-fragments/provenance.graphql, in each such subgraph's SDL) and
 * the combination of several records' provenance into one (a province's budget is many exports).
 */
import type { SourceName } from '../../lib/sources';
import { ageSeconds, Provenance } from '../../sources/kit/provenance';

/** The schema's SourceSystem enum value of each source. */
const SOURCE_SYSTEM: Record<SourceName, string> = {
  population: 'POPULATION',
  'civil-status': 'CIVIL_STATUS',
  land: 'LAND',
  'social-insurance': 'SOCIAL_INSURANCE',
  budget: 'BUDGET',
  catalogue: 'CATALOGUE',
};

/** The schema's SourceSystem value for a source. */
export function sourceSystem(source: SourceName): string {
  return SOURCE_SYSTEM[source];
}

export const provenanceResolvers = {
  source: (provenance: Provenance) => sourceSystem(provenance.source),
  servedFromCache: (provenance: Provenance) => provenance.cached,
  ageSeconds: (provenance: Provenance) => ageSeconds(provenance),
};

/**
 * One provenance for a value made of several records of one source: produced when the newest
 * part was, fetched when the oldest part was (so its age is the oldest part's), from the cache or
 * stale if any part was. Null when there are no parts.
 */
export function combineProvenance(parts: readonly Provenance[]): Provenance | null {
  if (parts.length === 0) return null;
  let producedAt: string | null = null;
  let fetchedAt = parts[0].fetchedAt;
  for (const part of parts) {
    if (part.producedAt !== null && (producedAt === null || part.producedAt > producedAt)) producedAt = part.producedAt;
    if (part.fetchedAt < fetchedAt) fetchedAt = part.fetchedAt;
  }
  return {
    source: parts[0].source,
    producedAt,
    fetchedAt,
    cached: parts.some((part) => part.cached),
    stale: parts.some((part) => part.stale),
  };
}
