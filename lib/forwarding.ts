/**
 * The gateway's signed forwarding of the caller's identity to subgraphs. The gateway signs the
 * verified principal into a short-lived JWS (`x-gateway-principal`); a subgraph accepts a
 * request only with a valid one, so nobody can reach a subgraph around the gateway, and the
 * subgraph applies the same principal's jurisdiction on its side.
 */
import { CompactSign, compactVerify, importJWK, JWK } from 'jose';
import { Principal, principalFromClaims, principalToClaims } from './principal';

export const FORWARDING_HEADER = 'x-gateway-principal';
const ISSUER = 'vn-commune-gateway';
const AUDIENCE = 'vn-commune-subgraphs';
/** Long enough for one request's subgraph calls; short enough that a captured header is useless soon. */
const LIFETIME_S = 120;

type CryptoKeyLike = Awaited<ReturnType<typeof importJWK>>;

export interface ForwardingSigner {
  sign(principal: Principal): Promise<string>;
}

export async function createForwardingSigner(privateJwk: JWK): Promise<ForwardingSigner> {
  const alg = privateJwk.alg ?? 'EdDSA';
  const key = (await importJWK(privateJwk, alg)) as CryptoKeyLike;
  const encoder = new TextEncoder();
  // A caller's token is used for many requests: sign its principal once per minute, not per call.
  const cache = new Map<string, { token: string; renewAt: number }>();
  return {
    async sign(principal) {
      const claims = principalToClaims(principal);
      const cacheKey = JSON.stringify(claims);
      const now = Math.floor(Date.now() / 1000);
      const hit = cache.get(cacheKey);
      if (hit && hit.renewAt > now) return hit.token;
      const payload = { ...claims, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + LIFETIME_S };
      const token = await new CompactSign(encoder.encode(JSON.stringify(payload)))
        .setProtectedHeader({ alg, kid: privateJwk.kid })
        .sign(key);
      if (cache.size > 10_000) cache.clear();
      cache.set(cacheKey, { token, renewAt: now + LIFETIME_S / 2 });
      return token;
    },
  };
}

export class ForwardingError extends Error {}

export interface ForwardingVerifier {
  verify(header: string | undefined): Promise<Principal>;
}

export async function createForwardingVerifier(publicJwk: JWK): Promise<ForwardingVerifier> {
  const alg = publicJwk.alg ?? 'EdDSA';
  const key = (await importJWK(publicJwk, alg)) as CryptoKeyLike;
  const decoder = new TextDecoder();
  const verified = new Map<string, { principal: Principal; exp: number }>();
  return {
    async verify(header) {
      if (!header) throw new ForwardingError('Subgraphs accept requests only from the gateway');
      const now = Math.floor(Date.now() / 1000);
      const hit = verified.get(header);
      if (hit && hit.exp > now) return hit.principal;
      let payload: Record<string, unknown>;
      try {
        const result = await compactVerify(header, key, { algorithms: [alg] });
        payload = JSON.parse(decoder.decode(result.payload)) as Record<string, unknown>;
      } catch {
        throw new ForwardingError('The gateway forwarding signature does not verify');
      }
      if (payload.iss !== ISSUER || payload.aud !== AUDIENCE) throw new ForwardingError('The forwarded identity is not from the gateway');
      if (typeof payload.exp !== 'number' || payload.exp <= now) throw new ForwardingError('The forwarded identity has expired');
      const principal = principalFromClaims(payload);
      if (typeof principal === 'string') throw new ForwardingError(`The forwarded identity is invalid: ${principal}`);
      if (verified.size > 10_000) verified.clear();
      verified.set(header, { principal, exp: payload.exp });
      return principal;
    },
  };
}
