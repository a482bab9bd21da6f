/**
 * `npm run soak`: the product under a steady mixed workload for a while, and what it did.
 *
 *   npm run soak -- [--duration 10m] [--rate 80 | --rate-share 0.7] [--warmup 60s] [--step 10s]
 *                   [--world-size 100000] [--max-rss-growth 10] [--max-p99 5000] [--json out.json]
 *
 * Starts the product as in production (bench/soak/product.ts): gateway, each subgraph and the
 * mocks in their own processes on free ports, the audit log in a throwaway PostgreSQL when one is
 * installed. Without `--rate` it first finds the highest rate the product sustains (a short ramp
 * from 10/s: steps of `--step` each 30% faster, until a step has an error, sheds load, falls
 * behind (answers under 95% of the rate), or shows queueing: a median over four times the first
 * step's and over 100 ms, or a p99 over `--max-p99` ms) and soaks at `--rate-share` of it. Then it
 * reports errors, latency percentiles and each process's resident memory, growth measured from
 * the end of the warm-up. Exits 1 on any error or shed request, or when the gateway's or a
 * subgraph's memory grew by `--max-rss-growth` percent or more.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { mintDevToken } from '../lib/dev-tokens';
import { RequestResult, runLoad, summarize, LoadSummary } from './soak/load-runner';
import { ProductProcess, removeProductFiles, residentBytes, startProduct } from './soak/product';
import { createWorkload, fetchSample } from './soak/workload';

/** `90`, `90s`, `10m`, `1h` → milliseconds. */
function duration(text: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--${name} ${text}: expected a duration such as 30s, 10m or 1h`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function positive(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} ${text}: expected a positive number`);
  return value;
}

interface MemorySample {
  at: number;
  bytes: Record<string, number>;
}

