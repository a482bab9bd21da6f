/** The benchmark's results as a markdown table (printed, and pasted into docs/benchmarks.md) and JSON. */
import type { WorkloadName } from './workloads';
import type { TimeOutsideSources } from './critical-path';
import { IDLE_BEFORE_PROBE_MS } from './idle-round-trip';

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
  /** With `--rounds` above 1: which round (from 1) this measurement belongs to. */
  round?: number;
  workload: WorkloadName | 'cold, 1 connection' | 'cold, critical path';
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
  /** The critical-path run: source round trips in a row per request (median, most) and the median request's chain. */
  criticalPath?: {
    roundTripsP50: number;
    roundTripsMax: number;
    chain: string[];
    /** The chain of a request that waited on the most round trips (absent in older results). */
    longestChain?: string[];
    /** Source calls a request did not wait for, still running when the next began (absent in older results). */
    callsFromEarlierRequests?: number;
    sourceLatencyMs: [number, number];
    /** Medians of the time outside the sources along each request's chain (absent in older results). */
    outsideSourcesMsP50?: TimeOutsideSources;
    /** This machine during the run: a loopback round trip to an idle process, and back to back, µs (absent in older results). */
    loopbackRoundTripUsP50?: { idle: number; backToBack: number };
  };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** A result per gateway and workload: alone as it is, measured in several rounds as the median of each figure (errors and requests added up). */
