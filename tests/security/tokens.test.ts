/**
 * The attack suite's token corpus, thrown at the running gateway (mocks, subgraphs and gateway on
 * free ports): every forged, stale, over-long or malformed credential is refused with its status
 * and code and not one field of data; the legitimate variants are served. Each case stands alone:
 * no case depends on another's outcome or on the order they run in, and none on timing (lifetimes
 * are hours or years away from any boundary the clock could cross during the run, save the exact
 * maximum, which is measured from the token's own iat).
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { base64url, CompactSign, importJWK, JWK, JWTPayload, SignJWT } from 'jose';
import { MAX_TOKEN_BYTES } from '../../gateway/auth/token-verifier';
import { DEFAULT_MAX_TOKEN_AGE_S } from '../../lib/config';
import { devKeyPaths, generateSigningKeyPair } from '../../lib/keys';
import { rawRequest } from '../support/raw-http';
import { Stack, startStack } from '../../stack/stack';

const TEN_YEARS = 10 * 365 * 86_400;
const QUERY = 'query($id: ID!) { citizen(personalId: $id) { personalId fullName } }';

let stack: Stack;
let personalId: string;
let issuerKey: { jwk: JWK; key: Awaited<ReturnType<typeof importJWK>> };

interface Forge {
  claims?: Record<string, unknown>;
  /** Times in seconds from now; null leaves the claim out. */
  iat?: number | null;
  exp?: number | null;
  nbf?: number;
  iss?: string;
  aud?: string;
  header?: Record<string, unknown>;
}

/** A token signed by the stack's own issuer key, claims as asked: what only the issuer could mint. */
async function forge(options: Forge = {}, signer = issuerKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: JWTPayload = {
    sub: 'attacker-or-officer',
    client_id: 'security-suite',
    scope: 'population:read purpose:free-text', // the purpose below counts only with its scope
    jurisdiction: '*',
    purpose: 'SECURITY-SUITE HS-0001',
    iss: options.iss ?? stack.gatewayConfig.jwtIssuer,
    aud: options.aud ?? stack.gatewayConfig.jwtAudience,
    ...options.claims,
  };
  if (options.iat !== null) payload.iat = now + (options.iat ?? 0);
  if (options.exp !== null) payload.exp = now + (options.exp ?? 600);
  if (options.nbf !== undefined) payload.nbf = now + options.nbf;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.jwk.alg as string, kid: signer.jwk.kid, typ: 'JWT', ...options.header })
    .sign(signer.key);
}

function encode(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

/** POSTs the citizen query with exactly these Authorization headers (name, value). */
async function ask(authorization: [string, string][]): Promise<Answer> {
  const answer = await rawRequest(stack.gatewayUrl, 'POST', [['Content-Type', 'application/json'], ...authorization], JSON.stringify({ query: QUERY, variables: { id: personalId } }));
  return { status: answer.status, body: JSON.parse(answer.body) as Answer['body'] };
}

const bearer = (token: string): [string, string][] => [['Authorization', `Bearer ${token}`]];

function expectRefused(answer: Answer, status: number, code: string, message: RegExp): void {
  expect({ status: answer.status, code: answer.body.errors?.[0]?.extensions?.code }).toEqual({ status, code });
  expect(answer.body.errors).toHaveLength(1);
  expect(answer.body.errors![0].message).toMatch(message);
  expect(answer.body).not.toHaveProperty('data');
  expect(JSON.stringify(answer.body)).not.toContain(personalId);
}

function expectServed(answer: Answer): void {
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.body.data).toEqual({ citizen: { personalId, fullName: expect.any(String) } });
}

beforeAll(async () => {
  stack = await startStack();
  personalId = [...stack.mocks.world.citizens.keys()][0];
  const jwk = JSON.parse(readFileSync(devKeyPaths(stack.devDir).issuerPrivateKey, 'utf8')) as JWK;
  issuerKey = { jwk, key: await importJWK(jwk, jwk.alg) };
}, 120_000);

afterAll(() => stack?.close());

