import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLError } from 'graphql';
import { judgeJurisdiction, parseJurisdictionKey, Principal } from '../../lib/principal';
import { badUserInput, toGraphQLError } from '../common/errors';
import { sourceSystem } from '../common/provenance-resolvers';
import { requireCommuneCode, requireIntInRange, requirePersonalId } from '../common/validate';
import { citizenDiscrepancies } from './citizen-check';
import type { CommuneReport, CommuneReports, ReportedFinding } from './commune-report';
import { DiscrepancyKind, DISCREPANCY_KINDS, FindingSide } from './compare';
import type { ReconciliationLoaders } from './loaders';

export interface ReconciliationContext {
  loaders: ReconciliationLoaders;
  reports: CommuneReports;
  principal: Principal;
}

interface CitizenRef {
  personalId: string;
  /** Sent by the gateway's query plan (@requires); checked before any personal field is served. */
  jurisdictionKey: string;
}

interface CommuneRef {
  code: string;
  jurisdictionKey?: string;
}

interface ReportArgs {
  first: number;
  after?: string | null;
  kinds?: DiscrepancyKind[] | null;
}

const DESCRIPTIONS: Record<DiscrepancyKind, string> = {
  DEATH_NOT_IN_POPULATION: 'Hộ tịch đã đăng ký khai tử, CSDL dân cư vẫn ghi còn sống (death registered in civil status; population still lists the person as living).',
  DEATH_NOT_IN_CIVIL_STATUS: 'CSDL dân cư ghi đã chết, hộ tịch chưa đăng ký khai tử (population records a death civil status has not registered).',
  MARITAL_STATUS_DIFFERS: 'Tình trạng hôn nhân trong CSDL dân cư khác hộ tịch (marital status in population differs from civil status).',
  NAME_DIFFERS: 'Họ tên trong CSDL dân cư khác hộ tịch (full name in population differs from civil status).',
  BIRTH_DATE_DIFFERS: 'Ngày sinh trong CSDL dân cư khác hộ tịch (date of birth in population differs from civil status).',
  PERSONAL_ID_MISMATCH:
    'Chữ số giới tính/thế kỷ (thứ 4) hoặc năm sinh (thứ 5–6) của số định danh mâu thuẫn với giới tính hoặc năm sinh đã ghi (the personal ID’s gender/century digit or birth-year digits contradict the recorded gender or birth date).',
  NOT_IN_CIVIL_STATUS: 'CSDL hộ tịch không có hồ sơ của người này (civil status has no record of the person).',
  HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS: 'Người này có tên trong danh sách thành viên của hai hộ (the person is listed as a member of two households).',
  HOUSEHOLD_MEMBERSHIP_DIFFERS: 'Hộ ghi trong hồ sơ công dân không phải hộ có danh sách ghi người này (the household the person’s record names is not the one that lists them).',
  RESIDENCE_DIFFERS:
    'Nơi cư trú trong hồ sơ công dân và trong sổ hộ là hai xã khác nhau, sau khi đã quy đổi mã cũ về xã hiện nay (the person’s record and the household book name different places, both read in today’s units).',
  RETIRED_UNIT_RECORDED:
    'Hồ sơ còn ghi mã xã đã thôi tồn tại từ 1/7/2025; bên kia là xã hiện nay chứa nó (the record still names a commune retired on 1 July 2025; the other side is the unit it lies in today).',
};

/**
 * Where a page ends, and nothing about anyone: the report it was cut from (its time), the kinds
 * asked and how many findings came before. (An order key would name the last person listed, and
 * `pageInfo` is served to callers who may read no one: it needs no purpose and is not audited.)
 */
interface PagePosition {
  checkedAt: string;
  kinds: string;
  offset: number;
}

const CURSOR = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z)\|([A-Z_,]{0,400})\|(\d{1,7})$/;

function encodeCursor(position: PagePosition): string {
  return Buffer.from(`${position.checkedAt}|${position.kinds}|${position.offset}`).toString('base64url');
}

function decodeCursor(after: string | null | undefined): PagePosition | null {
  if (after === null || after === undefined) return null;
  const match = after.length <= 600 ? CURSOR.exec(Buffer.from(after, 'base64url').toString('utf8')) : null;
  if (!match) throw badUserInput('Invalid after: expected a cursor from a previous page (pageInfo.endCursor)', 'after');
  return { checkedAt: match[1], kinds: match[2], offset: Number(match[3]) };
}

