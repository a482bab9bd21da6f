/**
 * The mutable state of a world while it is generated: the seeded streams, the citizens and
 * households made so far, and the minting of identifiers (personal IDs, household IDs, civil
 * registration numbers). The generation steps (households, marital histories, land, insurance,
 * inconsistencies) all work through it, so identifiers are unique across steps.
 */
import { encodePersonalId, Gender } from '../../lib/personal-id';
import { AddressBook } from './addresses';
import type { AdminWard } from './admin-units';
import type { Catalogue } from './catalogue';
import { addYears, dayOf, isoOf, timestampOf, yearOfDay } from './dates';
import { familyOf, fullName } from './names';
import { Rng } from './prng';
import { flat } from './strings';
import type { Citizen, Household, MarriageStatus, RelationToHead, Timestamp } from './types';

export interface PersonSpec {
  gender: Gender;
  birthDay: number;
  communeCode: string;
  address: string;
  householdId: string | null;
  relationToHead: RelationToHead | null;
  /** A given full name; otherwise one is drawn with `family` (or a random family name). */
  name?: string;
  family?: string;
  /** Parents' names for the birth registration; undefined draws plausible ones. */
  fatherName?: string | null;
  motherName?: string | null;
}

/** Legal minimum ages for marriage in Viet Nam: men 20, women 18. */
export const MARRIAGE_AGE: Record<Gender, number> = { MALE: 20, FEMALE: 18 };

export class WorldBuilder {
  readonly rng: Rng;
  readonly addresses: AddressBook;
  readonly citizens = new Map<string, Citizen>();
  readonly households = new Map<string, Household>();
  private readonly personalIds = new Set<string>();
  private registrationSerial = 0;
  private householdSerial = 0;

  constructor(
    readonly seed: string,
    readonly catalogue: Catalogue,
    /** The world's "today", as a day number. */
    readonly asOfDay: number,
  ) {
    this.rng = this.stream('people');
    this.addresses = new AddressBook(this.stream('addresses'), catalogue);
  }

  /** An independent random stream for one generation step. */
  stream(step: string): Rng {
    return new Rng(`${this.seed}/${step}`);
  }

  nextHouseholdId(): string {
    return `HK${String(++this.householdSerial).padStart(7, '0')}`;
  }

  /** `KS-07210-1990-000123`: prefix, registering commune, year, serial. */
  registrationNumber(prefix: 'KS' | 'KH' | 'KT', communeCode: string, day: number): string {
    this.registrationSerial = (this.registrationSerial + 1) % 1_000_000;
    return flat(prefix, '-', communeCode, '-', yearOfDay(day), '-', String(this.registrationSerial).padStart(6, '0'));
  }

  /** A birth day that makes someone `age` years old on the world's today. */
  birthDayForAge(age: number): number {
    return addYears(this.asOfDay, -age) - this.rng.int(0, 364);
  }

  randomCommune(provinceCode?: string): AdminWard {
    const wards = provinceCode ? this.catalogue.provinceByCode.get(provinceCode)!.Wards : this.catalogue.communes;
    return this.rng.pick(wards);
  }

