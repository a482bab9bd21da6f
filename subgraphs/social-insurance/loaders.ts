/** Per-request loaders: BHXH takes one ID per call, so lookups run with bounded concurrency. */
import type DataLoader from 'dataloader';
import type { SourceCache } from '../../sources/kit/source-cache';
import type { InsuranceRecord, SocialInsuranceClient } from '../../sources/social-insurance/client';
import { singleLoader } from '../common/loaders';

export interface SocialInsuranceLoaders {
  participant: DataLoader<string, InsuranceRecord | null>;
}

export function createLoaders(client: SocialInsuranceClient, concurrency: number, cache: SourceCache): SocialInsuranceLoaders {
  return { participant: singleLoader(concurrency, cache.one('participant', (personalId) => client.getParticipant(personalId))) };
}
