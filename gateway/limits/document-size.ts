/**
 * Refuses a query document too big to be worth parsing, before the parser sees it: by bytes
 * (comments, whitespace and long strings cost memory without being tokens) and by tokens (what
 * parsing and validation work through). It screens each operation of a request at the HTTP
 * edge (lib/graphql-http.ts `admit`), where a refusal can still be a clean 4xx: Apollo Server
 * turns an error thrown by a plugin before parsing into a 500.
 */
import { Lexer, Source, TokenKind } from 'graphql';
import { LRUCache } from 'lru-cache';
import { HttpError } from '../../lib/graphql-http';

export interface DocumentSizeLimits {
  maxQueryBytes: number;
  maxTokens: number;
}

/** Tokens in `source`, counting no further than `stopAfter`; a lexical error ends the count. */
export function countTokens(source: string, stopAfter: number): number {
  const lexer = new Lexer(new Source(source));
  let count = 0;
  try {
    while (count < stopAfter && lexer.advance().kind !== TokenKind.EOF) count++;
  } catch {
    // Not valid GraphQL: the parser reports it with its usual error.
  }
  return count;
}

/**
 * Token counts of documents seen lately, by limit and document: callers send the same few
 * documents over and over, and lexing one costs about as much as Apollo's cached parse saves.
 */
const tokenCounts = new LRUCache<string, number>({ max: 1000 });

function tokensOf(query: string, stopAfter: number): number {
  const key = `${stopAfter}\n${query}`;
  let count = tokenCounts.get(key);
  if (count === undefined) {
    count = countTokens(query, stopAfter);
    tokenCounts.set(key, count);
  }
  return count;
}

/** The refusal for the first operation over a limit, or null. */
export function screenDocuments(operations: readonly unknown[], limits: DocumentSizeLimits): HttpError | null {
  for (const operation of operations) {
    const query = (operation as { query?: unknown } | null)?.query;
    if (typeof query !== 'string') continue; // persisted queries and malformed requests: Apollo answers
    const bytes = Buffer.byteLength(query, 'utf8');
    if (bytes > limits.maxQueryBytes) {
      return new HttpError(413, 'QUERY_TOO_LARGE', `The query document is ${bytes} bytes; the limit is ${limits.maxQueryBytes}. Send a shorter query.`);
    }
    if (tokensOf(query, limits.maxTokens + 1) > limits.maxTokens) {
      return new HttpError(400, 'TOO_MANY_TOKENS', `The query has more than ${limits.maxTokens} tokens, the limit. Ask for fewer fields or split the query.`);
    }
  }
  return null;
}
