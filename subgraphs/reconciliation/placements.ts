/**
 * Unit codes the population records hold, placed in today's catalogue before anything is compared
 * or judged: a residence not yet updated names an old commune, and the same place under its old
 * and new code is not a disagreement. Current codes come from the catalogue (up to 200 per call),
 * old ones from the conversion table the catalogue client keeps.
 */
import { EMPTY_CONVERSION, resolveRecordedUnit, UnitResolution } from '../../lib/admin-units';
import { CATALOGUE_MAX_BATCH, type CatalogueClient, type CommuneRecord } from '../../sources/catalogue/client';
import type { SourceError } from '../../sources/kit/errors';
import { everyAnswer } from '../common/errors';
import { chunks } from '../common/loaders';
import { keyOfPlaces } from '../common/units';

export interface Placements {
  /** How each code stands today (undated codes: today's catalogue first, then the old one). */
  units: Map<string, UnitResolution>;
  /** `<province>/<commune>` of each placed code; a split old commune gives every candidate. */
  keys: Map<string, string>;
}

/** `communes`: the cached catalogue batch fetch; `catalogue`: the client that keeps the conversion table. */
export async function placeCodes(
  communes: (codes: readonly string[]) => Promise<Map<string, CommuneRecord | SourceError>>,
  catalogue: Pick<CatalogueClient, 'getUnitConversion'>,
  codes: Iterable<string>,
): Promise<Placements> {
  const wanted = [...new Set(codes)];
  const current = new Map<string, CommuneRecord>();
  const lookUp = async (list: string[]) => {
    for (const batch of chunks(list, CATALOGUE_MAX_BATCH)) for (const [code, commune] of await everyAnswer(communes(batch))) current.set(code, commune);
  };
  await lookUp(wanted);
  const old = wanted.filter((code) => !current.has(code));
  const conversion = old.length > 0 ? await catalogue.getUnitConversion() : EMPTY_CONVERSION;
  const units = new Map<string, UnitResolution>();
  for (const code of wanted) {
    units.set(code, resolveRecordedUnit(conversion, (c) => current.get(c)?.name ?? null, code));
  }
  await lookUp([...new Set([...units.values()].flatMap((unit) => unit.candidateCodes))].filter((code) => !current.has(code)));
  const keys = new Map<string, string>();
  for (const [code, unit] of units) {
    const places = unit.candidateCodes.map((candidate) => current.get(candidate));
    if (places.length === 0 || places.some((place) => !place)) continue;
    const residences = places.map((place) => ({ provinceCode: place!.provinceCode, communeCode: place!.code }));
    keys.set(code, keyOfPlaces(code, residences));
  }
  return { units, keys };
}
