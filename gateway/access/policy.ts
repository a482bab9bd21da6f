/**
 * The access rules, decided per field:
 *  - a field (or the type it returns) marked @authenticated needs a verified token;
 *  - @requiresScopes needs every scope of at least one listed set;
 *  - a personal field needs a purpose: a catalogued procedure the request names (and then only the
 *    fields the catalogue lists for it), or a free-text purpose with the scope purpose:free-text. What is personal is declared where the data
 *    is, with @personal in the subgraph schemas: the record types about people (citizens,
 *    households, land parcels and their holders, discrepancies), everything only reachable
 *    through them (civil status, insurance, land rights, household members), and fields that
 *    name a person (an access history). A citizen's own token (`self`) needs no scope or purpose
 *    for personal fields: what it may read is decided record by record (its own, nothing else).
 * Aggregates (commune counts, budgets, the catalogue) need their scope but no purpose.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import { getNamedType, GraphQLSchema, isObjectType } from 'graphql';
import { ANONYMOUS, FREE_TEXT_PURPOSE_SCOPE, Principal } from '../../lib/principal';
import { GATEWAY_INTERNAL_SCOPE, PersonalDeclaration } from '../../lib/schema-directives';
import { AccessRequirements, extractAccessRequirements, Requirement } from '../../lib/access-requirements';

/** Why a field is withheld from a caller (the policy decides; the operation filter records it). */
export interface Refusal {
  code: 'FORBIDDEN' | 'UNAUTHENTICATED';
  reason: 'NOT_AUTHENTICATED' | 'MISSING_SCOPE' | 'PURPOSE_REQUIRED' | 'OUTSIDE_PROCEDURE';
  message: string;
  /** The scopes the caller lacks, space-separated. */
  scope?: string;
  /** OUTSIDE_PROCEDURE: the procedure whose field set does not hold the field. */
  procedure?: string;
  /** The field is personal: the refusal of an authenticated caller is recorded in the audit log. */
  personal?: boolean;
}

/** A type whose every record is about people: who they are and where the record lies. */
export interface PersonalRecordType {
  typeName: string;
  /** The field naming the people the record is about (an ID or a list of IDs). */
  subject: string;
  /** The field holding the record's jurisdiction key. */
  jurisdiction: string;
  /** The subject field is the record's own key: a bare reference to it names that one person. */
  subjectIsKey: boolean;
}

export interface AccessPolicy {
  check(principal: Principal | null, parentType: string, fieldName: string, returnType: string): Refusal | null;
  /** The personal record type of that name, if it is one. */
  record(typeName: string): PersonalRecordType | null;
  isPersonalType(typeName: string): boolean;
  /** @personal on a field: a subject argument, or a listing of people. */
  personalField(coordinate: string): PersonalDeclaration | undefined;
  ownersOf(coordinate: string): string[];
  /** The field identifies a record (its federation key) and reveals nothing else. */
  isKeyField(coordinate: string): boolean;
}

function recordTypes(requirements: AccessRequirements): Map<string, PersonalRecordType> {
  const records = new Map<string, PersonalRecordType>();
  for (const [coordinate, declaration] of requirements.personal) {
    if (coordinate.includes('.')) continue;
    if (!declaration.subject || !declaration.jurisdiction) {
      throw new Error(`@personal on type ${coordinate} must name its subject and jurisdiction fields`);
    }
    records.set(coordinate, {
      typeName: coordinate,
      subject: declaration.subject,
      jurisdiction: declaration.jurisdiction,
      subjectIsKey: requirements.keyFields.has(`${coordinate}.${declaration.subject}`),
    });
  }
  return records;
}

/** Personal types: the record types, and the non-entity types reachable from them or from a personal field. */
function personalTypes(schema: GraphQLSchema, requirements: AccessRequirements, records: ReadonlyMap<string, PersonalRecordType>): Set<string> {
  const personal = new Set<string>();
  const visit = (name: string) => {
    if (personal.has(name)) return;
    const type = schema.getType(name);
    if (!isObjectType(type)) return;
    personal.add(name);
    for (const field of Object.values(type.getFields())) {
      const next = getNamedType(field.type).name;
      if (!requirements.entityTypes.has(next) || records.has(next)) visit(next);
    }
  };
  for (const root of records.keys()) visit(root);
  for (const [coordinate, declaration] of requirements.personal) {
    if (!coordinate.includes('.') || !declaration.subject) continue;
    const [typeName, fieldName] = coordinate.split('.');
    const type = schema.getType(typeName);
    const field = isObjectType(type) ? type.getFields()[fieldName] : undefined;
    if (field) visit(getNamedType(field.type).name);
  }
  return personal;
}

