import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isPersonalId } from '../../lib/personal-id';
import { formatJurisdictionKey } from '../../lib/principal';
import { SourceError } from '../../sources/kit/errors';
import type { LandOwnerRecord, ParcelRecord } from '../../sources/land/client';
import { badUserInput, toGraphQLError } from '../common/errors';
import { provenanceResolvers } from '../common/provenance-resolvers';
import { jurisdictionKeyOfResolution, unitReferenceOf } from '../common/units';
import type { LandLoaders, LandRightRecord } from './loaders';

export interface LandContext {
  loaders: LandLoaders;
}

interface CitizenRef {
  personalId: string;
  /** Sent by the gateway's query plan (@requires); checked before any personal field is served. */
  jurisdictionKey?: string;
}

interface LandParcelRef {
  parcelId: string;
}

const PARCEL_ID = /^[A-Za-z0-9-]{1,64}$/;

function isParcelId(value: unknown): value is string {
  return typeof value === 'string' && PARCEL_ID.test(value);
}

export function requireParcelId(value: unknown, argument = 'parcelId'): string {
  if (!isParcelId(value)) {
    throw badUserInput(`Invalid ${argument}: a parcel ID has 1 to 64 letters, digits or dashes`, argument);
  }
  return value;
}

/**
 * Where a parcel (and so each of its holders' rights) lies: its commune, placed in its province.
 * A parcel mapped before 1 July 2025 keeps its old commune's code: it is resolved to today's unit,
 * and a split old commune gives every candidate (access is then judged by the split rule).
 */
async function jurisdictionKeyOfCommune(communeCode: string, loaders: LandLoaders): Promise<string> {
  const commune = await loaders.commune.load(communeCode);
  if (commune) return formatJurisdictionKey({ provinceCode: commune.provinceCode, communeCode: commune.code });
  const key = await jurisdictionKeyOfResolution(await loaders.units.place(communeCode), loaders.commune);
  if (key === null) {
    throw toGraphQLError(new SourceError('land', 'SOURCE_BAD_RESPONSE', 'The land source places a parcel in a commune the catalogue does not list'));
  }
  return key;
}

export const resolvers: GraphQLResolverMap<LandContext> = {
  Query: {
    landParcel: (_root: unknown, args: { parcelId: unknown }, { loaders }: LandContext) =>
      loaders.parcel.load(requireParcelId(args.parcelId)),
  },
  Citizen: {
    __resolveReference: (ref: CitizenRef) => ({ ...ref }),
    landRights: async (citizen: CitizenRef, _args: unknown, { loaders }: LandContext) =>
      isPersonalId(citizen.personalId) ? ((await loaders.rightsByOwner.load(citizen.personalId)) ?? []) : [],
  },
  LandParcel: {
    __resolveReference: (ref: LandParcelRef, { loaders }: LandContext) =>
      isParcelId(ref.parcelId) ? loaders.parcel.load(ref.parcelId) : null,
    // Owners carry their parcel's commune: their jurisdiction is where the land lies.
    owners: (parcel: ParcelRecord) => parcel.owners.map((owner) => ({ ...owner, communeCode: parcel.commune.code })),
    jurisdictionKey: (parcel: ParcelRecord, _args: unknown, { loaders }: LandContext) => jurisdictionKeyOfCommune(parcel.commune.code, loaders),
    unit: async (parcel: ParcelRecord, _args: unknown, { loaders }: LandContext) => unitReferenceOf(await loaders.units.place(parcel.commune.code)),
    ownerPersonalIds: (parcel: ParcelRecord) => parcel.owners.map((owner) => owner.citizen.personalId),
  },
  // A right is a line of its parcel's record: it is as fresh as the parcel.
  LandRight: {
    provenance: (right: LandRightRecord) => right.parcel.provenance,
  },
  Provenance: provenanceResolvers,
  LandOwner: {
    jurisdictionKey: (owner: { communeCode: string }, _args: unknown, { loaders }: LandContext) => jurisdictionKeyOfCommune(owner.communeCode, loaders),
    personalId: (owner: LandOwnerRecord) => owner.citizen.personalId,
  },
};
