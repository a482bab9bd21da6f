/**
 * The gateway's signed forwarding of the caller's identity to subgraphs. Every subgraph call
 * carries, in `x-gateway-principal`, the verified principal's claims bound to that one call: the
 * subgraph it is meant for (`aud`), a SHA-256 digest of the exact request body (`bdh`), a unique id
 * (`jti`) and a lifetime of seconds (`iat`/`exp`), under the gateway's signature. A subgraph
 * accepts a request only when the signature verifies, the audience is itself, the body it received
 * has that digest and no replica has seen the id before (the ids are claimed in the shared Redis
 * when there is one, see `callIds`). A header captured on the gateway-to-subgraph link is
 * therefore good for nothing: not with another body, not against another subgraph, not a second
 * time, and not for long.
 *
 * Two forms, and subgraphs accept both:
 *  - batched (the gateway's default): the calls signed in one turn of the event loop, up to
 *    `MAX_CALLS_PER_SIGNATURE` — a dossier's second round, and under load other requests' calls —
 *    share one signature; the first call after a quiet spell is signed at once, as a batch of
 *    one, so that it need not wait for the others. Each call's claims are its own part, `<call>`
 *    (base64url JSON: claims, `aud`, `bdh`, `jti`); the signed payload holds the lifetime and the
 *    SHA-256 of every call part of the batch. A call sends
 *    `<protected>.<payload>.<signature>.<call>`, and is accepted only when the digest of its own
 *    part is among those signed, so it can no more be altered, moved to another subgraph or body,
 *    or replayed than a call signed alone. The other calls' digests tell a subgraph nothing (each
 *    part holds a random `jti`). Signed one by one, the calls' signatures were 7% of the
 *    gateway's CPU on a dossier, 3% batched (docs/benchmarks.md); a process that receives several
 *    calls of one batch verifies its signature once.
 *  - per call: a compact JWS of its own (`<protected>.<payload>.<signature>`, the payload the
 *    claims with `aud`, `bdh`, `jti` and the lifetime), the only form of releases before
 *    batching, kept for a gateway upgraded before its subgraphs (`FORWARDING_BATCH_SIGNATURES=false`).
 *
 * Signing and verification are synchronous: Ed25519 through lib/ed25519 (libsodium, about 20 µs to
 * sign and 50 to verify), ES256 through node:crypto.
 */
import { hash, KeyObject, randomUUID, sign as cryptoSign, verify as cryptoVerify } from 'node:crypto';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
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
/** The protected header's `typ` of a batch's signature (a call signed alone has `JWT`). */
const BATCH_TYPE = 'vncg-calls+jwt';
/** The most calls one signature covers: each adds its 43-character digest to every call's header. */
export const MAX_CALLS_PER_SIGNATURE = 8;

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

/** SHA-256, base64url: of a call's body (`bdh`), and of each call part a batch's signature covers. */
function digestOf(data: string | Uint8Array): string {
  return hash('sha256', data, 'base64url');
}

