/**
 * Past marriages of the people who do not live with a spouse: some are widowed, some divorced,
 * and some married people were divorced before. Spouses are people of the world where possible:
 * a widow's late husband is a deceased citizen (their deaths make up the world's regular
 * deceased), and divorced people of one province are paired with each other as exes. Whoever
 * cannot be paired has a spouse known by name only, as a record from before digitisation would.
 */
import type { Gender } from '../../lib/personal-id';
import { MARRIAGE_AGE, WorldBuilder } from './builder';
import { addYears, ageOn, dayOf, yearOfDay } from './dates';
import { fullName } from './names';
import type { Rng } from './prng';
import type { Citizen, RelationToHead } from './types';

const YEAR = 365;

export function settleMaritalHistories(b: WorldBuilder, deceasedSpouses: number): void {
  const rng = b.stream('marital-history');
  const widowed: Citizen[] = [];
  const exes: Ex[] = [];
  for (const citizen of b.citizens.values()) {
    const age = ageOn(dayOf(citizen.dateOfBirth), b.asOfDay);
    if (citizen.maritalStatus === 'MARRIED') {
      // A few married people were divorced before this marriage.
      const current = dayOf(citizen.marriages[0].registeredOn);
      if (age >= 32 && rng.chance(0.07) && current - adultDay(citizen) > 3 * YEAR) exes.push({ citizen, latestEnd: current - 60 });
      continue;
    }
    if (age < 20) continue;
    const r = rng.next();
    const pWidowed = widowedShare(age, citizen.relationToHead);
    // Widowhood needs a marriage that lasted a year and ended before today.
    const couldBeWidowed = adultDay(citizen) <= b.asOfDay - 2 * YEAR;
    if (r < pWidowed) {
      if (couldBeWidowed) widowed.push(citizen);
    } else if (r < pWidowed + divorcedShare(age, citizen.relationToHead)) {
      exes.push({ citizen, latestEnd: b.asOfDay - 60 });
    }
  }

  rng.shuffle(widowed);
  widowed.forEach((survivor, i) => widow(b, rng, survivor, i < deceasedSpouses));
  for (let i = widowed.length; i < deceasedSpouses; i++) addLoneDeceased(b, rng);
  pairExes(b, rng, exes);
}

function widowedShare(age: number, relation: RelationToHead | null): number {
  if (relation === 'PARENT') return age >= 55 ? 0.85 : 0.3;
  if (relation === 'HEAD') return age >= 70 ? 0.6 : age >= 60 ? 0.4 : age >= 45 ? 0.15 : age >= 30 ? 0.03 : 0;
  return age >= 45 ? 0.05 : 0.005;
}

function divorcedShare(age: number, relation: RelationToHead | null): number {
  if (relation === 'HEAD') return age >= 60 ? 0.1 : age >= 30 ? 0.3 : 0.05;
  return age >= 28 ? 0.08 : 0.01;
}

function adultDay(citizen: Citizen): number {
  return addYears(dayOf(citizen.dateOfBirth), MARRIAGE_AGE[citizen.gender]);
}

/** A day in [from, to] drawn towards `to` (deaths cluster late in a marriage). */
function lateDay(rng: Rng, from: number, to: number): number {
  return from + Math.floor(Math.sqrt(rng.next()) * Math.max(0, to - from));
}

/**
 * Makes `survivor` a widow(er). `inWorld`: the late spouse becomes a deceased citizen with a death
 * registration, struck off the household register; otherwise known by name only.
 */
function widow(b: WorldBuilder, rng: Rng, survivor: Citizen, inWorld: boolean): void {
  const gender: Gender = survivor.gender === 'MALE' ? 'FEMALE' : 'MALE';
  const survivorBirth = dayOf(survivor.dateOfBirth);
  const drawn = survivorBirth + (gender === 'MALE' ? -1 : 1) * rng.int(0, 6 * YEAR);
  // Old enough to have married two years ago at the latest.
  const spouseBirth = Math.min(addYears(b.asOfDay - 2 * YEAR, -MARRIAGE_AGE[gender]), Math.max(dayOf('1905-01-01'), drawn));
  const earliest = Math.max(adultDay(survivor), addYears(spouseBirth, MARRIAGE_AGE[gender]));
  const married = rng.int(earliest, Math.max(earliest, Math.min(earliest + 8 * YEAR, b.asOfDay - 3 * YEAR)));
  const died = lateDay(rng, married + YEAR, b.asOfDay - 30);
  const name = partnerNameOnRecord(b, survivor, gender) ?? fullName(rng, gender, yearOfDay(spouseBirth));
  survivor.maritalStatus = 'WIDOWED';
  if (!inWorld) return b.marryOutside(survivor, name, married, 'ENDED_BY_DEATH', died);
  const spouse = b.addPerson({
    gender,
    birthDay: spouseBirth,
    name,
    communeCode: survivor.communeCode,
    address: survivor.address,
    householdId: null,
    relationToHead: null,
  });
  b.recordDeath(spouse, died);
  // The deceased keep the status they died in; the survivor is the widow(er).
  b.marry(survivor, spouse, married, 'ENDED_BY_DEATH', died);
  spouse.maritalStatus = 'MARRIED';
}

