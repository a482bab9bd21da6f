/** Per-request loaders: BHXH takes one ID per call, so lookups run with bounded concurrency. */
import type DataLoader from 'dataloader';
import { singleLoader } from '../common/loaders';
import type { SourceCache } from '../common/source-cache';
import type { InsuranceRecord, SocialInsuranceClient } from './source-client';

export interface SocialInsuranceLoaders {
  participant: DataLoader<string, InsuranceRecord | null>;
}

export function createLoaders(client: SocialInsuranceClient, concurrency: number, cache: SourceCache): SocialInsuranceLoaders {
  return { participant: singleLoader(concurrency, cache.one('participant', (personalId) => client.getParticipant(personalId))) };
}
