/**
 * The reconciliation subgraph has no source of its own: it reads the population database, the
 * civil-status database and the catalogue through the clients their own subgraphs use, so the
 * wire formats, batching rules and failure handling are the same ones.
 */
import type { SubgraphConfig } from '../../lib/config';
import { CivilStatusClient } from '../civil-status/source-client';
import { CatalogueClient } from '../common/catalogue-client';
import { sourceClientOptions } from '../common/source-client';
import { PopulationClient } from '../population/source-client';

export { CIVIL_STATUS_MAX_BATCH } from '../civil-status/source-client';
export type { CivilStatusRecord } from '../civil-status/source-client';
export { CATALOGUE_MAX_BATCH } from '../common/catalogue-client';
export type { CommuneRecord } from '../common/catalogue-client';
export { POPULATION_MAX_BATCH } from '../population/source-client';
export type { CitizenRecord, HouseholdRecord } from '../population/source-client';

export interface ReconciliationClients {
  population: PopulationClient;
  civilStatus: CivilStatusClient;
  catalogue: CatalogueClient;
}

export function createClients(config: SubgraphConfig): ReconciliationClients {
  return {
    population: new PopulationClient(sourceClientOptions(config, 'population')),
    civilStatus: new CivilStatusClient(sourceClientOptions(config, 'civil-status')),
    catalogue: new CatalogueClient(sourceClientOptions(config, 'catalogue')),
  };
}

export async function closeClients(clients: ReconciliationClients): Promise<void> {
  await Promise.all([clients.population.close(), clients.civilStatus.close(), clients.catalogue.close()]);
}
