/**
 * Authentication at the HTTP edge, before any GraphQL work: a request either carries a token
 * that verifies, or is answered 401 with the reason (or, where ALLOW_ANONYMOUS is on and it
 * carries no token at all, proceeds as the anonymous principal, who can read only fields with no
 * access requirement).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson } from '../../lib/graphql-http';
import { ANONYMOUS, Principal } from '../../lib/principal';
import { GATEWAY_INTERNAL_SCOPE } from '../../lib/schema-directives';
import { AuthenticationError, TokenVerifier } from './token-verifier';

export interface Authenticator {
  /** The caller's principal, or null after answering the request itself (400/401/503). */
  authenticate(req: IncomingMessage, res: ServerResponse): Promise<Principal | null>;
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
    async authenticate(req, res) {
      const headers = authorizationHeaderCount(req);
      if (headers > 1) {
        sendJson(res, 400, {
          errors: [{ message: `The request carries ${headers} Authorization headers; send exactly one`, extensions: { code: 'BAD_REQUEST' } }],
        });
        return null;
      }
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
        const status = (error as { status?: number }).status === 503 ? 503 : 401;
        const message = error instanceof Error ? error.message : 'The token could not be verified';
        sendJson(
          res,
          status,
          { errors: [{ message, extensions: { code: status === 401 ? 'UNAUTHENTICATED' : 'SERVICE_UNAVAILABLE' } }] },
          status === 401 ? { 'www-authenticate': `Bearer error="invalid_token", error_description="${headerSafe(message)}"` } : {},
        );
        return null;
      }
    },
  };
}
