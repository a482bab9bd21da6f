/**
 * Pre-reform codes, as the real sources hold them. The world is generated in today's units; this
 * step then writes back what each source would still store, from its own seeded stream (so the
 * rest of the world does not change), and keeps today's unit beside it for the truth:
 *  - civil status: every birth, marriage and death registered before 1 July 2025 names the old
 *    commune it was registered at (one of the old units its current commune absorbed), and its
 *    registration number carries that code;
 *  - population: RESIDENCE_NOT_UPDATED_SHARE of the living keep an old code for their residence
 *    (one whose number is no current code, so that the record reads as old whatever its date);
 *    the household book and the residents' index are in today's units;
 *  - land: PARCEL_OLD_CODE_SHARE of the parcels keep the code of the old commune that mapped them
 *    (again a number that is no current code); the cadastre's search by commune is by today's unit;
 *  - social insurance: INSURANCE_ADDRESS_NOT_UPDATED_SHARE of the contact addresses BHXH holds
 *    still name an old commune (drawn apart from the population's, so the two sources disagree in
 *    code while agreeing in place).
 * A split old commune gives records that the code alone cannot place (RETIRED_AMBIGUOUS).
 */
import { REFORM_DATE } from '../../lib/admin-units';
import type { WorldBuilder } from './builder';
import type { Catalogue } from './catalogue';
import type { InsuranceRecord, LandParcel } from './types';

export const RESIDENCE_NOT_UPDATED_SHARE = 0.03;
export const PARCEL_OLD_CODE_SHARE = 0.4;
export const INSURANCE_ADDRESS_NOT_UPDATED_SHARE = 0.08;

export function writeLegacyCodes(b: WorldBuilder, parcels: Map<string, LandParcel>, insurance: Map<string, InsuranceRecord>): void {
  const { conversion } = b.catalogue.former;
  if (conversion.predecessors.size === 0) return;
  const rng = b.stream('legacy-codes');
  const oldCodesOf = (code: string) => (conversion.predecessors.get(code) ?? []).map((s) => s.formerCode);
  const retiredOnlyOf = retiredOnly(b.catalogue);
  const byRegistration = new Map<string, string>();
  const rewrite = (act: { registrationNumber: string; registeredOn: string; registeredAt: string; registeredAtCurrent?: string }) => {
    if (act.registeredOn >= REFORM_DATE) return;
    let old = byRegistration.get(act.registrationNumber);
    if (old === undefined) {
      const candidates = oldCodesOf(act.registeredAt);
      if (candidates.length === 0) return;
      old = rng.pick(candidates);
      byRegistration.set(act.registrationNumber, old);
    }
    const number = act.registrationNumber.replace(`-${act.registeredAt}-`, `-${old}-`);
    act.registeredAtCurrent = act.registeredAt;
    act.registeredAt = old;
    act.registrationNumber = number;
  };
  // A marriage is on both spouses' records under one number: the first record met picks the old code.
  for (const citizen of b.citizens.values()) {
    rewrite(citizen.birth);
    for (const marriage of citizen.marriages) rewrite(marriage);
    if (citizen.death) rewrite(citizen.death);
  }
  for (const citizen of b.citizens.values()) {
    if (citizen.death || !rng.chance(RESIDENCE_NOT_UPDATED_SHARE)) continue;
    const candidates = retiredOnlyOf(citizen.communeCode);
    if (candidates.length > 0) citizen.recordedCommuneCode = rng.pick(candidates);
  }
  for (const parcel of parcels.values()) {
    if (!rng.chance(PARCEL_OLD_CODE_SHARE)) continue;
    const candidates = retiredOnlyOf(parcel.communeCode);
    if (candidates.length > 0) parcel.recordedCommuneCode = rng.pick(candidates);
  }
  for (const record of insurance.values()) {
    if (!rng.chance(INSURANCE_ADDRESS_NOT_UPDATED_SHARE)) continue;
    const candidates = retiredOnlyOf(record.communeCode);
    if (candidates.length > 0) record.recordedCommuneCode = rng.pick(candidates);
  }
}

/** The old codes a current commune absorbed whose number no current unit has. */
function retiredOnly(catalogue: Catalogue): (code: string) => string[] {
  const cache = new Map<string, string[]>();
  return (code) => {
    let list = cache.get(code);
    if (!list) {
      list = (catalogue.former.conversion.predecessors.get(code) ?? []).map((s) => s.formerCode).filter((old) => !catalogue.communeByCode.has(old));
      cache.set(code, list);
    }
    return list;
  };
}

/** Whether an old code was split between several current communes. */
export function isSplit(catalogue: Catalogue, oldCode: string): boolean {
  return new Set(catalogue.former.conversion.successors.get(oldCode)?.map((s) => s.currentCode)).size > 1;
}
