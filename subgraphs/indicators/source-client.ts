/**
 * The indicators subgraph has no source of its own: it reads population, civil-status
 * statistics, land, social insurance, the treasury and the catalogue through the clients their
 * own subgraphs use.
 */
import type { SubgraphConfig } from '../../lib/config';
import { BudgetClient } from '../../sources/budget/client';
import { CivilStatusStatisticsClient } from '../../sources/civil-status/statistics';
import { CatalogueClient } from '../../sources/catalogue/client';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { LandClient } from '../../sources/land/client';
import { PopulationClient } from '../../sources/population/client';
import { SocialInsuranceClient } from '../../sources/social-insurance/client';

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
