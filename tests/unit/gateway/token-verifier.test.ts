import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base64url, importJWK, JWK, JWTPayload, SignJWT } from 'jose';
import { authorizationHeaderCount, createAuthenticator } from '../../../gateway/auth/authenticate';
import { rawRequest } from '../../support/raw-http';
import { AuthenticationError, checkTokenLifetime, createTokenVerifier, KeySetUnavailableError, MAX_TOKEN_BYTES, TokenVerifier } from '../../../gateway/auth/token-verifier';
import { HttpError, sendGraphQLError, sendJson } from '../../../lib/graphql-http';
import { generateSigningKeyPair, KeyPairJwks } from '../../../lib/keys';
import { ANONYMOUS, Principal } from '../../../lib/principal';

const ISSUER = 'urn:test:issuer';
const AUDIENCE = 'vn-commune-gateway';
const CLAIMS = {
  sub: 'officer-7',
  client_id: 'tthc-system',
  scope: 'population:read civil-status:read purpose:free-text',
  jurisdiction: '24 07210',
  purpose: '1.001234 HS-2026-000123',
  location_independent: true,
};

type Claims = Record<string, unknown>;

interface MintOptions {
  /** Seconds from now; null leaves exp out. */
  expiresIn?: number | null;
  notBefore?: number;
  issuer?: string;
  audience?: string;
  kid?: string;
  /** Seconds from now; null leaves iat out. */
  issuedAt?: number | null;
}

async function mint(key: KeyPairJwks, claims: Claims = CLAIMS, options: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const { privateJwk } = key;
  const jwt = new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: privateJwk.alg as string, kid: options.kid ?? privateJwk.kid, typ: 'JWT' })
    .setIssuer(options.issuer ?? ISSUER)
    .setAudience(options.audience ?? AUDIENCE);
  if (options.issuedAt !== null) jwt.setIssuedAt(now + (options.issuedAt ?? 0));
  if (options.expiresIn !== null) jwt.setExpirationTime(now + (options.expiresIn ?? 3600));
  if (options.notBefore !== undefined) jwt.setNotBefore(now + options.notBefore);
  return jwt.sign(await importJWK(privateJwk, privateJwk.alg));
}

function encodeJson(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

function jwks(...keys: KeyPairJwks[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) };
}

