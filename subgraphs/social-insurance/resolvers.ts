import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isPersonalId } from '../../lib/personal-id';
import { todayInVietnam } from '../../sources/kit/dates';
import type { HealthInsuranceCardRecord, InsuredAddressRecord } from '../../sources/social-insurance/client';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { unitReferenceOf } from '../common/units';
import type { SocialInsuranceLoaders } from './loaders';

export interface SocialInsuranceContext {
  loaders: SocialInsuranceLoaders;
}

interface CitizenRef {
  personalId: string;
  /** Sent by the gateway's query plan (@requires); checked before any personal field is served. */
  jurisdictionKey?: string;
}

export const resolvers: GraphQLResolverMap<SocialInsuranceContext> = {
  Citizen: {
    __resolveReference: (ref: CitizenRef) => ({ ...ref }),
    socialInsurance: (citizen: CitizenRef, _args: unknown, { loaders }: SocialInsuranceContext) =>
      isPersonalId(citizen.personalId) ? loaders.participant.load(citizen.personalId) : null,
  },
  Provenance: provenanceResolvers,
  // BHXH's addresses are undated: the code is read as today's first, then as an old one.
  InsuredAddress: {
    unit: async (address: InsuredAddressRecord, _args: unknown, { loaders }: SocialInsuranceContext) => unitReferenceOf(await loaders.units.place(address.communeCode)),
  },
  HealthInsuranceCard: {
    isValid: (card: HealthInsuranceCardRecord) => {
      const today = todayInVietnam();
      return card.validFrom <= today && today <= card.validTo;
    },
  },
};
