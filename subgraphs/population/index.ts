/** The population subgraph: Citizen identity and residence, Household, Province and Commune. */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readJwkFile } from '../../lib/keys';
import { createCursorSealer } from '../../lib/sealed-cursor';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { createLoaders, POPULATION_CLIENTS } from './loaders';
import { PopulationContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createPopulationSubgraph(config: SubgraphConfig): SubgraphDefinition<PopulationContext> {
  const clients = openClients(config, POPULATION_CLIENTS);
  const caches = { population: sourceCacheFor('population', config, { personalNamespaces: ['citizen'] }), catalogue: sourceCacheFor('catalogue', config) };
  // The source pages residents by the last personal ID: sealed with a key every replica derives
  // from the jurisdiction signing key they share, so any replica continues a page another began.
  const signingKey = config.jurisdictionKeyPrivateKeyFile ? readJwkFile(config.jurisdictionKeyPrivateKeyFile).d : undefined;
  const cursors = createCursorSealer(signingKey ? Buffer.from(signingKey, 'base64url') : null, 'population residents');
  return {
    name: 'population',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    // Where citizens, households and communes belong is decided here: their keys go out signed.
    issuesJurisdictionKeys: true,
    createContext: () => ({ loaders: createLoaders({ clients, caches, concurrency: config.sourceConcurrency }), cursors }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
