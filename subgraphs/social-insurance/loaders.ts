/** Per-request loaders: BHXH takes one ID per call, so lookups run with bounded concurrency. */
import type DataLoader from 'dataloader';
import { CATALOGUE_MAX_BATCH, communeLookup } from '../../sources/catalogue/client';
import type { SourceClients } from '../../sources/clients';
import type { SourceCache } from '../../sources/kit/source-cache';
import type { InsuranceRecord } from '../../sources/social-insurance/client';
import { batchLoader, LoaderSources, singleLoader } from '../common/loaders';
import { createUnitPlacer, UnitPlacer } from '../common/units';

export interface SocialInsuranceLoaders {
  participant: DataLoader<string, InsuranceRecord | null>;
  /** Places the address's commune (BHXH may still hold an old code) in today's catalogue. */
  units: UnitPlacer;
}

export const SOCIAL_INSURANCE_CLIENTS = ['socialInsurance', 'catalogue'] as const;
export type SocialInsuranceClients = SourceClients<(typeof SOCIAL_INSURANCE_CLIENTS)[number]>;

export interface SocialInsuranceCaches {
  socialInsurance: SourceCache;
  catalogue: SourceCache;
}

export function createLoaders({ clients, caches, concurrency }: LoaderSources<SocialInsuranceClients, SocialInsuranceCaches>): SocialInsuranceLoaders {
  const commune = batchLoader(CATALOGUE_MAX_BATCH, communeLookup(clients.catalogue, caches.catalogue));
  return {
    participant: singleLoader(concurrency, caches.socialInsurance.one('participant', (personalId) => clients.socialInsurance.getParticipant(personalId))),
    units: createUnitPlacer(clients.catalogue, commune),
  };
}
