/**
 * TLS with client certificates between gateway and subgraphs: the gateway, holding a client
 * certificate from the configured CA, gets its answers; a client without a certificate, or with
 * one from another CA, is refused at the handshake, before any request is read.
 * Certificates are made here, for this test only.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { DOSSIER_QUERY, richCitizens } from '../../stack/dossier';
import { Stack, startStack } from '../../stack/stack';

interface Pem {
  cert: string;
  key: string;
}

let stack: Stack;
let dir: string;
let ca: Pem;
let client: Pem;
let strangerClient: Pem;

async function makeCa(name: string): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: name }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    ],
  });
  return { cert: made.cert, key: made.private };
}

async function issue(by: Pem, commonName: string, use: 'server' | 'client'): Promise<Pem> {
  const made = await generate([{ name: 'commonName', value: commonName }], {
    keyType: 'ec',
    algorithm: 'sha256',
    ca: { cert: by.cert, key: by.key },
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: use === 'server', clientAuth: use === 'client' },
      ...(use === 'server' ? [{ name: 'subjectAltName' as const, altNames: [{ type: 7 as const, ip: '127.0.0.1' }, { type: 2 as const, value: 'localhost' }] }] : []),
    ],
  });
  return { cert: made.cert, key: made.private };
}

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
}

/** A request straight to a subgraph: its HTTP status, or the error that ended the connection. */
function direct(url: string, tls: { cert?: string; key?: string }): Promise<{ status: number } | { error: string }> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', ca: ca.cert, ...tls, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
    req.end(JSON.stringify({ query: '{ _service { sdl } }' }));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vn-gateway-tls-'));
  ca = await makeCa('Subgraph link test CA');
  const server = await issue(ca, 'localhost', 'server');
  client = await issue(ca, 'vn-commune-gateway', 'client');
  strangerClient = await issue(await makeCa('Another CA'), 'vn-commune-gateway', 'client');
  stack = await startStack({
    mocks: { worldSize: 1000, worldSeed: 'tls' },
    env: {
      SUBGRAPH_TLS_CERT_FILE: file('server.crt', server.cert),
      SUBGRAPH_TLS_KEY_FILE: file('server.key', server.key),
      SUBGRAPH_TLS_CLIENT_CA_FILE: file('ca.crt', ca.cert),
      SUBGRAPH_TLS_CA_FILE: file('ca-for-gateway.crt', ca.cert),
      GATEWAY_TLS_CERT_FILE: file('gateway.crt', client.cert),
      GATEWAY_TLS_KEY_FILE: file('gateway.key', client.key),
    },
  });
}, 60_000);

afterAll(async () => {
  await stack?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('TLS between gateway and subgraphs', () => {
  it('serves the subgraphs over https only', () => {
    for (const running of Object.values(stack.subgraphs)) expect(running.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/graphql$/);
  });

  it('gives the gateway, holding its client certificate, the whole dossier', async () => {
    const [citizen] = richCitizens(stack.mocks.world, 1);
    const { status, body } = await stack.query(DOSSIER_QUERY, { id: citizen.personalId }, { authorization: `Bearer ${await stack.token()}` });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    expect(body.data).toMatchObject({ citizen: { personalId: citizen.personalId, civilStatus: expect.anything(), socialInsurance: expect.anything() } });
  });

  it('refuses a client without a certificate at the handshake', async () => {
    for (const name of ['civil-status', 'audit'] as const) {
      expect(await direct(stack.subgraphs[name].url, {})).toEqual({ error: expect.any(String) });
    }
  });

  it('refuses a client whose certificate another CA signed', async () => {
    expect(await direct(stack.subgraphs.land.url, strangerClient)).toEqual({ error: expect.any(String) });
  });

  it('lets a client with a certificate from the CA through to the next check (the forwarding signature)', async () => {
    // Control: TLS is passed, and the subgraph's own refusal of unsigned calls answers.
    expect(await direct(stack.subgraphs.land.url, client)).toEqual({ status: 401 });
  });
});
