/** Every subgraph's factory, by name: the one list that main.ts, tests and benchmarks start from. */
import type { SubgraphConfig } from '../lib/config';
import type { SubgraphName } from '../lib/sources';
import { createAuditSubgraph } from './audit';
import { createBudgetSubgraph } from './budget';
import { createCivilStatusSubgraph } from './civil-status';
import { createHouseholdSubgraph } from './household';
import { createIndicatorsSubgraph } from './indicators';
import type { SubgraphDefinition } from './common/server';
import { createLandSubgraph } from './land';
import { createPopulationSubgraph } from './population';
import { createReconciliationSubgraph } from './reconciliation';
import { createSocialInsuranceSubgraph } from './social-insurance';

// Each factory has its own context type; the server only passes it through.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SUBGRAPH_FACTORIES: Record<SubgraphName, (config: SubgraphConfig) => SubgraphDefinition<any>> = {
  population: createPopulationSubgraph,
  'civil-status': createCivilStatusSubgraph,
  land: createLandSubgraph,
  'social-insurance': createSocialInsuranceSubgraph,
  budget: createBudgetSubgraph,
  audit: createAuditSubgraph,
  reconciliation: createReconciliationSubgraph,
  indicators: createIndicatorsSubgraph,
  household: createHouseholdSubgraph,
};
