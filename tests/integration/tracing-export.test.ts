/**
 * Spans leave the process only when an OTLP endpoint is configured: a stand-in collector
 * receives the gateway's and the subgraphs' spans of one request, all under the caller's trace.
 * The traced stack runs in a child process (fixtures/traced-request.ts).
 */
import { spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

let collector: Server;
const received: { path: string; body: string }[] = [];

beforeAll(async () => {
  collector = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
});
afterAll(() => new Promise((resolve) => collector?.close(resolve)));

it("exports the spans of a request, gateway's and subgraphs', under the caller's trace id", async () => {
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'fixtures', 'traced-request.ts'), endpoint, TRACE_ID], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  const code = await new Promise((resolve) => child.once('exit', resolve));
  expect({ code, output: output.trim() }).toEqual({ code: 0, output: 'status 200' });

  const payload = received.filter((r) => r.path === '/v1/traces').map((r) => r.body).join('\n');
  expect(payload).toContain('tracing-export-test');
  // OTLP/JSON carries ids as hex strings; the gateway's and a subgraph's server spans are there.
  expect(payload).toContain(TRACE_ID);
  expect(payload).toContain('POST /graphql');
  expect(payload).toContain('subgraph population');
});
