/**
 * Signs each subgraph call at the last step before its bytes go out, when the body is final: the
 * forwarded identity (lib/forwarding.ts) is good for that subgraph, that body, once.
 *
 * Until then a call carries the caller's identity in an internal header, `x-gateway-caller` (the
 * principal's claims, base64url JSON): stable for one caller with one set of scopes, jurisdiction
 * and purpose, so the subgraph-answer cache and the deduplication key on it and never share an
 * answer between callers or purposes. This fetcher removes it; subgraphs never see or trust it.
 */
import type { Fetcher, FetcherRequestInit } from '@apollo/utils.fetcher';
import { LRUCache } from 'lru-cache';
import { FORWARDING_HEADER, ForwardingSigner } from '../../lib/forwarding';
import type { Principal, PrincipalClaims } from '../../lib/principal';
import { principalToClaims } from '../../lib/principal';

export const CALLER_HEADER = 'x-gateway-caller';

const identities = new WeakMap<Principal, string>();

/** The caller's stable identity for one principal (computed once per request's principal). */
export function callerIdentity(principal: Principal): string {
  let identity = identities.get(principal);
  if (identity === undefined) {
    identity = Buffer.from(JSON.stringify(principalToClaims(principal))).toString('base64url');
    identities.set(principal, identity);
  }
  return identity;
}

/** Identities decoded lately: a request's calls, and a desk's requests, carry the same one. */
const decoded = new LRUCache<string, PrincipalClaims>({ max: 1000 });

function claimsOf(identity: string): PrincipalClaims | null {
  const known = decoded.get(identity);
  if (known) return known;
  try {
    const claims = JSON.parse(Buffer.from(identity, 'base64url').toString('utf8')) as unknown;
    if (typeof claims !== 'object' || claims === null) return null;
    decoded.set(identity, claims as PrincipalClaims);
    return claims as PrincipalClaims;
  } catch {
    return null;
  }
}

/** Wraps the fetcher of one subgraph: calls that carry a caller are signed for `audience`. */
export function signingFetcher(fetcher: Fetcher, signer: ForwardingSigner, audience: string): Fetcher {
  return (async (url: string, init: FetcherRequestInit = {}) => {
    const identity = init.headers?.[CALLER_HEADER];
    if (identity === undefined) return fetcher(url, init);
    const { [CALLER_HEADER]: _caller, [FORWARDING_HEADER]: _stale, ...headers } = init.headers ?? {};
    const claims = claimsOf(identity);
    // Only a plain body can be signed; anything else goes unsigned, and the subgraph refuses it.
    if (claims && typeof init.body === 'string') {
      headers[FORWARDING_HEADER] = await signer.sign(claims, { audience, body: init.body });
    }
    return fetcher(url, { ...init, headers });
  }) as Fetcher;
}
