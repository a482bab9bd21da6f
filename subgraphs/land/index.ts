/** The land subgraph: Citizen.landRights, LandParcel and Query.landParcel from CSDL đất đai. */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { createLoaders, LAND_CLIENTS } from './loaders';
import { LandContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createLandSubgraph(config: SubgraphConfig): SubgraphDefinition<LandContext> {
  // The catalogue places a parcel's commune in its province, for the owners' jurisdiction check.
  const clients = openClients(config, LAND_CLIENTS);
  const caches = { land: sourceCacheFor('land', config, { personalNamespaces: ['rights'] }), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'land',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders({ clients, caches, concurrency: config.sourceConcurrency }) }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
