/**
 * `npm run capacity -- <results.json> [--communes N] [--utilisation 0.6] [--design-factor 3]`:
 * the cores a province, the largest city and the country need, from one `npm run bench` run's CPU
 * per request of each product process (gateway, subgraphs, Redis; the mock sources left out) and
 * the load assumptions of docs/capacity.md (A1–A7). An operator measures on their own servers
 * (`npm run bench -- --gateways ours --workloads dossier,budget,cold --no-probe`, with
 * `--one-subgraph-process` for the one-server shape) and reads their own figures here.
 */
import { readFileSync } from 'node:fs';
import { CommandInputError, parseCommandLine, runCommand } from './command-line';
import { medianOfRounds, number, type RunResult } from './report';

/** The load model of docs/capacity.md; each field names its assumption there. */
export interface LoadAssumptions {
  /** A1: the largest city's 19,000 dossiers a day over its 168 communes. */
  dossiersPerCommunePerDay: number;
  /** A4: gateway requests per dossier (at reception and at decision). */
  requestsPerDossier: number;
  /** A5: share of a day's dossiers filed in the peak hour. */
  peakHourShare: number;
  /** A6: aggregate requests (budget portals, dashboards) per dossier request. */
  aggregatesPerDossierRequest: number;
  /** A7: the design load as a multiple of the peak. */
  designFactor: number;
  /** A7: the share of a core planned busy. */
  utilisation: number;
}

export const DEFAULT_ASSUMPTIONS: LoadAssumptions = {
  dossiersPerCommunePerDay: 19_000 / 168,
  requestsPerDossier: 2,
  peakHourShare: 0.2,
  aggregatesPerDossierRequest: 1,
  designFactor: 3,
  utilisation: 0.6,
};

export interface Scope {
  name: string;
  communes: number;
}

/** Communes per the official catalogue (`../shared/data/vn-admin-units.json`, docs/capacity.md M7). */
export const SCOPES: readonly Scope[] = [
  { name: 'a province (Bắc Ninh)', communes: 99 },
  { name: 'the largest city (Hồ Chí Minh City)', communes: 168 },
  { name: 'the country', communes: 3_321 },
];

/** CPU ms per request of each product process: for a dossier request and for an aggregate one. */
export interface ProcessCosts {
  /** Process names in order: `gateway` first, then the subgraph processes, then `redis`. */
  processes: string[];
  dossier: Record<string, number>;
  aggregate: Record<string, number>;
  /** Which workload each dossier figure is the larger of (`dossier` or `cold`). */
  dossierFrom: Record<string, string>;
}

export class CapacityInputError extends CommandInputError {}

/** The product's processes' CPU per request for one workload (the mock sources are not the product). */
function costsOf(result: RunResult): Record<string, number> {
  const costs: Record<string, number> = { gateway: result.cpuMsPerRequest!.gateway };
  for (const [name, ms] of Object.entries(result.cpuMsPerRequestBehind!)) if (name !== 'mocks') costs[name] = ms;
  return costs;
}

/**
 * Per process, a dossier request costs the larger of a dossier and a cold dossier (every cache
 * missed); an aggregate request costs the budget workload's figure. Rounds are taken as their median.
 */
export function processCosts(results: readonly RunResult[]): ProcessCosts {
  const ours = medianOfRounds(results.filter((r) => r.gateway === 'ours' && r.cpuMsPerRequest && r.cpuMsPerRequestBehind));
  const of = (workload: string) => ours.find((r) => r.workload === workload);
  const dossierRuns = [of('dossier'), of('cold')].filter((r): r is RunResult => r !== undefined);
  const budget = of('budget');
  if (dossierRuns.length === 0 || !budget) {
    throw new CapacityInputError(
      'The results hold no CPU figures of this gateway for the dossier (or cold) and budget workloads: run `npm run bench -- --gateways ours --workloads dossier,budget,cold --no-probe` (not --alone) and pass its results.json',
    );
  }
  const dossier: Record<string, number> = {};
  const dossierFrom: Record<string, string> = {};
  for (const run of dossierRuns) {
    for (const [name, ms] of Object.entries(costsOf(run))) {
      if (dossier[name] === undefined || ms > dossier[name]) {
        dossier[name] = ms;
        dossierFrom[name] = run.workload;
      }
    }
  }
  const aggregate = costsOf(budget);
  const names = new Set([...Object.keys(dossier), ...Object.keys(aggregate)]);
  names.delete('gateway');
  names.delete('redis');
  const processes = ['gateway', ...[...names].sort(), ...(dossier.redis !== undefined || aggregate.redis !== undefined ? ['redis'] : [])];
  return { processes, dossier, aggregate, dossierFrom };
}

export interface ScopeLoad {
  scope: Scope;
  dossiersPerDay: number;
  /** Dossier requests per second in the peak hour, and at the design load (× the design factor). */
  peakRequestsPerSecond: number;
  designRequestsPerSecond: number;
  designAggregatesPerSecond: number;
}

export function loadOf(scope: Scope, assumptions: LoadAssumptions): ScopeLoad {
  const dossiersPerDay = scope.communes * assumptions.dossiersPerCommunePerDay;
  const peakRequestsPerSecond = (dossiersPerDay * assumptions.requestsPerDossier * assumptions.peakHourShare) / 3600;
  const designRequestsPerSecond = peakRequestsPerSecond * assumptions.designFactor;
  return { scope, dossiersPerDay, peakRequestsPerSecond, designRequestsPerSecond, designAggregatesPerSecond: designRequestsPerSecond * assumptions.aggregatesPerDossierRequest };
}

