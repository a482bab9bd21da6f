/**
 * Key material on disk: the development token issuer's key pair (so `npm run token` mints tokens
 * the gateway accepts) and the gateway's forwarding key pair (so subgraphs can tell the gateway's
 * calls from anyone else's). Development keys live in the ignored `.dev/` folder and are made on
 * first start; production points the same settings at keys it manages.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createPrivateKey, createPublicKey, JsonWebKey, KeyObject, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, JWK } from 'jose';

export const DEV_DIR_NAME = '.dev';
export const DEV_ISSUER = 'urn:vn-gateway:dev-issuer';
export const DEV_AUDIENCE = 'vn-commune-gateway';

export interface DevKeyPaths {
  issuerPrivateKey: string;
  issuerJwks: string;
  forwardingPrivateKey: string;
  forwardingPublicKey: string;
  /** Signs the audit log's checkpoints (a key of its own), and its public half. */
  auditCheckpointPrivateKey: string;
  auditCheckpointPublicKey: string;
  /** The population subgraph signs the jurisdiction keys it issues; the others verify them. */
  jurisdictionPrivateKey: string;
  jurisdictionPublicKey: string;
}

export function devKeyPaths(devDir: string): DevKeyPaths {
  return {
    issuerPrivateKey: join(devDir, 'issuer', 'private.jwk.json'),
    issuerJwks: join(devDir, 'issuer', 'jwks.json'),
    forwardingPrivateKey: join(devDir, 'forwarding', 'private.jwk.json'),
    forwardingPublicKey: join(devDir, 'forwarding', 'public.jwk.json'),
    auditCheckpointPrivateKey: join(devDir, 'audit-checkpoint', 'private.jwk.json'),
    auditCheckpointPublicKey: join(devDir, 'audit-checkpoint', 'public.jwk.json'),
    jurisdictionPrivateKey: join(devDir, 'jurisdiction', 'private.jwk.json'),
    jurisdictionPublicKey: join(devDir, 'jurisdiction', 'public.jwk.json'),
  };
}

function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n', { mode: 0o600 });
}

export interface KeyPairJwks {
  privateJwk: JWK;
  publicJwk: JWK;
}

export async function generateSigningKeyPair(alg: 'ES256' | 'EdDSA'): Promise<KeyPairJwks> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = randomUUID();
  return {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' },
  };
}

/** Creates the development keys that are missing; existing ones are kept so tokens stay valid. */
export async function ensureDevKeys(devDir: string): Promise<DevKeyPaths> {
  const paths = devKeyPaths(devDir);
  if (!existsSync(paths.issuerPrivateKey) || !existsSync(paths.issuerJwks)) {
    const issuer = await generateSigningKeyPair('ES256');
    writeJson(paths.issuerPrivateKey, issuer.privateJwk);
    writeJson(paths.issuerJwks, { keys: [issuer.publicJwk] });
  }
  if (!existsSync(paths.forwardingPrivateKey) || !existsSync(paths.forwardingPublicKey)) {
    const forwarding = await generateSigningKeyPair('EdDSA');
    writeJson(paths.forwardingPrivateKey, forwarding.privateJwk);
    writeJson(paths.forwardingPublicKey, forwarding.publicJwk);
  }
  if (!existsSync(paths.auditCheckpointPrivateKey) || !existsSync(paths.auditCheckpointPublicKey)) {
    const checkpoint = await generateSigningKeyPair('EdDSA');
    writeJson(paths.auditCheckpointPrivateKey, checkpoint.privateJwk);
    writeJson(paths.auditCheckpointPublicKey, checkpoint.publicJwk);
  }
  if (!existsSync(paths.jurisdictionPrivateKey) || !existsSync(paths.jurisdictionPublicKey)) {
    const jurisdiction = await generateSigningKeyPair('EdDSA');
    writeJson(paths.jurisdictionPrivateKey, jurisdiction.privateJwk);
    writeJson(paths.jurisdictionPublicKey, jurisdiction.publicJwk);
  }
  return paths;
}

/** Reads a JWK (or a JWKS's first key) from a file, naming the file when it cannot. */
export function readJwkFile(path: string): JWK {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new Error(`Cannot read a JSON key from ${path}`);
  }
  const key = Array.isArray((parsed as { keys?: unknown }).keys) ? (parsed as { keys: JWK[] }).keys[0] : (parsed as JWK);
  if (!key || typeof key.kty !== 'string') throw new Error(`${path} does not hold a JSON Web Key`);
  return key;
}

/** A file the process cannot run without (a certificate, a key), naming what it is when unreadable. */
export function readRequiredFile(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    throw new Error(`Cannot read the ${what} at ${path}`);
  }
}

/**
 * A node:crypto key from a JWK, for the hot-path signatures (forwarding, jurisdiction keys, audit
 * checkpoints). A public key is only ever the public half, even from a private JWK.
 */
export function keyObjectFromJwk(jwk: JWK | JsonWebKey, kind: 'private' | 'public'): KeyObject {
  if (kind === 'private') return createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
  const { d: _private, ...publicOnly } = jwk as JsonWebKey;
  return createPublicKey({ key: publicOnly, format: 'jwk' });
}