/** `held` null: every scope a caller may hold (not the gateway's own). */
function missingScopes(requirement: Requirement, held: ReadonlySet<string> | null): string[] | null {
  if (requirement.scopes.length === 0) return null;
  const scopes = held ?? { has: () => true };
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

/**
 * Apollo Server's `serverWillStart` stage for plugins that need the access policy: `loaded` hears
 * the API schema, its policy and the supergraph each time a supergraph loads.
 */
export function whenPolicyLoads(
  loaded: (schema: GraphQLSchema, policy: AccessPolicy, supergraphSdl: string) => void,
): NonNullable<ApolloServerPlugin['serverWillStart']> {
  return async () => ({
    schemaDidLoadOrUpdate({ apiSchema, coreSupergraphSdl }) {
      if (coreSupergraphSdl) loaded(apiSchema, accessPolicyOf(apiSchema, coreSupergraphSdl), coreSupergraphSdl);
    },
  });
}

export function createAccessPolicy(apiSchema: GraphQLSchema, requirements: AccessRequirements): AccessPolicy {
  const records = recordTypes(requirements);
  const personal = personalTypes(apiSchema, requirements, records);
  const queryTypeName = apiSchema.getQueryType()?.name ?? 'Query';
  const isPersonal = (parentType: string, fieldName: string, returnType: string) => {
    const declared = requirements.personal.get(`${parentType}.${fieldName}`);
    return personal.has(parentType) || personal.has(returnType) || !!declared?.subject;
  };

  return {
    check(principal, parentType, fieldName, returnType) {
      const coordinate = `${parentType}.${fieldName}`;
      const applicable = [requirements.get(coordinate), requirements.get(returnType)].filter((r): r is Requirement => !!r);
      if (applicable.length > 0 && (!principal || principal === ANONYMOUS)) {
        return { code: 'UNAUTHENTICATED', reason: 'NOT_AUTHENTICATED', message: `Reading ${coordinate} needs an access token` };
      }
      const personal = isPersonal(parentType, fieldName, returnType);
      // A citizen's own token holds no source scope: it reads personal fields of its own records.
      const ownRecords = principal?.self && (personal || !!requirements.personal.get(coordinate)?.listing);
      const scopes = ownRecords ? null : (principal?.scopes ?? new Set<string>());
      for (const requirement of applicable) {
        const missing = missingScopes(requirement, scopes);
        if (missing) {
          const scope = missing.join(' ');
          return {
            code: 'FORBIDDEN',
            reason: 'MISSING_SCOPE',
            scope,
            personal,
            message: `Not allowed to read ${coordinate}: the token lacks the scope ${scope}`,
          };
        }
      }
      if (personal && !principal?.purpose) {
        return {
          code: 'FORBIDDEN',
          reason: 'PURPOSE_REQUIRED',
          personal,
          message: principal?.unscopedPurpose
            ? `Not allowed to read ${coordinate}: the token's free-text purpose counts only with the scope ${FREE_TEXT_PURPOSE_SCOPE}; name a catalogued procedure and the dossier (headers x-procedure, x-dossier)`
            : `Not allowed to read ${coordinate}: personal data is served only for a stated purpose: a catalogued procedure and the dossier (headers x-procedure, x-dossier), or a free-text purpose with the scope ${FREE_TEXT_PURPOSE_SCOPE}`,
        };
      }
      // A procedure reads only the fields the province's catalogue lists for it. Root look-ups
      // (citizen, household, landParcel, accessLog) find a record; what is read of it is checked.
      const procedure = principal?.procedure;
      if (personal && procedure?.fields && parentType !== queryTypeName && !procedure.fields.has(coordinate)) {
        return {
          code: 'FORBIDDEN',
          reason: 'OUTSIDE_PROCEDURE',
          procedure: procedure.code,
          personal,
          message: `Not allowed to read ${coordinate}: the procedure ${procedure.code}${procedure.name ? ` (${procedure.name})` : ''} does not read it (the province's procedure catalogue)`,
        };
      }
      return null;
    },
    record: (typeName) => records.get(typeName) ?? null,
    isPersonalType: (typeName) => personal.has(typeName),
    personalField: (coordinate) => requirements.personal.get(coordinate),
    ownersOf: (coordinate) => requirements.ownersOf(coordinate),
    isKeyField: (coordinate) => requirements.keyFields.has(coordinate),
  };
}