/** Serves a JWKS that the test can switch, counting fetches. */
async function startJwksServer(initial: { keys: JWK[] }) {
  let current: unknown = initial;
  let status = 200;
  let fetches = 0;
  const server = createServer((_req, res) => {
    fetches++;
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(current));
  });
  await listen(server);
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`,
    serve(body: unknown, httpStatus = 200) {
      current = body;
      status = httpStatus;
    },
    get fetches() {
      return fetches;
    },
    close: () => close(server),
  };
}

function listen(server: Server): Promise<void> {
  return new Promise((done) => server.listen(0, '127.0.0.1', done));
}

function close(server: Server): Promise<void> {
  return new Promise((done) => server.close(() => done()));
}

/** Asserts a plain-words refusal: the right class and status, no stack trace in the message. */
async function expectRefusal(attempt: Promise<unknown>, message: RegExp, type: typeof AuthenticationError | typeof KeySetUnavailableError = AuthenticationError) {
  const error = await attempt.then(
    () => {
      throw new Error('expected the token to be refused');
    },
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(type);
  expect((error as AuthenticationError).status).toBe(type === AuthenticationError ? 401 : 503);
  expect(error.message).toMatch(message);
  expect(error.message).not.toMatch(/\n|\bat .*:\d+|Error:/);
}

let dir: string;
let keyA: KeyPairJwks;
let keyB: KeyPairJwks;
let jwksFile: string;
let verifier: TokenVerifier;

beforeAll(async () => {
  [keyA, keyB] = await Promise.all([generateSigningKeyPair('ES256'), generateSigningKeyPair('EdDSA')]);
  dir = mkdtempSync(join(tmpdir(), 'token-verifier-'));
  jwksFile = join(dir, 'jwks.json');
  writeFileSync(jwksFile, JSON.stringify(jwks(keyA)));
  verifier = createTokenVerifier({ jwksFile, issuer: ISSUER, audience: AUDIENCE });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

afterEach(() => jest.restoreAllMocks());

describe('token verifier: refusals', () => {
  it('returns null when there is no Authorization header at all', async () => {
    await expect(verifier.verify(undefined)).resolves.toBeNull();
  });

  it('refuses a header that is not "Bearer <token>"', async () => {
    const token = await mint(keyA);
    for (const header of [`Basic ${token}`, token, 'Bearer', 'Bearer ', `Bearer ${token} extra`]) {
      await expectRefusal(verifier.verify(header), /^The Authorization header must be "Bearer <token>"$/);
    }
  });

  it('refuses a token that is not a JWT', async () => {
    for (const garbage of ['garbage', 'a.b.c', `${encodeJson({ alg: 'ES256' }).slice(1)}.e30.sig`]) {
      await expectRefusal(verifier.verify(`Bearer ${garbage}`), /^The token is not a well-formed JWT$/);
    }
  });

  it('refuses an unsigned token (alg "none")', async () => {
    const now = Math.floor(Date.now() / 1000);
    const unsigned = `${encodeJson({ alg: 'none', typ: 'JWT' })}.${encodeJson({ ...CLAIMS, iss: ISSUER, aud: AUDIENCE, exp: now + 600 })}.`;
    await expectRefusal(verifier.verify(`Bearer ${unsigned}`), /^The token is unsigned \(alg "none"\); signed tokens only$/);
  });

  it('refuses a shared-secret (HS256) token', async () => {
    const hs256 = await new SignJWT(CLAIMS)
      .setProtectedHeader({ alg: 'HS256', kid: keyA.publicJwk.kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('a-shared-secret-anyone-could-know'));
    await expectRefusal(verifier.verify(`Bearer ${hs256}`), /^The token is signed with HS256; only asymmetric algorithms are accepted/);
  });

  it('refuses a token signed by a key it does not know (unknown kid)', async () => {
    const stranger = await generateSigningKeyPair('ES256');
    await expectRefusal(verifier.verify(`Bearer ${await mint(stranger)}`), /^The token was signed with a key \(kid\) this gateway does not know$/);
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await mint(keyA)).split('.');
    const now = Math.floor(Date.now() / 1000);
    const widened = encodeJson({ ...CLAIMS, jurisdiction: '*', iss: ISSUER, aud: AUDIENCE, exp: now + 3600 });
    await expectRefusal(verifier.verify(`Bearer ${header}.${widened}.${signature}`), /^The token's signature does not verify$/);
  });

  it('refuses a token larger than 8192 bytes before looking at it', async () => {
    const big = await mint(keyA, { ...CLAIMS, padding: 'x'.repeat(MAX_TOKEN_BYTES) });
    expect(MAX_TOKEN_BYTES).toBe(8192);
    await expectRefusal(verifier.verify(`Bearer ${big}`), /^The token is larger than 8192 bytes$/);
  });

  it('refuses an expired token, allowing 30 s of clock skew', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: -45 })}`), /^The token has expired$/);
    await expect(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: -15 })}`)).resolves.toMatchObject({ subject: 'officer-7' });
  });

  it('refuses a token that is not valid yet (nbf in the future)', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { notBefore: 300 })}`), /^The token is not valid yet \(nbf is in the future\)$/);
  });

  it('refuses a token from another issuer or for another audience', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuer: 'urn:other' })}`), /^The token's issuer \(iss\) is not the one this gateway trusts$/);
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { audience: 'other-api' })}`), /^The token's audience \(aud\) is not this gateway$/);
  });

  it('refuses a token that never expires (no exp)', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: null })}`), /^The token has no expiry \(exp\); tokens must expire$/);
  });

  it('refuses tokens whose product claims are invalid, saying which', async () => {
    const cases: [Claims, RegExp][] = [
      [{ ...CLAIMS, jurisdiction: '24 7210' }, /^The token's claims are invalid: the jurisdiction claim holds "7210", which is not \*/],
      [{ ...CLAIMS, jurisdiction: undefined }, /^The token's claims are invalid: the jurisdiction claim must be a string or an array/],
      [{ ...CLAIMS, client_id: undefined }, /^The token's claims are invalid: the token has no client_id$/],
      [{ ...CLAIMS, sub: undefined }, /^The token's claims are invalid: the token has no subject \(sub\)$/],
      [{ ...CLAIMS, scope: ['population:read'] }, /^The token's claims are invalid: the scope claim must be a space-separated string$/],
      [{ ...CLAIMS, location_independent: 'yes' }, /^The token's claims are invalid: the location_independent claim must be true or false$/],
      // Filtered, cached and logged as a caller without a token otherwise.
      [{ ...CLAIMS, sub: 'anonymous' }, /^The token's claims are invalid: sub "anonymous" is reserved for callers without a token$/],
    ];
    for (const [claims, message] of cases) await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, claims)}`), message);
  });
});