const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10m' },
      rate: { type: 'string' },
      'rate-share': { type: 'string', default: '0.7' },
      warmup: { type: 'string' },
      step: { type: 'string', default: '10s' },
      'world-size': { type: 'string', default: '100000' },
      'max-rss-growth': { type: 'string', default: '10' },
      'max-p99': { type: 'string', default: '5000' },
      json: { type: 'string' },
    },
  });
  const durationMs = duration(values.duration!, 'duration');
  // Long enough for caches, connection pools and the JIT to settle; a fifth of a short run.
  const warmupMs = values.warmup ? duration(values.warmup, 'warmup') : Math.min(60_000, Math.max(5000, durationMs / 5));
  if (warmupMs >= durationMs) throw new Error('--warmup must be shorter than --duration');
  const stepMs = duration(values.step!, 'step');
  const maxGrowth = positive(values['max-rss-growth']!, 'max-rss-growth');
  const maxP99 = positive(values['max-p99']!, 'max-p99');
  const rateShare = positive(values['rate-share']!, 'rate-share');

  console.log(`soak: starting the product (world of ${values['world-size']} citizens)…`);
  const product = await startProduct({ worldSize: positive(values['world-size']!, 'world-size') });
  console.log(`soak: ${product.processes.length} processes; audit log in ${product.audit === 'postgresql' ? 'a throwaway PostgreSQL database' : 'a file (no PostgreSQL server installed)'}`);
  let exitCode = 1;
  try {
    // A hundred calling systems, so no one caller meets its own rate limit.
    const env = { ...process.env, DEV_DIR: product.devDir };
    const tokens = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        mintDevToken(
          {
            scope: 'population:read civil-status:read land:read social-insurance:read budget:read audit:read purpose:free-text',
            jurisdiction: '*',
            purpose: 'Soak test HS-SOAK',
            client: `soak-desk-${String(i).padStart(3, '0')}`,
            ttlSeconds: 6 * 3600,
          },
          env,
        ),
      ),
    );
    let turn = 0;
    const headers = () => ({ authorization: `Bearer ${tokens[turn++ % tokens.length]}` });

    const sample = await fetchSample(product.populationMockUrl, product.mocksControlKey, 1000);
    const catalogue = await fetch(product.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers() },
      body: JSON.stringify({ query: '{ provinces { code communes { code } } }' }),
    }).then((r) => r.json() as Promise<{ data?: { provinces: { code: string; communes: { code: string }[] }[] } }>);
    if (!catalogue.data) throw new Error(`the gateway did not list the provinces: ${JSON.stringify(catalogue).slice(0, 200)}`);
    const provinceOfCommune = new Map(catalogue.data.provinces.flatMap((p) => p.communes.map((c) => [c.code, p.code] as const)));
    const next = createWorkload(sample, (commune) => provinceOfCommune.get(commune));

    let rate = values.rate ? positive(values.rate, 'rate') : 0;
    let maxRate: number | null = null;
    const ramp: { rate: number; summary: LoadSummary }[] = [];
    if (!rate) {
      console.log('soak: finding the highest sustainable rate…');
      await runLoad({ url: product.gatewayUrl, rate: 5, durationMs: 5000, next, headers }); // warm
      let unloadedP50 = 0;
      for (let target = 10; target < 5000; target = Math.round(target * 1.3)) {
        const summary = await runLoad({ url: product.gatewayUrl, rate: target, durationMs: stepMs, next, headers });
        ramp.push({ rate: target, summary });
        unloadedP50 ||= summary.latency.p50;
        const queueing = summary.latency.p50 > Math.max(100, 4 * unloadedP50) || summary.latency.p99 > maxP99;
        const ok = summary.errorCount === 0 && summary.shed === 0 && summary.achievedRate >= target * 0.95 && !queueing;
        console.log(
          `  ${target}/s: ${summary.achievedRate}/s answered, p50 ${summary.latency.p50} ms, p99 ${summary.latency.p99} ms, ${summary.errorCount} errors, ${summary.shed} shed${ok ? '' : '  ← limit'}`,
        );
        if (!ok) break;
        maxRate = target;
        await new Promise((r) => setTimeout(r, 2000));
      }
      if (!maxRate) throw new Error('the product did not sustain even 10 requests/s without errors, shedding or queueing');
      rate = Math.max(1, Math.round(maxRate * rateShare));
      console.log(`soak: highest sustainable rate ${maxRate}/s; soaking at ${rate}/s (${Math.round(rateShare * 100)}%)`);
    }

    // Every province's budget and every commune once, as a transparency portal's first visitors
    // would: the commune-level caches (the catalogue's and the budget's, 10 minutes and more by
    // default) then hold every commune, so the memory measured after the warm-up is steady state
    // rather than those caches filling.
    // With variables, as clients should: one document, one query plan.
    const province = 'query WarmProvince($code: ID!) { province(code: $code) { budget(fiscalYear: 2026) { balance } } }';
    const commune = 'query WarmCommune($code: ID!) { commune(code: $code) { name province { name } budget(fiscalYear: 2026) { balance revenue { totalEstimate totalActual } } } }';
    const warmQueries = [
      ...catalogue.data.provinces.map(({ code }) => ({ query: province, variables: { code } })),
      ...[...provinceOfCommune.keys()].map((code) => ({ query: commune, variables: { code } })),
    ];
    console.log(`soak: warming the commune-level caches (${warmQueries.length} questions)…`);
    let nextWarm = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextWarm < warmQueries.length) {
          const request = warmQueries[nextWarm++];
          const response = await fetch(product.gatewayUrl, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...headers() },
            body: JSON.stringify(request),
          });
          await response.arrayBuffer();
        }
      }),
    );

    console.log(`soak: ${rate} requests/s for ${values.duration} (warm-up ${Math.round(warmupMs / 1000)} s)…`);
    const memory: MemorySample[] = [];
    const sampleMemory = () => {
      const bytes: Record<string, number> = {};
      for (const process of product.processes) {
        const rss = residentBytes(process.pid);
        if (rss !== null) bytes[process.label] = rss;
      }
      memory.push({ at: Date.now(), bytes });
    };
    const soakStarted = Date.now();
    sampleMemory();
    // About twenty samples after the warm-up at least; every 5 s in long runs.
    const sampleEveryMs = Math.min(5000, Math.max(1000, (durationMs - warmupMs) / 20));
    const sampler = setInterval(sampleMemory, sampleEveryMs);
    const progress = setInterval(() => {
      const elapsed = Math.round((Date.now() - soakStarted) / 1000);
      const last = memory[memory.length - 1];
      const subgraphs = Object.entries(last.bytes).filter(([label]) => label.startsWith('subgraph:')).reduce((sum, [, bytes]) => sum + bytes, 0);
      console.log(`  ${elapsed} s: gateway ${mb(last.bytes.gateway ?? 0)} MB, subgraphs ${mb(subgraphs)} MB resident`);
    }, 60_000);
    const measured: RequestResult[] = [];
    const measuredFrom = performance.now() + warmupMs;
    const all = await runLoad({
      url: product.gatewayUrl,
      rate,
      durationMs,
      next,
      headers,
      onResult: (result) => {
        if (result.startedAt >= measuredFrom) measured.push(result);
      },
    });
    clearInterval(sampler);
    clearInterval(progress);
    sampleMemory();

    const afterWarmup = summarize(measured, measured.length, 0, durationMs - warmupMs);
    const warmEnd = soakStarted + warmupMs;
    // Compared: the medians of the first and of the last third of the samples after the warm-up,
    // long enough to see past garbage collection's sawtooth (100 MB and more in the gateway).
    const afterWarm = memory.filter((m) => m.at >= warmEnd);
    const window = Math.max(1, Math.floor(afterWarm.length / 3));
    const baseline = afterWarm.slice(0, window);
    const final = afterWarm.slice(-window);
    const growth: Record<string, { baselineMb: number; finalMb: number; growthPercent: number }> = {};
    for (const { label } of product.processes as ProductProcess[]) {
      const start = median(baseline.map((m) => m.bytes[label]).filter((v) => v !== undefined));
      const end = median(final.map((m) => m.bytes[label]).filter((v) => v !== undefined));
      if (start > 0) growth[label] = { baselineMb: mb(start), finalMb: mb(end), growthPercent: Math.round(((end - start) / start) * 1000) / 10 };
    }

    const report = {
      measuredAt: new Date().toISOString(),
      node: process.version,
      worldSize: Number(values['world-size']),
      audit: product.audit,
      maxRate,
      rate,
      durationS: durationMs / 1000,
      warmupS: warmupMs / 1000,
      whole: { sent: all.sent, answered: all.answered, shed: all.shed, errors: all.errorCount, errorKinds: all.errors },
      afterWarmup: { answered: afterWarmup.answered, achievedRate: afterWarmup.achievedRate, latencyMs: afterWarmup.latency, byKind: afterWarmup.byKind, errors: afterWarmup.errorCount },
      residentMemory: growth,
      residentMemorySamplesMb: memory.map((m) => ({ s: Math.round((m.at - soakStarted) / 1000), ...Object.fromEntries(Object.entries(m.bytes).map(([label, bytes]) => [label, mb(bytes)])) })),
      ramp: ramp.map(({ rate: r, summary }) => ({ rate: r, achieved: summary.achievedRate, p50: summary.latency.p50, p99: summary.latency.p99, errors: summary.errorCount, shed: summary.shed })),
    };
    printReport(report);
    if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2));

    // The product's own processes are held to the limit; the mock sources only stand in for it.
    const checked = Object.entries(growth).filter(([label]) => label !== 'mocks');
    const problems = [
      ...(all.errorCount > 0 ? [`${all.errorCount} errors`] : []),
      ...(all.shed > 0 ? [`${all.shed} requests shed (the product fell behind)`] : []),
      ...checked.filter(([, g]) => g.growthPercent >= maxGrowth).map(([label, g]) => `${label}'s resident memory grew ${g.growthPercent}% (limit ${maxGrowth}%)`),
    ];
    if (problems.length > 0) console.log(`\nsoak: FAILED: ${problems.join('; ')}`);
    else console.log('\nsoak: passed: no errors, nothing shed, memory steady');
    exitCode = problems.length > 0 ? 1 : 0;
  } finally {
    await product.stop();
    if (exitCode === 0) removeProductFiles(product);
    else console.log(`soak: the processes' output is in ${product.logFile}`);
  }
  process.exit(exitCode);
}