  addPerson(spec: PersonSpec): Citizen {
    const { rng } = this;
    const birthYear = yearOfDay(spec.birthDay);
    const residence = this.catalogue.communeByCode.get(spec.communeCode)!;
    // Most people were born in the province they live in; the rest anywhere.
    const birthProvince = rng.chance(0.85) ? residence.ProvinceCode : rng.pick(this.catalogue.provinces).Code;
    const registeredAt = birthProvince === residence.ProvinceCode && rng.chance(0.6) ? residence.Code : this.randomCommune(birthProvince).Code;
    const registeredDay = Math.min(spec.birthDay + rng.int(3, 60), this.asOfDay);
    const name = spec.name ?? fullName(rng, spec.gender, birthYear, spec.family);
    const parentYear = birthYear - 28;
    const citizen: Citizen = {
      personalId: this.mintPersonalId(birthProvince, spec.gender, birthYear),
      fullName: name,
      dateOfBirth: isoOf(spec.birthDay),
      gender: spec.gender,
      birthProvinceCode: birthProvince,
      communeCode: spec.communeCode,
      address: spec.address,
      householdId: spec.householdId,
      relationToHead: spec.relationToHead,
      maritalStatus: 'SINGLE',
      birth: {
        registrationNumber: this.registrationNumber('KS', registeredAt, registeredDay),
        registeredOn: isoOf(registeredDay),
        registeredAt,
        fatherName: spec.fatherName !== undefined ? spec.fatherName : rng.chance(0.97) ? fullName(rng, 'MALE', parentYear, familyOf(name)) : null,
        motherName: spec.motherName !== undefined ? spec.motherName : fullName(rng, 'FEMALE', parentYear),
      },
      marriages: [],
      death: null,
      populationStale: null,
      updatedAt: { population: '', civilStatus: '' }, // stamped once the world is complete
    };
    this.citizens.set(citizen.personalId, citizen);
    return citizen;
  }

  /** Registers a marriage between two people of the world, on both records. */
  marry(a: Citizen, b: Citizen, registeredDay: number, status: MarriageStatus = 'ACTIVE', endedDay: number | null = null): void {
    const common = {
      registrationNumber: this.registrationNumber('KH', a.communeCode, registeredDay),
      registeredOn: isoOf(registeredDay),
      registeredAt: a.communeCode,
      status,
      endedOn: endedDay === null ? null : isoOf(endedDay),
    };
    a.marriages.push({ ...common, spouseId: b.personalId, spouseName: b.fullName });
    b.marriages.push({ ...common, spouseId: a.personalId, spouseName: a.fullName });
    if (status === 'ACTIVE') a.maritalStatus = b.maritalStatus = 'MARRIED';
  }

  /** Registers a marriage to someone outside the world (known by name only). */
  marryOutside(a: Citizen, spouseName: string, registeredDay: number, status: MarriageStatus, endedDay: number | null): void {
    a.marriages.push({
      registrationNumber: this.registrationNumber('KH', a.communeCode, registeredDay),
      registeredOn: isoOf(registeredDay),
      registeredAt: a.communeCode,
      spouseId: null,
      spouseName,
      status,
      endedOn: endedDay === null ? null : isoOf(endedDay),
    });
  }

  /** Records a death registered in the person's commune a few days later. */
  recordDeath(citizen: Citizen, deathDay: number): void {
    const registeredDay = Math.min(deathDay + this.rng.int(1, 30), this.asOfDay);
    citizen.death = {
      registrationNumber: this.registrationNumber('KT', citizen.communeCode, registeredDay),
      dateOfDeath: isoOf(deathDay),
      registeredOn: isoOf(registeredDay),
      registeredAt: citizen.communeCode,
    };
  }

  /** A timestamp on a working day between `fromDay` (or 30 months back) and today. */
  timestampSince(rng: Rng, fromDay: number): Timestamp {
    const earliest = Math.min(this.asOfDay, Math.max(fromDay, this.asOfDay - 900));
    return timestampOf(rng.int(earliest, this.asOfDay), rng.int(7 * 60, 18 * 60 - 1));
  }

  private mintPersonalId(provinceCode: string, gender: Gender, birthYear: number): string {
    for (;;) {
      const id = encodePersonalId(Number(provinceCode), gender, birthYear, this.rng.int(0, 999_999));
      if (!this.personalIds.has(id)) {
        this.personalIds.add(id);
        return id;
      }
    }
  }
}

/** The day of the latest event on a citizen's civil-status record. */
export function lastCivilEventDay(citizen: Citizen): number {
  let latest = citizen.birth.registeredOn;
  for (const m of citizen.marriages) {
    if (m.registeredOn > latest) latest = m.registeredOn;
    if (m.endedOn && m.endedOn > latest) latest = m.endedOn;
  }
  if (citizen.death && citizen.death.registeredOn > latest) latest = citizen.death.registeredOn;
  return dayOf(latest);
}
