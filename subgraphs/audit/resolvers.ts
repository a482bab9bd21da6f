import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { AuditEntry } from '../../lib/audit/entry';
import { requireIntInRange, requirePersonalId } from '../common/validate';
import type { AuditLoaders } from './loaders';

const PURPOSE_KINDS = { procedure: 'PROCEDURE', 'free-text': 'FREE_TEXT', self: 'SELF' } as const;

export interface AuditContext {
  loaders: AuditLoaders;
}

export const resolvers: GraphQLResolverMap<AuditContext> = {
  Query: {
    accessLog: (_root: unknown, args: { personalId: unknown; first: number }, { loaders }: AuditContext) => {
      const personalId = requirePersonalId(args.personalId);
      const first = requireIntInRange(args.first, 1, 200, 'first');
      return loaders.accessLog.load(`${first}:${personalId}`);
    },
  },
  AccessEvent: {
    sequence: (entry: AuditEntry) => entry.seq,
    purposeKind: (entry: AuditEntry) => (entry.purposeBasis ? PURPOSE_KINDS[entry.purposeBasis] : null),
    procedure: (entry: AuditEntry) => entry.procedure ?? null,
    dossier: (entry: AuditEntry) => entry.dossier ?? null,
  },
};