describe('token verifier: lifetime (JWT_MAX_TOKEN_AGE_S, default 8 h)', () => {
  it('refuses a token living longer than the maximum, and accepts one of exactly the maximum', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: 8 * 3600 + 1 })}`), /^The token's lifetime \(exp - iat: 28801 s\) exceeds the maximum of 28800 s/);
    await expect(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: 8 * 3600 })}`)).resolves.toMatchObject({ subject: 'officer-7' });
  });

  it('refuses a token without iat that expires further ahead than the maximum', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuedAt: null, expiresIn: 10 * 365 * 86_400 })}`), /^The token has no iat and expires \d+ s from now, more than the maximum lifetime of 28800 s$/);
    await expect(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuedAt: null, expiresIn: 3600 })}`)).resolves.toMatchObject({ subject: 'officer-7' });
  });

  it('refuses a token issued in the future beyond the 30 s skew, and accepts one within it', async () => {
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuedAt: 10 * 365 * 86_400, expiresIn: 10 * 365 * 86_400 + 60 })}`), /^The token was issued in the future \(iat is \d+ s ahead of the gateway's clock; 30 s of skew allowed\)$/);
    await expectRefusal(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuedAt: 120 })}`), /issued in the future/);
    await expect(verifier.verify(`Bearer ${await mint(keyA, CLAIMS, { issuedAt: 10 })}`)).resolves.toMatchObject({ subject: 'officer-7' });
  });

  it('takes another maximum from its options', async () => {
    const hourly = createTokenVerifier({ jwksFile, issuer: ISSUER, audience: AUDIENCE, maxTokenAgeSeconds: 3600 });
    await expectRefusal(hourly.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: 7200 })}`), /exceeds the maximum of 3600 s/);
    await expect(hourly.verify(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: 3600 })}`)).resolves.toMatchObject({ subject: 'officer-7' });
  });

  it('checkTokenLifetime decides from the claims and a given clock alone', () => {
    const now = 1_800_000_000;
    expect(() => checkTokenLifetime({ iat: now, exp: now + 100 }, now, 100, 30)).not.toThrow();
    expect(() => checkTokenLifetime({ iat: now, exp: now + 101 }, now, 100, 30)).toThrow(/lifetime/);
    expect(() => checkTokenLifetime({ iat: now + 30, exp: now + 60 }, now, 100, 30)).not.toThrow();
    expect(() => checkTokenLifetime({ iat: now + 31, exp: now + 60 }, now, 100, 30)).toThrow(/issued in the future/);
    expect(() => checkTokenLifetime({ exp: now + 130 }, now, 100, 30)).not.toThrow();
    expect(() => checkTokenLifetime({ exp: now + 131 }, now, 100, 30)).toThrow(/no iat/);
  });
});

describe('token verifier: accepted tokens', () => {
  it('turns a valid token into a principal', async () => {
    const principal = await verifier.verify(`Bearer ${await mint(keyA)}`);
    expect(principal).toEqual<Principal>({
      subject: 'officer-7',
      clientId: 'tthc-system',
      scopes: new Set(['population:read', 'civil-status:read', 'purpose:free-text']),
      jurisdiction: { national: false, provinces: new Set(['24']), communes: new Set(['07210']) },
      purpose: '1.001234 HS-2026-000123',
      purposeBasis: 'free-text',
      locationIndependent: true,
    });
  });

  it('accepts the scheme in any case, and a national jurisdiction without purpose', async () => {
    const token = await mint(keyA, { sub: 's', client_id: 'c', jurisdiction: '*' });
    await expect(verifier.verify(`bearer ${token}`)).resolves.toEqual<Principal>({
      subject: 's',
      clientId: 'c',
      scopes: new Set(),
      jurisdiction: { national: true, provinces: new Set(), communes: new Set() },
      purpose: null,
      locationIndependent: false,
    });
  });
});

