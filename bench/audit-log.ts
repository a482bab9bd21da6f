/**
 * `npm run bench:audit-log [-- --entries 10000000 --citizens 1000000 --lookups 2000 --sinks file,postgres]`:
 * what one citizen's access history (`accessLog(personalId, first: 20)`) costs in a large audit
 * log, for each sink. The log is generated directly (hash chain included, one entry per read of a
 * random citizen), not through the gateway; then lookups of random citizens are timed as the
 * audit subgraph makes them (FileAuditSink / PostgresAuditSink.readByPersonalId).
 *
 *  - file: the log is written as JSON lines, then the sidecar index is built from it (timed), then
 *    lookups go through the index, each entry read back from the log and checked.
 *  - postgres: a throwaway server (stack/postgres.ts), rows loaded 20,000 per INSERT, the
 *    (personal_id, seq) index built after the load (timed), then lookups.
 *
 * Writes docs/results/audit-log-<date>.json and the "## Audit log lookups" section of
 * docs/benchmarks.md. Needs about 400 bytes of disk per entry per sink.
 */
import { mkdtempSync, openSync, rmSync, writeFileSync, writeSync, closeSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { AuditEntry, chainEntry, GENESIS_HASH } from '../lib/audit/entry';
import { FileAuditSink } from '../lib/audit/file-sink';
import { FileAuditIndex } from '../lib/audit/file-index';
import { PostgresAuditSink } from '../lib/audit/postgres-sink';
import { startPostgres } from '../stack/postgres';
import { fmt, machine, writeBenchmarkSection } from './doc';

const FIRST = 20;

/** A deterministic pseudo-random sequence (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const personalIdOf = (n: number) => `0${String(24_000_000_000 + n).padStart(11, '0')}`;

/** The chained entries, generated in order. */
function* entries(count: number, citizens: number): Generator<AuditEntry> {
  const next = random(2026);
  let prevHash = GENESIS_HASH;
  const start = Date.UTC(2026, 0, 1);
  for (let seq = 1; seq <= count; seq++) {
    const entry = chainEntry(seq, prevHash, {
      at: new Date(start + seq * 50).toISOString(),
      requestId: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
      callerRequestId: null,
      subject: `can-bo-24-${String(seq % 997).padStart(3, '0')}`,
      clientId: 'tthc-bac-ninh',
      purpose: `1.001193 HS-2026-${String(seq % 1_000_000).padStart(6, '0')}`,
      personalId: personalIdOf(Math.floor(next() * citizens)),
      fields: ['Citizen.dateOfBirth', 'Citizen.fullName', 'Citizen.permanentResidence'],
      sources: ['population'],
      locationIndependent: false,
    });
    prevHash = entry.hash;
    yield entry;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

interface Lookups {
  lookups: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanEntriesReturned: number;
}

async function timeLookups(read: (personalId: string) => Promise<AuditEntry[]>, citizens: number, lookups: number): Promise<Lookups> {
  const next = random(7);
  for (let i = 0; i < 50; i++) await read(personalIdOf(Math.floor(next() * citizens))); // warm-up
  const times: number[] = [];
  let returned = 0;
  for (let i = 0; i < lookups; i++) {
    const personalId = personalIdOf(Math.floor(next() * citizens));
    const started = performance.now();
    const found = await read(personalId);
    times.push(performance.now() - started);
    returned += found.length;
    if (found.some((entry) => entry.personalId !== personalId)) throw new Error('a lookup returned another citizen');
  }
  times.sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { lookups, p50Ms: round(percentile(times, 50)), p99Ms: round(percentile(times, 99)), maxMs: round(times[times.length - 1]), meanEntriesReturned: round(returned / lookups) };
}

async function benchFile(count: number, citizens: number, lookups: number) {
  const dir = mkdtempSync(join(tmpdir(), 'bench-audit-file-'));
  try {
    const path = join(dir, 'audit.log');
    let started = performance.now();
    const fd = openSync(path, 'w');
    let buffer: string[] = [];
    let bytes = 0;
    for (const entry of entries(count, citizens)) {
      buffer.push(JSON.stringify(entry));
      if (buffer.length === 20_000) {
        const text = buffer.join('\n') + '\n';
        bytes += writeSync(fd, text);
        buffer = [];
      }
    }
    if (buffer.length) bytes += writeSync(fd, buffer.join('\n') + '\n');
    closeSync(fd);
    const generateS = (performance.now() - started) / 1000;
    started = performance.now();
    const index = new FileAuditIndex(path);
    await index.catchUp();
    await index.flush();
    await index.close();
    const indexS = (performance.now() - started) / 1000;
    // As the audit subgraph would: a fresh reader, the index loaded from disk.
    const sink = new FileAuditSink(path);
    const result = await timeLookups((id) => sink.readByPersonalId(id, FIRST), citizens, lookups);
    await sink.close();
    return { sink: 'file', entries: count, logBytes: bytes, generateSeconds: Math.round(generateS), indexBuildSeconds: Math.round(indexS), ...result };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(count: number, citizens: number, lookups: number) {
  const server = await startPostgres();
  try {
    const table = 'audit_log';
    const sink = new PostgresAuditSink(server.url, { table });
    await sink.ensureTable();
    const client = new Client({ connectionString: server.url });
    await client.connect();
    await client.query('SET synchronous_commit TO off');
    await client.query(`DROP INDEX IF EXISTS "audit_log_personal_id_seq_idx"`);
    let started = performance.now();
    const columns = Array.from({ length: 13 }, () => [] as unknown[]);
    const flush = async () => {
      if (columns[0].length === 0) return;
      await client.query(
        `INSERT INTO audit_log (seq, at, request_id, subject, client_id, purpose, personal_id, fields, sources, location_independent, prev_hash, hash, caller_request_id)
         SELECT s, a, r, su, c, p, pi, string_to_array(f, ','), string_to_array(so, ','), l, ph, h, cr
         FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[], $13::text[])
           AS t(s, a, r, su, c, p, pi, f, so, l, ph, h, cr)`,
        columns,
      );
      for (const column of columns) column.length = 0;
    };
    for (const e of entries(count, citizens)) {
      const values = [e.seq, e.at, e.requestId, e.subject, e.clientId, e.purpose, e.personalId, e.fields.join(','), e.sources.join(','), e.locationIndependent, e.prevHash, e.hash, null];
      for (let i = 0; i < 13; i++) columns[i].push(values[i]);
      if (columns[0].length === 20_000) await flush();
    }
    await flush();
    const loadS = (performance.now() - started) / 1000;
    started = performance.now();
    await client.query('SET maintenance_work_mem TO \'512MB\'');
    await client.query(`CREATE INDEX "audit_log_personal_id_seq_idx" ON audit_log (personal_id, seq DESC)`);
    await client.query('ANALYZE audit_log');
    const indexS = (performance.now() - started) / 1000;
    const size = (await client.query<{ bytes: string }>(`SELECT pg_total_relation_size('audit_log') AS bytes`)).rows[0].bytes;
    await client.end();
    const result = await timeLookups((id) => sink.readByPersonalId(id, FIRST), citizens, lookups);
    await sink.close();
    return { sink: 'postgres', entries: count, tableBytes: Number(size), generateSeconds: Math.round(loadS), indexBuildSeconds: Math.round(indexS), ...result };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      entries: { type: 'string', default: '10000000' },
      citizens: { type: 'string', default: '1000000' },
      lookups: { type: 'string', default: '2000' },
      sinks: { type: 'string', default: 'file,postgres' },
      'no-doc': { type: 'boolean', default: false },
    },
  });
  const count = Number(values.entries);
  const citizens = Number(values.citizens);
  const lookups = Number(values.lookups);
  const results = [];
  for (const sink of values.sinks.split(',')) {
    console.log(`${sink}: ${fmt(count)} entries…`);
    const result = sink === 'file' ? await benchFile(count, citizens, lookups) : await benchPostgres(count, citizens, lookups);
    console.log(JSON.stringify(result));
    results.push(result);
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = resolve(__dirname, '..', 'docs', 'results', `audit-log-${date}-${count}.json`);
  mkdirSync(resolve(out, '..'), { recursive: true });
  const report = { command: `npm run bench:audit-log -- --entries ${count} --citizens ${citizens} --lookups ${lookups}`, machine: machine(), first: FIRST, results };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`written ${out}`);
  if (values['no-doc']) return;
  const rows = results.map(
    (r) =>
      `| ${r.sink} | ${fmt(r.entries)} | ${fmt(r.generateSeconds)} | ${fmt(r.indexBuildSeconds)} | ${r.p50Ms} | ${r.p99Ms} | ${r.maxMs} | ${r.meanEntriesReturned} |`,
  );
  writeBenchmarkSection(
    '## Audit log lookups',
    [
      '## Audit log lookups',
      '',
      `Measured ${date} with \`${report.command}\` on ${machine()}.`,
      '',
      `One citizen's access history, \`accessLog(personalId, first: ${FIRST})\`, as the audit subgraph reads it, for ${fmt(lookups)} random citizens of ${fmt(citizens)} in a log of ${fmt(count)} entries (generated directly with the hash chain, each entry a read of a random citizen, so about ${fmt(Math.round(count / citizens))} entries per citizen). File: the JSON-lines log and its sidecar index (sorted runs of 16-byte records beside the log, lib/audit/file-index.ts), each entry returned read back from the log and its hash checked. PostgreSQL: a throwaway local server, the table with its (personal_id, seq DESC) index. Target: p99 under 50 ms. Load is generating the chained entries and writing them (file) or inserting them 20,000 per statement (PostgreSQL); index build is the sidecar index caught up from the whole log (file) or \`CREATE INDEX\` after the load (PostgreSQL). Raw figures: [docs/results/${out.split('/').pop()}](results/${out.split('/').pop()}).`,
      '',
      '| sink | entries | load (s) | index build (s) | p50 (ms) | p99 (ms) | max (ms) | entries returned (mean) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      ...rows,
    ].join('\n'),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
