/**
 * `npm run bench:audit-writers [-- --seconds 20 --concurrency 64 --persons 3 --writers 1,2,4]`:
 * audit entries per second one PostgreSQL chain takes from 1, 2 and 4 gateway writers, each a
 * process of its own with the gateway's sink (PostgresAuditSink: group commit, the chain's
 * advisory lock, synchronous commit, a signed checkpoint every 1000 entries). Each writer keeps
 * `concurrency` requests in flight, each request auditing `persons` citizens (one append, as the
 * gateway makes for one answer). After each run the table is checked as `audit:verify` checks it.
 *
 * Writes docs/results/audit-writers-<date>.json. A throwaway local PostgreSQL (stack/postgres.ts)
 * on this machine's disk: the figures are this machine's, not a database server's.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { AuditRecord } from '../lib/audit/entry';
import { loadCheckpointSigner, loadCheckpointVerifier } from '../lib/audit/checkpoint';
import { PostgresAuditSink } from '../lib/audit/postgres-sink';
import { generateSigningKeyPair } from '../lib/keys';
import { verifyAuditDatabase } from '../scripts/audit-verify';
import { startPostgres } from '../stack/postgres';
import { machine, runBenchmark } from './doc';

interface WriterResult {
  entries: number;
  requests: number;
  p50Ms: number;
  p99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 100) / 100;
}

function recordOf(writer: number, request: number, person: number): AuditRecord {
  return {
    at: new Date().toISOString(),
    requestId: `00000000-0000-4000-8${String(writer).padStart(3, '0')}-${String(request).padStart(12, '0')}`,
    subject: `can-bo-24-${String(request % 997).padStart(3, '0')}`,
    clientId: 'tthc-bac-ninh',
    purpose: `1.001193 HS-2026-${String(request % 1_000_000).padStart(6, '0')}`,
    personalId: `0241900${String((request * 7 + person) % 100_000).padStart(5, '0')}`,
    fields: ['Citizen.dateOfBirth', 'Citizen.fullName', 'Citizen.permanentResidence', 'CivilStatus.maritalStatus'],
    sources: ['population', 'civil-status'],
    locationIndependent: false,
  };
}

/** One gateway writer: waits for "go" on stdin, appends for `seconds`, prints its result. */
async function writer(): Promise<void> {
  const { BENCH_URL, BENCH_TABLE, BENCH_KEY, BENCH_ID, BENCH_SECONDS, BENCH_CONCURRENCY, BENCH_PERSONS } = process.env;
  const id = Number(BENCH_ID);
  const sink = new PostgresAuditSink(BENCH_URL!, { table: BENCH_TABLE, checkpoints: { signer: loadCheckpointSigner(BENCH_KEY!), every: 1000, intervalMs: 60_000 } });
  await sink.ensureTable();
  process.stdout.write('ready\n');
  await new Promise<void>((done) => createInterface({ input: process.stdin }).once('line', () => done()));
  const until = Date.now() + Number(BENCH_SECONDS) * 1000;
  const persons = Number(BENCH_PERSONS);
  const latencies: number[] = [];
  let request = 0;
  let entries = 0;
  await Promise.all(
    Array.from({ length: Number(BENCH_CONCURRENCY) }, async () => {
      while (Date.now() < until) {
        const n = ++request;
        const started = performance.now();
        await sink.append(Array.from({ length: persons }, (_, p) => recordOf(id, n, p)));
        latencies.push(performance.now() - started);
        entries += persons;
      }
    }),
  );
  await sink.close();
  latencies.sort((a, b) => a - b);
  const result: WriterResult = { entries, requests: latencies.length, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function startWriter(env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void>; result: Promise<WriterResult> } {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--writer'], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  let onReady: () => void;
  const ready = new Promise<void>((r) => (onReady = r));
  const result = new Promise<WriterResult>((resolveResult, reject) => {
    lines.on('line', (line) => (line === 'ready' ? onReady() : line.startsWith('{') && resolveResult(JSON.parse(line) as WriterResult)));
    child.once('exit', (code) => code !== 0 && reject(new Error(`writer exited with ${code}`)));
  });
  return { child, ready, result };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '20' }, concurrency: { type: 'string', default: '64' }, persons: { type: 'string', default: '3' }, writers: { type: 'string', default: '1,2,4' } },
  });
  const seconds = Number(values.seconds);
  const concurrency = Number(values.concurrency);
  const persons = Number(values.persons);
  const counts = values.writers.split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-writers-'));
  const pair = await generateSigningKeyPair('EdDSA');
  const keyFile = join(dir, 'checkpoint.private.jwk.json');
  const publicFile = join(dir, 'checkpoint.public.jwk.json');
  writeFileSync(keyFile, JSON.stringify(pair.privateJwk));
  writeFileSync(publicFile, JSON.stringify(pair.publicJwk));
  const server = await startPostgres();
  const results = [];
  try {
    for (const count of counts) {
      const table = `audit_bench_w${count}`;
      const writers = Array.from({ length: count }, (_, i) =>
        startWriter({ BENCH_URL: server.url, BENCH_TABLE: table, BENCH_KEY: keyFile, BENCH_ID: String(i), BENCH_SECONDS: String(seconds), BENCH_CONCURRENCY: String(concurrency), BENCH_PERSONS: String(persons) }),
      );
      await Promise.all(writers.map((w) => w.ready));
      for (const w of writers) w.child.stdin!.write('go\n');
      const each = await Promise.all(writers.map((w) => w.result));
      const entries = each.reduce((sum, r) => sum + r.entries, 0);
      const verdict = await verifyAuditDatabase(server.url, { table, verifier: loadCheckpointVerifier(publicFile) });
      const stored = new PostgresAuditSink(server.url, { table, maxConnections: 1 });
      const checkpoints = (await stored.readCheckpoints()).length;
      await stored.close();
      const result = {
        writers: count,
        seconds,
        entries,
        entriesPerSecond: Math.round(entries / seconds),
        requestsPerSecond: Math.round(each.reduce((sum, r) => sum + r.requests, 0) / seconds),
        appendP50Ms: Math.max(...each.map((r) => r.p50Ms)),
        appendP99Ms: Math.max(...each.map((r) => r.p99Ms)),
        checkpoints,
        verify: verdict.status === 0 ? 'ok' : verdict.message,
      };
      console.log(JSON.stringify(result));
      results.push(result);
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = resolve(__dirname, '..', 'docs', 'results', `audit-writers-${date}.json`);
  const report = {
    command: `npm run bench:audit-writers -- --seconds ${seconds} --concurrency ${concurrency} --persons ${persons} --writers ${values.writers}`,
    machine: machine(),
    setup: `each writer a process with PostgresAuditSink (group commit, pg_advisory_xact_lock on the chain, synchronous_commit on, checkpoint every 1000 entries), ${concurrency} requests in flight per writer, ${persons} entries per request; one throwaway PostgreSQL (fsync on) on the same machine`,
    results,
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`written ${out}`);
}

if (process.argv.includes('--writer')) {
  writer().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
} else {
  runBenchmark('bench:audit-writers', main);
}
