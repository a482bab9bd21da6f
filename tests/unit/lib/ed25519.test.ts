/**
 * Ed25519 through libsodium and through node:crypto: the same signatures, the same refusals, so
 * the gateway and a subgraph agree whichever of the two each process loaded.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { ed25519, nodeCryptoEd25519, sodiumEd25519 } from '../../../lib/ed25519';

// The addon itself, so both implementations run side by side here.
const libsodium = sodiumEd25519(require('sodium-native'));
const implementations = [libsodium, nodeCryptoEd25519];
const byName = implementations.map((impl) => [impl.name, impl] as const);

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const messages = [Buffer.alloc(0), Buffer.from('Citizen|001085012345|24/07210|1765080000'), randomBytes(4096)];

describe('Ed25519', () => {
  it('uses libsodium on Linux x64, the platform of the container image', () => {
    if (process.platform !== 'linux' || process.arch !== 'x64') return;
    expect(ed25519.name).toBe('libsodium');
  });

  it('signs each message with the same bytes through libsodium and node:crypto', () => {
    const [sodiumSigner, nodeSigner] = implementations.map((impl) => impl.signer(privateKey));
    for (const message of messages) {
      const signature = sodiumSigner.sign(message);
      expect(signature).toHaveLength(64);
      expect(signature.equals(nodeSigner.sign(message))).toBe(true);
    }
  });

  it.each(byName)("verifies through %s what either signed, and nothing else", (_name, impl) => {
    const verifier = impl.verifier(publicKey);
    for (const signerImpl of implementations) {
      const signature = signerImpl.signer(privateKey).sign(messages[1]);
      expect(verifier.verify(messages[1], signature)).toBe(true);
      expect(verifier.verify(Buffer.from('Citizen|001085012345|24/07228|1765080000'), signature)).toBe(false);
      const flipped = Buffer.from(signature);
      flipped[10] ^= 1;
      expect(verifier.verify(messages[1], flipped)).toBe(false);
    }
    expect(verifier.verify(messages[1], impl.signer(other.privateKey).sign(messages[1]))).toBe(false);
  });

  it.each(byName)('refuses through %s a signature of the wrong length without throwing', (_name, impl) => {
    const verifier = impl.verifier(publicKey);
    const signature = impl.signer(privateKey).sign(messages[1]);
    for (const wrong of [Buffer.alloc(0), signature.subarray(0, 63), Buffer.concat([signature, Buffer.alloc(1)])]) {
      expect(verifier.verify(messages[1], wrong)).toBe(false);
    }
  });

  it.each(byName)('refuses through %s a key that is not Ed25519, naming its type', (_name, impl) => {
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    expect(() => impl.signer(p256.privateKey)).toThrow('Expected an Ed25519 key, got ec');
    expect(() => impl.verifier(p256.publicKey)).toThrow('Expected an Ed25519 key, got ec');
  });
});
