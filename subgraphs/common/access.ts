/**
 * The subgraph's own check of what the gateway already decided: every field a subgraph's schema
 * marks with @authenticated or @requiresScopes is served only to a forwarded principal holding
 * those scopes, and every such field of a record that has a `jurisdictionKey` (citizens,
 * households) only when that record lies within the principal's jurisdiction. Declared once in
 * the SDL, enforced here for all subgraphs alike, so a resolver cannot forget it.
 *
 * A key that arrives in a representation (`jurisdictionKey @external`, @requires) is believed only
 * when population signed it for that very record (lib/jurisdiction-key.ts): whoever can send a
 * representation cannot place a citizen in their own province.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import {
  defaultFieldResolver,
  DocumentNode,
  GraphQLError,
  GraphQLFieldResolver,
  Kind,
  ObjectTypeDefinitionNode,
  ObjectTypeExtensionNode,
} from 'graphql';
import type { JurisdictionKeyVerifier } from '../../lib/jurisdiction-key';
import { judgeJurisdiction, parseJurisdictionKey, Principal, Residence } from '../../lib/principal';

/** Held by the gateway alone; any request the gateway signed carries it implicitly. */
export const GATEWAY_INTERNAL_SCOPE = 'gateway:internal';
export const JURISDICTION_KEY_FIELD = 'jurisdictionKey';

export interface AccessContext {
  principal: Principal;
}

interface FieldRule {
  scopes: string[][];
  /** The record's jurisdiction must be checked before this field is served. */
  jurisdiction: boolean;
}

function forbidden(message: string, reason: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', reason, ...extra } });
}

function declaredScopes(directives: ObjectTypeDefinitionNode['directives']): string[][] | null {
  let scopes: string[][] | null = null;
  for (const directive of directives ?? []) {
    if (directive.name.value === 'authenticated') scopes ??= [];
    if (directive.name.value === 'requiresScopes') {
      const value = directive.arguments?.find((a) => a.name.value === 'scopes')?.value;
      scopes =
        value?.kind === Kind.LIST
          ? value.values.map((alt) => (alt.kind === Kind.LIST ? alt.values.flatMap((s) => (s.kind === Kind.STRING ? [s.value] : [])) : []))
          : [];
    }
  }
  return scopes;
}

/** Reads the access rules a subgraph declared in its SDL. */
export function readFieldRules(typeDefs: DocumentNode): Map<string, Map<string, FieldRule>> {
  const rules = new Map<string, Map<string, FieldRule>>();
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const hasJurisdiction = (type.fields ?? []).some((f) => f.name.value === JURISDICTION_KEY_FIELD);
    for (const field of type.fields ?? []) {
      const scopes = declaredScopes(field.directives);
      if (scopes === null) continue;
      const typeRules = rules.get(type.name.value) ?? new Map<string, FieldRule>();
      typeRules.set(field.name.value, {
        scopes: scopes.map((alt) => alt.filter((s) => s !== GATEWAY_INTERNAL_SCOPE)),
        jurisdiction: hasJurisdiction && field.name.value !== JURISDICTION_KEY_FIELD,
      });
      rules.set(type.name.value, typeRules);
    }
  }
  return rules;
}

function holdsScopes(principal: Principal, alternatives: string[][]): string | null {
  if (alternatives.length === 0) return null;
  for (const alternative of alternatives) if (alternative.every((s) => principal.scopes.has(s))) return null;
  return alternatives[0].filter((s) => !principal.scopes.has(s)).join(' ');
}

/** Throws FORBIDDEN unless the record's residence is known and within the principal's jurisdiction. */
function checkJurisdiction(principal: Principal, residence: Residence | null): void {
  if (!residence) throw forbidden('Not allowed: the residence of this record is unknown, so it is withheld', 'JURISDICTION_UNKNOWN');
  if (judgeJurisdiction(principal, residence) === 'outside') {
    throw forbidden("Not allowed: this record lies outside the caller's jurisdiction", 'OUTSIDE_JURISDICTION');
  }
}

/**
 * Types whose `jurisdictionKey` comes from another subgraph (`@external`), with the key field
 * (`@key(fields: "…")`, a single field) the signed key must be bound to.
 */
