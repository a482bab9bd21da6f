import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { CitizenRef } from '../../sources/civil-status/client';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { requirePersonalId } from '../common/validate';
import type { CivilStatusLoaders } from './loaders';

export interface CivilStatusContext {
  loaders: CivilStatusLoaders;
}

// Commune references (`registeredAt`) and spouse references (`spouse`) are already in the
// records' shape, so only the Citizen entity needs resolvers.
export const resolvers: GraphQLResolverMap<CivilStatusContext> = {
  Citizen: {
    // Async, so that an invalid representation fails alone (`_entities[i]`), not the whole list.
    __resolveReference: async (ref: CitizenRef) => ({ ...ref, personalId: requirePersonalId(ref.personalId) }),
    civilStatus: (citizen: CitizenRef, _args: unknown, { loaders }: CivilStatusContext) => loaders.civilStatus.load(citizen.personalId),
  },
  Provenance: provenanceResolvers,
};
