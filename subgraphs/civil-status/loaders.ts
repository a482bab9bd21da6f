/** Per-request loaders: the civil-status source takes up to 50 IDs per SOAP call. */
import type DataLoader from 'dataloader';
import { CIVIL_STATUS_MAX_BATCH, type CivilStatusClient, type CivilStatusRecord } from '../../sources/civil-status/client';
import type { SourceCache } from '../../sources/kit/source-cache';
import { batchLoader } from '../common/loaders';

export interface CivilStatusLoaders {
  civilStatus: DataLoader<string, CivilStatusRecord | null>;
}

export function createLoaders(client: CivilStatusClient, cache: SourceCache): CivilStatusLoaders {
  return { civilStatus: batchLoader(CIVIL_STATUS_MAX_BATCH, cache.batch('record', (personalIds) => client.getRecords(personalIds))) };
}
