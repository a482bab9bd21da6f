/**
 * Subgraph stand-ins for the gateway-alone benchmark (`npm run bench -- --alone`): one port per
 * subgraph, each answering from memory so that only the gateway in front of them is measured, as
 * published gateway benchmarks do.
 *
 *   tsx bench/stand-ins.ts <config.json>   ({ "subgraphs": [{ "name", "port", "realUrl" }] })
 *
 * Modes, switched by `POST /__stand-ins/mode` ({"mode": "record" | "replay"}) on any port:
 *  - record: each call is passed to the real subgraph and its answer kept, keyed by the call's
 *    GraphQL query and variables (headers, signatures included, play no part in the key, so a
 *    gateway's per-call signatures do not defeat replay);
 *  - replay: each call is answered from memory; a call never recorded is passed on and counted as
 *    a miss (`GET /__stand-ins/stats`), so the run stays correct and the report says how often.
 * `DELETE /__stand-ins` forgets everything recorded (each gateway sends its own calls).
 */
import { readFileSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'undici';

interface StandInConfig {
  subgraphs: { name: string; port: number; realUrl: string }[];
}

interface Recorded {
  status: number;
  contentType: string;
  body: Buffer;
}

type Mode = 'record' | 'replay';

const CONTROL = '/__stand-ins';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8')) as StandInConfig;
const recorded = new Map<string, Recorded>();
const stats = { recorded: 0, hits: 0, misses: 0 };
let mode: Mode = 'record';
const dispatcher = new Agent({ keepAliveTimeout: 60_000, connections: 64 });

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

/** The subgraph, its query and its variables; the rest of the body (extensions) and every header are ignored. */
function keyOf(subgraph: string, body: Buffer): string {
  try {
    const { query, variables } = JSON.parse(body.toString('utf8')) as { query?: string; variables?: unknown };
    return `${subgraph}\n${query ?? ''}\n${JSON.stringify(variables ?? null)}`;
  } catch {
    return `${subgraph}\n${body.toString('utf8')}`;
  }
}

async function passOn(realUrl: string, req: IncomingMessage, body: Buffer): Promise<Recorded> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (name === 'host' || name === 'connection' || name === 'content-length' || value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const response = await request(realUrl, { dispatcher, method: 'POST', headers, body });
  const contentType = response.headers['content-type'];
  return {
    status: response.statusCode,
    contentType: (Array.isArray(contentType) ? contentType[0] : contentType) ?? 'application/json',
    body: Buffer.from(await response.body.arrayBuffer()),
  };
}

function send(res: ServerResponse, answer: Recorded): void {
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length });
  res.end(answer.body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = Buffer.from(JSON.stringify(value));
  send(res, { status, contentType: 'application/json', body });
}

async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = req.url ?? '';
  if (path === `${CONTROL}/mode` && req.method === 'POST') {
    const asked = (JSON.parse((await readBody(req)).toString('utf8')) as { mode?: string }).mode;
    if (asked !== 'record' && asked !== 'replay') return sendJson(res, 400, { error: 'mode: record or replay' });
    mode = asked;
    return sendJson(res, 200, { mode });
  }
  if (path === `${CONTROL}/stats` && req.method === 'GET') return sendJson(res, 200, { mode, ...stats });
  if (path === CONTROL && req.method === 'DELETE') {
    recorded.clear();
    Object.assign(stats, { recorded: 0, hits: 0, misses: 0 });
    return sendJson(res, 200, { cleared: true });
  }
  sendJson(res, 404, { error: 'not found' });
}

async function serve(subgraph: { name: string; realUrl: string }, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.url?.startsWith(CONTROL)) return control(req, res);
  if (req.method !== 'POST') return sendJson(res, 200, { status: 'ok' });
  const body = await readBody(req);
  const key = keyOf(subgraph.name, body);
  if (mode === 'replay') {
    const answer = recorded.get(key);
    if (answer) {
      stats.hits++;
      return send(res, answer);
    }
    stats.misses++;
  }
  const answer = await passOn(subgraph.realUrl, req, body);
  if (mode === 'record' && answer.status === 200 && !recorded.has(key)) {
    recorded.set(key, answer);
    stats.recorded++;
  }
  send(res, answer);
}

for (const subgraph of config.subgraphs) {
  const server = createServer((req, res) => {
    serve(subgraph, req, res).catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 502, { errors: [{ message: `stand-in: ${(error as Error).message}` }] });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(subgraph.port, '127.0.0.1');
}
process.stdout.write(`stand-ins: ${config.subgraphs.map((s) => `${s.name} on ${s.port}`).join(', ')}\n`);
process.on('SIGTERM', () => process.exit(0));
