/** The civil-status subgraph: Citizen.civilStatus from the electronic civil-status database (hộ tịch). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../common/source-cache';
import { createLoaders } from './loaders';
import { resolvers, CivilStatusContext } from './resolvers';
import { CivilStatusClient } from './source-client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createCivilStatusSubgraph(config: SubgraphConfig): SubgraphDefinition<CivilStatusContext> {
  const connection = config.sources['civil-status'];
  if (!connection) throw new Error('civil-status subgraph needs the civil-status source connection');
  const client = new CivilStatusClient({
    ...connection,
    timeoutMs: config.sourceTimeoutMs,
    connections: config.sourceConcurrency,
  });
  const cache = sourceCacheFor('civil-status', config);
  return {
    name: 'civil-status',
    typeDefs,
    resolvers,
    createContext: () => ({ loaders: createLoaders(client, cache) }),
    close: () => client.close(),
  };
}
