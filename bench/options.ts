/** The benchmark's command-line options (`npm run bench -- --duration 20 …`), checked up front. */
import { findRedisServer } from '../stack/redis';
import { CommandInputError } from './command-line';
import { GATEWAYS, GatewayName } from './report';
import { WORKLOADS, WorkloadName } from './workloads';

export interface BenchOptions {
  /** Requests per measured run: every gateway answers the same questions, so its caches see the same. */
  requests: number;
  /** Dossiers before the measured runs of each gateway. */
  warmupRequests: number;
  /** Seconds per run of the ceiling (it answers thousands a second). */
  ceilingS: number;
  /** Seconds of load on the sources and subgraphs, once, before any gateway is measured. */
  stackWarmupS: number;
  /** Concurrent connections (desks asking at once). */
  connections: number;
  gateways: GatewayName[];
  workloads: WorkloadName[];
  /** Source latency, uniform between the two, ms (the same twice: fixed, no jitter). */
  latencyMs: [number, number];
  worldSize: number;
  zipf: number;
  redis: boolean;
  /** The one-connection cold run (latency without queueing), and its length. */
  probe: boolean;
  probeRequests: number;
  /** Cold dossiers one at a time, reading the sources' call log: round trips on the critical path. */
  criticalPath: boolean;
  /** Write a V8 CPU profile of every process the benchmark starts into this folder. */
  cpuProfileDir: string | null;
  /**
   * The gateway alone: subgraphs replaced by stand-ins answering from memory (recorded from the
   * real subgraphs for each gateway first), the gateway on core 0, everything else on core 1.
   */
  alone: boolean;
  /** Every subgraph in one process, as `npm start` runs them on one server (default: one process each, as on Kubernetes). */
  oneSubgraphProcess: boolean;
  /**
   * Each gateway measured this many times, the gateways taking turns (the order reversed every
   * other round), and the tables giving each figure's median: on a shared machine whose speed
   * drifts within minutes, one pass per gateway compares the machine's moments as much as the
   * gateways.
   */
  rounds: number;
}

export const USAGE = `usage: npm run bench -- [--requests 400] [--warmup 150] [--stack-warmup 15] [--connections 32]
                      [--gateways ${GATEWAYS.join(',')}] [--workloads ${WORKLOADS.join(',')}] [--latency 20-80 | 50]
                      [--world-size 100000] [--zipf 1.0] [--probe-requests 25] [--no-probe] [--critical-path]
                      [--ceiling-duration 5]
                      [--no-redis] [--cpu-prof <folder>] [--alone] [--one-subgraph-process] [--rounds 1]`;

function list<T extends string>(value: string, allowed: readonly T[], flag: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = items.filter((item) => !(allowed as readonly string[]).includes(item));
  if (items.length === 0 || unknown.length > 0) throw new CommandInputError(`${flag}: expected some of ${allowed.join(', ')}; got ${value}\n${USAGE}`);
  return items as T[];
}

function positive(value: string, flag: string, { integer = true, min = 1 } = {}): number {
  const n = Number(value);
  if (value === '' || !Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new CommandInputError(`${flag}: expected a number ≥ ${min}; got ${value}\n${USAGE}`);
  return n;
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const options: BenchOptions = {
    requests: 400,
    warmupRequests: 150,
    ceilingS: 5,
    stackWarmupS: 15,
    connections: 32,
    gateways: [...GATEWAYS],
    workloads: [...WORKLOADS],
    latencyMs: [20, 80],
    worldSize: 100_000,
    zipf: 1.0,
    redis: findRedisServer() !== null,
    probe: true,
    probeRequests: 25,
    criticalPath: false,
    cpuProfileDir: null,
    alone: false,
    oneSubgraphProcess: false,
    rounds: 1,
  };
  // Flags that take a value, and what each does with it.
  const valued: Record<string, (value: string, flag: string) => void> = {
    '--requests': (v, f) => (options.requests = positive(v, f, { min: 50 })),
    '--warmup': (v, f) => (options.warmupRequests = positive(v, f, { min: 0 })),
    '--ceiling-duration': (v, f) => (options.ceilingS = positive(v, f)),
    '--stack-warmup': (v, f) => (options.stackWarmupS = positive(v, f, { min: 0 })),
    '--connections': (v, f) => (options.connections = positive(v, f)),
    '--world-size': (v, f) => (options.worldSize = positive(v, f)),
    '--zipf': (v, f) => (options.zipf = positive(v, f, { integer: false, min: 0 })),
    '--probe-requests': (v, f) => (options.probeRequests = positive(v, f)),
    '--rounds': (v, f) => (options.rounds = positive(v, f)),
    '--gateways': (v, f) => (options.gateways = list(v, GATEWAYS, f)),
    '--workloads': (v, f) => (options.workloads = list(v, WORKLOADS, f)),
    '--cpu-prof': (v) => (options.cpuProfileDir = v),
    '--latency': (v, f) => {
      // `50` is a fixed latency, without jitter: what the critical-path run needs.
      const match = /^(\d+)(?:-(\d+))?$/.exec(v);
      const [min, max] = match ? [Number(match[1]), Number(match[2] ?? match[1])] : [NaN, NaN];
      if (!match || min > max) throw new CommandInputError(`${f}: expected min-max in ms, e.g. 20-80, or one fixed value, e.g. 50; got ${v}\n${USAGE}`);
      options.latencyMs = [min, max];
    },
  };
  const switches: Record<string, () => void> = {
    '--no-probe': () => (options.probe = false),
    '--critical-path': () => (options.criticalPath = true),
    '--no-redis': () => (options.redis = false),
    '--alone': () => (options.alone = true),
    '--one-subgraph-process': () => (options.oneSubgraphProcess = true),
  };
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    given.add(flag);
    if (switches[flag]) {
      switches[flag]();
    } else if (valued[flag]) {
      const value = argv[++i];
      if (value === undefined) throw new CommandInputError(`${flag}: expected a value\n${USAGE}`);
      valued[flag](value, flag);
    } else {
      throw new CommandInputError(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (options.alone) {
    // Measured alone, a gateway is compared with its peers on the personal workloads; the
    // subgraphs' warm-up and the one-connection probe measure what stands behind it.
    if (!given.has('--gateways')) options.gateways = ['ours', 'apollo', 'hive', 'hive-router'];
    if (!given.has('--workloads')) options.workloads = ['dossier', 'household', 'cold'];
    if (!given.has('--stack-warmup')) options.stackWarmupS = 0;
    options.probe = false;
    if (options.gateways.includes('ceiling')) throw new CommandInputError(`--alone: the ceiling has no subgraphs to stand in for; leave it out\n${USAGE}`);
  }
  if (options.gateways.includes('ceiling') && !options.gateways.includes('ours')) {
    throw new CommandInputError(`--gateways: the ceiling serves this gateway's answers, so it needs "ours" in the list too\n${USAGE}`);
  }
  // The ceiling replays this gateway's answers: it runs last.
  options.gateways.sort((a, b) => GATEWAYS.indexOf(a) - GATEWAYS.indexOf(b));
  return options;
}
