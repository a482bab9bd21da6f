/**
 * `npm run bench:reconciliation`: a commune-wide reconciliation over a commune of more than
 * 10,000 residents, through the whole product (mocks, subgraphs, gateway with auth and audit), with
 * the sources answering at once and with 20–80 ms per call. Prints a markdown table of wall time
 * and source calls and writes it to docs/benchmarks.md under "## Reconciliation".
 *
 * The default world's largest commune has 9,574 residents, so the world here is 120,000 citizens
 * (same seed and catalogue): its largest commune passes 10,000. No mock option is needed.
 */
import { generateWorld } from '../mocks/world';
import type { SourceName } from '../lib/sources';
import { startStack } from '../stack/stack';
import { fmt, machine, runBenchmark, writeBenchmarkSection } from './doc';

const SIZE = 120_000;
const SEED = 'vn-2026';
const HEADING = '## Reconciliation';
const LATENCIES: { label: string; latencyMs: number; jitterMs: number }[] = [
  { label: 'none', latencyMs: 0, jitterMs: 0 },
  { label: '20–80 ms per call', latencyMs: 20, jitterMs: 60 },
];
const SOURCES: SourceName[] = ['population', 'civil-status', 'catalogue'];

interface Row {
  latency: string;
  residents: number;
  findings: number;
  coldMs: number;
  keptMs: number;
  calls: Record<string, Record<string, number>>;
}

async function main(): Promise<void> {
  const world = generateWorld({ size: SIZE, seed: SEED, inconsistencyRate: 0.02 });
  const [commune, residents] = [...world.index.residentsByCommune.entries()].sort((a, b) => b[1].length - a[1].length)[0];
  if (residents.length < 10_000) throw new Error(`the largest commune has only ${residents.length} residents`);
  const smallest = [...world.index.residentsByCommune.entries()].sort((a, b) => a[1].length - b[1].length)[0][0];
  const rows: Row[] = [];
  for (const latency of LATENCIES) {
    // A fresh stack per setting: cold source caches, no kept report.
    const stack = await startStack({ mocks: { world, latencyMs: latency.latencyMs, jitterMs: latency.jitterMs }, env: { SUBGRAPH_TIMEOUT_MS: '120000' } });
    try {
      const auth = { authorization: `Bearer ${await stack.token({ scope: 'reconciliation:read', jurisdiction: '*' })}` };
      const query = `{ commune(code: "${commune}") { discrepancies(first: 50) { residentsChecked totalCount nodes { kind personalId } } } }`;
      // Warm-up on the smallest commune, so the figure is the run's, not the JIT's.
      await stack.query(query.replace(commune, smallest), {}, auth);
      stack.mocks.resetStats();
      let started = performance.now();
      const { body } = await stack.query<{ commune: { discrepancies: { residentsChecked: number; totalCount: number } } }>(query, {}, auth);
      const coldMs = performance.now() - started;
      if (!body.data?.commune.discrepancies) throw new Error(`no report: ${JSON.stringify(body.errors)}`);
      const calls = Object.fromEntries(SOURCES.map((source) => [source, stack.mocks.stats(source).byOperation]));
      started = performance.now();
      await stack.query(query.replace('first: 50', 'first: 50, kinds: [NAME_DIFFERS]'), {}, auth);
      const keptMs = performance.now() - started;
      const report = body.data.commune.discrepancies;
      rows.push({ latency: latency.label, residents: report.residentsChecked, findings: report.totalCount, coldMs, keptMs, calls });
      console.log(`${latency.label}: ${fmt(report.residentsChecked)} residents in ${fmt(Math.round(coldMs))} ms`);
    } finally {
      await stack.close();
    }
  }

  const count = (row: Row, source: string, operation?: string) =>
    operation ? (row.calls[source][operation] ?? 0) : Object.values(row.calls[source]).reduce((sum, n) => sum + n, 0);
  const table = [
    '| source latency | residents | findings | first run (ms) | next page, report kept (ms) | population calls (residents pages + households) | civil-status calls | catalogue calls | source calls per 1,000 residents |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => {
      const total = SOURCES.reduce((sum, source) => sum + count(row, source), 0);
      return `| ${row.latency} | ${fmt(row.residents)} | ${fmt(row.findings)} | ${fmt(Math.round(row.coldMs))} | ${fmt(Math.round(row.keptMs))} | ${fmt(count(row, 'population'))} (${fmt(count(row, 'population', 'communes:residents'))} + ${fmt(count(row, 'population', 'households:batchGet'))}) | ${fmt(count(row, 'civil-status'))} | ${fmt(count(row, 'catalogue'))} | ${(total / (row.residents / 1000)).toFixed(1)} |`;
    }),
  ].join('\n');
  const section = [
    HEADING,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench:reconciliation\` on ${machine()}.`,
    '',
    `One commune-wide run (\`Commune.discrepancies\`) over commune ${commune} of a ${fmt(SIZE)}-citizen world (seed \`${SEED}\`, the synthetic catalogue), the largest commune, ` +
      'through the gateway with authentication and the audit log on, cold caches, after a warm-up run on the smallest commune; mocks, subgraphs and gateway share one process. Residents come 100 per population call, one page after another (the source\'s cursor); ' +
      'each page\'s civil-status records (50 per SOAP call) and households (100 per call) are asked for while the next page is on its way, at most 16 calls in flight. ' +
      'The report is then kept (RECONCILIATION_CACHE_TTL_S, 60 s) so that its other pages cost no source call. With source latency, the sequential residents pages set the pace: ' +
      'about one page round trip per 100 residents.',
    '',
    table,
    '',
  ].join('\n');
  console.log(`\n${section}`);
  writeBenchmarkSection(HEADING, section);
}

runBenchmark('bench:reconciliation', main);
