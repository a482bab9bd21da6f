/** The audit subgraph: Query.accessLog, citizens' access history from the gateway's audit log. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { closeClients, openClients } from '../../sources/clients';
import type { SubgraphDefinition } from '../common/server';
import { AUDIT_CLIENTS, createLoaders } from './loaders';
import { AuditContext, resolvers } from './resolvers';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createAuditSubgraph(config: SubgraphConfig): SubgraphDefinition<AuditContext> {
  const clients = openClients(config, AUDIT_CLIENTS);
  return {
    name: 'audit',
    typeDefs,
    resolvers,
    createContext: () => ({ loaders: createLoaders({ clients, caches: {}, concurrency: config.sourceConcurrency }) }),
    close: () => closeClients(clients),
  };
}
