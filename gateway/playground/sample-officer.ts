/**
 * In development the playground opens with a ready token for a sample officer at a Bắc Ninh
 * one-stop desk, signed by the local development issuer, so every example runs at once. The page
 * shows what the token allows. Production gateways never mint one (see `sampleOfficerTokens`).
 */
import type { GatewayConfig } from '../../lib/config';
import { devKeyPaths } from '../../lib/keys';
import { mintDevToken } from '../../lib/dev-tokens';

export const SAMPLE_OFFICER = {
  sub: 'can-bo-mot-cua-24-001',
  client: 'tthc-bac-ninh',
  // purpose:free-text lets the tabs that name no procedure (access history, reconciliation,
  // provenance) read with the sample's free-text purpose; the TTHC tabs name their procedure.
  scope: 'population:read civil-status:read land:read social-insurance:read budget:read audit:read reconciliation:read purpose:free-text',
  jurisdiction: '24',
  jurisdictionName: 'Bắc Ninh',
  purpose: 'Thử truy vấn mẫu trên playground (playground examples)',
} as const;

/** What the page shows about the prefilled token. */
export interface SampleToken {
  token: string;
  subject: string;
  clientId: string;
  scopes: string[];
  jurisdiction: string;
  jurisdictionName: string;
  purpose: string;
  expiresAt: string;
}

/** One working day, and never longer than the gateway accepts (`JWT_MAX_TOKEN_AGE_S`). */
const TTL_SECONDS = 8 * 3600;
/** A token with less life left than this (or a quarter of a shorter one) is replaced, so a page never opens with one about to expire. */
const RENEW_BEFORE_MS = 3600_000;

/**
 * The sample officer's token source, or null when none may be prefilled: in production, or when
 * the gateway trusts another issuer than the local development one (its token would be refused).
 */
export function sampleOfficerTokens(
  config: Pick<GatewayConfig, 'production' | 'devDir' | 'jwksFile' | 'jwtIssuer' | 'jwtAudience'> & Partial<Pick<GatewayConfig, 'jwtMaxTokenAgeS'>>,
  now: () => number = Date.now,
): (() => Promise<SampleToken>) | null {
  if (config.production || config.jwksFile !== devKeyPaths(config.devDir).issuerJwks) return null;
  const ttlSeconds = Math.min(TTL_SECONDS, config.jwtMaxTokenAgeS ?? TTL_SECONDS);
  const renewBeforeMs = Math.min(RENEW_BEFORE_MS, (ttlSeconds * 1000) / 4);
  let current: Promise<SampleToken> | null = null;
  let expiresAtMs = 0;
  const mint = async (): Promise<SampleToken> => {
    expiresAtMs = now() + ttlSeconds * 1000;
    const token = await mintDevToken(
      { scope: SAMPLE_OFFICER.scope, jurisdiction: SAMPLE_OFFICER.jurisdiction, purpose: SAMPLE_OFFICER.purpose, sub: SAMPLE_OFFICER.sub, client: SAMPLE_OFFICER.client, ttlSeconds },
      { DEV_DIR: config.devDir, JWT_ISSUER: config.jwtIssuer, JWT_AUDIENCE: config.jwtAudience },
    );
    return {
      token,
      subject: SAMPLE_OFFICER.sub,
      clientId: SAMPLE_OFFICER.client,
      scopes: SAMPLE_OFFICER.scope.split(' '),
      jurisdiction: SAMPLE_OFFICER.jurisdiction,
      jurisdictionName: SAMPLE_OFFICER.jurisdictionName,
      purpose: SAMPLE_OFFICER.purpose,
      expiresAt: new Date(expiresAtMs).toISOString(),
    };
  };
  // One token for many page loads: the page keeps the user's tabs for as long as the token lives.
  return () => {
    if (!current || expiresAtMs - now() < renewBeforeMs) {
      current = mint().catch((error: unknown) => {
        current = null;
        throw error;
      });
    }
    return current;
  };
}
