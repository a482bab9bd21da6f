/**
 * Development tokens signed by the local issuer in `.dev/`, which `npm start`'s gateway trusts.
 * Used by `npm run token` and the playground's sample officer; production gateways trust only
 * their real issuer and never accept these.
 */
import { readFileSync } from 'node:fs';
import { importJWK, JWK, SignJWT } from 'jose';
import { devDirectory, Env } from './config';
import { DEV_AUDIENCE, DEV_ISSUER, ensureDevKeys } from './keys';

/** Seconds, or null when `text` is no duration or longer than `maxSeconds` (the gateway would refuse it). */
export function parseTtl(text: string, maxSeconds: number): number | null {
  const match = /^(\d+)\s*([smhd]?)$/.exec(text.trim());
  if (!match) return null;
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[match[2]] as number;
  const seconds = Number(match[1]) * unit;
  return seconds > 0 && seconds <= maxSeconds ? seconds : null;
}

export interface DevTokenRequest {
  scope: string;
  /** Absent on a citizen's own token (scope `self`). */
  jurisdiction?: string;
  purpose?: string;
  ttlSeconds?: number;
  sub?: string;
  client?: string;
  locationIndependent?: boolean;
  /** The `procedures` claim: the procedure codes this client may name (space-separated). */
  procedures?: string;
}

/** Signs a development token with the local issuer's key (creating the keys if needed). */
export async function mintDevToken(request: DevTokenRequest, env: Env = process.env): Promise<string> {
  const paths = await ensureDevKeys(devDirectory(env));
  const privateJwk = JSON.parse(readFileSync(paths.issuerPrivateKey, 'utf8')) as JWK;
  const key = await importJWK(privateJwk, privateJwk.alg);
  return new SignJWT({
    client_id: request.client ?? 'dev-tthc-system',
    scope: request.scope,
    ...(request.jurisdiction !== undefined ? { jurisdiction: request.jurisdiction } : {}),
    ...(request.purpose ? { purpose: request.purpose } : {}),
    ...(request.locationIndependent ? { location_independent: true } : {}),
    ...(request.procedures ? { procedures: request.procedures } : {}),
  })
    .setProtectedHeader({ alg: privateJwk.alg as string, kid: privateJwk.kid, typ: 'JWT' })
    .setSubject(request.sub ?? 'dev-officer')
    .setIssuer(env.JWT_ISSUER || DEV_ISSUER)
    .setAudience(env.JWT_AUDIENCE || DEV_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(`${request.ttlSeconds ?? 3600}s`)
    .sign(key);
}
