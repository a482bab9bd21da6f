/**
 * Identical subgraph calls in flight at the same moment are made once: when several requests
 * need the same fetch — the same subgraph, the same query and variables, on behalf of the same
 * caller — the later ones wait for the first call's answer instead of sending their own. A burst
 * of desks (or one impatient desk) asking about the same citizen, or the same commune's budget,
 * costs the subgraph and its sources one call.
 *
 * Calls are shared only between identical callers (the caller's claims, `x-gateway-caller`, are
 * part of the key; the per-call signature is made after this, signing.ts), so an
 * answer a subgraph computed for one caller's scopes, jurisdiction and purpose never reaches
 * another caller. Only the first caller's request id reaches the
 * subgraph's logs. Every subgraph operation in this API is a query, so sharing is always safe.
 */
import type { Fetcher, FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';

export interface DeduplicationOptions {
  /** Request headers that can change the answer, and so belong to the key. */
  keyHeaders: readonly string[];
}

/**
 * What makes two subgraph calls the same call: URL, the headers that can change the answer, and
 * the body (query and variables). Null for a call that cannot be shared (no plain body, or one
 * its caller may abort).
 */
export function subgraphCallKey(url: string, init: FetcherRequestInit, keyHeaders: readonly string[]): string | null {
  if (typeof init.body !== 'string' || init.signal) return null;
  const headers = init.headers ?? {};
  return [url, ...keyHeaders.map((name) => headers[name] ?? ''), init.body].join('\n');
}

export function deduplicateSubgraphCalls(fetcher: Fetcher, options: DeduplicationOptions): Fetcher {
  const inFlight = new Map<string, Promise<FetcherResponse>>();
  return (async (url: string, init: FetcherRequestInit = {}) => {
    const key = subgraphCallKey(url, init, options.keyHeaders);
    if (key === null) return fetcher(url, init);
    const pending = inFlight.get(key);
    if (pending) return (await pending).clone();
    const call = fetcher(url, init);
    inFlight.set(key, call);
    try {
      // The first caller gets a copy too, so no caller reads a body another has consumed.
      return (await call).clone();
    } finally {
      inFlight.delete(key);
    }
  }) as Fetcher;
}
