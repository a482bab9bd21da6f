/** The budget subgraph: Commune.budget and Province.budget from the treasury (TABMIS). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { closeClients, openClients } from '../../sources/clients';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import type { SubgraphDefinition } from '../common/server';
import { createLoaders } from './loaders';
import { BudgetContext, resolvers } from './resolvers';
import { loadSharingRules } from './sharing-rules';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createBudgetSubgraph(config: SubgraphConfig): SubgraphDefinition<BudgetContext> {
  const clients = openClients(config, ['budget', 'catalogue']);
  const caches = { budget: sourceCacheFor('budget', config), catalogue: sourceCacheFor('catalogue', config) };
  // Read and checked once at start: a mistake in the province's table stops the subgraph, clearly.
  const rules = loadSharingRules(config.budgetRulesFile);
  return {
    name: 'budget',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders(clients.budget, clients.catalogue, config.sourceConcurrency, caches), rules }),
    close: () => closeClients(clients),
  };
}
