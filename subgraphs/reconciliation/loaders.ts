/**
 * Per-request loaders for the per-citizen check: population records and households (up to 100
 * per call), civil-status records (up to 50 per SOAP call), communes from the catalogue. They go
 * through the subgraph's source caches, which the commune-wide run fills as well.
 */
import type DataLoader from 'dataloader';
import { CATALOGUE_MAX_BATCH, communeLookup, type CommuneRecord } from '../../sources/catalogue/client';
import { CIVIL_STATUS_MAX_BATCH, type CivilStatusRecord } from '../../sources/civil-status/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import { POPULATION_MAX_BATCH, type CitizenRecord, type HouseholdRecord } from '../../sources/population/client';
import { batchLoader, LoaderSources } from '../common/loaders';
import { placeCodes, Placements } from './placements';

/** The sources reconciliation compares, read through the same clients their own subgraphs use. */
export const RECONCILIATION_CLIENTS = ['population', 'civilStatus', 'catalogue'] as const;
export type ReconciliationClients = SourceClients<(typeof RECONCILIATION_CLIENTS)[number]>;

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
  /** Unit codes placed in today's catalogue (old codes by the conversion table). */
  place(codes: Iterable<string>): Promise<Placements>;
}

/** The cached batch fetches, shared by the per-request loaders and the commune-wide run. */
export function cachedFetches({ clients, caches }: LoaderSources<ReconciliationClients, ReconciliationCaches>) {
  return {
    citizens: caches.population.batch('citizen', (ids) => clients.population.getCitizens(ids)),
    households: caches.population.batch('household', (ids) => clients.population.getHouseholds(ids)),
    civilStatus: caches.civilStatus.batch('record', (ids) => clients.civilStatus.getRecords(ids)),
    communes: communeLookup(clients.catalogue, caches.catalogue),
  };
}

export type CachedFetches = ReturnType<typeof cachedFetches>;

export function createLoaders(sources: LoaderSources<ReconciliationClients, ReconciliationCaches>): ReconciliationLoaders {
  // Batch functions over the shared caches: a record the commune-wide run fetched is a hit here.
  const fetches = cachedFetches(sources);
  return {
    citizen: batchLoader(POPULATION_MAX_BATCH, fetches.citizens),
    household: batchLoader(POPULATION_MAX_BATCH, fetches.households),
    civilStatus: batchLoader(CIVIL_STATUS_MAX_BATCH, fetches.civilStatus),
    commune: batchLoader(CATALOGUE_MAX_BATCH, fetches.communes),
    place: (codes) => placeCodes(fetches.communes, sources.clients.catalogue, codes),
  };
}