/** A base64url JSON object, decoded; null for anything else (a throw for what is not base64url JSON). */
function decodedJson(part: string): Record<string, unknown> | null {
  const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as unknown;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
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

export interface ForwardingSignerOptions {
  /** Calls signed in the same turn of the event loop share one signature (default: true). */
  batch?: boolean;
  /** A call this long after the last signature is signed at once, alone (default 5 ms). */
  quietSpellMs?: number;
}

/** A call waiting for its batch to be signed. */
interface PendingCall {
  part: string;
  resolve(header: string): void;
  reject(error: unknown): void;
}

export async function createForwardingSigner(privateJwk: JWK, options: ForwardingSignerOptions = {}): Promise<ForwardingSigner> {
  const algorithm = algorithmOf(privateJwk);
  const signWithKey = algorithm.signer(keyObjectFromJwk(privateJwk, 'private'));
  const protectedHeader = (typ: string) => base64url(JSON.stringify({ alg: algorithm.name, kid: privateJwk.kid, typ }));
  const jws = (header: string, payload: object) => {
    const signingInput = `${header}.${base64url(JSON.stringify(payload))}`;
    return `${signingInput}.${base64url(signWithKey(Buffer.from(signingInput)))}`;
  };
  const lifetime = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, iat: now, exp: now + FORWARDING_LIFETIME_S };
  };
  const callClaims = (principal: Principal | PrincipalClaims, call: ForwardedCall) => ({
    ...('subject' in principal ? principalToClaims(principal) : principal),
    aud: call.audience,
    jti: randomUUID(),
    bdh: digestOf(call.body),
  });

  if (options.batch === false) {
    const header = protectedHeader('JWT');
    return { sign: async (principal, call) => jws(header, { ...callClaims(principal, call), ...lifetime() }) };
  }

  const header = protectedHeader(BATCH_TYPE);
  const quietSpellMs = options.quietSpellMs ?? 5;
  let lastSignedAt = Number.NEGATIVE_INFINITY;
  let pending: PendingCall[] = [];
  const signPending = () => {
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    lastSignedAt = performance.now();
    try {
      const signed = jws(header, { ...lifetime(), calls: batch.map((call) => digestOf(call.part)) });
      for (const call of batch) call.resolve(`${signed}.${call.part}`);
    } catch (error) {
      for (const call of batch) call.reject(error);
    }
  };
  return {
    sign(principal, call) {
      const part = base64url(JSON.stringify(callClaims(principal, call)));
      return new Promise((resolve, reject) => {
        // The first call after a quiet spell is signed at once, alone: one dossier at a time, it
        // then leaves while the gateway still prepares the others. The others are signed when this
        // turn's calls have all been made (the check phase): a request's concurrent calls go out
        // together anyway, and under load other requests' calls join them.
        const opensBatch = pending.length === 0;
        const quiet = opensBatch && performance.now() - lastSignedAt > quietSpellMs;
        if (opensBatch && !quiet) setImmediate(signPending);
        pending.push({ part, resolve, reject });
        if (quiet || pending.length === MAX_CALLS_PER_SIGNATURE) signPending();
      });
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

/**
 * Batches whose signature verified, by their signed part, for each gateway key: shared by every
 * verifier of the process, so the calls of one batch that reach it — the gateway's calls to one
 * subgraph from several requests at once, or a dossier's calls to every subgraph where one process
 * serves them all — verify the signature once. Keyed by the public key, so that a signature is
 * only ever taken as verified under the key it was verified with.
 */
const verifiedBatchesByKey = new Map<string, LRUCache<string, Record<string, unknown>>>();

function verifiedBatchesOf(publicJwk: JWK): LRUCache<string, Record<string, unknown>> {
  const key = JSON.stringify([publicJwk.kty, publicJwk.crv, publicJwk.x, publicJwk.y]);
  let batches = verifiedBatchesByKey.get(key);
  if (!batches) verifiedBatchesByKey.set(key, (batches = new LRUCache({ max: 1024 })));
  return batches;
}

export async function createForwardingVerifier(publicJwk: JWK, options: ForwardingVerifierOptions): Promise<ForwardingVerifier> {
  const algorithm = algorithmOf(publicJwk);
  const verifySignature = algorithm.verifier(keyObjectFromJwk(publicJwk, 'public'));
  const seen = new SeenIds();
  const register = options.callIds;
  const audienceKey = `vncg:forwarded-call:${options.audience}:`;
  const verifiedBatches = verifiedBatchesOf(publicJwk);
  /** The payload of a compact JWS of the expected form whose signature verifies, or null. */
  const signedPayload = (parts: string[], batch: boolean): Record<string, unknown> | null => {
    const protectedHeader = decodedJson(parts[0]);
    if (protectedHeader?.alg !== algorithm.name || (protectedHeader.typ === BATCH_TYPE) !== batch) return null;
    if (!verifySignature(Buffer.from(`${parts[0]}.${parts[1]}`), Buffer.from(parts[2], 'base64url'))) return null;
    return decodedJson(parts[1]);
  };
  /** A call signed alone, or its part of a signed batch with the batch's issuer and lifetime; null when the signature does not cover it. */
  const signedClaims = (header: string): Record<string, unknown> | null => {
    const parts = header.split('.');
    if (parts.length === 3) return signedPayload(parts, false);
    if (parts.length !== 4) return null;
    const signed = header.slice(0, header.length - parts[3].length - 1);
    let batch = verifiedBatches.get(signed);
    if (!batch) {
      const payload = signedPayload(parts, true);
      if (!payload || !Array.isArray(payload.calls)) return null;
      verifiedBatches.set(signed, (batch = payload));
    }
    if (!(batch.calls as unknown[]).includes(digestOf(parts[3]))) return null;
    const call = decodedJson(parts[3]);
    return call && { ...call, iss: batch.iss, iat: batch.iat, exp: batch.exp };
  };
  const check = (header: string | undefined, body: Uint8Array): CheckedCall => {
    if (!header) throw new ForwardingError('Subgraphs accept requests only from the gateway');
    let payload: Record<string, unknown> | null;
    try {
      payload = signedClaims(header);
    } catch {
      payload = null;
    }
    if (!payload) throw new ForwardingError('The gateway forwarding signature does not verify');
    const now = Math.floor(Date.now() / 1000);
    if (payload.iss !== ISSUER) throw new ForwardingError('The forwarded identity is not from the gateway');
    if (payload.aud !== options.audience) throw new ForwardingError(`The forwarded call is not meant for the ${options.audience} subgraph`);
    const { iat, exp, jti, bdh } = payload;
    if (typeof exp !== 'number' || exp <= now) throw new ForwardingError('The forwarded call has expired');
    if (typeof iat !== 'number' || iat > now + CLOCK_SKEW_S || exp - iat > MAX_LIFETIME_S) {
      throw new ForwardingError('The forwarded call has an invalid lifetime');
    }
    if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128) throw new ForwardingError('The forwarded call has no valid id');
    if (typeof bdh !== 'string' || bdh !== digestOf(body)) throw new ForwardingError('The request body is not the one the gateway signed');
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
