/**
 * Land parcels: about 40% of households hold one to three. The first is the plot the household
 * lives on (ODT in wards, ONT elsewhere); the others are farm, forest, fish-pond or commercial
 * land in the same commune. Half the married heads hold jointly with the spouse, on one
 * certificate, with shares that sum to 1.
 */
import { MARRIAGE_AGE, WorldBuilder } from './builder';
import { addYears, dayOf, isoOf } from './dates';
import { Rng, Weighted } from './prng';
import { flat } from './strings';
import type { Citizen, LandParcel, LandUseCode } from './types';

const PARCEL_COUNT = new Weighted<number>([[1, 55], [2, 30], [3, 15]]);
const OTHER_USE = new Weighted<LandUseCode>([['LUC', 35], ['CLN', 25], ['BHK', 15], ['NTS', 10], ['RSX', 10], ['TMD', 5]]);
const SHARES: [number, number][] = [[0.5, 0.5], [0.5, 0.5], [0.6, 0.4], [0.75, 0.25]];
/** Typical plot sizes in m², by use. */
const AREA: Record<LandUseCode, [number, number]> = {
  ODT: [40, 200], ONT: [80, 400], LUC: [300, 3000], CLN: [500, 5000], BHK: [200, 2000],
  NTS: [500, 5000], RSX: [5000, 50000], TMD: [100, 1000],
};
const FIRST_CERTIFICATES = dayOf('1994-01-01');

export function allotLand(b: WorldBuilder): Map<string, LandParcel> {
  const rng = b.stream('land');
  const parcels = new Map<string, LandParcel>();
  let certificates = 0;
  for (const household of b.households.values()) {
    if (!rng.chance(0.4)) continue;
    const head = b.citizens.get(household.headId)!;
    const spouseRef = household.members.find((m) => m.relationToHead === 'SPOUSE');
    const spouse = spouseRef ? b.citizens.get(spouseRef.personalId) : undefined;
    const isWard = b.catalogue.communeByCode.get(household.communeCode)!.AdministrativeUnitShortName === 'Phường';
    const count = PARCEL_COUNT.pick(rng);
    for (let k = 0; k < count; k++) {
      const use: LandUseCode = k > 0 ? OTHER_USE.pick(rng) : isWard ? 'ODT' : 'ONT';
      const [mapSheetNo, parcelNo, parcelId] = freeParcelNumber(rng, parcels, household.communeCode);
      const [min, max] = AREA[use];
      const holders: [Citizen, number][] = spouse && rng.chance(0.5) ? zip([head, spouse], rng.pick(SHARES)) : [[head, 1]];
      // Bijective shuffle of a counter into 6 digits: unique, yet not obviously sequential.
      const certificateNo = `CS ${String((certificates++ * 7919 + 104729) % 1_000_000).padStart(6, '0')}`;
      const earliest = Math.max(FIRST_CERTIFICATES, ...holders.map(([c]) => addYears(dayOf(c.dateOfBirth), MARRIAGE_AGE[c.gender])));
      const issuedDay = rng.int(Math.min(earliest, b.asOfDay - 10), b.asOfDay - 10);
      parcels.set(parcelId, {
        parcelId,
        communeCode: household.communeCode,
        mapSheetNo,
        parcelNo,
        areaM2: Math.round((min + rng.next() * (max - min)) * 10) / 10,
        landUseCode: use,
        address: k === 0 ? household.address : b.addresses.field(household.communeCode),
        holders: holders.map(([c, share]) => ({ personalId: c.personalId, share, certificateNo, certificateIssuedOn: isoOf(issuedDay) })),
        updatedAt: b.timestampSince(rng, issuedDay),
      });
    }
  }
  return parcels;
}

function freeParcelNumber(rng: Rng, parcels: Map<string, LandParcel>, communeCode: string): [number, number, string] {
  for (;;) {
    const sheet = rng.int(1, 80);
    const number = rng.int(1, 2500);
    const id = flat('TD-', communeCode, '-', String(sheet).padStart(3, '0'), '-', String(number).padStart(5, '0'));
    if (!parcels.has(id)) return [sheet, number, id];
  }
}

function zip<A, B>(as: A[], bs: B[]): [A, B][] {
  return as.map((a, i) => [a, bs[i]]);
}
