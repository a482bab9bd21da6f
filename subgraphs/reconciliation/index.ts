/**
 * The reconciliation subgraph: where population, civil status and the household book disagree,
 * for one citizen (`Citizen.discrepancies`) and for a whole commune (`Commune.discrepancies`).
 * An internal subgraph: it reads the sources through their own clients and owns no data.
 */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { CommuneReports } from './commune-report';
import { cachedFetches, createLoaders, RECONCILIATION_CLIENTS } from './loaders';
import { ReconciliationContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createReconciliationSubgraph(config: SubgraphConfig): SubgraphDefinition<ReconciliationContext> {
  const clients = openClients(config, RECONCILIATION_CLIENTS);
  const caches = {
    population: sourceCacheFor('population', config, { personalNamespaces: ['citizen'] }),
    civilStatus: sourceCacheFor('civil-status', config, { personalNamespaces: ['record'] }),
    catalogue: sourceCacheFor('catalogue', config),
  };
  const sources = { clients, caches, concurrency: config.sourceConcurrency };
  const fetches = cachedFetches(sources);
  const reports = new CommuneReports(clients, fetches, { ttlMs: config.reconciliationCacheTtlMs, concurrency: config.sourceConcurrency });
  return {
    name: 'reconciliation',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders(sources), reports }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
