/**
 * The errors a subgraph returns, each with `extensions.code` (what kind of failure, for the
 * caller's program) and, for source failures, `extensions.source` (which national system).
 * Messages never carry personal data: they name the field or rule, not the value.
 */
import { GraphQLError } from 'graphql';
import { SourceError } from '../../sources/kit/errors';

export function badUserInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}) } });
}

/** Turns whatever a source call threw into the GraphQL error the caller sees. */
export function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof GraphQLError) return error;
  if (error instanceof SourceError) {
    return new GraphQLError(error.message, { extensions: { code: error.code, source: error.source } });
  }
  return new GraphQLError('Internal error in the subgraph', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

/**
 * A cached batch's answers, keys the source failed on included, as a plain map; the first failure
 * is thrown instead. For sums and reports over many records, where an answer with holes would mislead.
 */
export async function everyAnswer<V>(answers: Promise<Map<string, V | SourceError>>): Promise<Map<string, V>> {
  const found = new Map<string, V>();
  for (const [key, value] of await answers) {
    if (value instanceof SourceError) throw value;
    found.set(key, value);
  }
  return found;
}
