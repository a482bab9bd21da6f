/**
 * The population subgraph issues jurisdiction keys signed (lib/jurisdiction-key.ts): every
 * `jurisdictionKey` resolver of a type with a single-field @key (Citizen: personalId, Household:
 * householdId, Commune: code) has its plain `<province>/<commune>` signed for that record.
 */
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import type { DocumentNode, GraphQLFieldResolver } from 'graphql';
import type { JurisdictionKeySigner } from '../../lib/jurisdiction-key';
import { JURISDICTION_KEY_FIELD, jurisdictionKeyBindings } from './access';

/** Types that compute `jurisdictionKey` themselves, with their key field. */
function issuedKeys(typeDefs: DocumentNode): Map<string, string> {
  const issued = new Map<string, string>();
  for (const [type, binding] of jurisdictionKeyBindings(typeDefs)) if (!binding.external && binding.idField) issued.set(type, binding.idField);
  return issued;
}

export function signIssuedJurisdictionKeys<TContext>(
  typeDefs: DocumentNode,
  resolvers: GraphQLResolverMap<TContext>,
  signer: JurisdictionKeySigner,
): GraphQLResolverMap<TContext> {
  const wrapped: GraphQLResolverMap<TContext> = { ...resolvers };
  for (const [typeName, idField] of issuedKeys(typeDefs)) {
    const typeResolvers = { ...((resolvers[typeName] as Record<string, unknown>) ?? {}) };
    const original = typeResolvers[JURISDICTION_KEY_FIELD] as GraphQLFieldResolver<unknown, TContext> | undefined;
    const signFor = (parent: unknown, plain: unknown): unknown => {
      const id = (parent as Record<string, unknown> | null)?.[idField];
      return typeof plain === 'string' && typeof id === 'string' ? signer.sign(typeName, id, plain) : plain;
    };
    typeResolvers[JURISDICTION_KEY_FIELD] = ((parent, args, context, info) => {
      const plain = original ? original(parent, args, context, info) : (parent as Record<string, unknown> | null)?.[JURISDICTION_KEY_FIELD];
      return plain instanceof Promise ? plain.then((value) => signFor(parent, value)) : signFor(parent, plain);
    }) as GraphQLFieldResolver<unknown, TContext>;
    (wrapped as Record<string, unknown>)[typeName] = typeResolvers;
  }
  return wrapped;
}