describe('tokens the gateway must refuse (401 UNAUTHENTICATED, no data)', () => {
  const cases: [string, () => Promise<[string, string][]>, RegExp][] = [
    [
      'alg "none" (unsigned)',
      async () => bearer(`${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 's', client_id: 'c', jurisdiction: '*', iss: stack.gatewayConfig.jwtIssuer, aud: stack.gatewayConfig.jwtAudience, exp: Math.floor(Date.now() / 1000) + 600 })}.`),
      /unsigned \(alg "none"\)/,
    ],
    [
      'HS256 signed with the issuer public key as the HMAC secret (algorithm confusion)',
      async () => {
        const publicPem = createPublicKey({ key: issuerKey.jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }) as string;
        const now = Math.floor(Date.now() / 1000);
        const token = await new SignJWT({ sub: 's', client_id: 'c', scope: 'population:read', jurisdiction: '*', purpose: 'P HS-1' })
          .setProtectedHeader({ alg: 'HS256', kid: issuerKey.jwk.kid, typ: 'JWT' })
          .setIssuer(stack.gatewayConfig.jwtIssuer)
          .setAudience(stack.gatewayConfig.jwtAudience)
          .setIssuedAt(now)
          .setExpirationTime(now + 600)
          .sign(new TextEncoder().encode(publicPem));
        return bearer(token);
      },
      /signed with HS256; only asymmetric algorithms are accepted/,
    ],
    ['another issuer (iss)', async () => bearer(await forge({ iss: 'urn:somebody-else' })), /issuer \(iss\) is not the one this gateway trusts/],
    ['another audience (aud)', async () => bearer(await forge({ aud: 'another-api' })), /audience \(aud\) is not this gateway/],
    ['expired an hour ago', async () => bearer(await forge({ iat: -7200, exp: -3600 })), /^The token has expired$/],
    ['not valid for an hour yet (nbf)', async () => bearer(await forge({ nbf: 3600 })), /not valid yet \(nbf is in the future\)/],
    ['issued ten years in the future (iat)', async () => bearer(await forge({ iat: TEN_YEARS, exp: TEN_YEARS + 600 })), /issued in the future \(iat is \d+ s ahead/],
    ['issued a minute in the future, beyond the 30 s skew', async () => bearer(await forge({ iat: 90, exp: 600 })), /issued in the future/],
    ['expiring in ten years (exp − iat)', async () => bearer(await forge({ exp: TEN_YEARS })), /lifetime \(exp - iat: \d+ s\) exceeds the maximum of 28800 s/],
    ['expiring in ten years, without iat', async () => bearer(await forge({ iat: null, exp: TEN_YEARS })), /no iat and expires \d+ s from now, more than the maximum lifetime of 28800 s/],
    ['a lifetime one second over the maximum', async () => bearer(await forge({ exp: DEFAULT_MAX_TOKEN_AGE_S + 1 })), /lifetime \(exp - iat: 28801 s\) exceeds the maximum/],
    ['no expiry at all', async () => bearer(await forge({ exp: null })), /no expiry \(exp\)/],
    [
      'signed by a key the gateway does not know (unknown kid)',
      async () => {
        const stranger = await generateSigningKeyPair('ES256');
        return bearer(await forge({}, { jwk: stranger.privateJwk, key: await importJWK(stranger.privateJwk, stranger.privateJwk.alg) }));
      },
      /key \(kid\) this gateway does not know/,
    ],
    [
      "a stranger's key under the issuer's kid, with the stranger's public key embedded (jwk header)",
      async () => {
        const stranger = await generateSigningKeyPair('ES256');
        const signer = { jwk: { ...stranger.privateJwk, kid: issuerKey.jwk.kid }, key: await importJWK(stranger.privateJwk, stranger.privateJwk.alg) };
        return bearer(await forge({ header: { jwk: stranger.publicJwk } }, signer));
      },
      /signature does not verify|not a valid signed JWT/,
    ],
    [
      'a genuine token whose claims were widened after signing',
      async () => {
        const [header, , signature] = (await forge({ claims: { jurisdiction: '27' } })).split('.');
        const now = Math.floor(Date.now() / 1000);
        return bearer(`${header}.${encode({ sub: 's', client_id: 'c', scope: 'population:read', jurisdiction: '*', purpose: 'P', iss: stack.gatewayConfig.jwtIssuer, aud: stack.gatewayConfig.jwtAudience, iat: now, exp: now + 600 })}.${signature}`);
      },
      /signature does not verify/,
    ],
    [
      'an unknown critical header (crit), signed by the issuer',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        const claims = { sub: 's', client_id: 'c', jurisdiction: '*', iss: stack.gatewayConfig.jwtIssuer, aud: stack.gatewayConfig.jwtAudience, iat: now, exp: now + 600 };
        const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
          .setProtectedHeader({ alg: issuerKey.jwk.alg as string, kid: issuerKey.jwk.kid, crit: ['x-unknown'], 'x-unknown': 1 })
          .sign(issuerKey.key, { crit: { 'x-unknown': true } });
        return bearer(token);
      },
      /^The token is not a valid signed JWT$/,
    ],
    ['garbage', async () => bearer('garbage'), /not a well-formed JWT/],
    ['three dots of garbage', async () => bearer('a.b.c'), /not a well-formed JWT/],
    ['an empty bearer', async () => [['Authorization', 'Bearer ']], /must be "Bearer <token>"/],
    ['another scheme (Basic)', async () => [['Authorization', `Basic ${Buffer.from('officer:password').toString('base64')}`]], /must be "Bearer <token>"/],
    ['a token without its scheme', async () => [['Authorization', await forge()]], /must be "Bearer <token>"/],
    ['a token followed by something else', async () => [['Authorization', `Bearer ${await forge()} extra`]], /must be "Bearer <token>"/],
    ['oversized (over 8 KB)', async () => bearer(await forge({ claims: { padding: 'x'.repeat(MAX_TOKEN_BYTES) } })), /larger than 8192 bytes/],
    ['no token at all', async () => [], /An access token is required/],
  ];

  it.each(cases)('%s', async (_name, headers, message) => {
    expectRefused(await ask(await headers()), 401, 'UNAUTHENTICATED', message);
  });
});

