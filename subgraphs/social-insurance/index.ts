/** The social-insurance subgraph: Citizen.socialInsurance from BHXH. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { createLoaders } from './loaders';
import { resolvers, SocialInsuranceContext } from './resolvers';
import { SocialInsuranceClient } from '../../sources/social-insurance/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createSocialInsuranceSubgraph(config: SubgraphConfig): SubgraphDefinition<SocialInsuranceContext> {
  const client = new SocialInsuranceClient(sourceClientOptions(config, 'social-insurance'));
  const cache = sourceCacheFor('social-insurance', config, { personalNamespaces: ['participant'] });
  return {
    name: 'social-insurance',
    typeDefs,
    resolvers,
    caches: [cache],
    createContext: () => ({ loaders: createLoaders(client, config.sourceConcurrency, cache) }),
    close: () => client.close(),
  };
}
