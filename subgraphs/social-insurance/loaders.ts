/** Per-request loaders: BHXH takes one ID per call, so lookups run with bounded concurrency. */
import type DataLoader from 'dataloader';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import type { InsuranceRecord } from '../../sources/social-insurance/client';
import { LoaderSources, singleLoader } from '../common/loaders';

export interface SocialInsuranceLoaders {
  participant: DataLoader<string, InsuranceRecord | null>;
}

export const SOCIAL_INSURANCE_CLIENTS = ['socialInsurance'] as const;
export type SocialInsuranceClients = SourceClients<(typeof SOCIAL_INSURANCE_CLIENTS)[number]>;

export interface SocialInsuranceCaches {
  socialInsurance: SourceCache;
}

export function createLoaders({ clients, caches, concurrency }: LoaderSources<SocialInsuranceClients, SocialInsuranceCaches>): SocialInsuranceLoaders {
  return { participant: singleLoader(concurrency, caches.socialInsurance.one('participant', (personalId) => clients.socialInsurance.getParticipant(personalId))) };
}
