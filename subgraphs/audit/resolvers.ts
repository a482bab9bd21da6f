import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import type { AuditEntry } from '../../lib/audit/entry';
import { MAX_REPORT_DAYS, parseReportTime, periodProblem, SharingReport, SharingRow } from '../../lib/audit/sharing-report';
import { badUserInput } from '../common/errors';
import { requireIntInRange, requirePersonalId } from '../common/validate';
import type { AuditLoaders } from './loaders';

const PURPOSE_KINDS = { procedure: 'PROCEDURE', 'free-text': 'FREE_TEXT', self: 'SELF', none: 'NONE' } as const;

export interface AuditContext {
  loaders: AuditLoaders;
  /** The data-sharing report of a period, computed from the audit log. */
  sharingReport(from: Date, to: Date): Promise<SharingReport>;
}

/**
 * DateTime: any string passes the scalar, so that a malformed one is refused by the resolver with
 * BAD_USER_INPUT naming the argument and the expected form, literal or variable alike.
 */
const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: (value) => (value instanceof Date ? value.toISOString() : String(value)),
  parseValue: (value) => {
    if (typeof value !== 'string') throw new GraphQLError('DateTime: expected an ISO 8601 string');
    return value;
  },
  parseLiteral: (node) => {
    if (node.kind !== Kind.STRING) throw new GraphQLError('DateTime: expected an ISO 8601 string');
    return node.value;
  },
});

function requireTime(value: unknown, argument: string): Date {
  const time = typeof value === 'string' ? parseReportTime(value) : null;
  if (!time) {
    throw badUserInput(`Invalid ${argument}: expected an ISO 8601 date (2026-01-01) or date-time with its offset (2026-01-01T00:00:00+07:00)`, argument);
  }
  return time;
}

/** A sequence number as the ID it travels as (digits; GraphQL turns a whole-number literal into them too). */
function requireSequence(value: string, argument: string): number {
  const sequence = /^[1-9][0-9]{0,15}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(sequence)) {
    throw badUserInput(`Invalid ${argument}: expected the sequence of an event from an earlier page, a whole number from 1 to ${Number.MAX_SAFE_INTEGER}`, argument);
  }
  return sequence;
}

export const resolvers: GraphQLResolverMap<AuditContext> = {
  Query: {
    accessLog: (_root: unknown, args: { personalId: unknown; first: number; before?: string | null }, { loaders }: AuditContext) => {
      const personalId = requirePersonalId(args.personalId);
      const first = requireIntInRange(args.first, 1, 200, 'first');
      const before = args.before === undefined || args.before === null ? '' : requireSequence(args.before, 'before');
      return loaders.accessLog.load(`${first}:${before}:${personalId}`);
    },
    sharingReport: (_root: unknown, args: { from: unknown; to: unknown }, context: AuditContext) => {
      const from = requireTime(args.from, 'from');
      const to = requireTime(args.to, 'to');
      const problem = periodProblem(from, to);
      if (problem) throw badUserInput(`Invalid period: ${problem} (from ${from.toISOString()} to ${to.toISOString()}; at most ${MAX_REPORT_DAYS} days)`, problem.startsWith('"from"') ? 'from' : 'to');
      return context.sharingReport(from, to);
    },
  },
  DateTime,
  SharingReport: {
    totals: (report: SharingReport) => ({ ...report.totals, reads: report.totals.entries, fields: report.totals.fieldNames }),
    unreadableEntries: (report: SharingReport) => report.unreadable,
  },
  SharingReportRow: {
    purposeKind: (row: SharingRow) => (row.purposeBasis ? PURPOSE_KINDS[row.purposeBasis] : null),
    procedure: (row: SharingRow) => (row.procedureCode ? { code: row.procedureCode, name: row.procedureName ?? '' } : null),
    reads: (row: SharingRow) => row.entries,
    fields: (row: SharingRow) => row.fieldNames,
  },
  AccessEvent: {
    sequence: (entry: AuditEntry) => String(entry.seq),
    purposeKind: (entry: AuditEntry) => (entry.purposeBasis ? PURPOSE_KINDS[entry.purposeBasis] : null),
    procedure: (entry: AuditEntry) => entry.procedure ?? null,
    dossier: (entry: AuditEntry) => entry.dossier ?? null,
  },
};
