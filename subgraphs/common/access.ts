/**
 * The subgraph's own check of what the gateway already decided, declared once in the SDL and
 * enforced here for all subgraphs alike, so a resolver cannot forget it:
 *  - every field marked @authenticated or @requiresScopes is served only to a forwarded
 *    principal holding those scopes;
 *  - every field of a @personal record (citizens, households, parcels, their holders, findings)
 *    only with a purpose the gateway marked (a procedure and dossier, allowed free text, self), and only when the record lies within the principal's jurisdiction, or
 *    is about the citizen whose own token asks;
 *  - a field that lists the people of a unit (@personal(listing:)) only strictly inside the
 *    jurisdiction; a field naming a person by argument (@personal(subject:)) only with a purpose.
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
import { judgeRecord, parseJurisdictionKey, Principal, refusalOf, Residence, subjectIdsOf as idsOf } from '../../lib/principal';
import { declaredScopes, directiveNames, GATEWAY_INTERNAL_SCOPE, personalDeclaration } from '../../lib/schema-directives';

export const JURISDICTION_KEY_FIELD = 'jurisdictionKey';

export interface AccessContext {
  principal: Principal;
}

interface FieldRule {
  scopes: string[][];
  /** A personal field: served only for a stated purpose. */
  personal: boolean;
  /** The record's jurisdiction (this field of it) must be checked before this field is served. */
  jurisdiction: string | null;
  /** The field of the record naming the people it is about (for a citizen's own token). */
  subject: string | null;
  /** The field lists the people of the record's jurisdiction: strictly inside. */
  listing: boolean;
}

function forbidden(message: string, reason: string, extra: Record<string, unknown> = {}): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'FORBIDDEN', reason, ...extra } });
}

/** Reads the access rules a subgraph declared in its SDL. */
export function readFieldRules(typeDefs: DocumentNode): Map<string, Map<string, FieldRule>> {
  const names = directiveNames(typeDefs);
  const rules = new Map<string, Map<string, FieldRule>>();
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
    const record = personalDeclaration(type.directives, names);
    // A record's identity and placement are what the checks read; they are not checked themselves.
    const unguarded = new Set<string>([record?.subject ?? '', record?.jurisdiction ?? '']);
    for (const directive of type.directives ?? []) {
      const key = directive.name.value === 'key' ? directive.arguments?.find((a) => a.name.value === 'fields')?.value : undefined;
      if (key?.kind === Kind.STRING) for (const field of key.value.split(/\s+/)) unguarded.add(field);
    }
    for (const field of type.fields ?? []) {
      const scopes = declaredScopes(field.directives, names);
      const declared = personalDeclaration(field.directives, names);
      const external = field.directives?.some((d) => d.name.value === 'external');
      const guardedRecordField = !!record && !unguarded.has(field.name.value) && !external;
      if (scopes === null && !guardedRecordField && !declared) continue;
      const listingJurisdiction = declared?.listing ? (declared.jurisdiction ?? null) : null;
      const typeRules = rules.get(type.name.value) ?? new Map<string, FieldRule>();
      typeRules.set(field.name.value, {
        scopes: (scopes ?? []).map((alt) => alt.filter((s) => s !== GATEWAY_INTERNAL_SCOPE)),
        personal: guardedRecordField || !!declared?.subject,
        jurisdiction: guardedRecordField ? record!.jurisdiction! : listingJurisdiction,
        subject: guardedRecordField ? (record!.subject ?? null) : null,
        listing: !!listingJurisdiction,
      });
      rules.set(type.name.value, typeRules);
    }
  }
  return rules;
}

function holdsScopes(principal: Principal, rule: FieldRule): string | null {
  const alternatives = rule.scopes;
  if (alternatives.length === 0) return null;
  // A citizen's own token holds no source scope: its personal fields are judged record by record.
  if (principal.self && (rule.personal || rule.listing)) return null;
  for (const alternative of alternatives) if (alternative.every((s) => principal.scopes.has(s))) return null;
  return alternatives[0].filter((s) => !principal.scopes.has(s)).join(' ');
}


/** Throws FORBIDDEN unless the record, placed by its jurisdiction key, is one the principal may read. */
function checkJurisdiction(principal: Principal, residence: Residence | null, subjects: () => unknown[], listing: boolean): void {
  if (!residence && !principal.self) throw forbidden('Not allowed: the residence of this record is unknown, so it is withheld', 'JURISDICTION_UNKNOWN');
  if (judgeRecord(principal, residence, subjects, { listing }) === 'outside') {
    const refusal = residence ? refusalOf(principal, residence) : { reason: 'OUTSIDE_JURISDICTION', message: "Not allowed: this record lies outside the caller's jurisdiction" };
    throw forbidden(refusal.message, refusal.reason);
  }
}

