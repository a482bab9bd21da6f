/**
 * The playground route on a bare HTTP server: which requests get the page, what the page carries
 * in development and in production, and how its files are served (allow-list, caching, gzip).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema, parse, validate } from 'graphql';
import { decodeJwt } from 'jose';
import { ConfigError, loadGatewayConfig } from '../../../lib/config';
import { ensureDevKeys } from '../../../lib/keys';
import { createPlaygroundRoute, PlaygroundOptions } from '../../../gateway/playground';
import { loadExamples } from '../../../gateway/playground/examples';
import { SAMPLE_OFFICER, sampleOfficerTokens } from '../../../gateway/playground/sample-officer';

const ROOT = join(__dirname, '../../..');

async function serve(options: PlaygroundOptions): Promise<{ url: string; server: Server }> {
  const route = createPlaygroundRoute(options);
  const server = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(418).end('not the playground');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

/** GET with the path sent exactly as written (fetch would resolve the dot segments first). */
function statusOfRawPath(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request(url, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    })
      .on('error', reject)
      .end();
  });
}

const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));
/** The settings the page hands to playground.js. */
const configOf = (html: string) => JSON.parse(/<script type="application\/json" id="playground-config">(.*?)<\/script>/s.exec(html)![1]);

describe('playground in development', () => {
  let devDir: string;
  let url: string;
  let server: Server;

  beforeAll(async () => {
    devDir = mkdtempSync(join(tmpdir(), 'playground-dev-'));
    await ensureDevKeys(devDir);
    const config = loadGatewayConfig({ DEV_DIR: devDir });
    ({ url, server } = await serve({ endpoint: '/graphql', introspection: config.introspection, sampleToken: sampleOfficerTokens(config) }));
  });
  afterAll(async () => {
    await close(server);
    rmSync(devDir, { recursive: true, force: true });
  });

  it('answers /playground and a browser opening /graphql with the page, and leaves GraphQL clients alone', async () => {
    for (const [path, accept] of [['/playground', '*/*'], ['/playground/', '*/*'], ['/graphql', 'text/html,application/xhtml+xml']]) {
      const response = await fetch(url + path, { headers: { accept } });
      expect([path, response.status, response.headers.get('content-type')]).toEqual([path, 200, 'text/html; charset=utf-8']);
      expect(response.headers.get('cache-control')).toBe('no-store');
      expect(response.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'self'/);
    }
    expect((await fetch(`${url}/graphql`, { headers: { accept: 'application/json' } })).status).toBe(418);
    expect((await fetch(`${url}/graphql?query={provinces{code}}`, { headers: { accept: 'text/html' } })).status).toBe(418);
    expect((await fetch(`${url}/graphql`, { method: 'POST', headers: { accept: 'text/html' } })).status).toBe(418);
    expect((await fetch(`${url}/playground`, { method: 'POST' })).status).toBe(405);
  });

  it('opens every example as a tab with its variables and a ready token for the sample officer', async () => {
    const html = await (await fetch(`${url}/playground`)).text();
    const config = configOf(html);
    const examples = loadExamples();
    expect(config.tabs.map((t: { query: string }) => t.query)).toEqual(examples.map((e) => e.query));
    expect(config.tabs.map((t: { variables: string }) => JSON.parse(t.variables))).toEqual(examples.map((e) => e.variables));
    const token = JSON.parse(config.tabs[0].headers).Authorization.replace(/^Bearer /, '');
    expect(decodeJwt(token)).toMatchObject({
      sub: SAMPLE_OFFICER.sub,
      scope: SAMPLE_OFFICER.scope,
      jurisdiction: '24',
      purpose: SAMPLE_OFFICER.purpose,
      iss: 'urn:vn-gateway:dev-issuer',
    });
    expect(config).toMatchObject({ endpoint: '/graphql', introspection: true, persistHeaders: true });
  });

  it('shows the token\'s scopes and jurisdiction in plain HTML, and reuses one token across page loads', async () => {
    const [first, second] = await Promise.all([fetch(`${url}/playground`).then((r) => r.text()), fetch(`${url}/playground`).then((r) => r.text())]);
    expect(first).toMatch(/<dd data-testid="token-jurisdiction">24 \(Bắc Ninh\)<\/dd>/);
    for (const scope of SAMPLE_OFFICER.scope.split(' ')) expect(first).toContain(`<code class="pg-scope">${scope}</code>`);
    expect(configOf(first).tabs[0].headers).toBe(configOf(second).tabs[0].headers);
  });

  it('serves only its listed files, from the installed packages, with long caching for the hashed URLs', async () => {
    const html = await (await fetch(`${url}/playground`)).text();
    const assets = [...html.matchAll(/(?:src|href)="(\/playground\/assets\/[^"]+)"/g)].map((m) => m[1]);
    expect(assets.map((a) => a.replace(/\?v=[0-9a-f]{16}$/, ''))).toEqual([
      '/playground/assets/graphiql.min.css',
      '/playground/assets/playground.css',
      '/playground/assets/react.production.min.js',
      '/playground/assets/react-dom.production.min.js',
      '/playground/assets/graphiql.min.js',
      '/playground/assets/playground.js',
    ]);
    const graphiql = assets.find((a) => a.includes('graphiql.min.js'))!;
    const response = await fetch(url + graphiql, { headers: { 'accept-encoding': 'identity' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const body = await response.text();
    expect(body.startsWith(readFileSync(join(ROOT, 'node_modules/graphiql/graphiql.min.js'), 'utf8').slice(0, 1000))).toBe(true);
    expect(body).not.toMatch(/sourceMappingURL/);
    // Without the page's hash the browser must check back.
    expect((await fetch(`${url}/playground/assets/graphiql.min.js`)).headers.get('cache-control')).toBe('no-cache');
    const etag = response.headers.get('etag')!;
    expect((await fetch(url + graphiql, { headers: { 'if-none-match': etag } })).status).toBe(304);
  });

  it('compresses scripts for browsers that accept gzip (a third of the bytes on a slow link)', async () => {
    const sizes = await Promise.all(
      ['gzip', 'identity'].map(
        (encoding) =>
          new Promise<[string | undefined, number]>((resolve, reject) => {
            request(`${url}/playground/assets/graphiql.min.js`, { headers: { 'accept-encoding': encoding } }, (res) => {
              let size = 0;
              res.on('data', (chunk: Buffer) => (size += chunk.length));
              res.on('end', () => resolve([res.headers['content-encoding'], size]));
            })
              .on('error', reject)
              .end();
          }),
      ),
    );
    expect(sizes[0][0]).toBe('gzip');
    expect(sizes[1][0]).toBeUndefined();
    expect(sizes[0][1]).toBeLessThan(sizes[1][1] / 2.5);
  });

  it('serves nothing else: unknown names and dot-dot paths, encoded or not, get no file', async () => {
    const paths = [
      '/playground/assets/package.json',
      '/playground/assets/../../package.json',
      '/playground/assets/..%2f..%2fpackage.json',
      '/playground/assets/%2e%2e/%2e%2e/package.json',
      '/playground/assets/graphiql.min.js.map',
      '/playground/assets/',
    ];
    // 404 from the playground, or (dot segments resolved to a path outside it) not its request at all.
    for (const path of paths) expect([path, [404, 418].includes(await statusOfRawPath(url, path))]).toEqual([path, true]);
    expect((await fetch(`${url}/playground/assets/playground.js`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('playground in production', () => {
  const production = {
    NODE_ENV: 'production',
    JWKS_URL: 'https://issuer.example/jwks.json',
    JWT_ISSUER: 'https://issuer.example',
    JWT_AUDIENCE: 'vn-commune-gateway',
    FORWARDING_PRIVATE_KEY_FILE: '/secrets/forwarding.jwk.json',
    AUDIT_FILE: '/var/lib/gateway/audit.log',
  };

  it('prefills no token, keeps no headers in the browser, and says how to add a token', async () => {
    const config = loadGatewayConfig(production);
    expect(sampleOfficerTokens(config)).toBeNull();
    const { url, server } = await serve({ endpoint: '/graphql', introspection: config.introspection, sampleToken: null });
    try {
      const html = await (await fetch(`${url}/playground`)).text();
      expect(html).not.toMatch(/Bearer ey/);
      expect(html).toContain('Chưa có token (no token prefilled)');
      expect(html).toContain('INTROSPECTION=false');
      expect(configOf(html)).toMatchObject({ introspection: false, persistHeaders: false });
      expect(configOf(html).tabs.every((t: { headers: string }) => t.headers === '')).toBe(true);
    } finally {
      await close(server);
    }
  });

  it('mints no token in development either when the gateway trusts another issuer', () => {
    const config = loadGatewayConfig({ JWKS_URL: 'https://issuer.example/jwks.json', DEV_DIR: tmpdir() });
    expect(sampleOfficerTokens(config)).toBeNull();
  });
});

describe('INTROSPECTION and PLAYGROUND settings', () => {
  it('default to introspection in development only, and the playground on', () => {
    expect(loadGatewayConfig({})).toMatchObject({ introspection: true, playground: true });
    expect(
      loadGatewayConfig({ NODE_ENV: 'production', JWKS_FILE: '/k.json', JWT_ISSUER: 'i', JWT_AUDIENCE: 'a', FORWARDING_PRIVATE_KEY_FILE: '/f', AUDIT_FILE: '/a' }),
    ).toMatchObject({ introspection: false, playground: true });
    expect(loadGatewayConfig({ INTROSPECTION: 'false', PLAYGROUND: 'false' })).toMatchObject({ introspection: false, playground: false });
  });

  it('refuse a value that is not a boolean, naming the variable', () => {
    expect(() => loadGatewayConfig({ INTROSPECTION: 'sometimes' })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ INTROSPECTION: 'sometimes' })).toThrow(/INTROSPECTION="sometimes": expected true or false/);
  });
});

describe('example operations', () => {
  const schema = buildSchema(readFileSync(join(ROOT, 'schema/api.graphql'), 'utf8'));

  it.each(loadExamples().map((e) => [e.name, e] as const))('%s is valid against the public API schema', (_name, example) => {
    expect(validate(schema, parse(example.query)).map((e) => e.message)).toEqual([]);
  });
});
