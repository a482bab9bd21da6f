/** The civil-status subgraph: Citizen.civilStatus from the electronic civil-status database (hộ tịch). */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { CIVIL_STATUS_CLIENTS, createLoaders } from './loaders';
import { resolvers, CivilStatusContext } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createCivilStatusSubgraph(config: SubgraphConfig): SubgraphDefinition<CivilStatusContext> {
  const clients = openClients(config, CIVIL_STATUS_CLIENTS);
  const caches = { civilStatus: sourceCacheFor('civil-status', config, { personalNamespaces: ['record'] }), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'civil-status',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders({ clients, caches, concurrency: config.sourceConcurrency }) }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
