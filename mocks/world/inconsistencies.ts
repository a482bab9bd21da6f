/**
 * Deliberate population ↔ civil-status disagreements: each chosen citizen gets exactly one.
 * Civil status is right; population keeps a stale value: a death it has not heard of, a marriage
 * or divorce it has not caught up with, a misspelt name, or day and month swapped in the birth
 * date (the year never changes, so the personal ID still agrees with population).
 */
import { lastCivilEventDay, WorldBuilder } from './builder';
import { ageOn, dayOf, isoOf } from './dates';
import { misspell } from './names';
import type { Rng } from './prng';
import type { Citizen, Inconsistency, InconsistencyKind, IsoDate, MaritalStatus, PopulationStale } from './types';

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
  /** Gives up to `count` of `candidates` (in order) one disagreement each. */
  const take = (count: number, candidates: Citizen[], apply: (c: Citizen) => Inconsistency) => {
    for (const citizen of candidates) {
      if (count <= 0) return;
      if (taken.has(citizen.personalId)) continue;
      taken.add(citizen.personalId);
      seeded.push(apply(citizen));
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
  const marital = Math.round(rest / 3);
  const names = Math.ceil((rest - marital) / 2);
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
  take(rest - marital - names, shuffled, (c) => {
    const value = staleBirthDate(rng, c.dateOfBirth);
    return stale(c, 'BIRTH_DATE_DIFFERS', 'dateOfBirth', { dateOfBirth: value }, value, c.dateOfBirth);
  });
  return seeded;
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
