/**
 * Unit codes as sources recorded them, placed in today's catalogue (units.graphql). A source's
 * code is served as recorded, beside the unit it lies in today; nothing is rewritten. The rules
 * (which catalogue a code is read by, what counts as split) are lib/admin-units.ts; the old
 * catalogue and the conversion table come from the catalogue source through its client.
 */
import type DataLoader from 'dataloader';
import { REFORM_DATE, resolveRecordedUnit, UnitConversion, UnitResolution } from '../../lib/admin-units';
import { formatJurisdictionKey, Residence } from '../../lib/principal';
import type { CatalogueClient, CommuneRecord } from '../../sources/catalogue/client';
import { toGraphQLError } from './errors';

export interface UnitReferenceRecord {
  recordedCode: string;
  recordedName: string | null;
  status: UnitResolution['status'];
  /** Commune references, resolved by the subgraph that owns Commune. */
  current: { code: string } | null;
  candidates: { code: string }[];
}

export interface UnitPlacer {
  /** How `code`, recorded on a record dated `recordedOn` (or undated), stands today. */
  place(code: string, recordedOn?: string | null): Promise<UnitResolution>;
  /** The conversion table (old units, successors, predecessors). */
  conversion(): Promise<UnitConversion>;
}

/**
 * `commune` is the request's loader of current communes (the catalogue's, cached); the
 * conversion table is the client's, kept in the process.
 */
export function createUnitPlacer(catalogue: Pick<CatalogueClient, 'getUnitConversion'>, commune: DataLoader<string, CommuneRecord | null>): UnitPlacer {
  const conversion = async () => {
    try {
      return await catalogue.getUnitConversion();
    } catch (error) {
      throw toGraphQLError(error);
    }
  };
  return {
    conversion,
    async place(code, recordedOn) {
      const table = await conversion();
      const old = recordedOn !== undefined && recordedOn !== null && recordedOn < REFORM_DATE && table.successors.has(code);
      const here = old ? null : await commune.load(code);
      const resolution = resolveRecordedUnit(table, (c) => (c === code ? (here?.name ?? null) : null), code, recordedOn);
      if (resolution.status === 'CURRENT' || resolution.status === 'UNKNOWN') return resolution;
      // The table names a new commune that today's catalogue no longer lists (changed after 2025,
      // e.g. 06970 by Resolution 30/2026): the code cannot be placed today, and is not guessed.
      const listed = await Promise.all(resolution.candidateCodes.map((candidate) => commune.load(candidate)));
      return listed.every(Boolean) ? resolution : { ...resolution, status: 'UNKNOWN', currentCode: null, candidateCodes: [] };
    },
  };
}

export function unitReferenceOf(resolution: UnitResolution): UnitReferenceRecord {
  return {
    recordedCode: resolution.recordedCode,
    recordedName: resolution.recordedName,
    status: resolution.status,
    current: resolution.currentCode ? { code: resolution.currentCode } : null,
    candidates: resolution.candidateCodes.map((code) => ({ code })),
  };
}

/**
 * Where a record placed by `resolution` lies, as a plain jurisdiction key: the current commune
 * (`24/07210`), or for a split old unit every candidate (`?07222=24/07210+24/07228`), so that the
 * access rule can ask that all of them lie within the caller's jurisdiction. Null: unknown.
 */
export async function jurisdictionKeyOfResolution(
  resolution: UnitResolution,
  commune: DataLoader<string, CommuneRecord | null>,
): Promise<string | null> {
  if (resolution.status === 'UNKNOWN') return null;
  const residences: Residence[] = [];
  for (const code of resolution.candidateCodes) {
    const found = await commune.load(code);
    if (!found) return null;
    residences.push({ provinceCode: found.provinceCode, communeCode: found.code });
  }
  return keyOfPlaces(resolution.recordedCode, residences);
}

/** The key of a recorded code placed in `places` (one commune, or every part of a split old one). */
export function keyOfPlaces(recordedCode: string, places: Residence[]): string {
  if (places.length === 1) return formatJurisdictionKey(places[0]);
  return formatJurisdictionKey({ provinceCode: places[0].provinceCode, communeCode: recordedCode, ambiguous: { recordedCode, candidates: places } });
}
