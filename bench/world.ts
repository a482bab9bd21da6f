/**
 * `npm run bench:world`: generates the default world (100,000 citizens) several times over the
 * synthetic catalogue and, when it sits beside the repo, the official one; prints a markdown table
 * of generation time and the heap the world keeps, and writes it to docs/benchmarks.md under
 * "## World generation" (replacing that section only).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, platform } from 'node:os';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { DEFAULT_AS_OF, generateWorld } from '../mocks/world';

const ROOT = resolve(__dirname, '..');
const CATALOGUE = resolve(ROOT, '../shared/data/vn-admin-units.json');
const DOC = resolve(ROOT, 'docs/benchmarks.md');
const RUNS = 3;
const SIZE = 100_000;
const SEED = 'vn-2026';
const RATE = 0.02;

// Retained heap is only meaningful after a full collection; expose gc without a command-line flag.
setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

interface Row {
  catalogue: string;
  run: number;
  ms: number;
  heapMb: number;
  households: number;
  parcels: number;
  insured: number;
}

function measure(catalogue: string, file: string | undefined, run: number): Row {
  gc();
  const before = process.memoryUsage().heapUsed;
  const started = performance.now();
  const world = generateWorld({ size: SIZE, seed: SEED, inconsistencyRate: RATE, adminUnitsFile: file });
  const ms = performance.now() - started;
  gc();
  const heapMb = (process.memoryUsage().heapUsed - before) / 1024 / 1024;
  return { catalogue, run, ms, heapMb, households: world.households.size, parcels: world.parcels.size, insured: world.insurance.size };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const fmt = (n: number) => n.toLocaleString('en-US');

function main(): void {
  const setups: [string, string | undefined][] = [['synthetic (15 communes)', undefined]];
  let note = '';
  if (existsSync(CATALOGUE)) setups.push(['official (3,321 communes)', CATALOGUE]);
  else note = `The official catalogue was not found at ${CATALOGUE}; only the synthetic one was measured.`;
  if (note) console.log(note);

  const rows: Row[] = [];
  for (const [name, file] of setups) {
    for (let run = 1; run <= RUNS; run++) {
      const row = measure(name, file, run);
      rows.push(row);
      console.log(`${name} run ${run}: ${Math.round(row.ms)} ms, ${row.heapMb.toFixed(1)} MB`);
    }
  }

  const table = [
    '| catalogue | run | time (ms) | heap retained (MB) | households | parcels | insured |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((r) => `| ${r.catalogue} | ${r.run} | ${fmt(Math.round(r.ms))} | ${r.heapMb.toFixed(1)} | ${fmt(r.households)} | ${fmt(r.parcels)} | ${fmt(r.insured)} |`),
  ].join('\n');
  const medians = setups
    .map(([name]) => {
      const mine = rows.filter((r) => r.catalogue === name);
      return `${name}: ${fmt(Math.round(median(mine.map((r) => r.ms))))} ms, ${median(mine.map((r) => r.heapMb)).toFixed(1)} MB`;
    })
    .join('; ');

  const section = [
    '## World generation',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:world\` on ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), ` +
      `Node ${process.version}, ${platform()} ${arch()}.`,
    '',
    `The default world: ${fmt(SIZE)} citizens, seed \`${SEED}\`, inconsistency rate ${RATE}, as of ${DEFAULT_AS_OF}; ${RUNS} runs in one process ` +
      '(the first includes warm-up). Time is `generateWorld` alone, catalogue loading included; heap is what the world keeps after a full garbage collection. ' +
      'On a shared machine, other load moves the times by up to half again; under jest (whose sandbox slows global lookups) generation takes about twice as long.',
    '',
    table,
    '',
    `Medians: ${medians}.`,
    ...(note ? ['', note] : []),
    '',
  ].join('\n');
  console.log(`\n${section}`);
  writeFileSync(DOC, withSection(existsSync(DOC) ? readFileSync(DOC, 'utf8') : '# Benchmarks\n', section));
  console.log(`Wrote ${DOC}`);
}

/** `doc` with its "## World generation" section replaced (or appended), other sections untouched. */
function withSection(doc: string, section: string): string {
  const start = doc.indexOf('## World generation');
  if (start < 0) return `${doc.trimEnd()}\n\n${section}`;
  const next = doc.indexOf('\n## ', start + 1);
  return doc.slice(0, start) + section + (next < 0 ? '' : doc.slice(next + 1));
}

main();