function printReport(report: {
  rate: number;
  durationS: number;
  warmupS: number;
  whole: { sent: number; answered: number; shed: number; errors: number; errorKinds: Record<string, number> };
  afterWarmup: { answered: number; achievedRate: number; latencyMs: { p50: number; p90: number; p99: number; max: number }; byKind: Record<string, { count: number; latency: { p50: number; p99: number } }> };
  residentMemory: Record<string, { baselineMb: number; finalMb: number; growthPercent: number }>;
}): void {
  const { whole, afterWarmup } = report;
  console.log(`\n${report.rate} requests/s for ${report.durationS} s: ${whole.sent} sent, ${whole.answered} answered, ${whole.errors} errors, ${whole.shed} shed`);
  for (const [kind, count] of Object.entries(whole.errorKinds)) console.log(`  error ${kind}: ${count}`);
  console.log(`after the ${report.warmupS} s warm-up: ${afterWarmup.answered} answered at ${afterWarmup.achievedRate}/s`);
  const l = afterWarmup.latencyMs;
  console.log(`  latency ms: p50 ${l.p50}, p90 ${l.p90}, p99 ${l.p99}, max ${l.max}`);
  for (const [kind, { count, latency }] of Object.entries(afterWarmup.byKind)) {
    console.log(`    ${kind.padEnd(11)} ${String(count).padStart(7)} requests, p50 ${latency.p50} ms, p99 ${latency.p99} ms`);
  }
  console.log('resident memory (median of the first and of the last third of the samples after the warm-up):');
  for (const [label, g] of Object.entries(report.residentMemory)) {
    console.log(`  ${label.padEnd(28)} ${g.baselineMb} MB → ${g.finalMb} MB (${g.growthPercent >= 0 ? '+' : ''}${g.growthPercent}%)`);
  }
}

main().catch((error: unknown) => {
  console.error(`soak: ${(error as Error).message}`);
  process.exit(2);
});
