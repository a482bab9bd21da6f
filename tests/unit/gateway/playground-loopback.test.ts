/**
 * The development token goes only to a visitor on this machine (the socket's peer address, never
 * X-Forwarded-For); development listens on loopback by default; development tokens stay within
 * the gateway's maximum lifetime.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { createPlaygroundRoute, isLoopbackClient, isLoopbackHost, PlaygroundOptions } from '../../../gateway/playground';
import type { SampleToken } from '../../../gateway/playground/sample-officer';
import { sampleOfficerTokens } from '../../../gateway/playground/sample-officer';
import { DEFAULT_MAX_TOKEN_AGE_S, loadGatewayConfig } from '../../../lib/config';
import { ensureDevKeys } from '../../../lib/keys';
import { parseTtl } from '../../../lib/dev-tokens';

const SAMPLE: SampleToken = {
  token: 'header.payload.signature-of-the-sample-officer',
  subject: 'can-bo',
  clientId: 'tthc',
  scopes: ['population:read'],
  jurisdiction: '24',
  jurisdictionName: 'Bắc Ninh',
  purpose: 'P',
  expiresAt: '2030-01-01T00:00:00.000Z',
};
const OPTIONS: PlaygroundOptions = { endpoint: '/graphql', introspection: true, sampleToken: () => Promise.resolve(SAMPLE) };

/** The page the route answers a GET /playground from `remoteAddress` with these headers. */
function pageFor(remoteAddress: string | undefined, headers: Record<string, string> = {}): Promise<string> {
  const route = createPlaygroundRoute(OPTIONS);
  return new Promise((resolve) => {
    const req = { method: 'GET', url: '/playground', headers: { accept: 'text/html', host: 'localhost:4000', ...headers }, socket: { remoteAddress } } as unknown as IncomingMessage;
    const res = { writeHead: () => res, end: (body: string) => resolve(body) } as unknown as ServerResponse;
    expect(route(req, res)).toBe(true);
  });
}

describe('isLoopbackClient', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.8.9.10', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['192.0.2.10', false],
    ['10.0.0.1', false],
    ['::ffff:192.0.2.10', false],
    ['fd00::2', false],
    ['1127.0.0.1', false],
    ['127.0.0.1.evil', false],
    [undefined, false],
  ])('%s → %s', (remoteAddress, loopback) => {
    expect(isLoopbackClient({ remoteAddress })).toBe(loopback);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    ['localhost:4000', true],
    ['LOCALHOST', true],
    ['127.0.0.1:4000', true],
    ['127.1.2.3', true],
    ['[::1]:4000', true],
    ['evil.example:4000', false],
    ['localhost.evil.example', false],
    ['127.0.0.1.evil.example', false],
    ['[::ffff:192.0.2.1]:4000', false],
    [undefined, false],
  ])('%s → %s', (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe('the playground page and the development token', () => {
  it('carries the token for a visitor on this machine', async () => {
    expect(await pageFor('127.0.0.1')).toContain(SAMPLE.token);
    expect(await pageFor('::1')).toContain(SAMPLE.token);
  });

  it('carries no token to a page of another site whose name was re-pointed at this machine (DNS rebinding)', async () => {
    for (const host of ['rebind.evil.example:4000', 'localhost.evil.example']) {
      const page = await pageFor('127.0.0.1', { host });
      expect(page).not.toContain(SAMPLE.token);
      expect(page).toContain('no token prefilled');
    }
  });

  it('carries no token for a visitor from another machine, even one claiming loopback in X-Forwarded-For', async () => {
    for (const headers of [{}, { 'x-forwarded-for': '127.0.0.1' }, { forwarded: 'for=127.0.0.1' }, { 'x-real-ip': '::1' }] as Record<string, string>[]) {
      const page = await pageFor('192.0.2.10', headers);
      expect(page).not.toContain(SAMPLE.token);
      expect(page).toContain('no token prefilled');
    }
  });

  // A real connection from a non-loopback address of this machine, where it has one.
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;
  (external ? it : it.skip)(`carries no token over a real connection from ${external ?? 'a non-loopback address (none here)'}`, async () => {
    const route = createPlaygroundRoute(OPTIONS);
    const server = createServer((req, res) => void route(req, res));
    await new Promise<void>((resolve) => server.listen(0, external, resolve));
    try {
      const url = `http://${external}:${(server.address() as AddressInfo).port}/playground`;
      const page = await (await fetch(url, { headers: { accept: 'text/html', 'x-forwarded-for': '127.0.0.1' } })).text();
      expect(page).not.toContain(SAMPLE.token);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('listening address', () => {
  it('is loopback in development and every interface in production, unless HOST says otherwise', () => {
    expect(loadGatewayConfig({ DEV_DIR: tmpdir() }).host).toBe('127.0.0.1');
    expect(loadGatewayConfig({ DEV_DIR: tmpdir(), HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    const production = { NODE_ENV: 'production', JWKS_FILE: '/k.json', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', FORWARDING_PRIVATE_KEY_FILE: '/f', AUDIT_FILE: '/a' };
    expect(loadGatewayConfig(production).host).toBe('0.0.0.0');
    expect(loadGatewayConfig({ ...production, HOST: '10.1.2.3' }).host).toBe('10.1.2.3');
  });
});

describe('development tokens within the maximum lifetime', () => {
  let devDir: string;
  beforeAll(async () => {
    devDir = mkdtempSync(join(tmpdir(), 'playground-lifetime-'));
    await ensureDevKeys(devDir);
  });
  afterAll(() => rmSync(devDir, { recursive: true, force: true }));

  it("the playground's 8 h token lives no longer than JWT_MAX_TOKEN_AGE_S (default or lower)", async () => {
    const lifetime = async (env: Record<string, string>) => {
      const { exp, iat } = decodeJwt((await sampleOfficerTokens(loadGatewayConfig({ DEV_DIR: devDir, ...env }))!()).token);
      return exp! - iat!;
    };
    expect(await lifetime({})).toBe(DEFAULT_MAX_TOKEN_AGE_S);
    expect(await lifetime({ JWT_MAX_TOKEN_AGE_S: '3600' })).toBe(3600);
  });

  it('npm run token accepts --ttl up to the maximum, and no further', () => {
    expect(parseTtl('8h', DEFAULT_MAX_TOKEN_AGE_S)).toBe(28_800);
    expect(parseTtl('1h', DEFAULT_MAX_TOKEN_AGE_S)).toBe(3600);
    expect(parseTtl('8h1', DEFAULT_MAX_TOKEN_AGE_S)).toBeNull();
    expect(parseTtl('28801', DEFAULT_MAX_TOKEN_AGE_S)).toBeNull();
    expect(parseTtl('1d', DEFAULT_MAX_TOKEN_AGE_S)).toBeNull();
    expect(parseTtl('2h', 3600)).toBeNull();
  });
});
