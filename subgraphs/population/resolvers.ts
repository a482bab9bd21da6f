import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { FormerUnit, REFORM_DATE, Succession, UnitConversion } from '../../lib/admin-units';
import { GraphQLResolveInfo, Kind, SelectionSetNode } from 'graphql';
import { isPersonalId, personalIdProblem } from '../../lib/personal-id';
import { formatJurisdictionKey, parseJurisdictionKey } from '../../lib/principal';
import type { CursorSealer } from '../../lib/sealed-cursor';
import type { SourceName } from '../../lib/sources';
import type { CommuneKind, CommuneRecord, ProvinceRecord } from '../../sources/catalogue/client';
import { stampProvenance } from '../../sources/kit/provenance';
import { SourceError } from '../../sources/kit/errors';
import type { CitizenRecord, HouseholdRecord, ResidenceRecord, ResidentsPage } from '../../sources/population/client';
import { POPULATION_MAX_BATCH } from '../../sources/population/client';
import { badUserInput, toGraphQLError } from '../common/errors';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { requireCommuneCode, requireIntInRange, requirePersonalId, requireProvinceCode } from '../common/validate';
import { jurisdictionKeyOfResolution, unitReferenceOf, UnitReferenceRecord } from '../common/units';
import type { PopulationLoaders } from './loaders';

