/** The audit subgraph: Query.accessLog, citizens' access history from the gateway's audit log. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'graphql';
import { createAuditSink } from '../../lib/audit';
import type { SubgraphConfig } from '../../lib/config';
import type { SubgraphDefinition } from '../common/server';
import { createLoaders } from './loaders';
import { AuditContext, resolvers } from './resolvers';
import { AuditLogReader } from '../../sources/audit-log/client';

export const typeDefs = parse(readFileSync(join(__dirname, 'schema.graphql'), 'utf8'));

export function createAuditSubgraph(config: SubgraphConfig): SubgraphDefinition<AuditContext> {
  const reader = new AuditLogReader(createAuditSink(config));
  return {
    name: 'audit',
    typeDefs,
    resolvers,
    createContext: () => ({ loaders: createLoaders(reader) }),
    close: () => reader.close(),
  };
}