/**
 * The late spouse's name as the family's other records already give it: a head's children name
 * both parents on their birth registrations, and a head names the parent living with them.
 */
function partnerNameOnRecord(b: WorldBuilder, survivor: Citizen, gender: Gender): string | null {
  const household = survivor.householdId ? b.households.get(survivor.householdId) : undefined;
  const slot = gender === 'MALE' ? 'fatherName' : 'motherName';
  if (!household) return null;
  if (survivor.relationToHead === 'PARENT') return b.citizens.get(household.headId)!.birth[slot];
  if (survivor.relationToHead !== 'HEAD') return null;
  const child = household.members.find((m) => m.relationToHead === 'CHILD');
  return child ? b.citizens.get(child.personalId)!.birth[slot] : null;
}

/** When too few widows are drawn (tiny worlds), the regular deceased are old people living alone. */
function addLoneDeceased(b: WorldBuilder, rng: Rng): void {
  const commune = b.randomCommune().Code;
  const died = b.asOfDay - rng.int(30, 10 * YEAR);
  const person = b.addPerson({
    gender: rng.chance(0.5) ? 'MALE' : 'FEMALE',
    birthDay: addYears(died, -rng.int(60, 95)) - rng.int(0, 364),
    communeCode: commune,
    address: b.addresses.home(commune),
    householdId: null,
    relationToHead: null,
  });
  b.recordDeath(person, died);
}

interface Ex {
  citizen: Citizen;
  /** The divorce must be final by then: before a remarriage, or before today. */
  latestEnd: number;
}

/** Pairs exes of one province by age; the unpaired were divorced from someone outside the world. */
function pairExes(b: WorldBuilder, rng: Rng, exes: Ex[]): void {
  const byProvince = new Map<string, { MALE: Ex[]; FEMALE: Ex[] }>();
  for (const ex of exes) {
    const province = b.catalogue.communeByCode.get(ex.citizen.communeCode)!.ProvinceCode;
    let group = byProvince.get(province);
    if (!group) byProvince.set(province, (group = { MALE: [], FEMALE: [] }));
    group[ex.citizen.gender].push(ex);
  }
  const byBirth = (x: Ex, y: Ex) => (x.citizen.dateOfBirth < y.citizen.dateOfBirth ? -1 : x.citizen.dateOfBirth > y.citizen.dateOfBirth ? 1 : 0);
  for (const { MALE: men, FEMALE: women } of byProvince.values()) {
    men.sort(byBirth);
    women.sort(byBirth);
    for (let i = 0; i < Math.max(men.length, women.length); i++) {
      const [man, woman] = [men[i], women[i]];
      if (man && woman && divorce(b, rng, [man, woman])) continue;
      for (const ex of [man, woman]) if (ex) divorce(b, rng, [ex]);
    }
  }
}

/** A marriage that ended in divorce, for a pair of the world or one person alone. */
function divorce(b: WorldBuilder, rng: Rng, parties: Ex[]): boolean {
  const earliest = Math.max(...parties.map((p) => adultDay(p.citizen)));
  const latestEnd = Math.min(...parties.map((p) => p.latestEnd));
  const married = earliest + rng.int(0, 4 * YEAR);
  if (married + 180 > latestEnd) return false;
  const ended = Math.min(latestEnd, married + rng.int(180, 12 * YEAR));
  const [a, other] = parties.map((p) => p.citizen);
  if (other) b.marry(a, other, married, 'DIVORCED', ended);
  else b.marryOutside(a, fullName(rng, a.gender === 'MALE' ? 'FEMALE' : 'MALE', Number(a.dateOfBirth.slice(0, 4))), married, 'DIVORCED', ended);
  for (const { citizen } of parties) {
    citizen.marriages.sort((x, y) => (x.registeredOn < y.registeredOn ? -1 : 1));
    if (citizen.maritalStatus !== 'MARRIED') citizen.maritalStatus = 'DIVORCED';
  }
  return true;
}
