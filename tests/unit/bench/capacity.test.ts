/** Cores from a benchmark's CPU per request: the arithmetic docs/capacity.md relies on. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { capacityReport, CapacityInputError, coresOf, DEFAULT_ASSUMPTIONS, loadOf, processCosts, SCOPES } from '../../../bench/capacity';
import type { RunResult } from '../../../bench/report';

function run(workload: RunResult['workload'], gateway: number, behind: Record<string, number>, extra: Partial<RunResult> = {}): RunResult {
  return {
    gateway: 'ours',
    workload,
    requestsPerSecond: 100,
    p50Ms: 100,
    p99Ms: 300,
    requests: 300,
    errors: 0,
    sourceCallsPerRequest: null,
    sourceCallsBySource: null,
    gatewayOwnMs: null,
    cpuMsPerRequest: { gateway, behind: Object.values(behind).reduce((a, b) => a + b, 0) },
    cpuMsPerRequestBehind: behind,
    ...extra,
  };
}

// One subgraph process: a cold dossier costs the subgraphs more, a warm one costs the gateway more.
const oneProcess = [
  run('dossier', 7, { subgraphs: 7.5, redis: 0.5, mocks: 2 }),
  run('cold', 6, { subgraphs: 9, redis: 0.4, mocks: 3 }),
  run('budget', 1, { subgraphs: 0.5, redis: 0.1, mocks: 0 }),
  run('household', 5, { subgraphs: 20, redis: 1, mocks: 1 }),
];

describe('capacity from a benchmark', () => {
  it('costs a dossier request at the larger of dossier and cold per process, an aggregate at budget, and leaves the mock sources out', () => {
    const costs = processCosts(oneProcess);
    expect(costs.processes).toEqual(['gateway', 'subgraphs', 'redis']);
    expect(costs.dossier).toEqual({ gateway: 7, subgraphs: 9, redis: 0.5 });
    expect(costs.dossierFrom).toEqual({ gateway: 'dossier', subgraphs: 'cold', redis: 'dossier' });
    expect(costs.aggregate).toEqual({ gateway: 1, subgraphs: 0.5, redis: 0.1 });
  });

  it('takes the median of rounds and ignores the other gateways', () => {
    const rounds = [
      run('dossier', 7, { subgraphs: 7, redis: 0.5 }, { round: 1 }),
      run('dossier', 9, { subgraphs: 8, redis: 0.5 }, { round: 2 }),
      run('dossier', 8, { subgraphs: 30, redis: 0.5 }, { round: 3 }),
      run('budget', 1, { subgraphs: 0.5, redis: 0.1 }),
      { ...run('dossier', 50, { subgraphs: 50 }), gateway: 'apollo' as const },
    ];
    expect(processCosts(rounds).dossier).toEqual({ gateway: 8, subgraphs: 8, redis: 0.5 });
  });

  it('reproduces the load model of docs/capacity.md: 125.2 dossier requests a second for the country at the design load', () => {
    const [province, city, country] = SCOPES.map((scope) => loadOf(scope, DEFAULT_ASSUMPTIONS));
    expect(province.dossiersPerDay).toBeCloseTo(11_196.4, 1);
    expect(city.dossiersPerDay).toBeCloseTo(19_000, 6);
    expect(city.peakRequestsPerSecond).toBeCloseTo(2.11, 2);
    expect(country.designRequestsPerSecond).toBeCloseTo(125.2, 1);
    expect(country.designAggregatesPerSecond).toBeCloseTo(country.designRequestsPerSecond, 9);
  });

  it('turns CPU per request into cores at the planned utilisation', () => {
    const costs = processCosts(oneProcess);
    const country = loadOf(SCOPES[2], DEFAULT_ASSUMPTIONS);
    const needs = coresOf(country, costs, DEFAULT_ASSUMPTIONS);
    // 125.2 dossier requests × 9 ms + 125.2 aggregates × 0.5 ms = 1,189 ms of CPU a second; at 60 %: 1.98 cores.
    expect(needs.subgraphs.msPerSecond).toBeCloseTo(country.designRequestsPerSecond * 9.5, 6);
    expect(needs.subgraphs.cores).toBeCloseTo((country.designRequestsPerSecond * 9.5) / 600, 6);
    expect(needs.gateway.cores).toBeCloseTo((country.designRequestsPerSecond * 8) / 600, 6);
    const busier = coresOf(country, costs, { ...DEFAULT_ASSUMPTIONS, utilisation: 0.3 });
    expect(busier.gateway.cores).toBeCloseTo(needs.gateway.cores * 2, 6);
  });

  it('gives a core figure per subgraph when each ran in its own process', () => {
    const perProcess = [
      run('dossier', 7, { population: 4, 'civil-status': 3, redis: 0.6, mocks: 2 }),
      run('budget', 1, { budget: 0.4, redis: 0.1 }),
    ];
    const report = capacityReport(perProcess);
    expect(processCosts(perProcess).processes).toEqual(['gateway', 'budget', 'civil-status', 'population', 'redis']);
    expect(report).toContain('| process | a province (Bắc Ninh) | the largest city (Hồ Chí Minh City) | the country |');
    // The country's population subgraph: 125.2 dossier requests × 4 ms ÷ 600 ms of a core.
    expect(report).toMatch(/^\| population \| [^|]+ \| [^|]+ \| 0\.83 \(501\) \|$/m);
    expect(report).toContain('| **product** | **14.60** | **1.50** |');
    expect(report).not.toContain('mocks');
  });

  it('says which workloads are missing instead of printing zeros', () => {
    expect(() => processCosts([run('dossier', 7, { subgraphs: 7 })])).toThrow(CapacityInputError);
    expect(() => processCosts([run('budget', 1, { subgraphs: 1 })])).toThrow(/--workloads dossier,budget,cold/);
    // A gateway-alone run has no subgraphs behind it to size.
    expect(() => processCosts([{ ...run('dossier', 7, {}), cpuMsPerRequestBehind: null }])).toThrow(/not --alone/);
  });

  it('runs from the command line, adding the operator\'s own scope, and refuses bad input with a one-line error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capacity-'));
    const file = join(dir, 'results.json');
    writeFileSync(file, JSON.stringify({ results: oneProcess }));
    const cli = (...args: string[]) => spawnSync(process.execPath, [require.resolve('tsx/cli'), resolve(__dirname, '../../../bench/capacity.ts'), ...args], { encoding: 'utf8' });
    const ok = cli(file, '--communes', '50');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^\| yours \| 50 \| 5,655 \|/m);
    expect(ok.stdout).toMatch(/^\| process \| a province \(Bắc Ninh\) \| the largest city \(Hồ Chí Minh City\) \| the country \| yours \|$/m);
    for (const [args, message] of [
      [[file, '--utilisation', '2'], /at most 1/],
      [[file, '--communes', 'many'], /--communes must be a positive number, got "many"/],
      [[join(dir, 'missing.json')], /Cannot read .*missing\.json/],
      [[], /usage: npm run capacity/],
      [[file, '--cores', '4'], /^capacity: Unknown option '--cores'/],
    ] as const) {
      const refused = cli(...args);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(message);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
