/**
 * Verifies the caller's access token (JWT) against the issuer's keys and turns it into a
 * Principal. Every rejection says why in plain words; none carries a stack trace.
 *
 * Keys come from a JWKS URL (cached; refetched when a token names an unknown `kid`, so the issuer
 * can rotate keys without a gateway restart) or a JWKS file (re-read on an unknown `kid`).
 */
import { readFileSync } from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, errors, JSONWebKeySet, jwtVerify, JWTVerifyGetKey, ProtectedHeaderParameters } from 'jose';
import { LRUCache } from 'lru-cache';
import { ANONYMOUS, Principal, principalFromClaims } from '../../lib/principal';

/** Only asymmetric algorithms: a shared-secret (HMAC) token could be minted by any verifier. */
export const ACCEPTED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
export const MAX_TOKEN_BYTES = 8192;
/** One working day: the longest lifetime a token may have by default (`JWT_MAX_TOKEN_AGE_S`). */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 8 * 3600;
const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Verified tokens remembered (a desk sends the same token all day): bounded, oldest use dropped first. */
const VERIFIED_TOKENS_KEPT = 10_000;

export interface TokenVerifierOptions {
  jwksUrl?: string;
  jwksFile?: string;
  issuer: string;
  audience: string;
  clockToleranceSeconds?: number;
  /** Longest lifetime accepted: `exp - iat`, or, without `iat`, `exp - now` (default 8 h). */
  maxTokenAgeSeconds?: number;
  /** Verified tokens remembered until they expire (0: verify every time). */
  verifiedTokensKept?: number;
}

/** A token whose signature and claims were checked once: the principal, and the key that verified it. */
interface VerifiedToken {
  principal: Principal;
  key: unknown;
  /** The token's `exp`, ms: from then on it is verified afresh (and refused by jose, with its tolerance). */
  expiresAtMs: number;
}

/** The token was refused: HTTP 401, UNAUTHENTICATED. */
export class AuthenticationError extends Error {
  readonly status = 401;
}

/** The issuer's keys could not be fetched: HTTP 503, not the caller's fault. */
export class KeySetUnavailableError extends Error {
  readonly status = 503;
}

export interface TokenVerifier {
  /** The principal for an `Authorization` header value; null when there is no header at all. */
  verify(authorization: string | undefined): Promise<Principal | null>;
}

function fileKeySet(path: string): JWTVerifyGetKey {
  const load = () => {
    try {
      return createLocalJWKSet(JSON.parse(readFileSync(path, 'utf8')) as JSONWebKeySet);
    } catch {
      throw new KeySetUnavailableError(`The key set file ${path} cannot be read`);
    }
  };
  let current = load();
  return async (header, token) => {
    try {
      return await current(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      current = load(); // rotated keys: look once more before refusing
      return current(header, token);
    }
  };
}

function explain(error: unknown): Error {
  if (error instanceof AuthenticationError || error instanceof KeySetUnavailableError) return error;
  if (error instanceof errors.JWTExpired) return new AuthenticationError('The token has expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case 'nbf':
        return new AuthenticationError('The token is not valid yet (nbf is in the future)');
      case 'iat':
        return new AuthenticationError('The token was issued in the future (iat)');
      case 'iss':
        return new AuthenticationError("The token's issuer (iss) is not the one this gateway trusts");
      case 'aud':
        return new AuthenticationError("The token's audience (aud) is not this gateway");
      case 'exp':
        return new AuthenticationError('The token has no expiry (exp); tokens must expire');
      default:
        return new AuthenticationError(`The token's ${error.claim} claim is invalid`);
    }
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return new AuthenticationError("The token's signature does not verify");
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return new AuthenticationError('The token was signed with a key (kid) this gateway does not know');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return new AuthenticationError('The token is signed with an algorithm this gateway does not accept');
  // A bare JOSEError comes only from fetching the key set: its HTTP status was not 200 or its body not JSON.
  const keySetFetchFailed = error instanceof errors.JOSEError && error.code === errors.JOSEError.code;
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || keySetFetchFailed) {
    return new KeySetUnavailableError("The token issuer's keys cannot be fetched right now");
  }
  if (error instanceof errors.JOSEError) return new AuthenticationError('The token is not a valid signed JWT');
  return new KeySetUnavailableError("The token issuer's keys cannot be fetched right now");
}

/**
 * A signed token may still be one nobody should hold: issued "in the future" (a clock or an issuer
 * gone wrong, or a token minted to outlive its revocation) or valid for longer than a working day.
 * Runs after the signature, `exp` and `nbf` checks; `now` in seconds.
 */
