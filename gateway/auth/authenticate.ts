/**
 * Authentication at the HTTP edge, before any GraphQL work: a request either carries a token
 * that verifies, or is answered 401 with the reason (or, where ALLOW_ANONYMOUS is on and it
 * carries no token at all, proceeds as the anonymous principal, who can read only fields with no
 * access requirement).
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from '../../lib/graphql-http';
import { ANONYMOUS, Principal } from '../../lib/principal';
import { GATEWAY_INTERNAL_SCOPE } from '../../lib/schema-directives';
import { AuthenticationError, TokenVerifier } from './token-verifier';

export interface Authenticator {
  /** The caller's principal; refused with an HttpError (400, 401 with its reason, 503). */
  authenticate(req: IncomingMessage): Promise<Principal>;
}

/**
 * The reason as a quoted-string header value: a reason may quote the token (its alg), and a
 * control or non-Latin character there would make Node refuse the whole response.
 */
function headerSafe(message: string): string {
  return message.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?');
}

/**
 * How many `Authorization` headers the request carries. Node keeps only the first in
 * `req.headers`, so a second one (a proxy adding its own, a smuggled one) would go unseen.
 */
export function authorizationHeaderCount(req: Pick<IncomingMessage, 'rawHeaders'>): number {
  const raw = req.rawHeaders ?? [];
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) if (raw[i].toLowerCase() === 'authorization') count++;
  return count;
}

export function createAuthenticator(verifier: TokenVerifier, options: { allowAnonymous: boolean }): Authenticator {
  return {
    async authenticate(req) {
      const headers = authorizationHeaderCount(req);
      if (headers > 1) throw new HttpError(400, 'BAD_REQUEST', `The request carries ${headers} Authorization headers; send exactly one`);
      const header = req.headers.authorization;
      try {
        const principal = await verifier.verify(header);
        if (principal) {
          // A scope the gateway reserves for itself is never taken from a token.
          if (!principal.scopes.has(GATEWAY_INTERNAL_SCOPE)) return principal;
          return { ...principal, scopes: new Set([...principal.scopes].filter((s) => s !== GATEWAY_INTERNAL_SCOPE)) };
        }
        if (options.allowAnonymous) return ANONYMOUS;
        throw new AuthenticationError('An access token is required: send "Authorization: Bearer <token>"');
      } catch (error) {
        const message = error instanceof Error ? error.message : 'The token could not be verified';
        if ((error as { status?: number }).status === 503) throw new HttpError(503, 'SERVICE_UNAVAILABLE', message);
        throw new HttpError(401, 'UNAUTHENTICATED', message, { 'www-authenticate': `Bearer error="invalid_token", error_description="${headerSafe(message)}"` });
      }
    },
  };
}
