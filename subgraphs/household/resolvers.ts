import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { isPersonalId } from '../../lib/personal-id';
import { toGraphQLError } from '../common/errors';
import { SourceError } from '../../sources/kit/errors';

export type HouseholdContext = Record<string, never>;

/** What population sends with a household reference (@requires): its book's lines. */
interface HouseholdRef {
  householdId: string;
  headPersonalId?: unknown;
  memberships?: unknown;
}

interface Membership {
  personalId: string;
  relationToHead: string;
}

/** A member or head ID population sent that is not a personal ID: population's answer was inconsistent. */
function inconsistent(what: string): never {
  throw toGraphQLError(new SourceError('population', 'SOURCE_BAD_RESPONSE', `The population source ${what}`));
}

function membershipsOf(household: HouseholdRef): Membership[] {
  const lines = household.memberships;
  if (!Array.isArray(lines)) inconsistent('sent a household without its members');
  return lines.map((line: { personalId?: unknown; relationToHead?: unknown } | null) => {
    if (!line || !isPersonalId(line.personalId) || typeof line.relationToHead !== 'string') inconsistent('lists a household member without a valid personal ID');
    return { personalId: line.personalId, relationToHead: line.relationToHead };
  });
}

// The head and members are references: their records (and the checks on them) are population's.
export const resolvers: GraphQLResolverMap<HouseholdContext> = {
  Household: {
    __resolveReference: (ref: HouseholdRef) => ({ ...ref }),
    head: (household: HouseholdRef) => {
      if (!isPersonalId(household.headPersonalId)) inconsistent('sent a household without a valid head');
      return { personalId: household.headPersonalId };
    },
    members: (household: HouseholdRef) =>
      membershipsOf(household).map((line) => ({ relationToHead: line.relationToHead, citizen: { personalId: line.personalId } })),
  },
};