export interface PopulationContext {
  loaders: PopulationLoaders;
  /** Seals the source's residents cursors (it pages by personal ID): lib/sealed-cursor.ts. */
  cursors: CursorSealer;
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

/** A commune of the catalogue, or an old unit read from the conversion table (`retired`). */
type CommuneEntry = CommuneRecord & { retired?: true };

const FORMER_KIND = new Map<string, CommuneKind>([['Xã', 'COMMUNE'], ['Phường', 'WARD'], ['Thị trấn', 'TOWNSHIP'], ['Đặc khu', 'SPECIAL_ZONE']]);

/**
 * An old unit as a Commune: its old name and type, placed in the province of today it lies in
 * (of its first successor, when a split crosses provinces: one unit nationally).
 */
async function retiredCommune(code: string, table: UnitConversion, loaders: PopulationLoaders): Promise<CommuneEntry | null> {
  const former = table.formerUnits.get(code);
  const successors = table.successors.get(code) ?? [];
  if (!former && successors.length === 0) return null;
  const successor = successors.length > 0 ? await loaders.commune.load(successors[0].currentCode) : null;
  const name = former?.name ?? code;
  return {
    code,
    name,
    nameEn: name,
    kind: FORMER_KIND.get(former?.kind ?? '') ?? 'COMMUNE',
    provinceCode: successor?.provinceCode ?? former?.provinceCode ?? '00',
    provenance: stampProvenance('catalogue', null),
    retired: true,
  };
}

/** The unit a source's code lies in today: the current commune, or the old unit itself when split or unplaced. */
async function communeOfRecorded(communeCode: string, { loaders }: PopulationContext): Promise<CommuneEntry> {
  const here = await loaders.commune.load(communeCode);
  if (here) return here;
  const placed = await loaders.units.place(communeCode);
  if (placed.currentCode) return required(loaders.commune.load(placed.currentCode), 'population', UNLISTED_COMMUNE);
  return required(retiredCommune(communeCode, await loaders.units.conversion(), loaders), 'population', UNLISTED_COMMUNE);
}

/**
 * `<province>/<commune>` of a residence, in today's units: what jurisdiction is judged on, here
 * and at the gateway. An old code is resolved first; a split old commune gives every candidate.
 */
async function jurisdictionKeyOf(communeCode: string, { loaders }: PopulationContext): Promise<string> {
  const here = await loaders.commune.load(communeCode);
  if (here) return formatJurisdictionKey({ provinceCode: here.provinceCode, communeCode: here.code });
  const key = await jurisdictionKeyOfResolution(await loaders.units.place(communeCode), loaders.commune);
  if (key === null) throw toGraphQLError(new SourceError('population', 'SOURCE_BAD_RESPONSE', `The population source ${UNLISTED_COMMUNE}`));
  return key;
}

/**
 * The split rule's second step: a residence recorded under a split old commune is settled by the
 * household book when it names one of the candidates in today's units (the book is updated with
 * the household, the person's entry may lag). Otherwise the key keeps every candidate, and the
 * caller must hold them all.
 */
async function citizenJurisdictionKey(citizen: CitizenRecord, context: PopulationContext): Promise<string> {
  const key = await jurisdictionKeyOf(citizen.permanentResidence.communeCode, context);
  const candidates = parseJurisdictionKey(key)?.ambiguous?.candidates;
  if (!candidates || !citizen.householdId) return key;
  const { loaders } = context;
  if (citizen.household) loaders.household.prime(citizen.householdId, citizen.household);
  const household = await loaders.household.load(citizen.householdId).catch(() => null);
  const settled = household && candidates.find((candidate) => candidate.communeCode === household.communeCode);
  return settled ? formatJurisdictionKey(settled) : key;
}

async function unitOf(communeCode: string, { loaders }: PopulationContext): Promise<UnitReferenceRecord> {
  return unitReferenceOf(await loaders.units.place(communeCode));
}

function formerUnitOf(code: string, table: UnitConversion): FormerUnit | null {
  const known = table.formerUnits.get(code);
  if (known) return known;
  const first = table.successors.get(code)?.[0];
  return first ? { code, name: code, kind: 'Xã', districtCode: null, districtName: null, provinceCode: null, provinceName: null } : null;
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
 * Starts the province list now, while the citizen is looked up, instead of when the commune's
 * province is reached (after the catalogue's answer for the commune): one round trip fewer.
 * The household's head and members are not this subgraph's fields: the household subgraph asks
 * for them in a fetch of their own, beside the other sources (their records are read ahead:
 * readMembersAhead).
 */
function lookAhead(info: GraphQLResolveInfo, { loaders }: PopulationContext): void {
  if (asks(info, ['permanentResidence', 'commune', 'province']) || asks(info, ['household', 'commune', 'province'])) loaders.allProvinces().catch(ignore);
}

/** The name (not the alias) of the root field the value being resolved lies under. */
function rootFieldName(info: GraphQLResolveInfo): string | undefined {
  let path = info.path;
  while (path.prev) path = path.prev;
  const root = info.operation.selectionSet.selections.find(
    (selection) => selection.kind === Kind.FIELD && (selection.alias ?? selection.name).value === path.key,
  );
  return root?.kind === Kind.FIELD ? root.name.value : undefined;
}

/**
 * Only the gateway asks for a household's lines (`gateway:internal`), and only to ask this
 * subgraph for the members' records next, one hop later, behind the household subgraph. For one
 * citizen's dossier, where an officer waits, those records are read now, beside this answer: the
 * gateway's later call finds them in flight or kept (sources/kit/source-cache.ts) and the cold
 * dossier's last source call no longer starts behind that hop. Reached only past the household's
 * access checks. Listings (`citizens`, residents) read nothing ahead, nor does a household served
 * from the cache: a warm dossier's members are most likely kept as well, and the later call would
 * only read them a second time.
 */
function readMembersAhead(household: HouseholdRecord, { loaders }: PopulationContext, info: GraphQLResolveInfo): void {
  if (household.provenance?.cached || rootFieldName(info) !== 'citizen') return;
  void loaders.citizen.loadMany(household.members.map((member) => member.personalId));
}

export const resolvers: GraphQLResolverMap<PopulationContext> = {
  Query: {
    citizen: (_root: unknown, args: { personalId: string }, context: PopulationContext, info: GraphQLResolveInfo) => {
      const found = context.loaders.citizen.load(requirePersonalId(args.personalId));
      lookAhead(info, context);
      return found;
    },

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
      const code = requireCommuneCode(args.code);
      const commune = (await loaders.commune.load(code)) ?? (await retiredCommune(code, await loaders.units.conversion(), loaders));
      if (!commune) throw badUserInput('Unknown code: there is no commune with that code, today or before 1 July 2025', 'code');
      return commune;
    },

    formerCommune: async (_root: unknown, args: { code: string }, { loaders }: PopulationContext) =>
      formerUnitOf(requireCommuneCode(args.code), await loaders.units.conversion()),
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
    jurisdictionKey: (citizen: CitizenRecord, _args: unknown, context: PopulationContext) => citizenJurisdictionKey(citizen, context),
  },

  Residence: {
    commune: (residence: ResidenceRecord, _args: unknown, context: PopulationContext) => communeOfRecorded(residence.communeCode, context),
    unit: (residence: ResidenceRecord, _args: unknown, context: PopulationContext) => unitOf(residence.communeCode, context),
  },

  UnitReference: {
    current: (unit: UnitReferenceRecord, _args: unknown, { loaders }: PopulationContext) =>
      unit.current ? required(loaders.commune.load(unit.current.code), 'catalogue', 'converts a unit into a commune it does not list') : null,
    candidates: (unit: UnitReferenceRecord, _args: unknown, { loaders }: PopulationContext) =>
      Promise.all(unit.candidates.map((c) => required(loaders.commune.load(c.code), 'catalogue', 'converts a unit into a commune it does not list'))),
  },

  FormerUnit: {
    retiredOn: () => REFORM_DATE,
    split: async (unit: FormerUnit, _args: unknown, { loaders }: PopulationContext) =>
      new Set((await loaders.units.conversion()).successors.get(unit.code)?.map((s) => s.currentCode)).size > 1,
    successors: async (unit: FormerUnit, _args: unknown, { loaders }: PopulationContext) => (await loaders.units.conversion()).successors.get(unit.code) ?? [],
  },

  UnitSuccession: {
    formerUnit: async (row: Succession, _args: unknown, { loaders }: PopulationContext) => formerUnitOf(row.formerCode, await loaders.units.conversion()),
    communeCode: (row: Succession) => row.currentCode,
    commune: (row: Succession, _args: unknown, { loaders }: PopulationContext) => loaders.commune.load(row.currentCode),
  },

  Household: {
    __resolveReference: (ref: { householdId: unknown }, { loaders }: PopulationContext) =>
      typeof ref.householdId === 'string' && ref.householdId !== '' ? loaders.household.load(ref.householdId) : null,
    commune: (household: HouseholdRecord, _args: unknown, context: PopulationContext) => communeOfRecorded(household.communeCode, context),
    unit: (household: HouseholdRecord, _args: unknown, context: PopulationContext) => unitOf(household.communeCode, context),
    jurisdictionKey: (household: HouseholdRecord, _args: unknown, context: PopulationContext) =>
      jurisdictionKeyOf(household.communeCode, context),
    headPersonalId: (household: HouseholdRecord) => household.headId,
    memberPersonalIds: (household: HouseholdRecord) => household.members.map((member) => member.personalId),
    // The book's lines, for the household subgraph: it serves head and members from them.
    memberships: (household: HouseholdRecord, _args: unknown, context: PopulationContext, info: GraphQLResolveInfo) => {
      readMembersAhead(household, context, info);
      return household.members;
    },
  },

  Commune: {
    // A reference may name an old unit (where an act was registered before 1 July 2025): served as it was.
    __resolveReference: async (ref: { code: unknown }, { loaders }: PopulationContext) => {
      if (typeof ref.code !== 'string' || !/^\d{5}$/.test(ref.code)) return null;
      return (await loaders.commune.load(ref.code)) ?? retiredCommune(ref.code, await loaders.units.conversion(), loaders);
    },
    jurisdictionKey: (commune: CommuneEntry, _args: unknown, context: PopulationContext) =>
      commune.retired ? jurisdictionKeyOf(commune.code, context) : formatJurisdictionKey({ provinceCode: commune.provinceCode, communeCode: commune.code }),
    inForce: (commune: CommuneEntry) => !commune.retired,
    retiredOn: (commune: CommuneEntry) => (commune.retired ? REFORM_DATE : null),
    formerUnit: async (commune: CommuneEntry, _args: unknown, { loaders }: PopulationContext) => formerUnitOf(commune.code, await loaders.units.conversion()),
    absorbed: async (commune: CommuneEntry, _args: unknown, { loaders }: PopulationContext) =>
      commune.retired ? [] : ((await loaders.units.conversion()).predecessors.get(commune.code) ?? []),
    province: (commune: CommuneRecord, _args: unknown, { loaders }: PopulationContext) =>
      required(loaders.province.load(commune.provinceCode), 'catalogue', 'lists a commune whose province it does not list'),
    residents: async (
      commune: CommuneRecord,
      args: { first: number; after?: string | null },
      { loaders, cursors }: PopulationContext,
    ): Promise<CitizenConnection> => {
      const first = requireIntInRange(args.first, 1, 100, 'first');
      const listing = `residents:${commune.code}`;
      const after = args.after === undefined || args.after === null ? null : args.after.length <= MAX_CURSOR_LENGTH ? cursors.open(args.after, listing) : null;
      if (args.after !== undefined && args.after !== null && after === null) {
        throw badUserInput("Invalid after: expected a cursor from a previous page of this commune's residents (pageInfo.endCursor)", 'after');
      }
      const page: ResidentsPage | null = await loaders.residents({ communeCode: commune.code, first, after });
      // The catalogue lists the commune but the population source has no one registered there.
      if (!page) return EMPTY_PAGE;
      return {
        totalCount: page.totalCount,
        nodes: page.citizens,
        pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor === null ? null : cursors.seal(page.endCursor, listing) },
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
