/**
 * Signed jurisdiction keys. The population subgraph is the one authority on where a citizen,
 * household or commune belongs; it issues each record's key signed, bound to the record's type
 * and id and to an expiry:
 *
 *     24/07210.<exp>.<signature>      e.g. for Citizen 001085012345
 *
 * The signature (Ed25519, base64url) covers `Citizen|001085012345|24/07210|<exp>`. Every other
 * subgraph receives the key inside a representation (`@requires(fields: "jurisdictionKey")`) and
 * serves a guarded field only when the signature verifies and binds the key to that very
 * representation; a key made up by whoever can send a representation is worth nothing.
 *
 * Signatures are deterministic and the expiry advances in steps, so the same record's key is
 * signed once per step and verified once per step and process (both cached).
 */
import type { KeyObject } from 'node:crypto';
import type { JWK } from 'jose';
import { LRUCache } from 'lru-cache';
import { ed25519 } from './ed25519';
import { keyObjectFromJwk } from './keys';
import { parsePlainJurisdictionKey, Residence } from './principal';

/** How far the expiry moves at a time, in seconds. */
const STEP_S = 300;
/**
 * A key lives between 10 and 15 minutes: longer than any cached subgraph answer that carries it
 * (SUBGRAPH_ANSWER_CACHE_TTL_S is at most 300 s), short enough that a moved citizen's old key
 * stops working soon.
 */
const LIFETIME_S = 900;

/** `<plain key>.<exp>.<signature>`; the plain key is `24/07210` or, for a split old unit, `?07222=24/07210+24/07228`. */
const SIGNED_KEY = /^([^.]{8,400})\.(\d{1,12})\.([A-Za-z0-9_-]{1,200})$/;

function message(type: string, id: string, residence: string, exp: string): Buffer {
  return Buffer.from(`${type}|${id}|${residence}|${exp}`);
}

function importEd25519(jwk: JWK, kind: 'private' | 'public'): KeyObject {
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519') throw new Error('The jurisdiction key pair must be Ed25519 (an OKP JWK)');
  return keyObjectFromJwk(jwk, kind);
}

export interface JurisdictionKeySigner {
  /** Signs a plain key (`<province>/<commune>`) for the record `type` with the id `id`. */
  sign(type: string, id: string, key: string): string;
}

export function createJurisdictionKeySigner(privateJwk: JWK): JurisdictionKeySigner {
  const signer = ed25519.signer(importEd25519(privateJwk, 'private'));
  const signed = new LRUCache<string, string>({ max: 100_000 });
  return {
    sign(type, id, plain) {
      const now = Math.floor(Date.now() / 1000);
      const exp = String(Math.floor(now / STEP_S) * STEP_S + LIFETIME_S);
      const cacheKey = `${type}|${id}|${plain}|${exp}`;
      let result = signed.get(cacheKey);
      if (result === undefined) {
        result = `${plain}.${exp}.${signer.sign(message(type, id, plain, exp)).toString('base64url')}`;
        signed.set(cacheKey, result);
      }
      return result;
    },
  };
}

export interface JurisdictionKeyVerifier {
  /** The residence a key names when it is signed by population for this record and unexpired; null otherwise. */
  verify(type: string, id: unknown, signedKey: unknown): Residence | null;
}

/**
 * Keys that verified, with their record, per public key; expiry is checked on every use. Shared
 * by every verifier of the same public key in the process: where one process serves several
 * subgraphs (`npm start`), a citizen's key that civil status verified is not verified again, at
 * about 50 µs of Ed25519 each, by land and social insurance in the same dossier.
 */
const verifiedByPublicKey = new Map<string, LRUCache<string, true>>();

export function createJurisdictionKeyVerifier(publicJwk: JWK): JurisdictionKeyVerifier {
  const verifier = ed25519.verifier(importEd25519(publicJwk, 'public'));
  // An Ed25519 JWK's `x` is the public key itself (checked by the import above).
  let known = verifiedByPublicKey.get(publicJwk.x!);
  if (!known) verifiedByPublicKey.set(publicJwk.x!, (known = new LRUCache<string, true>({ max: 100_000 })));
  return {
    verify(type, id, signedKey) {
      if (typeof signedKey !== 'string' || typeof id !== 'string' || id.length === 0) return null;
      const match = SIGNED_KEY.exec(signedKey);
      if (!match) return null;
      const [, plain, exp, signature] = match;
      const residence = parsePlainJurisdictionKey(plain);
      if (!residence) return null;
      if (Number(exp) <= Date.now() / 1000) return null;
      const cacheKey = `${type}|${id}|${signedKey}`;
      if (!known.has(cacheKey)) {
        if (!verifier.verify(message(type, id, plain, exp), Buffer.from(signature, 'base64url'))) return null;
        known.set(cacheKey, true);
      }
      return residence;
    },
  };
}
