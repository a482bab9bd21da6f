/**
 * Graceful shutdown, as an orchestrator does it: the gateway runs as its own process
 * (`gateway/main.ts`) in front of this test's subgraphs and mocks; desks keep asking for dossiers
 * while it is sent SIGTERM. `/ready` must answer 503 at once, requests in flight must finish,
 * and every answer that carried personal data must have its audit entries in the log, whose
 * chain must verify, before the process exits 0.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { verifyChain, type AuditEntry } from '../../lib/audit/entry';
import { FileAuditSink } from '../../lib/audit/file-sink';
import { DOSSIER_QUERY, richCitizens } from '../../stack/dossier';
import { freePort } from '../../stack/ports';
import { REPO_ROOT, Stack, startStack } from '../../stack/stack';

let stack: Stack;
let dir: string;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 1500, worldSeed: 'shutdown' } });
  dir = mkdtempSync(join(tmpdir(), 'vn-gateway-shutdown-'));
});
afterAll(async () => {
  await stack?.close();
  rmSync(dir, { recursive: true, force: true });
});

function startGatewayProcess(port: number, auditFile: string): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(REPO_ROOT, 'gateway/main.ts')], {
    cwd: REPO_ROOT,
    env: {
      PATH: process.env.PATH,
      HOST: '127.0.0.1',
      PORT: String(port),
      SUPERGRAPH_PATH: resolve(REPO_ROOT, 'schema/supergraph.graphql'),
      SUBGRAPH_URLS: Object.entries(stack.subgraphs).map(([name, service]) => `${name}=${service.url}`).join(','),
      DEV_DIR: stack.devDir, // this stack's token issuer and forwarding keys
      AUDIT_FILE: auditFile,
      SHUTDOWN_DELAY_MS: '400',
      SHUTDOWN_TIMEOUT_MS: '10000',
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
      RESPONSE_CACHE_TTL_S: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitUntilReady(base: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the gateway exited with code ${child.exitCode} before it was ready`);
    const ready = await fetch(`${base}/ready`).then((r) => r.ok, () => false);
    if (ready) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the gateway did not become ready within 30 s');
}

interface Answered {
  requestId: string;
  personalId: string;
  status: number;
  personal: boolean;
  sentAt: number;
  answeredAt: number;
}

describe('SIGTERM under load', () => {
  it('turns /ready to 503 at once, finishes requests in flight, loses no audit entry, and exits 0', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const auditFile = join(dir, 'audit.log');
    const { child, output } = startGatewayProcess(port, auditFile);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await waitUntilReady(base, child);
      // A slower source keeps requests in flight when the signal comes.
      stack.mocks.setControl('civil-status', { latencyMs: 150 });
      const auth = `Bearer ${await stack.token()}`;
      const citizens = richCitizens(stack.mocks.world, 40);
      const answered: Answered[] = [];
      let refused = 0;
      let stopping = false;

      const worker = async (w: number) => {
        for (let i = 0; ; i++) {
          const personalId = citizens[(w * 7 + i) % citizens.length].personalId;
          const requestId = `shutdown-${w}-${i}`;
          const sentAt = Date.now();
          try {
            const response = await fetch(`${base}/graphql`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: auth, 'x-request-id': requestId },
              body: JSON.stringify({ query: DOSSIER_QUERY, variables: { id: personalId } }),
            });
            const body = (await response.json()) as { data?: { citizen?: { fullName?: string } | null } };
            answered.push({ requestId, personalId, status: response.status, personal: !!body.data?.citizen?.fullName, sentAt, answeredAt: Date.now() });
          } catch {
            refused++; // the listener is closed: this desk moves on to another replica
            if (stopping) return;
          }
        }
      };
      const load = Array.from({ length: 8 }, (_, w) => worker(w));
      while (answered.length < 40) await new Promise((r) => setTimeout(r, 20));

      const signalledAt = Date.now();
      stopping = true;
      child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 50));
      const readiness = await fetch(`${base}/ready`);
      expect(readiness.status).toBe(503);

      expect(await exited).toBe(0);
      await Promise.all(load);

      // Requests sent before the signal and answered after it: in flight, and finished.
      const finishedInFlight = answered.filter((a) => a.sentAt < signalledAt && a.answeredAt > signalledAt);
      expect(finishedInFlight.length).toBeGreaterThan(0);
      expect(finishedInFlight.every((a) => a.status === 200 && a.personal)).toBe(true);
      expect(refused).toBeGreaterThan(0); // new connections were refused once it stopped listening

      // Every answer with personal data has its entry; the chain verifies.
      const sink = new FileAuditSink(auditFile);
      const entries: AuditEntry[] = [];
      for await (const entry of sink.readAll()) entries.push(entry as AuditEntry);
      await expect(verifyChain(entries)).resolves.toMatchObject({ ok: true });
      // The caller's x-request-id is kept beside the gateway's own id.
      const logged = new Set(entries.map((e) => `${e.callerRequestId}|${e.personalId}`));
      const withPersonalData = answered.filter((a) => a.personal);
      expect(withPersonalData.length).toBeGreaterThan(40);
      expect(withPersonalData.filter((a) => !logged.has(`${a.requestId}|${a.personalId}`)).map((a) => a.requestId)).toEqual([]);
      expect(answered.every((a) => a.status === 200)).toBe(true);
      expect(output()).not.toMatch(/unhandled|uncaught/i);
    } finally {
      stack.mocks.setControl('civil-status', { latencyMs: 0 });
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});

describe('a subgraph stopping', () => {
  it('answers /ready with 503 while it drains, and keeps serving requests already coming', async () => {
    const service = stack.subgraphs.budget;
    const ready = service.url.replace(/\/graphql$/, '/ready');
    expect((await fetch(ready)).status).toBe(200);
    const closing = service.close({ delayMs: 300 });
    const during = await fetch(ready);
    expect(during.status).toBe(503);
    await expect(during.json()).resolves.toMatchObject({ status: 'not ready' });
    await closing;
    await expect(fetch(ready)).rejects.toThrow();
  });
});
