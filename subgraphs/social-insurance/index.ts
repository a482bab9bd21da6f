/** The social-insurance subgraph: Citizen.socialInsurance from BHXH, its address placed by the catalogue. */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { createLoaders, SOCIAL_INSURANCE_CLIENTS } from './loaders';
import { resolvers, SocialInsuranceContext } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createSocialInsuranceSubgraph(config: SubgraphConfig): SubgraphDefinition<SocialInsuranceContext> {
  const clients = openClients(config, SOCIAL_INSURANCE_CLIENTS);
  const caches = { socialInsurance: sourceCacheFor('social-insurance', config, { personalNamespaces: ['participant'] }), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'social-insurance',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders({ clients, caches, concurrency: config.sourceConcurrency }) }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
