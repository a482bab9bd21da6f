/**
 * When each source last changed each record (`updatedAt`). Civil status changed no earlier than
 * the latest event it records; where population holds a stale value, its record last changed
 * before civil status did, which is how a reader can tell which side is behind. (Parcels and
 * insurance records are stamped as they are made.)
 */
import { lastCivilEventDay, WorldBuilder } from './builder';
import { dayOf, timestampOf } from './dates';

export function stampUpdates(b: WorldBuilder): void {
  const rng = b.stream('updates');
  for (const citizen of b.citizens.values()) {
    const civilStatus = b.timestampSince(rng, lastCivilEventDay(citizen));
    let population: string;
    if (citizen.populationStale) {
      const civilDay = dayOf(civilStatus.slice(0, 10));
      const from = Math.max(dayOf(citizen.birth.registeredOn), civilDay - 400);
      population = timestampOf(rng.int(Math.min(from, civilDay - 1), civilDay - 1), rng.int(7 * 60, 18 * 60 - 1));
    } else {
      population = b.timestampSince(rng, citizen.death ? dayOf(citizen.death.registeredOn) : dayOf(citizen.birth.registeredOn));
    }
    citizen.updatedAt = { population, civilStatus };
  }
  for (const household of b.households.values()) household.updatedAt = b.timestampSince(rng, 0);
}
