/**
 * The reconciliation subgraph has no source of its own: it reads the population database, the
 * civil-status database and the catalogue through the clients their own subgraphs use, so the
 * wire formats, batching rules and failure handling are the same ones.
 */
import type { SubgraphConfig } from '../../lib/config';
import { CivilStatusClient } from '../../sources/civil-status/client';
import { CatalogueClient } from '../../sources/catalogue/client';
import { sourceClientOptions } from '../../sources/kit/source-client';
import { PopulationClient } from '../../sources/population/client';

export { CIVIL_STATUS_MAX_BATCH } from '../../sources/civil-status/client';
export type { CivilStatusRecord } from '../../sources/civil-status/client';
export { CATALOGUE_MAX_BATCH } from '../../sources/catalogue/client';
export type { CommuneRecord } from '../../sources/catalogue/client';
export { POPULATION_MAX_BATCH } from '../../sources/population/client';
export type { CitizenRecord, HouseholdRecord } from '../../sources/population/client';

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