describe('more than one Authorization header (400 BAD_REQUEST, no data)', () => {
  const cases: [string, () => Promise<[string, string][]>][] = [
    ['two valid tokens', async () => [...bearer(await forge()), ...bearer(await forge())]],
    ['a valid token, then garbage', async () => [...bearer(await forge()), ['Authorization', 'Bearer garbage']]],
    ['garbage, then a valid token (the first does not win)', async () => [['Authorization', 'Bearer garbage'], ...bearer(await forge())]],
    ['the same token twice, the name spelled differently', async () => {
      const token = await forge();
      return [['Authorization', `Bearer ${token}`], ['authorization', `Bearer ${token}`]];
    }],
    ['three headers', async () => [...bearer(await forge()), ...bearer(await forge()), ['AUTHORIZATION', 'Bearer x']]],
  ];

  it.each(cases)('%s', async (_name, headers) => {
    expectRefused(await ask(await headers()), 400, 'BAD_REQUEST', /^The request carries \d Authorization headers; send exactly one$/);
  });
});

describe('legitimate variants (served)', () => {
  it('a token of the stack’s own issuer', async () => {
    expectServed(await ask(bearer(await stack.token())));
  });

  it('the scheme in lower or upper case (RFC 7235: case-insensitive)', async () => {
    const token = await forge();
    expectServed(await ask([['Authorization', `bearer ${token}`]]));
    expectServed(await ask([['authorization', `BEARER ${token}`]]));
  });

  it('a lifetime of exactly the maximum (8 h)', async () => {
    expectServed(await ask(bearer(await forge({ exp: DEFAULT_MAX_TOKEN_AGE_S }))));
  });

  it('iat a few seconds ahead, within the 30 s clock skew', async () => {
    expectServed(await ask(bearer(await forge({ iat: 10, exp: 600 }))));
  });

  it('no iat, expiring within the maximum', async () => {
    expectServed(await ask(bearer(await forge({ iat: null, exp: 3600 }))));
  });

  it('issued long ago, still inside its lifetime', async () => {
    expectServed(await ask(bearer(await forge({ iat: -7 * 3600, exp: 3600 }))));
  });
});
