/**
 * Deliberate disagreements between what the population database holds and the legal record:
 * each chosen citizen gets exactly one. Civil status is right; population keeps a stale value: a
 * death it has not heard of, a marriage or divorce it has not caught up with, a misspelt name, or
 * day and month swapped in the birth date (the year never changes, so the personal ID still
 * agrees with population). Rarer: a gender or birth year in population that the personal ID's own
 * digits contradict (the ID agrees with civil status), and a person still listed in a second
 * household's member list after registering in their own.
 */
import { lastCivilEventDay, WorldBuilder } from './builder';
import { ageOn, dayOf, isoOf } from './dates';
import { misspell } from './names';
import type { Rng } from './prng';
import type { Citizen, Household, Inconsistency, InconsistencyKind, IsoDate, MaritalStatus, PopulationStale } from './types';

export interface InconsistencyPlan {
  /** How many citizens get one disagreement. */
  total: number;
  /** How many of them are DEATH_NOT_IN_POPULATION (they die in civil status only). */
  deaths: number;
}

/** What population still says after a change it missed. */
const STALE_MARITAL: Record<MaritalStatus, MaritalStatus> = {
  MARRIED: 'SINGLE',
  DIVORCED: 'MARRIED',
  WIDOWED: 'MARRIED',
  SINGLE: 'MARRIED',
};

export function seedInconsistencies(b: WorldBuilder, plan: InconsistencyPlan): Inconsistency[] {
  const rng = b.stream('inconsistencies');
  const shuffled = rng.shuffle([...b.citizens.values()]);
  const ages = new Map(shuffled.map((c) => [c, ageOn(dayOf(c.dateOfBirth), b.asOfDay)]));
  const age = (c: Citizen) => ages.get(c)!;
  const taken = new Set<string>();
  const seeded: Inconsistency[] = [];
  /** Gives up to `count` of `candidates` (in order) one disagreement each; `apply` may decline one (null). */
  const take = (count: number, candidates: Citizen[], apply: (c: Citizen) => Inconsistency | null) => {
    for (const citizen of candidates) {
      if (count <= 0) return;
      if (taken.has(citizen.personalId)) continue;
      const inconsistency = apply(citizen);
      if (!inconsistency) continue;
      taken.add(citizen.personalId);
      seeded.push(inconsistency);
      count--;
    }
  };

  // A death population has not heard of: a living household member who is not the head and has
  // no spouse, so that no one else's record has to change. The old first.
  const canDie = shuffled.filter((c) => !c.death && c.householdId && c.relationToHead !== 'HEAD' && c.maritalStatus !== 'MARRIED' && age(c) >= 40);
  canDie.sort((x, y) => Number(age(y) >= 60) - Number(age(x) >= 60));
  take(plan.deaths, canDie, (c) => {
    // After anything else on their record (a spouse's death, a divorce).
    const after = lastCivilEventDay(c);
    b.recordDeath(c, rng.int(Math.min(b.asOfDay - 1, Math.max(after + 1, b.asOfDay - 540)), b.asOfDay - 1));
    return stale(c, 'DEATH_NOT_IN_POPULATION', 'lifeStatus', { lifeStatus: 'LIVING' }, 'LIVING', 'DECEASED');
  });
  const deaths = seeded.length;

  const rest = plan.total - deaths;
  // Contradictions of the personal ID and double household listings are rarer than the others.
  const idMismatches = Math.round(rest / 8);
  const doubleListings = Math.round(rest / 8);
  const common = rest - idMismatches - doubleListings;
  const marital = Math.round(common / 3);
  const names = Math.ceil((common - marital) / 2);
  // Changes population can miss are marriages, divorces and widowhood; never-married adults last.
  const adults = shuffled.filter((c) => age(c) >= 20);
  adults.sort((x, y) => Number(x.maritalStatus === 'SINGLE') - Number(y.maritalStatus === 'SINGLE'));
  take(marital, adults, (c) => {
    const value = STALE_MARITAL[c.maritalStatus];
    return stale(c, 'MARITAL_STATUS_DIFFERS', 'maritalStatus', { maritalStatus: value }, value, c.maritalStatus);
  });
  take(names, shuffled, (c) => {
    const value = misspell(rng, c.fullName, c.gender);
    return stale(c, 'NAME_DIFFERS', 'fullName', { fullName: value }, value, c.fullName);
  });
  take(common - marital - names, shuffled, (c) => {
    const value = staleBirthDate(rng, c.dateOfBirth);
    return stale(c, 'BIRTH_DATE_DIFFERS', 'dateOfBirth', { dateOfBirth: value }, value, c.dateOfBirth);
  });

  // Only people population lists among a commune's residents, so a commune-wide check meets them.
  const listed = shuffled.filter((c) => !c.death && c.householdId);
  take(idMismatches, listed, (c) => contradictPersonalId(rng, c));
  const households = householdsByCommune(b.households);
  take(
    doubleListings,
    listed.filter((c) => c.relationToHead !== 'HEAD'),
    (c) => listInSecondHousehold(rng, c, households.get(c.communeCode) ?? []),
  );
  return seeded;
}

