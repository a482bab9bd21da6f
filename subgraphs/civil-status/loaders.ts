/** Per-request loaders: the civil-status source takes up to 50 IDs per SOAP call. */
import type DataLoader from 'dataloader';
import { CIVIL_STATUS_MAX_BATCH, type CivilStatusRecord } from '../../sources/civil-status/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import { batchLoader, LoaderSources } from '../common/loaders';

export interface CivilStatusLoaders {
  civilStatus: DataLoader<string, CivilStatusRecord | null>;
}

export const CIVIL_STATUS_CLIENTS = ['civilStatus'] as const;
export type CivilStatusClients = SourceClients<(typeof CIVIL_STATUS_CLIENTS)[number]>;

export interface CivilStatusCaches {
  civilStatus: SourceCache;
}

export function createLoaders({ clients, caches }: LoaderSources<CivilStatusClients, CivilStatusCaches>): CivilStatusLoaders {
  return { civilStatus: batchLoader(CIVIL_STATUS_MAX_BATCH, caches.civilStatus.batch('record', (personalIds) => clients.civilStatus.getRecords(personalIds))) };
}
