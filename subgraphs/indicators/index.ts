/**
 * The indicators subgraph: `Commune.indicators` and `Province.indicators`, the province's
 * indicator set (population, households, insurance coverage, civil-status events per month, land
 * parcels, budget execution) computed over the sources. An internal subgraph: it owns no data.
 */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { CommuneIndicators, LookupAllowance } from './compute';
import { cachedFetches, INDICATOR_CLIENTS } from './loaders';
import { IndicatorsContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createIndicatorsSubgraph(config: SubgraphConfig): SubgraphDefinition<IndicatorsContext> {
  const clients = openClients(config, INDICATOR_CLIENTS);
  const caches = {
    socialInsurance: sourceCacheFor('social-insurance', config, { personalNamespaces: ['participant'] }),
    budget: sourceCacheFor('budget', config),
    catalogue: sourceCacheFor('catalogue', config),
  };
  const fetches = cachedFetches({ clients, caches, concurrency: config.sourceConcurrency });
  const indicators = new CommuneIndicators(clients, fetches, { ttlMs: config.indicatorsCacheTtlMs, concurrency: config.sourceConcurrency });
  return {
    name: 'indicators',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ indicators, fetches, allowance: new LookupAllowance(config.indicatorsMaxInsuranceLookups) }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