/**
 * Population's gender flipped (digit 4 of the ID says otherwise), or its birth year moved a few
 * years (digits 5–6 disagree) or a century (digit 4's century disagrees). Month and day are kept.
 */
function contradictPersonalId(rng: Rng, c: Citizen): Inconsistency {
  const variant = rng.int(0, 2);
  if (variant === 0) {
    const value = c.gender === 'MALE' ? 'FEMALE' : 'MALE';
    return stale(c, 'PERSONAL_ID_MISMATCH', 'gender', { gender: value }, value, c.gender);
  }
  const year = Number(c.dateOfBirth.slice(0, 4));
  let other = variant === 1 ? year + (rng.chance(0.5) ? 1 : -1) * rng.int(1, 9) : year >= 2000 ? year - 100 : year + 100;
  if (other < 1900 || other > 2099) other = 2 * year - other;
  const value = withYear(c.dateOfBirth, other);
  return stale(c, 'PERSONAL_ID_MISMATCH', 'dateOfBirth', { dateOfBirth: value }, value, c.dateOfBirth);
}

/** `iso` in another year; 29 February becomes the 28th where that year has none. */
function withYear(iso: IsoDate, year: number): IsoDate {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const monthDay = iso.slice(5) === '02-29' && !leap ? '02-28' : iso.slice(5);
  return `${year}-${monthDay}`;
}

/**
 * Someone who moved on is still listed (as KHAC, "other") by another household of the same
 * commune, whose member list population never cleaned up; their own record names their household.
 */
function listInSecondHousehold(rng: Rng, c: Citizen, neighbours: Household[]): Inconsistency | null {
  for (let attempt = 0; attempt < 20 && neighbours.length > 1; attempt++) {
    const other = rng.pick(neighbours);
    if (other.householdId === c.householdId || other.members.length >= 7 || other.members.some((m) => m.personalId === c.personalId)) continue;
    other.members.push({ personalId: c.personalId, relationToHead: 'OTHER' });
    return { personalId: c.personalId, kind: 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS', field: 'householdId', populationValue: other.householdId, civilStatusValue: null };
  }
  return null;
}

function householdsByCommune(households: Map<string, Household>): Map<string, Household[]> {
  const byCommune = new Map<string, Household[]>();
  for (const household of households.values()) {
    const list = byCommune.get(household.communeCode);
    if (list) list.push(household);
    else byCommune.set(household.communeCode, [household]);
  }
  return byCommune;
}

function stale(
  citizen: Citizen,
  kind: InconsistencyKind,
  field: Inconsistency['field'],
  values: PopulationStale,
  populationValue: string,
  civilStatusValue: string,
): Inconsistency {
  citizen.populationStale = values;
  return { personalId: citizen.personalId, kind, field, populationValue, civilStatusValue };
}

/** Day and month swapped where that makes a date; otherwise a few days off, in the same year. */
function staleBirthDate(rng: Rng, iso: IsoDate): IsoDate {
  const [year, month, day] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10)];
  if (Number(day) <= 12 && day !== month) return `${year}-${day}-${month}`;
  const shift = rng.int(1, 20);
  const later = isoOf(dayOf(iso) + shift);
  return later.startsWith(year) ? later : isoOf(dayOf(iso) - shift);
}
