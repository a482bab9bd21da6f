import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { isPersonalId, personalIdProblem } from '../../lib/personal-id';
import { formatJurisdictionKey } from '../../lib/principal';
import type { SourceName } from '../../lib/sources';
import type { CommuneRecord, ProvinceRecord } from '../../sources/catalogue/client';
import { SourceError } from '../../sources/kit/errors';
import type { CitizenRecord, HouseholdMemberRecord, HouseholdRecord, ResidenceRecord, ResidentsPage } from '../../sources/population/client';
import { POPULATION_MAX_BATCH } from '../../sources/population/client';
import { badUserInput, toGraphQLError } from '../common/errors';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { requireCommuneCode, requireIntInRange, requirePersonalId, requireProvinceCode } from '../common/validate';
import type { PopulationLoaders } from './loaders';

export interface PopulationContext {
  loaders: PopulationLoaders;
}

/** Longest `after` cursor passed on to the source; the source's own cursors are far shorter. */
const MAX_CURSOR_LENGTH = 1024;
/** Longest household ID accepted; the source's IDs are short codes such as `HK0000123`. */
const MAX_HOUSEHOLD_ID_LENGTH = 64;

interface CitizenConnection {
  totalCount: number;
  nodes: CitizenRecord[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

const EMPTY_PAGE: CitizenConnection = { totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } };

function requireHouseholdId(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_HOUSEHOLD_ID_LENGTH) {
    throw badUserInput(`Invalid householdId: expected a household ID of 1 to ${MAX_HOUSEHOLD_ID_LENGTH} characters`, 'householdId');
  }
  return value;
}

/**
 * The record a loader found. When a source refers to a record that it (or the catalogue) then does
 * not return, the field cannot be answered: the caller is told which source is inconsistent,
 * without the IDs involved.
 */
async function required<T>(lookup: Promise<T | null>, source: SourceName, what: string): Promise<T> {
  const found = await lookup;
  if (found === null) throw toGraphQLError(new SourceError(source, 'SOURCE_BAD_RESPONSE', `The ${source} source ${what}`));
  return found;
}

const UNLISTED_COMMUNE = 'refers to a commune the catalogue does not list';

/** `<province>/<commune>` of a residence: what jurisdiction is judged on, here and at the gateway. */
async function jurisdictionKeyOf(communeCode: string, { loaders }: PopulationContext): Promise<string> {
  const commune = await required(loaders.commune.load(communeCode), 'population', UNLISTED_COMMUNE);
  return formatJurisdictionKey({ provinceCode: commune.provinceCode, communeCode: commune.code });
}

/** Whether the operation asks, under the field being resolved, for the fields along `path`. */
function asks(info: GraphQLResolveInfo, path: readonly string[]): boolean {
  const within = (set: SelectionSetNode | undefined, depth: number): boolean => {
    if (!set) return false;
    return set.selections.some((selection) => {
      if (selection.kind === Kind.FIELD) return selection.name.value === path[depth] && (depth === path.length - 1 || within(selection.selectionSet, depth + 1));
      if (selection.kind === Kind.INLINE_FRAGMENT) return within(selection.selectionSet, depth);
      return within(info.fragments[selection.name.value]?.selectionSet, depth);
    });
  };
  return info.fieldNodes.some((node) => within(node.selectionSet, 0));
}

const ignore = () => undefined;

/**
 * Starts now the population calls a citizen's requested fields will need, instead of when the
 * fields are reached: the household's members are looked up while the citizen's commune is (the
 * access check of every guarded field waits for it), and the province list while the citizen is.
 * A dossier then waits on two population round trips in a row, not three. Records fetched this
 * way are served only through the resolvers, after the same checks as any other.
 */
function lookAhead(info: GraphQLResolveInfo, { loaders }: PopulationContext): (citizen: CitizenRecord | null) => CitizenRecord | null {
  if (asks(info, ['permanentResidence', 'commune', 'province']) || asks(info, ['household', 'commune', 'province'])) loaders.allProvinces().catch(ignore);
  const members = asks(info, ['household', 'members', 'citizen']);
  const head = asks(info, ['household', 'head']);
  return (citizen) => {
    const household = citizen?.household;
    if (household && (members || head)) {
      for (const id of members ? household.members.map((member) => member.personalId) : [household.headId]) loaders.citizen.load(id).catch(ignore);
    }
    return citizen;
  };
}

