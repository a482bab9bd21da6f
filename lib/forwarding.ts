/**
 * The gateway's signed forwarding of the caller's identity to subgraphs. For every subgraph call
 * the gateway signs a compact JWS (`x-gateway-principal`) that holds the verified principal's
 * claims and binds them to that one call: the subgraph it is meant for (`aud`), a SHA-256 digest
 * of the exact request body (`bdh`), a unique id (`jti`) and a lifetime of seconds (`iat`/`exp`).
 * A subgraph accepts a request only when the signature verifies, the audience is itself, the body
 * it received has that digest and no replica has seen the id before (the ids are claimed in the
 * shared Redis when there is one, see `callIds`). A header captured on the
 * gateway-to-subgraph link is therefore good for nothing: not with another body, not against
 * another subgraph, not a second time, and not for long.
 *
 * Signing and verification are synchronous: Ed25519 through lib/ed25519 (libsodium, about 20 µs to
 * sign and 50 to verify), ES256 through node:crypto.
 */
import { hash, KeyObject, randomUUID, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { JWK } from 'jose';
import { ed25519 } from './ed25519';
import { keyObjectFromJwk } from './keys';
import { Principal, PrincipalClaims, principalFromClaims, principalToClaims } from './principal';

export const FORWARDING_HEADER = 'x-gateway-principal';
const ISSUER = 'vn-commune-gateway';
/** One call's lifetime: the call is sent the moment it is signed; the rest is clock skew. */
export const FORWARDING_LIFETIME_S = 30;
/** Longest lifetime a subgraph accepts, and how long it remembers an id it has seen. */
const MAX_LIFETIME_S = 60;
/** Tolerated clock difference between gateway and subgraph hosts. */
const CLOCK_SKEW_S = 5;

/** What one signature is good for. */
export interface ForwardedCall {
  /** The subgraph the call is for (its name, e.g. `civil-status`). */
  audience: string;
  /** The exact request body as it will be sent. */
  body: string | Uint8Array;
}

export interface ForwardingSigner {
  /** Signs the principal (or its plain claims) for one call. */
  sign(principal: Principal | PrincipalClaims, call: ForwardedCall): Promise<string>;
}

function base64url(bytes: Uint8Array | string): string {
  return Buffer.from(bytes).toString('base64url');
}

/** SHA-256 of the body bytes, base64url. */
export function bodyDigest(body: string | Uint8Array): string {
  return hash('sha256', body, 'base64url');
}

/** One algorithm's signatures with one key. */
interface Algorithm {
  name: 'EdDSA' | 'ES256';
  signer(key: KeyObject): (data: Buffer) => Buffer;
  verifier(key: KeyObject): (data: Buffer, signature: Buffer) => boolean;
}

function algorithmOf(jwk: JWK): Algorithm {
  const alg = jwk.alg ?? (jwk.kty === 'OKP' ? 'EdDSA' : 'ES256');
  if (alg === 'EdDSA' || alg === 'Ed25519') {
    return {
      name: 'EdDSA',
      signer: (key) => ed25519.signer(key).sign,
      verifier: (key) => ed25519.verifier(key).verify,
    };
  }
  if (alg === 'ES256') {
    return {
      name: 'ES256',
      signer: (key) => (data) => cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' }),
      verifier: (key) => (data, sig) => cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sig),
    };
  }
  throw new Error(`Unsupported forwarding key algorithm ${alg}: use EdDSA (Ed25519) or ES256`);
}

export async function createForwardingSigner(privateJwk: JWK): Promise<ForwardingSigner> {
  const algorithm = algorithmOf(privateJwk);
  const signWithKey = algorithm.signer(keyObjectFromJwk(privateJwk, 'private'));
  const header = base64url(JSON.stringify({ alg: algorithm.name, kid: privateJwk.kid, typ: 'JWT' }));
  return {
    async sign(principal, call) {
      const claims = 'subject' in principal ? principalToClaims(principal) : principal;
      const now = Math.floor(Date.now() / 1000);
      const payload = {
        ...claims,
        iss: ISSUER,
        aud: call.audience,
        iat: now,
        exp: now + FORWARDING_LIFETIME_S,
        jti: randomUUID(),
        bdh: bodyDigest(call.body),
      };
      const signingInput = `${header}.${base64url(JSON.stringify(payload))}`;
      return `${signingInput}.${base64url(signWithKey(Buffer.from(signingInput)))}`;
    },
  };
}

export class ForwardingError extends Error {}

/** A call whose signature, audience, body and lifetime check out. */
export interface CheckedCall {
  principal: Principal;
  /**
   * Whether no other replica has served this call: settles when the shared register has
   * answered, rejecting with ForwardingError for a replay. A subgraph may read for a query while
   * it waits (one round trip to Redis fewer ahead of its source call), but answers nothing and
   * runs nothing that changes state before it resolves.
   */
  firstUse: Promise<void>;
}

export interface ForwardingVerifier {
  /** The principal of a call the gateway signed for this subgraph and this body, seen once. */
  verify(header: string | undefined, body: Uint8Array): Promise<Principal>;
  /** As `verify`, but the shared register's answer is left to `firstUse` (a replay to this process is refused at once). */
  check?(header: string | undefined, body: Uint8Array): Promise<CheckedCall>;
}

