/**
 * Per-request loaders for the per-citizen check: population records and households (up to 100
 * per call), civil-status records (up to 50 per SOAP call), communes from the catalogue. They go
 * through the subgraph's source caches, which the commune-wide run fills as well.
 */
import type DataLoader from 'dataloader';
import { batchLoader } from '../common/loaders';
import type { SourceCache } from '../../sources/kit/source-cache';
import {
  CATALOGUE_MAX_BATCH,
  CIVIL_STATUS_MAX_BATCH,
  CitizenRecord,
  CivilStatusRecord,
  CommuneRecord,
  HouseholdRecord,
  POPULATION_MAX_BATCH,
  ReconciliationClients,
} from './source-client';

export interface ReconciliationCaches {
  population: SourceCache;
  civilStatus: SourceCache;
  catalogue: SourceCache;
}

export interface ReconciliationLoaders {
  citizen: DataLoader<string, CitizenRecord | null>;
  household: DataLoader<string, HouseholdRecord | null>;
  civilStatus: DataLoader<string, CivilStatusRecord | null>;
  commune: DataLoader<string, CommuneRecord | null>;
}

/** The cached batch fetches, shared by the per-request loaders and the commune-wide run. */
export function cachedFetches(clients: ReconciliationClients, caches: ReconciliationCaches) {
  return {
    citizens: caches.population.batch('citizen', (ids) => clients.population.getCitizens(ids)),
    households: caches.population.batch('household', (ids) => clients.population.getHouseholds(ids)),
    civilStatus: caches.civilStatus.batch('record', (ids) => clients.civilStatus.getRecords(ids)),
    communes: caches.catalogue.batch('commune', (codes) => clients.catalogue.getCommunes(codes)),
  };
}

export type CachedFetches = ReturnType<typeof cachedFetches>;

export function createLoaders(fetches: CachedFetches): ReconciliationLoaders {
  return {
    citizen: batchLoader(POPULATION_MAX_BATCH, fetches.citizens),
    household: batchLoader(POPULATION_MAX_BATCH, fetches.households),
    civilStatus: batchLoader(CIVIL_STATUS_MAX_BATCH, fetches.civilStatus),
    commune: batchLoader(CATALOGUE_MAX_BATCH, fetches.communes),
  };
}
