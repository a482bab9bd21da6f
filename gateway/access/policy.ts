/**
 * The access rules, decided per field:
 *  - a field (or the type it returns) marked @authenticated needs a verified token;
 *  - @requiresScopes needs every scope of at least one listed set;
 *  - a personal field needs a purpose on the token. Personal fields are those of citizens and
 *    households and of everything only reachable through them (civil status, insurance, land
 *    rights, household members, land owners), and any field that returns such a record.
 * Aggregates (commune counts, budgets, the catalogue) need their scope but no purpose.
 */
import { getNamedType, GraphQLSchema, isObjectType } from 'graphql';
import { ANONYMOUS, Principal } from '../../lib/principal';
import type { Refusal, RecordKind } from './operation-filter';
import { AccessRequirements, extractAccessRequirements, Requirement } from './requirements';

/**
 * Held by the gateway alone. Alone in a requirement it marks an internal field (a jurisdiction
 * key) that no token may read; beside other scopes it marks a field that @requires internal
 * data, which the gateway's query plan supplies itself, so it asks nothing of the caller.
 */
export const GATEWAY_INTERNAL_SCOPE = 'gateway:internal';

/**
 * Records about one person; the types reachable only through them are personal too. A
 * Discrepancy is about one citizen (its personalId and jurisdictionKey), wherever it is reached
 * from (a commune-wide reconciliation report included): checked and audited like the citizen.
 */
const PERSONAL_ROOTS: Record<string, RecordKind | null> = { Citizen: 'citizen', Household: 'household', LandOwner: null, Discrepancy: 'citizen' };
/** Fields whose argument names the citizen they reveal something about. */
const AUDITED_ARGUMENTS: Record<string, string> = { 'Query.accessLog': 'personalId' };

export interface AccessPolicy {
  check(principal: Principal | null, parentType: string, fieldName: string, returnType: string): Refusal | null;
  recordKind(typeName: string): RecordKind | null;
  isPersonalType(typeName: string): boolean;
  auditedArgument(coordinate: string): string | undefined;
  ownersOf(coordinate: string): string[];
  /** The field identifies a personal record (its federation key) and reveals nothing else. */
  isKeyField(coordinate: string): boolean;
}

const KEY_FIELDS = new Set(['Citizen.personalId', 'Household.householdId']);

/** Personal types: the roots, and the non-entity types reachable from them. */
function personalTypes(schema: GraphQLSchema, entityTypes: ReadonlySet<string>): Set<string> {
  const personal = new Set<string>();
  const visit = (name: string) => {
    if (personal.has(name)) return;
    const type = schema.getType(name);
    if (!isObjectType(type)) return;
    personal.add(name);
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type).name;
      if (!entityTypes.has(next) || next in PERSONAL_ROOTS) visit(next);
    }
  };
  for (const root of Object.keys(PERSONAL_ROOTS)) visit(root);
  return personal;
}

function missingScopes(requirement: Requirement, scopes: ReadonlySet<string>): string[] | null {
  if (requirement.scopes.length === 0) return null;
  let fewestMissing: string[] | null = null;
  for (const alternative of requirement.scopes) {
    const callerPart = alternative.filter((scope) => scope !== GATEWAY_INTERNAL_SCOPE);
    const missing = callerPart.length === 0 ? [GATEWAY_INTERNAL_SCOPE] : callerPart.filter((scope) => !scopes.has(scope));
    if (missing.length === 0) return null;
    if (!fewestMissing || missing.length < fewestMissing.length) fewestMissing = missing;
  }
  return fewestMissing;
}

const policies = new WeakMap<GraphQLSchema, AccessPolicy>();

/**
 * The policy of a loaded supergraph, built once per schema however many plugins (the access
 * filter, the response cache) ask for it when the gateway loads or updates its schema.
 */
export function accessPolicyOf(apiSchema: GraphQLSchema, coreSupergraphSdl: string): AccessPolicy {
  let policy = policies.get(apiSchema);
  if (!policy) {
    policy = createAccessPolicy(apiSchema, extractAccessRequirements(coreSupergraphSdl));
    policies.set(apiSchema, policy);
  }
  return policy;
}

export function createAccessPolicy(apiSchema: GraphQLSchema, requirements: AccessRequirements): AccessPolicy {
  const personal = personalTypes(apiSchema, requirements.entityTypes);

  return {
    check(principal, parentType, fieldName, returnType) {
      const coordinate = `${parentType}.${fieldName}`;
      const applicable = [requirements.get(coordinate), requirements.get(returnType)].filter((r): r is Requirement => !!r);
      if (applicable.length > 0 && (!principal || principal === ANONYMOUS)) {
        return { code: 'UNAUTHENTICATED', reason: 'NOT_AUTHENTICATED', message: `Reading ${coordinate} needs an access token` };
      }
      for (const requirement of applicable) {
        const missing = missingScopes(requirement, principal?.scopes ?? new Set());
        if (missing) {
          const scope = missing.join(' ');
          return {
            code: 'FORBIDDEN',
            reason: 'MISSING_SCOPE',
            scope,
            message: `Not allowed to read ${coordinate}: the token lacks the scope ${scope}`,
          };
        }
      }
      if ((personal.has(parentType) || personal.has(returnType)) && !principal?.purpose) {
        return {
          code: 'FORBIDDEN',
          reason: 'PURPOSE_REQUIRED',
          message: `Not allowed to read ${coordinate}: personal data is served only for a stated purpose (the token's purpose claim)`,
        };
      }
      return null;
    },
    recordKind: (typeName) => PERSONAL_ROOTS[typeName] ?? null,
    isPersonalType: (typeName) => personal.has(typeName),
    auditedArgument: (coordinate) => AUDITED_ARGUMENTS[coordinate],
    ownersOf: (coordinate) => requirements.ownersOf(coordinate),
    isKeyField: (coordinate) => KEY_FIELDS.has(coordinate),
  };
}
