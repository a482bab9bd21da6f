/** Per-request loaders: the civil-status source takes up to 50 IDs per SOAP call. */
import type DataLoader from 'dataloader';
import { CATALOGUE_MAX_BATCH, communeLookup } from '../../sources/catalogue/client';
import { CIVIL_STATUS_MAX_BATCH, type CivilStatusRecord } from '../../sources/civil-status/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import { batchLoader, LoaderSources } from '../common/loaders';
import { createUnitPlacer, UnitPlacer } from '../common/units';

export interface CivilStatusLoaders {
  civilStatus: DataLoader<string, CivilStatusRecord | null>;
  /** Places the registering unit (an old code before 1 July 2025) in today's catalogue. */
  units: UnitPlacer;
}

export const CIVIL_STATUS_CLIENTS = ['civilStatus', 'catalogue'] as const;
export type CivilStatusClients = SourceClients<(typeof CIVIL_STATUS_CLIENTS)[number]>;

export interface CivilStatusCaches {
  civilStatus: SourceCache;
  catalogue: SourceCache;
}

export function createLoaders({ clients, caches }: LoaderSources<CivilStatusClients, CivilStatusCaches>): CivilStatusLoaders {
  const commune = batchLoader(CATALOGUE_MAX_BATCH, communeLookup(clients.catalogue, caches.catalogue));
  return {
    civilStatus: batchLoader(CIVIL_STATUS_MAX_BATCH, caches.civilStatus.batch('record', (personalIds) => clients.civilStatus.getRecords(personalIds))),
    units: createUnitPlacer(clients.catalogue, commune),
  };
}
