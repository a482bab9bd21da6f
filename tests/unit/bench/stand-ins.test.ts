/**
 * The gateway-alone benchmark's subgraph stand-ins: they record a gateway's calls through the
 * real subgraph, then answer the same calls from memory whatever their (per-call, signed)
 * headers, and pass on and count a call they never saw.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../../stack/ports';

const ROOT = resolve(__dirname, '../../..');
let real: Server;
let realCalls = 0;
let standIns: ChildProcess;
let base: string;
let dir: string;

async function waitFor(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer within 60 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  // The "real subgraph": each answer says how many calls it has had, so a replay is recognisable.
  real = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      realCalls++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { call: realCalls, echo: JSON.parse(body).variables ?? null } }));
    });
  });
  await new Promise<void>((r) => real.listen(0, '127.0.0.1', r));
  dir = mkdtempSync(join(tmpdir(), 'stand-ins-'));
  const port = await freePort();
  const config = join(dir, 'stand-ins.json');
  writeFileSync(config, JSON.stringify({ subgraphs: [{ name: 'population', port, realUrl: `http://127.0.0.1:${(real.address() as AddressInfo).port}/graphql` }] }));
  standIns = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/stand-ins.ts'), config], { cwd: ROOT, stdio: 'ignore' });
  base = `http://127.0.0.1:${port}`;
  await waitFor(`${base}/health`);
}, 90_000);

afterAll(async () => {
  standIns?.kill('SIGTERM');
  await new Promise<void>((r) => real.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const call = async (variables: unknown, signature: string) =>
  (await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-gateway-principal': signature },
    body: JSON.stringify({ query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables }),
  }).then((r) => r.json())) as { data: { call: number } };

const mode = (value: string) => fetch(`${base}/__stand-ins/mode`, { method: 'POST', body: JSON.stringify({ mode: value }) });

it('records through the real subgraph, then replays by query and variables whatever the signature', async () => {
  await mode('record');
  const recorded = await call({ id: '001099012345' }, 'signature-1');
  expect(recorded.data.call).toBe(1);
  expect(realCalls).toBe(1);

  await mode('replay');
  expect(await call({ id: '001099012345' }, 'signature-2')).toEqual(recorded);
  expect(realCalls).toBe(1);

  // Never recorded: passed on to the real subgraph, and counted.
  expect((await call({ id: '001099099999' }, 'signature-3')).data.call).toBe(2);
  expect(await (await fetch(`${base}/__stand-ins/stats`)).json()).toMatchObject({ mode: 'replay', recorded: 1, hits: 1, misses: 1 });
});