/** `firstUse` of a call with nothing left to wait for (no shared register, or no id to claim). */
export const NOTHING_PENDING: Promise<void> = Promise.resolve();

/** `verifier.check`, or `verify` for a verifier without it (then nothing is left pending). */
export async function checkForwardedCall(verifier: ForwardingVerifier, header: string | undefined, body: Uint8Array): Promise<CheckedCall> {
  if (verifier.check) return verifier.check(header, body);
  return { principal: await verifier.verify(header, body), firstUse: NOTHING_PENDING };
}

/** Where call ids are claimed; lib/kv's stores fit (Redis SET NX, memory while it is away). */
export interface CallIdRegister {
  /** True for the first claim of `key` within `ttlMs`, false for every later one. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

export interface ForwardingVerifierOptions {
  /** This subgraph's name: the audience a call must be signed for. */
  audience: string;
  /**
   * Shared by every replica of the subgraph, so a captured call cannot be replayed to another
   * one; absent: this process remembers the ids it has seen.
   */
  callIds?: CallIdRegister;
}

/** How long a claimed id is kept: past that its call has expired anyway. */
const CALL_ID_TTL_MS = (MAX_LIFETIME_S + CLOCK_SKEW_S) * 1000;

/**
 * Ids seen recently. Two generations, each as long as the longest accepted lifetime: an id stays
 * remembered at least until its call expires, with O(1) work per call.
 */
class SeenIds {
  private current = new Set<string>();
  private previous = new Set<string>();
  private rotateAt = 0;

  /** False when the id was already seen. */
  add(id: string, now: number): boolean {
    if (now >= this.rotateAt) {
      this.previous = now - this.rotateAt >= MAX_LIFETIME_S + CLOCK_SKEW_S ? new Set() : this.current;
      this.current = new Set();
      this.rotateAt = now + MAX_LIFETIME_S + CLOCK_SKEW_S;
    }
    if (this.current.has(id) || this.previous.has(id)) return false;
    this.current.add(id);
    return true;
  }
}

export async function createForwardingVerifier(publicJwk: JWK, options: ForwardingVerifierOptions): Promise<ForwardingVerifier> {
  const algorithm = algorithmOf(publicJwk);
  const verifySignature = algorithm.verifier(keyObjectFromJwk(publicJwk, 'public'));
  const seen = new SeenIds();
  const register = options.callIds;
  const audienceKey = `vncg:forwarded-call:${options.audience}:`;
  const check = (header: string | undefined, body: Uint8Array): CheckedCall => {
    if (!header) throw new ForwardingError('Subgraphs accept requests only from the gateway');
    const parts = header.split('.');
    if (parts.length !== 3) throw new ForwardingError('The gateway forwarding signature does not verify');
    let payload: Record<string, unknown>;
    try {
      const protectedHeader = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8')) as { alg?: unknown };
      if (protectedHeader.alg !== algorithm.name) throw new Error('algorithm');
      const signature = Buffer.from(parts[2], 'base64url');
      if (!verifySignature(Buffer.from(`${parts[0]}.${parts[1]}`), signature)) throw new Error('signature');
      payload = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      throw new ForwardingError('The gateway forwarding signature does not verify');
    }
    const now = Math.floor(Date.now() / 1000);
    if (payload.iss !== ISSUER) throw new ForwardingError('The forwarded identity is not from the gateway');
    if (payload.aud !== options.audience) throw new ForwardingError(`The forwarded call is not meant for the ${options.audience} subgraph`);
    const { iat, exp, jti, bdh } = payload;
    if (typeof exp !== 'number' || exp <= now) throw new ForwardingError('The forwarded call has expired');
    if (typeof iat !== 'number' || iat > now + CLOCK_SKEW_S || exp - iat > MAX_LIFETIME_S) {
      throw new ForwardingError('The forwarded call has an invalid lifetime');
    }
    if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128) throw new ForwardingError('The forwarded call has no valid id');
    if (typeof bdh !== 'string' || bdh !== bodyDigest(body)) throw new ForwardingError('The request body is not the one the gateway signed');
    const principal = principalFromClaims(payload, { forwarded: true });
    if (typeof principal === 'string') throw new ForwardingError(`The forwarded identity is invalid: ${principal}`);
    // Last, so a refused call does not spend the id of the real one.
    if (!seen.add(jti, now)) throw new ForwardingError('The forwarded call was already used');
    if (!register) return { principal, firstUse: NOTHING_PENDING };
    const firstUse = register.claim(audienceKey + jti, CALL_ID_TTL_MS).then((first) => {
      if (!first) throw new ForwardingError('The forwarded call was already used');
    });
    // Whoever holds the call awaits it; until then a replay must not surface as an unhandled rejection.
    firstUse.catch(() => undefined);
    return { principal, firstUse };
  };
  return {
    async check(header, body) {
      return check(header, body);
    },
    async verify(header, body) {
      const call = check(header, body);
      await call.firstUse;
      return call.principal;
    },
  };
}