describe('token verifier: key sets', () => {
  it('accepts a rotated key from a JWKS file that was rewritten, without a new verifier', async () => {
    const path = join(dir, 'rotating-jwks.json');
    writeFileSync(path, JSON.stringify(jwks(keyA)));
    const fileVerifier = createTokenVerifier({ jwksFile: path, issuer: ISSUER, audience: AUDIENCE });
    await expect(fileVerifier.verify(`Bearer ${await mint(keyA)}`)).resolves.toMatchObject({ subject: 'officer-7' });
    const tokenB = `Bearer ${await mint(keyB)}`;
    await expectRefusal(fileVerifier.verify(tokenB), /does not know/);

    writeFileSync(path, JSON.stringify(jwks(keyB)));
    await expect(fileVerifier.verify(tokenB)).resolves.toMatchObject({ subject: 'officer-7' });
    await expectRefusal(fileVerifier.verify(`Bearer ${await mint(keyA)}`), /does not know/); // A was retired
  });

  it('refuses a token it verified before once its key is retired, and once the token expires', async () => {
    const path = join(dir, 'remembered-jwks.json');
    writeFileSync(path, JSON.stringify(jwks(keyA)));
    const fileVerifier = createTokenVerifier({ jwksFile: path, issuer: ISSUER, audience: AUDIENCE });
    const tokenA = `Bearer ${await mint(keyA, CLAIMS, { expiresIn: 600 })}`;
    await expect(fileVerifier.verify(tokenA)).resolves.toMatchObject({ subject: 'officer-7' });
    await expect(fileVerifier.verify(tokenA)).resolves.toMatchObject({ subject: 'officer-7', clientId: 'tthc-system' });

    // The issuer rotates to B; a token of B makes the gateway read the key set again.
    writeFileSync(path, JSON.stringify(jwks(keyB)));
    await expect(fileVerifier.verify(`Bearer ${await mint(keyB)}`)).resolves.toMatchObject({ subject: 'officer-7' });
    await expectRefusal(fileVerifier.verify(tokenA), /does not know/);

    // A remembered token of B, past its expiry (and the clock tolerance), is refused as expired.
    const tokenB = `Bearer ${await mint(keyB, CLAIMS, { expiresIn: 60 })}`;
    await expect(fileVerifier.verify(tokenB)).resolves.toMatchObject({ subject: 'officer-7' });
    // Only the clock moves (jose reads it through `new Date()`); timers stay real.
    jest.useFakeTimers({ now: Date.now() + 120_000, doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      await expectRefusal(fileVerifier.verify(tokenB), /^The token has expired$/);
    } finally {
      jest.useRealTimers();
    }
  });

  it('says the keys are unavailable (503) when the JWKS file becomes unreadable', async () => {
    const path = join(dir, 'breaking-jwks.json');
    writeFileSync(path, JSON.stringify(jwks(keyA)));
    const fileVerifier = createTokenVerifier({ jwksFile: path, issuer: ISSUER, audience: AUDIENCE });
    writeFileSync(path, '{"keys": [');
    await expectRefusal(fileVerifier.verify(`Bearer ${await mint(keyB)}`), /^The key set file .* cannot be read$/, KeySetUnavailableError);
  });

  it('fetches a rotated key from a JWKS URL on an unknown kid, after the 30 s cooldown', async () => {
    const issuer = await startJwksServer(jwks(keyA));
    try {
      const urlVerifier = createTokenVerifier({ jwksUrl: issuer.url, issuer: ISSUER, audience: AUDIENCE });
      const tokenA = `Bearer ${await mint(keyA)}`;
      const tokenB = `Bearer ${await mint(keyB)}`;
      await expect(urlVerifier.verify(tokenA)).resolves.toMatchObject({ subject: 'officer-7' });
      expect(issuer.fetches).toBe(1);

      // The issuer publishes B. Within the cooldown an unknown kid does not make the gateway refetch.
      issuer.serve(jwks(keyA, keyB));
      await expectRefusal(urlVerifier.verify(tokenB), /does not know/);
      expect(issuer.fetches).toBe(1);

      // 31 s later, the same verifier refetches on B's unknown kid and accepts it.
      const start = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => start + 31_000);
      await expect(urlVerifier.verify(tokenB)).resolves.toMatchObject({ subject: 'officer-7' });
      expect(issuer.fetches).toBe(2);
      await expect(urlVerifier.verify(tokenA)).resolves.toMatchObject({ subject: 'officer-7' });
      expect(issuer.fetches).toBe(2);
    } finally {
      await issuer.close();
    }
  });

  it('accepts a rotated key on first use of a fresh verifier, and refuses a kid the JWKS lacks after refetching', async () => {
    const issuer = await startJwksServer(jwks(keyA));
    try {
      const urlVerifier = createTokenVerifier({ jwksUrl: issuer.url, issuer: ISSUER, audience: AUDIENCE });
      issuer.serve(jwks(keyA, keyB));
      await expect(urlVerifier.verify(`Bearer ${await mint(keyB)}`)).resolves.toMatchObject({ subject: 'officer-7' });

      const stranger = await generateSigningKeyPair('ES256');
      const start = Date.now();
      jest.spyOn(Date, 'now').mockImplementation(() => start + 31_000);
      await expectRefusal(urlVerifier.verify(`Bearer ${await mint(stranger)}`), /^The token was signed with a key \(kid\) this gateway does not know$/);
      expect(issuer.fetches).toBe(2); // it did look again before refusing
    } finally {
      await issuer.close();
    }
  });

  it('says the keys are unavailable (503) when the JWKS URL cannot be reached', async () => {
    const gone = createServer();
    await listen(gone);
    const url = `http://127.0.0.1:${(gone.address() as AddressInfo).port}/jwks.json`;
    await close(gone);
    const urlVerifier = createTokenVerifier({ jwksUrl: url, issuer: ISSUER, audience: AUDIENCE });
    await expectRefusal(urlVerifier.verify(`Bearer ${await mint(keyA)}`), /^The token issuer's keys cannot be fetched right now$/, KeySetUnavailableError);
  });

  it('says the keys are unavailable (503) when the JWKS URL answers with an error or not a key set', async () => {
    const issuer = await startJwksServer(jwks(keyA));
    try {
      for (const [body, status] of [[{ error: 'down' }, 502], ['<html>', 200], [{ keys: 'none' }, 200]] as const) {
        issuer.serve(body, status);
        const urlVerifier = createTokenVerifier({ jwksUrl: issuer.url, issuer: ISSUER, audience: AUDIENCE });
        await expectRefusal(urlVerifier.verify(`Bearer ${await mint(keyA)}`), /^The token issuer's keys cannot be fetched right now$/, KeySetUnavailableError);
      }
    } finally {
      await issuer.close();
    }
  });
});

describe('createAuthenticator', () => {
  let server: Server;
  let base: string;
  let allowAnonymous = false;

  beforeAll(async () => {
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      createAuthenticator(verifier, { allowAnonymous })
        .authenticate(req)
        .then((principal) => sendJson(res, 200, { subject: principal.subject, scopes: [...principal.scopes], anonymous: principal === ANONYMOUS }))
        .catch((error) => (error instanceof HttpError ? sendGraphQLError(res, error) : sendJson(res, 500, { errors: [{ message: 'authenticate threw' }] })));
    });
    await listen(server);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  });

  afterAll(() => close(server));

  async function call(authorization?: string) {
    const response = await fetch(base, { headers: authorization === undefined ? {} : { authorization } });
    return { status: response.status, wwwAuthenticate: response.headers.get('www-authenticate'), body: (await response.json()) as Record<string, unknown> };
  }

  function expectUnauthenticated(result: Awaited<ReturnType<typeof call>>, message: RegExp) {
    expect(result.status).toBe(401);
    expect(result.wwwAuthenticate).toMatch(/^Bearer error="invalid_token", error_description="[^"]*"$/);
    expect(result.body).toEqual({ errors: [{ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(JSON.stringify(result.body)).not.toMatch(/stack|\\n\s+at /);
  }

  it('answers 401 with the reason when the token is refused', async () => {
    allowAnonymous = false;
    const result = await call(`Bearer ${await mint(keyA, CLAIMS, { expiresIn: -120 })}`);
    expectUnauthenticated(result, /^The token has expired$/);
    expect(result.wwwAuthenticate).toBe('Bearer error="invalid_token", error_description="The token has expired"');
  });

  it('answers 401 when there is no token and anonymous callers are not allowed', async () => {
    allowAnonymous = false;
    const result = await call();
    expectUnauthenticated(result, /^An access token is required: send "Authorization: Bearer <token>"$/);
    // Quotes in the reason do not end the header's quoted string.
    expect(result.wwwAuthenticate).toBe(`Bearer error="invalid_token", error_description="An access token is required: send 'Authorization: Bearer <token>'"`);
  });

  it('answers 401, not a server error, when the refusal quotes odd characters from the token', async () => {
    allowAnonymous = false;
    for (const alg of ['x\ny', 'Hà Nội', 'a"b\\c']) {
      const token = `${encodeJson({ alg, typ: 'JWT' })}.${encodeJson(CLAIMS)}.c2ln`;
      expectUnauthenticated(await call(`Bearer ${token}`), /^The token is signed with .*; only asymmetric algorithms are accepted/s);
    }
  });

  it('lets a caller without a token in as the anonymous principal where allowed', async () => {
    allowAnonymous = true;
    await expect(call()).resolves.toEqual({ status: 200, wwwAuthenticate: null, body: { subject: 'anonymous', scopes: [], anonymous: true } });
    // A bad token is still refused: anonymous access is for callers with no token at all.
    allowAnonymous = true;
    expectUnauthenticated(await call('Bearer nonsense'), /^The token is not a well-formed JWT$/);
  });

  it('strips the gateway-internal scope from a token that claims it', async () => {
    allowAnonymous = false;
    const result = await call(`Bearer ${await mint(keyA, { ...CLAIMS, scope: 'population:read gateway:internal audit:read' })}`);
    expect(result).toEqual({ status: 200, wwwAuthenticate: null, body: { subject: 'officer-7', scopes: ['population:read', 'audit:read'], anonymous: false } });
  });

  it('answers 400 BAD_REQUEST to more than one Authorization header, whatever their spelling, without verifying either', async () => {
    allowAnonymous = false;
    const good = `Bearer ${await mint(keyA)}`;
    for (const headers of [
      [['Authorization', good], ['Authorization', good]],
      [['Authorization', 'Bearer garbage'], ['authorization', good]],
      [['authorization', good], ['AUTHORIZATION', 'Bearer x'], ['Authorization', good]],
    ] as [string, string][][]) {
      const answer = await rawRequest(base, 'GET', headers);
      expect(answer.status).toBe(400);
      expect(JSON.parse(answer.body)).toEqual({
        errors: [{ message: `The request carries ${headers.length} Authorization headers; send exactly one`, extensions: { code: 'BAD_REQUEST' } }],
      });
    }
    expect((await rawRequest(base, 'GET', [['authorization', good]])).status).toBe(200);
  });

  it('counts Authorization headers from the raw headers (Node keeps only the first in req.headers)', () => {
    expect(authorizationHeaderCount({ rawHeaders: ['Host', 'x', 'Authorization', 'a', 'authorization', 'b'] })).toBe(2);
    expect(authorizationHeaderCount({ rawHeaders: ['Host', 'x', 'X-Authorization', 'a'] })).toBe(0);
    expect(authorizationHeaderCount({} as never)).toBe(0);
  });

  it('answers 503 without www-authenticate when the issuer keys are unavailable', async () => {
    const res = { writeHead: jest.fn(), end: jest.fn() };
    const unavailable: TokenVerifier = { verify: () => Promise.reject(new KeySetUnavailableError("The token issuer's keys cannot be fetched right now")) };
    const req = { headers: { authorization: 'Bearer x' } } as IncomingMessage;
    const refusal = await createAuthenticator(unavailable, { allowAnonymous: false }).authenticate(req).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HttpError);
    sendGraphQLError(res as unknown as ServerResponse, refusal as HttpError);
    expect(res.writeHead).toHaveBeenCalledWith(503, expect.not.objectContaining({ 'www-authenticate': expect.anything() }));
    expect(JSON.parse(res.end.mock.calls[0][0] as string)).toEqual({
      errors: [{ message: "The token issuer's keys cannot be fetched right now", extensions: { code: 'SERVICE_UNAVAILABLE' } }],
    });
  });
});