export function checkTokenLifetime(payload: { iat?: unknown; exp?: unknown }, now: number, maxAgeSeconds: number, toleranceSeconds: number): void {
  const exp = payload.exp as number;
  const iat = typeof payload.iat === 'number' ? payload.iat : undefined;
  if (iat !== undefined && iat > now + toleranceSeconds) {
    throw new AuthenticationError(`The token was issued in the future (iat is ${Math.round(iat - now)} s ahead of the gateway's clock; ${toleranceSeconds} s of skew allowed)`);
  }
  if (iat !== undefined && exp - iat > maxAgeSeconds) {
    throw new AuthenticationError(`The token's lifetime (exp - iat: ${Math.round(exp - iat)} s) exceeds the maximum of ${maxAgeSeconds} s; ask the issuer for a shorter-lived token`);
  }
  if (iat === undefined && exp - now > maxAgeSeconds + toleranceSeconds) {
    throw new AuthenticationError(`The token has no iat and expires ${Math.round(exp - now)} s from now, more than the maximum lifetime of ${maxAgeSeconds} s`);
  }
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  if (!options.jwksUrl && !options.jwksFile) throw new Error('A token verifier needs JWKS_URL or JWKS_FILE');
  const keySet = options.jwksUrl
    ? createRemoteJWKSet(new URL(options.jwksUrl), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 })
    : fileKeySet(options.jwksFile as string);

  const verified = new LRUCache<string, VerifiedToken>({ max: Math.max(1, options.verifiedTokensKept ?? VERIFIED_TOKENS_KEPT) });
  const remember = (options.verifiedTokensKept ?? VERIFIED_TOKENS_KEPT) > 0;

  /**
   * A remembered token is taken again without its signature check only while it has not expired
   * and the key set still hands out the very key that verified it: a key retired or rotated out
   * of the JWKS makes its tokens go through full verification again (and be refused).
   */
  async function remembered(token: string, header: ProtectedHeaderParameters): Promise<Principal | null> {
    const entry = verified.get(token);
    if (!entry) return null;
    if (Date.now() >= entry.expiresAtMs) {
      verified.delete(token);
      return null;
    }
    // The header's alg was checked before (an accepted asymmetric algorithm).
    const key = await Promise.resolve(keySet(header as Parameters<JWTVerifyGetKey>[0], { payload: '', signature: '' })).catch(() => null);
    return key === entry.key ? { ...entry.principal } : null;
  }

  return {
    async verify(authorization) {
      if (authorization === undefined) return null;
      const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
      if (!match) throw new AuthenticationError('The Authorization header must be "Bearer <token>"');
      const token = match[1];
      if (Buffer.byteLength(token) > MAX_TOKEN_BYTES) {
        throw new AuthenticationError(`The token is larger than ${MAX_TOKEN_BYTES} bytes`);
      }
      let header: ProtectedHeaderParameters;
      try {
        header = decodeProtectedHeader(token);
      } catch {
        throw new AuthenticationError('The token is not a well-formed JWT');
      }
      const alg: unknown = header.alg;
      if (alg === 'none' || alg === undefined) throw new AuthenticationError('The token is unsigned (alg "none"); signed tokens only');
      if (typeof alg !== 'string' || !ACCEPTED_ALGORITHMS.includes(alg)) {
        throw new AuthenticationError(
          `The token is signed with ${String(alg).slice(0, 16)}; only asymmetric algorithms are accepted (${ACCEPTED_ALGORITHMS.join(', ')})`,
        );
      }
      const known = remember ? await remembered(token, header) : null;
      if (known) return known;
      let payload: Record<string, unknown>;
      let usedKey: unknown;
      try {
        ({ payload } = await jwtVerify(token, async (h, t) => (usedKey = await keySet(h, t)), {
          issuer: options.issuer,
          audience: options.audience,
          algorithms: ACCEPTED_ALGORITHMS,
          clockTolerance: options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw explain(error);
      }
      checkTokenLifetime(
        payload,
        Math.floor(Date.now() / 1000),
        options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
        options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      );
      const principal = principalFromClaims(payload);
      if (typeof principal === 'string') throw new AuthenticationError(`The token's claims are invalid: ${principal}`);
      // The gateway's name for callers without a token: a token claiming it would be filtered,
      // cached and logged as one of them.
      if (principal.subject === ANONYMOUS.subject) throw new AuthenticationError(`The token's claims are invalid: sub "${ANONYMOUS.subject}" is reserved for callers without a token`);
      if (remember) verified.set(token, { principal: { ...principal }, key: usedKey, expiresAtMs: (payload.exp as number) * 1000 });
      return principal;
    },
  };
}
