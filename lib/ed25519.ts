/**
 * Ed25519 signatures for the hot path (each subgraph call's forwarding signature, jurisdiction
 * keys) and the audit checkpoints. libsodium (the `sodium-native` addon) signs in about 18 µs and
 * verifies in about 45 µs where node:crypto's OpenSSL takes 35–50 and 78–122 on the same machine,
 * and a dossier signs and verifies a dozen times across the gateway and its subgraphs. Where the
 * addon's prebuilt binary does not load (a platform it has none for), node:crypto does the same
 * work: Ed25519 signatures are deterministic, so both produce the very same bytes.
 */
import { KeyObject, sign, verify } from 'node:crypto';

const SIGNATURE_BYTES = 64;

export interface Ed25519Signer {
  sign(data: Uint8Array): Buffer;
}

export interface Ed25519Verifier {
  /** False for a signature that does not verify, whatever its length or content. */
  verify(data: Uint8Array, signature: Uint8Array): boolean;
}

export interface Ed25519Implementation {
  name: 'libsodium' | 'node:crypto';
  signer(privateKey: KeyObject): Ed25519Signer;
  verifier(publicKey: KeyObject): Ed25519Verifier;
}

function assertEd25519(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`Expected an Ed25519 key, got ${key.asymmetricKeyType ?? key.type}`);
}

export const nodeCryptoEd25519: Ed25519Implementation = {
  name: 'node:crypto',
  signer(privateKey) {
    assertEd25519(privateKey);
    return { sign: (data) => sign(null, data, privateKey) };
  },
  verifier(publicKey) {
    assertEd25519(publicKey);
    return { verify: (data, signature) => signature.length === SIGNATURE_BYTES && verify(null, data, publicKey, signature) };
  },
};

/** The part of sodium-native used here. */
interface Sodium {
  crypto_sign_SECRETKEYBYTES: number;
  sodium_malloc(size: number): Buffer;
  crypto_sign_detached(signature: Buffer, message: Uint8Array, secretKey: Buffer): void;
  crypto_sign_verify_detached(signature: Uint8Array, message: Uint8Array, publicKey: Uint8Array): boolean;
}

/** The raw 32-byte public key and, for a private key, its 32-byte seed (both in the key's JWK form). */
function rawKey(key: KeyObject): { seed?: Buffer; publicKey: Buffer } {
  const jwk = key.export({ format: 'jwk' });
  return { seed: jwk.d ? Buffer.from(jwk.d, 'base64url') : undefined, publicKey: Buffer.from(jwk.x!, 'base64url') };
}

export function sodiumEd25519(sodium: Sodium): Ed25519Implementation {
  return {
    name: 'libsodium',
    signer(privateKey) {
      assertEd25519(privateKey);
      const { seed, publicKey } = rawKey(privateKey);
      // libsodium's secret key is the seed followed by the public key, kept in guarded memory.
      const secretKey = sodium.sodium_malloc(sodium.crypto_sign_SECRETKEYBYTES);
      seed!.copy(secretKey, 0);
      publicKey.copy(secretKey, 32);
      seed!.fill(0);
      return {
        sign(data) {
          const signature = Buffer.allocUnsafe(SIGNATURE_BYTES);
          sodium.crypto_sign_detached(signature, data, secretKey);
          return signature;
        },
      };
    },
    verifier(publicKey) {
      assertEd25519(publicKey);
      const raw = rawKey(publicKey).publicKey;
      // The addon asserts on a signature of the wrong length; that is a plain "does not verify".
      return { verify: (data, signature) => signature.length === SIGNATURE_BYTES && sodium.crypto_sign_verify_detached(signature, data, raw) };
    },
  };
}

function loadSodium(): Sodium | null {
  try {
    return require('sodium-native') as Sodium;
  } catch {
    return null;
  }
}

const sodium = loadSodium();

/** libsodium where its addon loads, node:crypto otherwise. */
export const ed25519: Ed25519Implementation = sodium ? sodiumEd25519(sodium) : nodeCryptoEd25519;