export function externalJurisdictionKeys(typeDefs: DocumentNode): Map<string, string | null> {
  const bindings = new Map<string, string | null>();
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const keyField = (definition.fields ?? []).find((f) => f.name.value === JURISDICTION_KEY_FIELD);
    if (!keyField?.directives?.some((d) => d.name.value === 'external')) continue;
    const key = definition.directives?.find((d) => d.name.value === 'key')?.arguments?.find((a) => a.name.value === 'fields')?.value;
    const field = key?.kind === Kind.STRING && /^\w+$/.test(key.value.trim()) ? key.value.trim() : null;
    bindings.set(definition.name.value, field);
  }
  return bindings;
}

export interface DeclaredAccessOptions {
  /** Verifies keys population signed; without it a representation's key is never believed. */
  jurisdictionKeys?: JurisdictionKeyVerifier;
}

/**
 * Wraps the resolvers of every declared field with its checks. `jurisdictionKeyOf` finds a
 * record's key: from the record itself (a representation the gateway sent, via @requires) or
 * from the subgraph's own `jurisdictionKey` resolver (the population subgraph computes it).
 */
export function withDeclaredAccess<TContext extends AccessContext>(
  typeDefs: DocumentNode,
  resolvers: GraphQLResolverMap<TContext>,
  options: DeclaredAccessOptions = {},
): GraphQLResolverMap<TContext> {
  const rules = readFieldRules(typeDefs);
  const external = externalJurisdictionKeys(typeDefs);
  // A record's key is computed once, however many of its fields are read.
  const keys = new WeakMap<object, Promise<unknown>>();
  // A representation's signed key is verified once per record.
  const verified = new WeakMap<object, Residence | null>();
  const residenceOf = (typeName: string, record: Record<string, unknown> | null | undefined, key: unknown): Residence | null => {
    if (!external.has(typeName)) return parseJurisdictionKey(key);
    if (!record || typeof record !== 'object') return null;
    let residence = verified.get(record);
    if (residence === undefined) {
      const idField = external.get(typeName);
      residence = idField && options.jurisdictionKeys ? options.jurisdictionKeys.verify(typeName, record[idField], key) : null;
      verified.set(record, residence);
    }
    return residence;
  };
  const wrapped: GraphQLResolverMap<TContext> = { ...resolvers };
  for (const [typeName, fields] of rules) {
    const typeResolvers = { ...((resolvers[typeName] as Record<string, unknown>) ?? {}) } as Record<string, unknown>;
    const ownKeyResolver = typeResolvers[JURISDICTION_KEY_FIELD] as GraphQLFieldResolver<unknown, TContext> | undefined;
    for (const [fieldName, rule] of fields) {
      const original = (typeResolvers[fieldName] as GraphQLFieldResolver<unknown, TContext> | undefined) ?? defaultFieldResolver;
      const coordinate = `${typeName}.${fieldName}`;
      // Synchronous unless the record's key must be looked up: a promise per field would cost
      // every personal field of every answer a trip through the microtask queue.
      const guarded: GraphQLFieldResolver<unknown, TContext> = (parent, args, context, info) => {
        const principal = context.principal;
        const missing = holdsScopes(principal, rule.scopes);
        if (missing) {
          throw forbidden(`Not allowed to read ${coordinate}: the caller lacks the scope ${missing}`, 'MISSING_SCOPE', { scope: missing });
        }
        if (!rule.jurisdiction) return original(parent, args, context, info);
        const record = parent as Record<string, unknown>;
        const key: unknown = record?.[JURISDICTION_KEY_FIELD];
        if (key !== undefined || !ownKeyResolver || !record) {
          checkJurisdiction(principal, residenceOf(typeName, record, key));
          return original(parent, args, context, info);
        }
        let pending = keys.get(record);
        if (!pending) {
          pending = Promise.resolve(ownKeyResolver(parent, {}, context, { ...info, fieldName: JURISDICTION_KEY_FIELD }));
          keys.set(record, pending);
        }
        return pending
          .catch((error: unknown) => {
            // A source failed while placing the record: it is withheld all the same, and the
            // caller is told which source failed rather than that the residence is unknown.
            if (error instanceof GraphQLError && String(error.extensions?.code).startsWith('SOURCE_')) throw error;
            return undefined;
          })
          .then((found) => {
            checkJurisdiction(principal, parseJurisdictionKey(found));
            return original(parent, args, context, info);
          });
      };
      typeResolvers[fieldName] = guarded;
    }
    (wrapped as Record<string, unknown>)[typeName] = typeResolvers;
  }
  return wrapped;
}
