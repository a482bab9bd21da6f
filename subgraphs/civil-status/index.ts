/** The civil-status subgraph: Citizen.civilStatus from the electronic civil-status database (hộ tịch). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { createLoaders } from './loaders';
import { resolvers, CivilStatusContext } from './resolvers';
import { CivilStatusClient } from '../../sources/civil-status/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createCivilStatusSubgraph(config: SubgraphConfig): SubgraphDefinition<CivilStatusContext> {
  const client = new CivilStatusClient(sourceClientOptions(config, 'civil-status'));
  const cache = sourceCacheFor('civil-status', config, { personalNamespaces: ['record'] });
  return {
    name: 'civil-status',
    typeDefs,
    resolvers,
    caches: [cache],
    createContext: () => ({ loaders: createLoaders(client, cache) }),
    close: () => client.close(),
  };
}
