/**
 * What each database believes about a citizen. Civil status holds the truth; the population
 * database agrees except where a disagreement was seeded, when its stale values win.
 */
import type { Citizen, Gender, LifeStatus, MaritalStatus } from './types';

export function lifeStatusOf(citizen: Citizen): LifeStatus {
  return citizen.death ? 'DECEASED' : 'LIVING';
}

export interface PopulationView {
  fullName: string;
  dateOfBirth: string;
  gender: Gender;
  maritalStatus: MaritalStatus;
  lifeStatus: LifeStatus;
}

export function populationView(citizen: Citizen): PopulationView {
  const stale = citizen.populationStale;
  return {
    fullName: stale?.fullName ?? citizen.fullName,
    dateOfBirth: stale?.dateOfBirth ?? citizen.dateOfBirth,
    gender: stale?.gender ?? citizen.gender,
    maritalStatus: stale?.maritalStatus ?? citizen.maritalStatus,
    lifeStatus: stale?.lifeStatus ?? lifeStatusOf(citizen),
  };
}
