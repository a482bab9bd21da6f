/**
 * Authentication, the first thing a request meets: from its headers alone (no body read), the
 * caller becomes a verified principal or the request is refused (authenticate.ts).
 */
import type { GatewayConfig } from '../../lib/config';
import type { GatewayFeature } from '../feature';
import { createAuthenticator } from './authenticate';
import { createTokenVerifier, TokenVerifier } from './token-verifier';

export interface AuthenticationOptions {
  config: Pick<GatewayConfig, 'jwksUrl' | 'jwksFile' | 'jwtIssuer' | 'jwtAudience' | 'jwtMaxTokenAgeS' | 'allowAnonymous'>;
  /** Built from `config` when absent; tests pass their own. */
  verifier?: TokenVerifier;
}

export function authentication({ config, verifier }: AuthenticationOptions): GatewayFeature {
  const authenticator = createAuthenticator(
    verifier ??
      createTokenVerifier({
        jwksUrl: config.jwksUrl,
        jwksFile: config.jwksFile,
        issuer: config.jwtIssuer,
        audience: config.jwtAudience,
        maxTokenAgeSeconds: config.jwtMaxTokenAgeS,
      }),
    { allowAnonymous: config.allowAnonymous },
  );
  return {
    name: 'authentication',
    async onRequest(request) {
      request.principal = await authenticator.authenticate(request.req);
    },
  };
}