export function medianOfRounds(results: readonly RunResult[]): RunResult[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.gateway}\u0000${r.workload}`;
    const group = groups.get(key);
    if (group) group.push(r);
    else groups.set(key, [r]);
  }
  return [...groups.values()].map((runs) => {
    if (runs.length === 1) return runs[0];
    const of = (value: (r: RunResult) => number) => median(runs.map(value));
    const { round: _round, ...first } = runs[0];
    const cpu = runs.every((r) => r.cpuMsPerRequest) ? { gateway: of((r) => r.cpuMsPerRequest!.gateway), behind: of((r) => r.cpuMsPerRequest!.behind) } : null;
    const own = runs.every((r) => r.gatewayOwnMs) ? { p50: of((r) => r.gatewayOwnMs!.p50), p99: of((r) => r.gatewayOwnMs!.p99) } : null;
    const behind = runs.every((r) => r.cpuMsPerRequestBehind)
      ? Object.fromEntries(Object.keys(runs[0].cpuMsPerRequestBehind!).map((name) => [name, of((r) => r.cpuMsPerRequestBehind![name] ?? 0)]))
      : null;
    return {
      ...first,
      requestsPerSecond: of((r) => r.requestsPerSecond),
      p50Ms: of((r) => r.p50Ms),
      p99Ms: of((r) => r.p99Ms),
      requests: runs.reduce((sum, r) => sum + r.requests, 0),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
      sourceCallsPerRequest: runs.every((r) => r.sourceCallsPerRequest !== null) ? of((r) => r.sourceCallsPerRequest!) : null,
      gatewayOwnMs: own,
      cpuMsPerRequest: cpu,
      cpuMsPerRequestBehind: behind,
    };
  });
}

/** Ours against a peer: the requests/s ratio, and the CPU ratio (the peer's CPU per request over ours; NaN when either is unknown). */
function versus(ours: RunResult, other: RunResult): { requestsPerSecond: number; cpu: number } {
  const [mine, theirs] = [ours.cpuMsPerRequest?.gateway, other.cpuMsPerRequest?.gateway];
  return { requestsPerSecond: ours.requestsPerSecond / other.requestsPerSecond, cpu: mine && theirs ? theirs / mine : NaN };
}

/** A figure as the tables print it: grouped thousands, `digits` decimals, – when not a number. */
export const number = (value: number, digits = 0) =>
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
      const ratio = versus(ours, other);
      return `${number(ratio.requestsPerSecond, 2)}×, ${Number.isFinite(ratio.cpu) ? `${number(ratio.cpu, 2)}×` : '–'}`;
    });
    const p99s = [ours, ...peers.map((p) => find(p, workload))].map((r) => (r ? number(r.p99Ms, 1) : '–')).join(' / ');
    lines.push(`| ${workload} | ${cells.join(' | ')} | ${p99s} |`);
  }
  return lines.join('\n');
}

/** Processes of the product (everything but the mock sources) in the per-process table's order. */
function productProcesses(results: readonly RunResult[]): string[] {
  const names = new Set<string>();
  for (const r of results) for (const name of Object.keys(r.cpuMsPerRequestBehind ?? {})) if (name !== 'mocks') names.add(name);
  return [...names];
}

/**
 * CPU ms per request of each process, for this gateway's runs: the gateway, each subgraph, Redis,
 * the product's total, and the mock sources (not the product) apart.
 */
export function cpuTable(results: readonly RunResult[]): string {
  const runs = results.filter((r) => r.gateway === 'ours' && r.cpuMsPerRequest && r.cpuMsPerRequestBehind);
  if (runs.length === 0) return '';
  const processes = productProcesses(runs);
  const lines = [`| process | ${runs.map((r) => r.workload).join(' | ')} |`, `|---|${runs.map(() => '---:').join('|')}|`];
  const row = (label: string, value: (r: RunResult) => number) => lines.push(`| ${label} | ${runs.map((r) => number(value(r), 2)).join(' | ')} |`);
  row('gateway', (r) => r.cpuMsPerRequest!.gateway);
  for (const name of processes) row(name, (r) => r.cpuMsPerRequestBehind![name] ?? 0);
  const behindProduct = (r: RunResult) => processes.reduce((sum, name) => sum + (r.cpuMsPerRequestBehind![name] ?? 0), 0);
  row('**subgraphs + Redis**', behindProduct);
  row('**product: gateway + subgraphs + Redis**', (r) => r.cpuMsPerRequest!.gateway + behindProduct(r));
  row('mock sources (not the product)', (r) => r.cpuMsPerRequestBehind!.mocks ?? 0);
  return lines.join('\n');
}

function outside(times: TimeOutsideSources | undefined): string {
  return times ? `${number(times.beforeFirstMs, 1)} / ${number(times.betweenMs, 1)} / ${number(times.afterLastMs, 1)}` : '–';
}

/** The critical-path runs: latency of a cold dossier asked alone, and the source round trips it waited on. */
export function criticalPathTable(results: readonly RunResult[]): string {
  const runs = results.filter((r) => r.criticalPath);
  if (runs.length === 0) return '';
  const lines = [
    '| gateway | source latency (ms) | requests | p50 (ms) | p99 (ms) | errors | source round trips in a row: median / most | the median request\'s chain | outside the sources, p50 (ms): before the first call / between calls / after the last |',
    '|---|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const r of runs) {
    const path = r.criticalPath!;
    const latency = path.sourceLatencyMs[0] === path.sourceLatencyMs[1] ? `${path.sourceLatencyMs[0]}` : `${path.sourceLatencyMs[0]}–${path.sourceLatencyMs[1]}`;
    lines.push(
      `| ${GATEWAY_LABELS[r.gateway]} | ${latency} | ${r.requests} | ${number(r.p50Ms, 1)} | ${number(r.p99Ms, 1)} | ${r.errors} | ${path.roundTripsP50} / ${path.roundTripsMax} | ${path.chain.join(' → ')} | ${outside(path.outsideSourcesMsP50)} |`,
    );
  }
  // A request that waited on more round trips than the median one: which calls it waited on.
  for (const r of runs) {
    const path = r.criticalPath!;
    if (path.longestChain && path.roundTripsMax > path.roundTripsP50) {
      lines.push('', `${GATEWAY_LABELS[r.gateway]}: a request waited on ${path.roundTripsMax} round trips: ${path.longestChain.join(' → ')}`);
    }
    if (path.callsFromEarlierRequests) {
      lines.push('', `${GATEWAY_LABELS[r.gateway]}: ${path.callsFromEarlierRequests} source call(s) still running when the next request began (its answer had left without them; left out of that request's chain)`);
    }
    const loopback = path.loopbackRoundTripUsP50;
    if (loopback) {
      lines.push(
        '',
        `During the run of ${GATEWAY_LABELS[r.gateway]}, a loopback round trip of a kilobyte to a process idle for ${IDLE_BEFORE_PROBE_MS} ms took ${number(loopback.idle, 0)} µs (p50), ` +
          `${number(loopback.backToBack, 0)} µs back to back. Each hop of a dossier asked alone goes to a process that sat idle.`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Every round's figures for this gateway and the ratios to each peer measured in that same round
 * (requests/s, and CPU: the peer's CPU per request over ours), then the median of each column.
 */
export function roundsTable(results: readonly RunResult[]): string {
  const peers = (['apollo', 'hive', 'hive-router'] as const).filter((peer) => results.some((r) => r.gateway === peer));
  const row = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['workload', 'round', 'ours: requests/s, CPU ms / request', ...peers.map((p) => `vs ${GATEWAY_LABELS[p]}: requests/s, CPU`)]),
    `|---|---:|---:|${peers.map(() => '---:|').join('')}`,
  ];
  const gatewayCpu = (r: RunResult) => r.cpuMsPerRequest?.gateway ?? NaN;
  /** The median of the values that are numbers, formatted; – when there are none. */
  const middle = (values: number[], digits: number, suffix = '') => {
    const known = values.filter(Number.isFinite);
    return known.length ? `${number(median(known), digits)}${suffix}` : '–';
  };
  for (const workload of [...new Set(results.map((r) => r.workload))]) {
    const ourRounds = results.filter((r) => r.gateway === 'ours' && r.workload === workload && r.round !== undefined).sort((a, b) => a.round! - b.round!);
    const ratios = peers.map(() => ({ rps: [] as number[], cpu: [] as number[] }));
    for (const ours of ourRounds) {
      const cells = peers.map((peer, i) => {
        const other = results.find((r) => r.gateway === peer && r.workload === workload && r.round === ours.round);
        if (!other) return '–';
        const ratio = versus(ours, other);
        ratios[i].rps.push(ratio.requestsPerSecond);
        ratios[i].cpu.push(ratio.cpu);
        return `${number(ratio.requestsPerSecond, 2)}×, ${number(ratio.cpu, 2)}×`;
      });
      lines.push(row([workload, String(ours.round), `${number(ours.requestsPerSecond)}, ${number(gatewayCpu(ours), 2)}`, ...cells]));
    }
    const oursMedian = `${middle(ourRounds.map((r) => r.requestsPerSecond), 0)}, ${middle(ourRounds.map(gatewayCpu), 2)}`;
    lines.push(row([workload, 'median', oursMedian, ...ratios.map(({ rps, cpu }) => (rps.length ? `**${middle(rps, 2, '×')}**, ${middle(cpu, 2, '×')}` : '–'))]));
  }
  return lines.join('\n');
}
