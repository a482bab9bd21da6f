/** The audit subgraph: Query.accessLog, citizens' access history from the gateway's audit log. */
import { join } from 'node:path';
import { parse } from 'graphql';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients } from '../../sources/clients';
import type { SubgraphDefinition } from '../common/server';
import { AUDIT_CLIENTS, createLoaders } from './loaders';
import { AuditContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

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
