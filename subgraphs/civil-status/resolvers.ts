import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { CitizenRef } from '../../sources/civil-status/client';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { unitReferenceOf } from '../common/units';
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
  // Where an act was registered, as recorded (an old code before 1 July 2025) and today.
  BirthRegistration: { registeredAtUnit: registeredAtUnit },
  DeathRegistration: { registeredAtUnit: registeredAtUnit },
  Provenance: provenanceResolvers,
};

async function registeredAtUnit(act: { registeredAt: { code: string }; registeredOn: string }, _args: unknown, { loaders }: CivilStatusContext) {
  return unitReferenceOf(await loaders.units.place(act.registeredAt.code, act.registeredOn));
}