/** The kinds asked, as a cursor holds them: a cursor continues only the listing it came from. */
function kindsKey(kinds: readonly DiscrepancyKind[] | null | undefined): string {
  return [...new Set(kinds ?? [])].sort().join(',');
}

/** Inside the caller's own jurisdiction: a location-independent procedure concerns one citizen, never a whole commune. */
function isInside(principal: Principal, jurisdictionKey: string | undefined): boolean {
  const residence = parseJurisdictionKey(jurisdictionKey);
  return residence !== null && judgeJurisdiction(principal, residence) === 'inside';
}

function requireInside(principal: Principal, commune: CommuneRef): void {
  if (!isInside(principal, commune.jurisdictionKey)) {
    throw new GraphQLError("Not allowed: a commune-wide reconciliation is served only inside the caller's jurisdiction", {
      extensions: { code: 'FORBIDDEN', reason: 'OUTSIDE_JURISDICTION' },
    });
  }
}

/** One page of the findings the caller may see, after the `after` cursor. */
function page(report: CommuneReport, { first, after, kinds: asked }: { first: number; after: PagePosition | null; kinds?: DiscrepancyKind[] | null }, principal: Principal) {
  // Someone listed here but living in another commune is left out for a caller who may not read them.
  const visible = report.findings.filter((finding) => isInside(principal, finding.jurisdictionKey));
  const kinds = asked && asked.length > 0 ? new Set(asked) : null;
  const matching = kinds ? visible.filter((finding) => kinds.has(finding.kind)) : visible;
  if (after && after.kinds !== kindsKey(asked)) {
    throw badUserInput('Invalid after: the cursor comes from a page of other kinds; ask with the kinds of its first page', 'after');
  }
  if (after && after.checkedAt !== report.checkedAt) {
    // The report was run again in between: positions in the old one mean nothing in the new.
    throw badUserInput(`Invalid after: the commune's report was run again at ${report.checkedAt}, after the cursor's page; start again from the first page`, 'after');
  }
  const from = Math.min(after?.offset ?? 0, matching.length);
  const nodes = matching.slice(from, from + first);
  const hasNextPage = from + first < matching.length;
  return {
    residentsChecked: report.residentsChecked,
    checkedAt: report.checkedAt,
    counts: DISCREPANCY_KINDS.map((kind) => ({ kind, count: visible.filter((finding) => finding.kind === kind).length })),
    totalCount: matching.length,
    nodes,
    pageInfo: { hasNextPage, endCursor: hasNextPage ? encodeCursor({ checkedAt: report.checkedAt, kinds: kindsKey(asked), offset: from + nodes.length }) : null },
  };
}

export const resolvers: GraphQLResolverMap<ReconciliationContext> = {
  Citizen: {
    // Async, so that an invalid representation fails alone (`_entities[i]`), not the whole list.
    __resolveReference: async (ref: CitizenRef) => ({ ...ref, personalId: requirePersonalId(ref.personalId) }),
    discrepancies: (citizen: CitizenRef, _args: unknown, { loaders }: ReconciliationContext) =>
      citizenDiscrepancies(citizen.personalId, citizen.jurisdictionKey, loaders),
  },
  Commune: {
    __resolveReference: (ref: CommuneRef) => ({ ...ref }),
    discrepancies: async (commune: CommuneRef, args: ReportArgs, { reports, principal }: ReconciliationContext) => {
      // Arguments first: a bad one must not cost a run.
      const code = requireCommuneCode(commune.code);
      const first = requireIntInRange(args.first, 1, 200, 'first');
      const after = decodeCursor(args.after);
      requireInside(principal, commune);
      const report = await reports.get(code).catch((error: unknown) => {
        throw toGraphQLError(error);
      });
      const empty: CommuneReport = { communeCode: code, residentsChecked: 0, findings: [], checkedAt: new Date().toISOString() };
      return page(report ?? empty, { first, after, kinds: args.kinds }, principal);
    },
  },
  Discrepancy: {
    citizen: (finding: ReportedFinding) => ({ personalId: finding.personalId }),
    description: (finding: ReportedFinding) => DESCRIPTIONS[finding.kind],
  },
  DiscrepancySide: {
    source: (side: FindingSide) => sourceSystem(side.source),
  },
};
