/** The population subgraph: Citizen identity and residence, Household, Province and Commune. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { CatalogueClient } from '../../sources/catalogue/client';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { createLoaders } from './loaders';
import { PopulationContext, resolvers } from './resolvers';
import { PopulationClient } from '../../sources/population/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createPopulationSubgraph(config: SubgraphConfig): SubgraphDefinition<PopulationContext> {
  const population = new PopulationClient(sourceClientOptions(config, 'population'));
  const catalogue = new CatalogueClient(sourceClientOptions(config, 'catalogue'));
  const caches = { population: sourceCacheFor('population', config, { personalNamespaces: ['citizen'] }), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'population',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    // Where citizens, households and communes belong is decided here: their keys go out signed.
    issuesJurisdictionKeys: true,
    createContext: () => ({ loaders: createLoaders(population, catalogue, config.sourceConcurrency, caches) }),
    close: async () => {
      await Promise.all([population.close(), catalogue.close()]);
    },
  };
}
