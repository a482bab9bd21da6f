/** The budget subgraph: Commune.budget and Province.budget from the treasury (TABMIS). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { CatalogueClient } from '../common/catalogue-client';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../common/source-cache';
import { createLoaders } from './loaders';
import { BudgetContext, resolvers } from './resolvers';
import { BudgetClient } from './source-client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createBudgetSubgraph(config: SubgraphConfig): SubgraphDefinition<BudgetContext> {
  const { budget: budgetConnection, catalogue: catalogueConnection } = config.sources;
  if (!budgetConnection || !catalogueConnection) throw new Error('budget subgraph needs the budget and catalogue source connections');
  const options = { timeoutMs: config.sourceTimeoutMs, connections: config.sourceConcurrency };
  const budget = new BudgetClient({ ...budgetConnection, ...options });
  const catalogue = new CatalogueClient({ ...catalogueConnection, ...options });
  const caches = { budget: sourceCacheFor('budget', config), catalogue: sourceCacheFor('catalogue', config) };
  return {
    name: 'budget',
    typeDefs,
    resolvers,
    createContext: () => ({ loaders: createLoaders(budget, catalogue, config.sourceConcurrency, caches) }),
    close: async () => {
      await Promise.all([budget.close(), catalogue.close()]);
    },
  };
}
