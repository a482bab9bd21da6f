/**
 * The audit subgraph: Query.accessLog, citizens' access history, and Query.sharingReport, the
 * data-sharing report of a period, both from the gateway's audit log.
 */
import { join } from 'node:path';
import { parse } from 'graphql';
import { createAuditSink } from '../../lib/audit';
import { sharingReport } from '../../lib/audit/sharing-report';
import type { SubgraphConfig } from '../../lib/config';
import { readSubgraphSdl } from '../../lib/subgraph-sdl';
import { closeClients, openClients } from '../../sources/clients';
import type { SubgraphDefinition } from '../common/server';
import { AUDIT_CLIENTS, createLoaders } from './loaders';
import { AuditContext, resolvers } from './resolvers';

export const typeDefs = parse(readSubgraphSdl(join(__dirname, 'schema.graphql')));

export function createAuditSubgraph(config: SubgraphConfig): SubgraphDefinition<AuditContext> {
  const clients = openClients(config, AUDIT_CLIENTS);
  // The report streams the whole period through a reader of its own (the log read as stored).
  const reportLog = createAuditSink(config);
  return {
    name: 'audit',
    typeDefs,
    resolvers,
    createContext: () => ({
      loaders: createLoaders({ clients, caches: {}, concurrency: config.sourceConcurrency }),
      sharingReport: (from: Date, to: Date) => sharingReport(reportLog, from, to),
    }),
    close: async () => {
      await Promise.all([closeClients(clients), reportLog.close()]);
    },
  };
}
