/** The budget subgraph: Commune.budget and Province.budget from the treasury (TABMIS). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { CatalogueClient } from '../../sources/catalogue/client';
import type { SubgraphDefinition } from '../common/server';
import { sourceCacheFor } from '../../sources/kit/source-cache';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { createLoaders } from './loaders';
import { BudgetContext, resolvers } from './resolvers';
import { loadSharingRules } from './sharing-rules';
import { BudgetClient } from '../../sources/budget/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createBudgetSubgraph(config: SubgraphConfig): SubgraphDefinition<BudgetContext> {
  const budget = new BudgetClient(sourceClientOptions(config, 'budget'));
  const catalogue = new CatalogueClient(sourceClientOptions(config, 'catalogue'));
  const caches = { budget: sourceCacheFor('budget', config), catalogue: sourceCacheFor('catalogue', config) };
  // Read and checked once at start: a mistake in the province's table stops the subgraph, clearly.
  const rules = loadSharingRules(config.budgetRulesFile);
  return {
    name: 'budget',
    typeDefs,
    resolvers,
    caches: Object.values(caches),
    createContext: () => ({ loaders: createLoaders(budget, catalogue, config.sourceConcurrency, caches), rules }),
    close: async () => {
      await Promise.all([budget.close(), catalogue.close()]);
    },
  };
}
