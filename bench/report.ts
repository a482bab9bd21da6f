/** The benchmark's results as a markdown table (printed, and pasted into docs/benchmarks.md) and JSON. */
import type { WorkloadName } from './workloads';

export const GATEWAYS = ['ours', 'apollo', 'hive', 'hive-router', 'ceiling'] as const;
export type GatewayName = (typeof GATEWAYS)[number];

export const GATEWAY_LABELS: Record<GatewayName, string> = {
  ours: 'this gateway (auth + audit on)',
  apollo: 'plain @apollo/gateway',
  hive: 'Hive Gateway',
  'hive-router': 'Hive Gateway, Rust query planner',
  ceiling: 'ceiling: bare node:http, same bytes',
};

export interface RunResult {
  gateway: GatewayName;
  workload: WorkloadName | 'cold, 1 connection';
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Transport errors, timeouts, non-2xx answers and answers carrying GraphQL errors. */
  errors: number;
  /** Source calls per request, all sources together, and per source. */
  sourceCallsPerRequest: number | null;
  sourceCallsBySource: Record<string, number> | null;
  /** Our gateway only: its own time per request (Server-Timing), p50 and p99, ms. */
  gatewayOwnMs: { p50: number; p99: number } | null;
  /** CPU time per request: the gateway's processes, and everything behind it (subgraphs, mocks, Redis). */
  cpuMsPerRequest: { gateway: number; behind: number } | null;
  cpuMsPerRequestBehind: Record<string, number> | null;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const number = (value: number, digits = 0) =>
  Number.isFinite(value) ? value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : '–';

export function markdownTable(results: readonly RunResult[]): string {
  const lines = [
    '| workload | gateway | requests/s | p50 (ms) | p99 (ms) | errors | source calls / request | gateway\'s own time p50 / p99 (ms) | CPU ms / request: gateway + behind it |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.workload} | ${GATEWAY_LABELS[r.gateway]} | ${number(r.requestsPerSecond)} | ${number(r.p50Ms, 1)} | ${number(r.p99Ms, 1)} | ${r.errors} of ${number(r.requests)} | ${
        r.sourceCallsPerRequest === null ? '–' : number(r.sourceCallsPerRequest, 2)
      } | ${r.gatewayOwnMs ? `${number(r.gatewayOwnMs.p50, 2)} / ${number(r.gatewayOwnMs.p99, 2)}` : '–'} | ${
        r.cpuMsPerRequest ? `${number(r.cpuMsPerRequest.gateway, 2)} + ${number(r.cpuMsPerRequest.behind, 2)}` : '–'
      } |`,
    );
  }
  return lines.join('\n');
}

/** Ours against each other gateway, per workload: the ratios the targets are stated in. */
export function ratios(results: readonly RunResult[]): string {
  const lines = [
    '| workload | requests/s vs plain Apollo | vs Hive | vs Hive, Rust planner | p99 ours / Apollo / Hive / Hive Rust planner (ms) |',
    '|---|---:|---:|---:|---:|',
  ];
  const find = (gateway: GatewayName, workload: RunResult['workload']) => results.find((r) => r.gateway === gateway && r.workload === workload);
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const ours = find('ours', workload);
    if (!ours) continue;
    const others = (['apollo', 'hive', 'hive-router'] as const).map((gateway) => find(gateway, workload));
    const ratio = (other?: RunResult) => (other ? `${number(ours.requestsPerSecond / other.requestsPerSecond, 2)}×` : '–');
    const p99s = [ours, ...others].map((r) => (r ? number(r.p99Ms, 1) : '–')).join(' / ');
    lines.push(`| ${workload} | ${others.map(ratio).join(' | ')} | ${p99s} |`);
  }
  return lines.join('\n');
}

/**
 * The gateway-alone table (`--alone`): subgraphs answer from memory, so what differs is the
 * gateway. Its CPU per request decides how many cores a province needs; on a shared machine it
 * also moves far less than requests per second, so the table gives what one core would serve at
 * that cost (1000 ÷ CPU ms) beside what was measured.
 */
export function aloneTable(results: readonly RunResult[]): string {
  const lines = [
    '| workload | gateway | requests/s | p50 (ms) | p99 (ms) | errors | gateway CPU ms / request | one core at that cost (requests/s) |',
    '|---|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const cpu = r.cpuMsPerRequest?.gateway;
    lines.push(
      `| ${r.workload} | ${GATEWAY_LABELS[r.gateway]} | ${number(r.requestsPerSecond)} | ${number(r.p50Ms, 1)} | ${number(r.p99Ms, 1)} | ${r.errors} of ${number(r.requests)} | ${
        cpu === undefined ? '–' : number(cpu, 2)
      } | ${cpu ? number(1000 / cpu) : '–'} |`,
    );
  }
  return lines.join('\n');
}

/** Ours against each peer, alone: measured requests/s, and what the CPU per request allows. */
export function aloneRatios(results: readonly RunResult[]): string {
  const peers = ['apollo', 'hive', 'hive-router'] as const;
  const lines = [
    `| workload | ${peers.map((p) => `vs ${GATEWAY_LABELS[p]}: requests/s, CPU`).join(' | ')} | p99 ours / ${peers.map((p) => GATEWAY_LABELS[p]).join(' / ')} (ms) |`,
    `|---|${peers.map(() => '---:').join('|')}|---:|`,
  ];
  const find = (gateway: GatewayName, workload: RunResult['workload']) => results.find((r) => r.gateway === gateway && r.workload === workload);
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const ours = find('ours', workload);
    if (!ours) continue;
    const cells = peers.map((peer) => {
      const other = find(peer, workload);
      if (!other) return '–';
      const cpu = ours.cpuMsPerRequest && other.cpuMsPerRequest ? `${number(other.cpuMsPerRequest.gateway / ours.cpuMsPerRequest.gateway, 2)}×` : '–';
      return `${number(ours.requestsPerSecond / other.requestsPerSecond, 2)}×, ${cpu}`;
    });
    const p99s = [ours, ...peers.map((p) => find(p, workload))].map((r) => (r ? number(r.p99Ms, 1) : '–')).join(' / ');
    lines.push(`| ${workload} | ${cells.join(' | ')} | ${p99s} |`);
  }
  return lines.join('\n');
}
