/**
 * The indicators subgraph has no source of its own: it reads population, civil-status
 * statistics, land, social insurance, the treasury and the catalogue through the clients their
 * own subgraphs use.
 */
import type { SubgraphConfig } from '../../lib/config';
import { BudgetClient } from '../budget/source-client';
import { CivilStatusStatisticsClient } from '../civil-status/statistics-client';
import { CatalogueClient } from '../common/catalogue-client';
import { sourceClientOptions } from '../common/source-client';
import { LandClient } from '../land/source-client';
import { PopulationClient } from '../population/source-client';
import { SocialInsuranceClient } from '../social-insurance/source-client';

export interface IndicatorClients {
  population: PopulationClient;
  civilStatus: CivilStatusStatisticsClient;
  land: LandClient;
  socialInsurance: SocialInsuranceClient;
  budget: BudgetClient;
  catalogue: CatalogueClient;
}

export function createClients(config: SubgraphConfig): IndicatorClients {
  return {
    population: new PopulationClient(sourceClientOptions(config, 'population')),
    civilStatus: new CivilStatusStatisticsClient(sourceClientOptions(config, 'civil-status')),
    land: new LandClient(sourceClientOptions(config, 'land')),
    socialInsurance: new SocialInsuranceClient(sourceClientOptions(config, 'social-insurance')),
    budget: new BudgetClient(sourceClientOptions(config, 'budget')),
    catalogue: new CatalogueClient(sourceClientOptions(config, 'catalogue')),
  };
}

export async function closeClients(clients: IndicatorClients): Promise<void> {
  await Promise.all(Object.values(clients).map((client) => client.close()));
}
