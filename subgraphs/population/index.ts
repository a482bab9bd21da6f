/** The population subgraph: Citizen identity and residence, Household, Province and Commune. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { CatalogueClient } from '../common/catalogue-client';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../common/source-cache';
import { createLoaders } from './loaders';
import { PopulationContext, resolvers } from './resolvers';
import { PopulationClient } from './source-client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createPopulationSubgraph(config: SubgraphConfig): SubgraphDefinition<PopulationContext> {
  const populationConnection = config.sources.population;
  const catalogueConnection = config.sources.catalogue;
  if (!populationConnection) throw new Error('population subgraph needs the population source connection');
  if (!catalogueConnection) throw new Error('population subgraph needs the catalogue source connection');
  const options = { timeoutMs: config.sourceTimeoutMs, connections: config.sourceConcurrency };
  const population = new PopulationClient({ ...populationConnection, ...options });
  const catalogue = new CatalogueClient({ ...catalogueConnection, ...options });
  const caches = { population: sourceCacheFor('population', config), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'population',
    typeDefs,
    resolvers,
    createContext: () => ({ loaders: createLoaders(population, catalogue, config.sourceConcurrency, caches) }),
    close: async () => {
      await Promise.all([population.close(), catalogue.close()]);
    },
  };
}