/** CPU ms per second each process needs at the scope's design load, and the cores that is at the planned utilisation. */
export function coresOf(load: ScopeLoad, costs: ProcessCosts, assumptions: LoadAssumptions): Record<string, { msPerSecond: number; cores: number }> {
  const needs: Record<string, { msPerSecond: number; cores: number }> = {};
  for (const name of costs.processes) {
    const msPerSecond = load.designRequestsPerSecond * (costs.dossier[name] ?? 0) + load.designAggregatesPerSecond * (costs.aggregate[name] ?? 0);
    needs[name] = { msPerSecond, cores: msPerSecond / (1000 * assumptions.utilisation) };
  }
  return needs;
}

/** The three tables docs/capacity.md shows: CPU per request, load at peak, and cores per process. */
export function capacityReport(results: readonly RunResult[], assumptions: LoadAssumptions = DEFAULT_ASSUMPTIONS, scopes: readonly Scope[] = SCOPES): string {
  const costs = processCosts(results);
  const total = (figures: Record<string, number>) => costs.processes.reduce((sum, name) => sum + (figures[name] ?? 0), 0);
  const lines = [
    '| process | CPU ms per dossier request (the larger of dossier and cold) | CPU ms per aggregate request (budget) |',
    '|---|---:|---:|',
    ...costs.processes.map((name) => `| ${name} | ${number(costs.dossier[name] ?? 0, 2)} (${costs.dossierFrom[name] ?? '–'}) | ${number(costs.aggregate[name] ?? 0, 2)} |`),
    `| **product** | **${number(total(costs.dossier), 2)}** | **${number(total(costs.aggregate), 2)}** |`,
    '',
    `| scope | communes | dossiers/day | dossier requests/s at peak | × ${assumptions.designFactor} (design) | aggregate requests/s (design) |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  const loads = scopes.map((scope) => loadOf(scope, assumptions));
  for (const load of loads) {
    lines.push(
      `| ${load.scope.name} | ${number(load.scope.communes, 0)} | ${number(load.dossiersPerDay, 0)} | ${number(load.peakRequestsPerSecond, 2)} | ${number(load.designRequestsPerSecond, 2)} | ${number(load.designAggregatesPerSecond, 2)} |`,
    );
  }
  // A row per process and a column per scope: readable for one process or ten.
  const needs = loads.map((load) => coresOf(load, costs, assumptions));
  const cell = (need: { msPerSecond: number; cores: number }) => `${number(need.cores, 2)} (${number(need.msPerSecond, 0)})`;
  lines.push(
    '',
    `Cores at the design load, planned ${number(assumptions.utilisation * 100, 0)} % busy (CPU ms per second in brackets):`,
    '',
    `| process | ${loads.map((load) => load.scope.name).join(' | ')} |`,
    `|---|${loads.map(() => '---:').join('|')}|`,
    ...costs.processes.map((name) => `| ${name} | ${needs.map((need) => cell(need[name])).join(' | ')} |`),
    `| **product** | ${needs.map((need) => `**${number(costs.processes.reduce((sum, name) => sum + need[name].cores, 0), 2)}**`).join(' | ')} |`,
  );
  return lines.join('\n');
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new CapacityInputError(`${flag} must be a positive number, got "${text}"`);
  return value;
}

function main(): void {
  const { values, positionals } = parseCommandLine({
    allowPositionals: true,
    options: {
      communes: { type: 'string' },
      utilisation: { type: 'string' },
      'design-factor': { type: 'string' },
      'dossiers-per-commune': { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    throw new CapacityInputError('usage: npm run capacity -- <results.json of npm run bench> [--communes N] [--utilisation 0.6] [--design-factor 3] [--dossiers-per-commune 113.1]');
  }
  const assumptions: LoadAssumptions = {
    ...DEFAULT_ASSUMPTIONS,
    ...(values.utilisation !== undefined ? { utilisation: positiveNumber(values.utilisation, '--utilisation') } : {}),
    ...(values['design-factor'] !== undefined ? { designFactor: positiveNumber(values['design-factor'], '--design-factor') } : {}),
    ...(values['dossiers-per-commune'] !== undefined ? { dossiersPerCommunePerDay: positiveNumber(values['dossiers-per-commune'], '--dossiers-per-commune') } : {}),
  };
  if (assumptions.utilisation > 1) throw new CapacityInputError('--utilisation is a share of a core: at most 1');
  const scopes = values.communes !== undefined ? [...SCOPES, { name: 'yours', communes: positiveNumber(values.communes, '--communes') }] : SCOPES;
  let parsed: { results?: RunResult[] };
  try {
    parsed = JSON.parse(readFileSync(positionals[0], 'utf8')) as { results?: RunResult[] };
  } catch (error) {
    throw new CapacityInputError(`Cannot read ${positionals[0]} as a benchmark's results.json: ${(error as Error).message}`);
  }
  if (!Array.isArray(parsed.results)) throw new CapacityInputError(`${positionals[0]} holds no "results" list: pass the results.json that npm run bench wrote`);
  console.log(capacityReport(parsed.results, assumptions, scopes));
}

if (require.main === module) runCommand('capacity', main);
