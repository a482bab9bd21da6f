/** The budget subgraph: Commune.budget and Province.budget from the treasury (TABMIS). */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients, warmClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { BUDGET_CLIENTS, createLoaders } from './loaders';
import { BudgetContext, resolvers } from './resolvers';
import { loadSharingRules } from './sharing-rules';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createBudgetSubgraph(config: SubgraphConfig): SubgraphDefinition<BudgetContext> {
  const clients = openClients(config, BUDGET_CLIENTS);
  const caches = { budget: sourceCacheFor('budget', config), catalogue: sourceCacheFor('catalogue', config) };
  // Read and checked once at start: a mistake in the province's table stops the subgraph, clearly.
  const rules = loadSharingRules(config.budgetRulesFile);
  return {
    name: 'budget',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders({ clients, caches, concurrency: config.sourceConcurrency }), rules }),
    warmUp: () => warmClients(config, clients),
    close: () => closeClients(clients),
  };
}