/** A type's `jurisdictionKey`: bound to its single-field @key, and issued here or received (`@external`). */
export interface JurisdictionKeyBinding {
  /** The key field the signed key is bound to (`personalId`, `householdId`, `code`); null if the key is compound. */
  idField: string | null;
  external: boolean;
}

/** Every type of a subgraph's SDL that has a `jurisdictionKey`, by name. */
export function jurisdictionKeyBindings(typeDefs: DocumentNode): Map<string, JurisdictionKeyBinding> {
  const bindings = new Map<string, JurisdictionKeyBinding>();
  for (const definition of typeDefs.definitions) {
    if (definition.kind !== Kind.OBJECT_TYPE_DEFINITION && definition.kind !== Kind.OBJECT_TYPE_EXTENSION) continue;
    const keyField = (definition.fields ?? []).find((f) => f.name.value === JURISDICTION_KEY_FIELD);
    if (!keyField) continue;
    const key = definition.directives?.find((d) => d.name.value === 'key')?.arguments?.find((a) => a.name.value === 'fields')?.value;
    bindings.set(definition.name.value, {
      idField: key?.kind === Kind.STRING && /^\w+$/.test(key.value.trim()) ? key.value.trim() : null,
      external: !!keyField.directives?.some((d) => d.name.value === 'external'),
    });
  }
  return bindings;
}

/** Types whose `jurisdictionKey` comes from another subgraph, with the key field it must be bound to. */
export function externalJurisdictionKeys(typeDefs: DocumentNode): Map<string, string | null> {
  return new Map([...jurisdictionKeyBindings(typeDefs)].filter(([, b]) => b.external).map(([type, b]) => [type, b.idField]));
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
    for (const [fieldName, rule] of fields) {
      const ownKeyResolver = rule.jurisdiction ? (typeResolvers[rule.jurisdiction] as GraphQLFieldResolver<unknown, TContext> | undefined) : undefined;
      const subjectResolver = rule.subject ? (typeResolvers[rule.subject] as GraphQLFieldResolver<unknown, TContext> | undefined) : undefined;
      const original = (typeResolvers[fieldName] as GraphQLFieldResolver<unknown, TContext> | undefined) ?? defaultFieldResolver;
      const coordinate = `${typeName}.${fieldName}`;
      // Synchronous unless the record's key must be looked up: a promise per field would cost
      // every personal field of every answer a trip through the microtask queue.
      const guarded: GraphQLFieldResolver<unknown, TContext> = (parent, args, context, info) => {
        const principal = context.principal;
        const missing = holdsScopes(principal, rule);
        if (missing) {
          throw forbidden(`Not allowed to read ${coordinate}: the caller lacks the scope ${missing}`, 'MISSING_SCOPE', { scope: missing });
        }
        // The gateway forwards the purpose it settled, marked with its basis: a catalogued procedure
        // (code and dossier), a free-text purpose it allowed, or self access. None: no personal data.
        if (rule.personal && (!principal.purpose || !principal.purposeBasis)) {
          throw forbidden(
            `Not allowed to read ${coordinate}: personal data is served only for a catalogued procedure and dossier, or a free-text purpose the gateway allowed`,
            'PURPOSE_REQUIRED',
          );
        }
        if (!rule.jurisdiction) return original(parent, args, context, info);
        const record = parent as Record<string, unknown>;
        const subjects = () => {
          const own = record?.[rule.subject ?? ''];
          if (own !== undefined || !subjectResolver) return idsOf(own);
          const resolved = subjectResolver(parent, {}, context, { ...info, fieldName: rule.subject! });
          return resolved instanceof Promise ? [] : idsOf(resolved);
        };
        const key: unknown = record?.[rule.jurisdiction];
        if (key !== undefined || !ownKeyResolver || !record) {
          checkJurisdiction(principal, residenceOf(typeName, record, key), subjects, rule.listing);
          return original(parent, args, context, info);
        }
        let pending = keys.get(record);
        if (!pending) {
          pending = Promise.resolve(ownKeyResolver(parent, {}, context, { ...info, fieldName: rule.jurisdiction }));
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
            checkJurisdiction(principal, parseJurisdictionKey(found), subjects, rule.listing);
            return original(parent, args, context, info);
          });
      };
      typeResolvers[fieldName] = guarded;
    }
    (wrapped as Record<string, unknown>)[typeName] = typeResolvers;
  }
  return wrapped;
}
