/** The land subgraph: Citizen.landRights, LandParcel and Query.landParcel from CSDL đất đai. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { CatalogueClient } from '../../sources/catalogue/client';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { createLoaders } from './loaders';
import { LandContext, resolvers } from './resolvers';
import { LandClient } from '../../sources/land/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createLandSubgraph(config: SubgraphConfig): SubgraphDefinition<LandContext> {
  const client = new LandClient(sourceClientOptions(config, 'land'));
  // The catalogue places a parcel's commune in its province, for the owners' jurisdiction check.
  const catalogue = new CatalogueClient(sourceClientOptions(config, 'catalogue'));
  const caches = { land: sourceCacheFor('land', config, { personalNamespaces: ['rights'] }), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'land',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders(client, catalogue, caches) }),
    close: async () => {
      await Promise.all([client.close(), catalogue.close()]);
    },
  };
}