export const resolvers: GraphQLResolverMap<PopulationContext> = {
  Query: {
    citizen: (_root: unknown, args: { personalId: string }, context: PopulationContext, info: GraphQLResolveInfo) =>
      context.loaders.citizen.load(requirePersonalId(args.personalId)).then(lookAhead(info, context)),

    citizens: async (_root: unknown, args: { personalIds: string[] }, { loaders }: PopulationContext) => {
      const ids = args.personalIds;
      if (ids.length > POPULATION_MAX_BATCH) {
        throw badUserInput(`Too many personalIds: at most ${POPULATION_MAX_BATCH} per query`, 'personalIds');
      }
      const bad = ids.findIndex((id) => !isPersonalId(id));
      if (bad >= 0) throw badUserInput(`Invalid personalIds[${bad}]: ${personalIdProblem(ids[bad])}`, 'personalIds');
      // At most 100 IDs: one batch, so a failure fails the whole list with the one error that caused it.
      const results = await loaders.citizen.loadMany(ids);
      const failure = results.find((result): result is Error => result instanceof Error);
      if (failure) throw failure;
      return results;
    },

    household: (_root: unknown, args: { householdId: string }, { loaders }: PopulationContext) =>
      loaders.household.load(requireHouseholdId(args.householdId)),

    provinces: (_root: unknown, _args: unknown, { loaders }: PopulationContext) => loaders.allProvinces(),

    province: async (_root: unknown, args: { code: string }, { loaders }: PopulationContext) => {
      const province = await loaders.province.load(requireProvinceCode(args.code));
      if (!province) throw badUserInput('Unknown code: there is no province with that code', 'code');
      return province;
    },

    commune: async (_root: unknown, args: { code: string }, { loaders }: PopulationContext) => {
      const commune = await loaders.commune.load(requireCommuneCode(args.code));
      if (!commune) throw badUserInput('Unknown code: there is no commune with that code', 'code');
      return commune;
    },
  },

  Citizen: {
    // References from other subgraphs (a spouse, a land holder) may carry any string: a malformed
    // or unknown ID is an entity that does not exist here, so null, not an error.
    __resolveReference: (ref: { personalId: unknown }, { loaders }: PopulationContext) =>
      isPersonalId(ref.personalId) ? loaders.citizen.load(ref.personalId) : null,
    household: (citizen: CitizenRecord, _args: unknown, { loaders }: PopulationContext) => {
      if (!citizen.householdId) return null;
      // Sent along with the citizen: no second call, and the same record for every member.
      if (citizen.household) loaders.household.prime(citizen.householdId, citizen.household);
      return loaders.household.load(citizen.householdId);
    },
    jurisdictionKey: (citizen: CitizenRecord, _args: unknown, context: PopulationContext) =>
      jurisdictionKeyOf(citizen.permanentResidence.communeCode, context),
  },

  Residence: {
    commune: (residence: ResidenceRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.commune.load(residence.communeCode), 'population', UNLISTED_COMMUNE),
  },

  Household: {
    __resolveReference: (ref: { householdId: unknown }, { loaders }: PopulationContext) =>
      typeof ref.householdId === 'string' && ref.householdId !== '' ? loaders.household.load(ref.householdId) : null,
    head: (household: HouseholdRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.citizen.load(household.headId), 'population', 'names a household head it does not return'),
    commune: (household: HouseholdRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.commune.load(household.communeCode), 'population', UNLISTED_COMMUNE),
    members: (household: HouseholdRecord) => household.members,
    jurisdictionKey: (household: HouseholdRecord, _args: unknown, context: PopulationContext) =>
      jurisdictionKeyOf(household.communeCode, context),
    headPersonalId: (household: HouseholdRecord) => household.headId,
    memberPersonalIds: (household: HouseholdRecord) => household.members.map((member) => member.personalId),
  },

  HouseholdMember: {
    // Every member of every household in the request is gathered into the same citizen batches.
    citizen: (member: HouseholdMemberRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.citizen.load(member.personalId), 'population', 'names a household member it does not return'),
  },

  Commune: {
    __resolveReference: (ref: { code: unknown }, { loaders }: PopulationContext) =>
      typeof ref.code === 'string' && /^\d{5}$/.test(ref.code) ? loaders.commune.load(ref.code) : null,
    jurisdictionKey: (commune: CommuneRecord) => formatJurisdictionKey({ provinceCode: commune.provinceCode, communeCode: commune.code }),
    province: (commune: CommuneRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.province.load(commune.provinceCode), 'catalogue', 'lists a commune whose province it does not list'),
    residents: async (
      commune: CommuneRecord,
      args: { first: number; after?: string | null },
      { loaders }: PopulationContext,
    ): Promise<CitizenConnection> => {
      const first = requireIntInRange(args.first, 1, 100, 'first');
      const after = args.after ?? null;
      if (after !== null && (after === '' || after.length > MAX_CURSOR_LENGTH)) {
        throw badUserInput('Invalid after: expected a cursor from a previous page (pageInfo.endCursor)', 'after');
      }
      const page: ResidentsPage | null = await loaders.residents({ communeCode: commune.code, first, after });
      // The catalogue lists the commune but the population source has no one registered there.
      if (!page) return EMPTY_PAGE;
      return {
        totalCount: page.totalCount,
        nodes: page.citizens,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      };
    },
  },

  Provenance: provenanceResolvers,

  Province: {
    __resolveReference: (ref: { code: unknown }, { loaders }: PopulationContext) =>
      typeof ref.code === 'string' && /^\d{2}$/.test(ref.code) ? loaders.province.load(ref.code) : null,
    communes: (province: ProvinceRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.provinceCommunes.load(province.code), 'catalogue', 'lists a province it then does not return'),
  },
};
