/**
 * The source clients a subgraph opens, by name: a subgraph asks for the set it reads
 * (`openClients(config, ['population', 'catalogue'])`) and closes that set when it stops. Each
 * client is built from the subgraph's configuration (connection and resilience of its source), so
 * every subgraph reading a source reads it with the same wire format, batching and failure rules.
 */
import { createAuditSink } from '../lib/audit';
import type { SubgraphConfig } from '../lib/config';
import { AuditLogReader } from './audit-log/client';
import { BudgetClient } from './budget/client';
import { CatalogueClient } from './catalogue/client';
import { CivilStatusClient } from './civil-status/client';
import { CivilStatusStatisticsClient } from './civil-status/statistics';
import { sourceClientOptions } from './kit/source-client';
import { LandClient } from './land/client';
import { PopulationClient } from './population/client';
import { SocialInsuranceClient } from './social-insurance/client';

const OPENERS = {
  population: (config: SubgraphConfig) => new PopulationClient(sourceClientOptions(config, 'population')),
  civilStatus: (config: SubgraphConfig) => new CivilStatusClient(sourceClientOptions(config, 'civil-status')),
  civilStatusStatistics: (config: SubgraphConfig) => new CivilStatusStatisticsClient(sourceClientOptions(config, 'civil-status')),
  land: (config: SubgraphConfig) => new LandClient(sourceClientOptions(config, 'land')),
  socialInsurance: (config: SubgraphConfig) => new SocialInsuranceClient(sourceClientOptions(config, 'social-insurance')),
  budget: (config: SubgraphConfig) => new BudgetClient(sourceClientOptions(config, 'budget')),
  catalogue: (config: SubgraphConfig) => new CatalogueClient(sourceClientOptions(config, 'catalogue')),
  auditLog: (config: SubgraphConfig) => new AuditLogReader(createAuditSink(config)),
};

export type ClientName = keyof typeof OPENERS;

/** The clients named `K`, each under its name. */
export type SourceClients<K extends ClientName> = { [P in K]: ReturnType<(typeof OPENERS)[P]> };

export function openClients<K extends ClientName>(config: SubgraphConfig, names: readonly K[]): SourceClients<K> {
  return Object.fromEntries(names.map((name) => [name, OPENERS[name](config)])) as SourceClients<K>;
}

/**
 * Readies what the set keeps ahead of requests: today's catalogue, kept whole for the catalogue's
 * cache TTL. Resolves when it is ready or has failed (logged; look-ups then go code by code).
 */
export async function warmClients(config: SubgraphConfig, clients: Partial<Record<ClientName, unknown>>): Promise<void> {
  if (clients.catalogue instanceof CatalogueClient) await clients.catalogue.keepWhole(config.cacheTtlMs.catalogue);
}

/** Closes every client of the set (their connection pools, or the audit log). */
export async function closeClients(clients: Partial<Record<ClientName, { close(): Promise<void> }>>): Promise<void> {
  await Promise.all(Object.values(clients).map((client) => client?.close()));
}
