/**
 * Social and health insurance (BHXH/BHYT). About 60% of working-age adults contribute (mostly
 * compulsory through an employer, some voluntary); some are suspended or have stopped. Children,
 * pupils, the elderly and the poor mostly hold state-funded health-insurance-only cards;
 * pensioners have stopped contributing and hold retiree cards. Some people were never enrolled
 * (the source answers 404) and some cards have expired.
 */
import type { WorldBuilder } from './builder';
import { addYears, ageOn, dayOf, isoOf, yearOfDay } from './dates';
import type { Rng } from './prng';
import { flat } from './strings';
import type { Citizen, HealthInsuranceCard, InsuranceRecord, InsuranceStatus, ParticipationType } from './types';

interface Enrolment {
  status: InsuranceStatus;
  type: ParticipationType;
  /** The card's object code (DN employee, GD household, HT retiree, TE child, HS pupil, CN poor, BT
   *  social protection) and benefit level; null: no card. */
  card: [string, number] | null;
}

const enrol = (status: InsuranceStatus, type: ParticipationType, card: [string, number] | null): Enrolment => ({ status, type, card });

/** Who is enrolled, and how, by age; null: never enrolled. */
function enrolmentFor(rng: Rng, age: number): Enrolment | null {
  const r = rng.next();
  if (age < 6) return enrol('ACTIVE', 'HEALTH_ONLY', ['TE', 1]);
  if (age < 18) return r < 0.9 ? enrol('ACTIVE', 'HEALTH_ONLY', ['HS', 4]) : null;
  if (age <= 60) {
    if (r < 0.45) return enrol('ACTIVE', 'COMPULSORY', ['DN', 4]);
    if (r < 0.6) return enrol('ACTIVE', 'VOLUNTARY', rng.chance(0.6) ? ['GD', 4] : null);
    if (r < 0.65) return enrol('SUSPENDED', 'COMPULSORY', rng.chance(0.5) ? ['GD', 4] : null);
    if (r < 0.72) return enrol('STOPPED', 'COMPULSORY', rng.chance(0.5) ? ['GD', 4] : null);
    if (r < 0.88) return enrol('ACTIVE', 'HEALTH_ONLY', rng.chance(0.7) ? ['GD', 4] : ['CN', 2]);
    return null;
  }
  if (age >= 80) return enrol('ACTIVE', 'HEALTH_ONLY', ['BT', 2]);
  if (r < 0.5) return enrol('STOPPED', 'COMPULSORY', ['HT', 2]);
  if (r < 0.95) return enrol('ACTIVE', 'HEALTH_ONLY', rng.chance(0.5) ? ['GD', 4] : ['CN', 2]);
  return null;
}

export function enrolInsurance(b: WorldBuilder): Map<string, InsuranceRecord> {
  const rng = b.stream('insurance');
  const records = new Map<string, InsuranceRecord>();
  const codes = new Set<string>();
  const year = yearOfDay(b.asOfDay);
  for (const citizen of b.citizens.values()) {
    if (citizen.death) continue; // BHXH has closed the file of the registered dead
    const birthDay = dayOf(citizen.dateOfBirth);
    const enrolment = enrolmentFor(rng, ageOn(birthDay, b.asOfDay));
    if (!enrolment) continue;
    const province = b.catalogue.communeByCode.get(citizen.communeCode)!.ProvinceCode;
    let insuranceCode: string;
    do insuranceCode = province + String(rng.int(0, 99_999_999)).padStart(8, '0');
    while (codes.has(insuranceCode));
    codes.add(insuranceCode);
    records.set(citizen.personalId, {
      personalId: citizen.personalId,
      insuranceCode,
      status: enrolment.status,
      participationType: enrolment.type,
      since: isoOf(sinceDay(rng, enrolment.type, birthDay, b.asOfDay)),
      healthCard: enrolment.card && card(b, rng, citizen, enrolment.card, insuranceCode, year),
      communeCode: citizen.communeCode,
      address: citizen.address,
      updatedAt: b.timestampSince(rng, b.asOfDay - 200),
    });
  }
  return records;
}

function sinceDay(rng: Rng, type: ParticipationType, birthDay: number, asOfDay: number): number {
  if (type === 'COMPULSORY') return Math.min(asOfDay - 30, addYears(birthDay, rng.int(18, 26)) + rng.int(0, 364));
  if (type === 'VOLUNTARY') return rng.int(Math.max(addYears(birthDay, 18), dayOf('2008-01-01')), asOfDay - 30);
  return Math.min(asOfDay - 1, Math.max(birthDay + rng.int(0, 30), asOfDay - rng.int(30, 3650)));
}

/**
 * Cards run for the calendar year (retirees' and social-protection cards for five); about one in
 * twelve ran out last year and was not renewed. Children's cards run to the day before they turn six.
 */
function card(b: WorldBuilder, rng: Rng, citizen: Citizen, [object, level]: [string, number], insuranceCode: string, year: number): HealthInsuranceCard {
  const longTerm = object === 'HT' || object === 'BT';
  const expired = rng.chance(0.08);
  const from = expired ? `${year - 1}-01-01` : longTerm ? `${year - 1}-01-01` : `${year}-01-01`;
  let to = expired ? `${year - 1}-12-31` : longTerm ? `${year + 3}-12-31` : `${year}-12-31`;
  if (object === 'TE') to = isoOf(addYears(dayOf(citizen.dateOfBirth), 6) - 1);
  return {
    cardNumber: flat(object, level, insuranceCode.slice(0, 2), insuranceCode),
    validFrom: object === 'TE' ? citizen.dateOfBirth : from,
    validTo: to,
    registeredFacility: b.addresses.healthFacility(citizen.communeCode),
  };
}
