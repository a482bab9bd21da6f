/**
 * `npm run bench`: the whole stack as separate processes — the mock sources with realistic
 * latency (20–80 ms per call), each subgraph in its own process sharing a Redis, and one gateway at
 * a time — driven by autocannon. Each gateway runs the same workloads against the same subgraphs:
 * this gateway (authentication and audit on), a plain @apollo/gateway, Hive Gateway, and the
 * ceiling (a bare node:http server returning the same bytes). Prints a markdown table and writes
 * JSON and logs under bench-results/<date>/.
 *
 *   npm run bench -- [--requests 400] [--warmup 150] [--stack-warmup 15] [--connections 32]
 *                    [--gateways ours,apollo,hive,ceiling] [--workloads dossier,household,budget,cold]
 *                    [--latency 20-80 | 50] [--world-size 100000] [--zipf 1.0] [--probe-requests 25] [--no-probe]
 *                    [--critical-path] [--ceiling-duration 5] [--no-redis] [--cpu-prof <folder>] [--alone]
 *                    [--one-subgraph-process] [--rounds 1]
 *
 * After the main table it prints this gateway's CPU ms per request by process (gateway, each
 * subgraph, Redis; the mocks apart), and with --critical-path (best with a fixed --latency 50) the
 * source round trips a cold dossier asked alone waits on in a row (bench/critical-path.ts), with
 * what a loopback round trip to an idle process cost the machine meanwhile (bench/idle-round-trip.ts).
 *
 * `--alone` measures the gateway alone, as published gateway benchmarks do: the subgraphs are
 * replaced by stand-ins answering from memory (bench/stand-ins.ts; every gateway's record pass
 * through the real subgraphs first, then the measured passes replayed), the gateway pinned to
 * core 0 (`taskset`) and the load generator, stand-ins and Redis to core 1. Defaults there: this
 * gateway, plain Apollo, Hive Gateway and Hive Gateway with its Rust query planner; dossier,
 * household and cold.
 *
 * With `--rounds N` each gateway is measured N times, taking turns with the others (ours, Apollo,
 * Hive, then Hive, Apollo, ours, …), and the tables give the median of each figure, with a table
 * of every round's ratios after them: the machine's drift then weighs on every gateway alike.
 *
 * Every gateway is asked the same questions in the same order (a fixed number of requests per
 * run, drawn from seeded samplers), so their caches see the same hits and misses and a faster
 * gateway is not rewarded or punished with a different mix.
 *
 * Each gateway answers `--warmup` dossiers before its measured runs, before the cold ones too:
 * cold means empty caches, not a process V8 has not yet compiled (`--warmup 0` measures that).
 *
 * Before each gateway, and before each cold run, every cache is emptied (Redis flushed and the
 * subgraphs' few-second memory copies and this gateway's kept answers left to expire; without
 * Redis, the subgraphs restarted), so
 * no gateway inherits another's warm caches. The subgraphs run in benchmark mode
 * (SUBGRAPH_TRUST_UNSIGNED=true), since the other gateways cannot sign their calls.
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import autocannon from 'autocannon';
import Redis from 'ioredis';
import { acceptSecurityFeatures } from '../gateway/access/requirements';
import { ensureDevKeys } from '../lib/keys';
import { envPrefix, SOURCES, SourceName, SUBGRAPHS, SubgraphName } from '../lib/sources';
import { generateWorld, MOCKS_CONTROL_HEADER, World } from '../mocks';
import { mintDevToken } from '../lib/dev-tokens';
import { freePort } from '../stack/ports';
import { sleep } from '../stack/wait';
import { findRedisServer, startRedis } from '../stack/redis';
import { BenchOptions, parseOptions, USAGE } from './options';
import { cpuOf, withDescendants } from './cpu';
import { addNodeFlags, Child, nodeCommand, ROOT, startChild, stopAllChildren, tsxCommand, waitForUrl } from './processes';
import { CommandInputError } from './command-line';
import { measureCriticalPath } from './critical-path';
import { aloneRatios, aloneTable, cpuTable, criticalPathTable, GATEWAY_LABELS, GatewayName, markdownTable, medianOfRounds, percentile, ratios, roundsTable, RunResult } from './report';
import { createWorkload, WorkloadName } from './workloads';

const SEED = 20260701;
/** The budget question is answered much faster by some gateways: it is asked more times. */
const BUDGET_SHARE = 2.5;
/** The subgraphs' in-process copies of Redis entries live this long (lib/kv/redis-store.ts). */
const LOCAL_COPY_MS = 5000;
/** This gateway's reuse of a caller's subgraph answers, as deployed by default (SUBGRAPH_ANSWER_CACHE_TTL_S). */
const ANSWER_TTL_S = 10;

interface Stack {
  mocks: Record<SourceName, string>;
  /** The header the mocks' test endpoints (`/__stats`) require. */
  mocksControl: Record<string, string>;
  subgraphUrls: Record<SubgraphName, string>;
  restartSubgraphs(): Promise<void>;
  /** Processes behind the gateway: mocks and subgraphs, by name. */
  processes(): Map<string, number>;
  stop(): Promise<void>;
}

function say(message: string): void {
  process.stdout.write(`bench: ${message}\n`);
}

async function startStack(options: BenchOptions, env: NodeJS.ProcessEnv, logDir: string): Promise<Stack> {
  const mockPorts = Object.fromEntries(await Promise.all(SOURCES.map(async (s) => [s, await freePort()]))) as Record<SourceName, number>;
  const mocksEnv: NodeJS.ProcessEnv = {
    ...env,
    MOCKS_HOST: '127.0.0.1',
    MOCK_LATENCY_MS: String(options.latencyMs[0]),
    MOCK_JITTER_MS: String(options.latencyMs[1] - options.latencyMs[0]),
    MOCKS_CONTROL_KEY: randomBytes(24).toString('base64url'),
  };
  for (const source of SOURCES) mocksEnv[`${envPrefix(source)}_MOCK_PORT`] = String(mockPorts[source]);
  const mocks = startChild('mocks', tsxCommand('mocks/main.ts'), mocksEnv, logDir);
  const mockUrls = Object.fromEntries(SOURCES.map((s) => [s, `http://127.0.0.1:${mockPorts[s]}`])) as Record<SourceName, string>;
  for (const source of SOURCES) await waitForUrl(`${mockUrls[source]}/__health`, `mock ${source}`, mocks);

  const subgraphPorts = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (s) => [s, await freePort()]))) as Record<SubgraphName, number>;
  const subgraphEnv: NodeJS.ProcessEnv = { ...env, SUBGRAPH_HOST: '127.0.0.1', SUBGRAPH_TRUST_UNSIGNED: 'true' };
  for (const source of SOURCES) subgraphEnv[`${envPrefix(source)}_SOURCE_URL`] = mockUrls[source];
  for (const name of SUBGRAPHS) subgraphEnv[`${envPrefix(name)}_SUBGRAPH_PORT`] = String(subgraphPorts[name]);
  let subgraphs: Child[] = [];
  const startSubgraphs = async () => {
    // One process per subgraph, as deployed on Kubernetes; or all in one, as one server runs them.
    subgraphs = options.oneSubgraphProcess
      ? [startChild('subgraphs', tsxCommand('subgraphs/main.ts'), subgraphEnv, logDir)]
      : SUBGRAPHS.map((name) => startChild(`subgraph-${name}`, tsxCommand('subgraphs/main.ts', name), subgraphEnv, logDir));
    for (const [i, name] of SUBGRAPHS.entries()) {
      await waitForUrl(`http://127.0.0.1:${subgraphPorts[name]}/ready`, `subgraph ${name}`, subgraphs[Math.min(i, subgraphs.length - 1)]);
    }
  };
  await startSubgraphs();
  return {
    mocks: mockUrls,
    mocksControl: { [MOCKS_CONTROL_HEADER]: mocksEnv.MOCKS_CONTROL_KEY as string },
    subgraphUrls: Object.fromEntries(SUBGRAPHS.map((s) => [s, `http://127.0.0.1:${subgraphPorts[s]}/graphql`])) as Record<SubgraphName, string>,
    processes: () => new Map([mocks, ...subgraphs].flatMap((child) => (child.process.pid ? [[child.name, child.process.pid] as const] : []))),
    async restartSubgraphs() {
      await Promise.all(subgraphs.map((child) => child.stop()));
      await startSubgraphs();
    },
    async stop() {
      await Promise.all([...subgraphs, mocks].map((child) => child.stop()));
    },
  };
}

/** Ports are chosen free, but on a shared machine another process may take one first: try again. */
async function startStackRetrying(options: BenchOptions, env: NodeJS.ProcessEnv, logDir: string): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStack(options, env, logDir);
    } catch (error) {
      await stopAllChildren();
      if (attempt === 3) throw error;
      say(`the stack did not start (${(error as Error).message}); trying again on other ports`);
    }
  }
}

/** The supergraph the other gateways are given: routing URLs of this run, security @links loadable. */
function supergraphForOthers(subgraphUrls: Record<SubgraphName, string>): string {
  let sdl = acceptSecurityFeatures(readFileSync(join(ROOT, 'schema/supergraph.graphql'), 'utf8'));
  for (const name of SUBGRAPHS) {
    sdl = sdl.replace(new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`), `$1${subgraphUrls[name]}$2`);
  }
  return sdl;
}

interface StandIns {
  child: Child;
  urls: Record<SubgraphName, string>;
  /** `record`: pass each call to the real subgraph and keep its answer; `replay`: answer from memory. */
  mode(mode: 'record' | 'replay'): Promise<void>;
  forget(): Promise<void>;
  stats(): Promise<{ recorded: number; hits: number; misses: number }>;
}

/** The gateway-alone mode's subgraphs (bench/stand-ins.ts), in front of the real ones. */
async function startStandIns(stack: Stack, env: NodeJS.ProcessEnv, runDir: string, logDir: string): Promise<StandIns> {
  const ports = Object.fromEntries(await Promise.all(SUBGRAPHS.map(async (s) => [s, await freePort()]))) as Record<SubgraphName, number>;
  const configFile = join(runDir, 'stand-ins.json');
  writeFileSync(configFile, JSON.stringify({ subgraphs: SUBGRAPHS.map((name) => ({ name, port: ports[name], realUrl: stack.subgraphUrls[name] })) }));
  const child = startChild('stand-ins', tsxCommand('bench/stand-ins.ts', configFile), env, logDir);
  for (const name of SUBGRAPHS) await waitForUrl(`http://127.0.0.1:${ports[name]}/health`, `stand-in ${name}`, child);
  const control = `http://127.0.0.1:${ports[SUBGRAPHS[0]]}/__stand-ins`;
  return {
    child,
    urls: Object.fromEntries(SUBGRAPHS.map((s) => [s, `http://127.0.0.1:${ports[s]}/graphql`])) as Record<SubgraphName, string>,
    async mode(mode) {
      await fetch(`${control}/mode`, { method: 'POST', body: JSON.stringify({ mode }) });
    },
    async forget() {
      await fetch(control, { method: 'DELETE' });
    },
    stats: async () => (await (await fetch(`${control}/stats`)).json()) as { recorded: number; hits: number; misses: number },
  };
}

interface SourceStats {
  requests: number;
}

async function sourceCalls(stack: Stack): Promise<Record<SourceName, number>> {
  const counts = await Promise.all(SOURCES.map(async (s) => ((await (await fetch(`${stack.mocks[s]}/__stats`, { headers: stack.mocksControl })).json()) as SourceStats).requests));
  return Object.fromEntries(SOURCES.map((s, i) => [s, counts[i]])) as Record<SourceName, number>;
}

async function resetSourceCalls(stack: Stack): Promise<void> {
  await Promise.all(SOURCES.map((s) => fetch(`${stack.mocks[s]}/__stats`, { method: 'DELETE', headers: stack.mocksControl })));
}

interface Target {
  gateway: GatewayName;
  /** The URL for a workload (the ceiling serves one path per workload). */
  url(workload: WorkloadName): string;
  headers: Record<string, string>;
  /** The gateway's processes (and, for CPU accounting, what runs behind it, by name). */
  pids(): number[];
  behind(): Map<string, number>;
}

interface MeasureOptions {
  workload: WorkloadName;
  resultName?: RunResult['workload'];
  /** How many requests (every gateway is asked the same questions), or for how long (the ceiling). */
  amount: { requests: number } | { seconds: number };
  connections: number;
  seed: number;
  countSourceCalls: boolean;
}

async function measure(target: Target, stack: Stack, world: World, options: BenchOptions, run: MeasureOptions): Promise<RunResult> {
  const workload = createWorkload(run.workload, world, options.zipf, run.seed);
  if (run.countSourceCalls) await resetSourceCalls(stack);
  let failed = 0;
  const ownMs: number[] = [];
  const [gatewayPids, behind] = [target.pids(), target.behind()];
  const behindBefore = new Map([...behind].map(([name, pid]) => [name, cpuOf([pid])]));
  const gatewayBefore = cpuOf(gatewayPids);
  // Timed here: autocannon ends a fixed-count run on its next one-second tick, so its own
  // duration can overstate a 6-second run by up to a sixth.
  const startedAt = performance.now();
  let lastAnswerAt = startedAt;
  const result = await autocannon({
    url: target.url(run.workload),
    connections: run.connections,
    ...('requests' in run.amount ? { amount: run.amount.requests } : { duration: run.amount.seconds }),
    timeout: 30,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        setupRequest: (request) => ({ ...request, body: workload.nextBody() }),
        onResponse: (status, body, _context, headers) => {
          lastAnswerAt = performance.now();
          if (status !== 200 || body.includes('"errors"')) failed++;
          const timing = headers?.['server-timing'];
          const own = typeof timing === 'string' ? /gateway;dur=([\d.]+)/.exec(timing) : null;
          if (own) ownMs.push(Number(own[1]));
        },
      },
    ],
  });
  const requests = result['2xx'] + result.non2xx;
  const behindUsed = new Map([...behind].map(([name, pid]) => [name, cpuOf([pid]) - (behindBefore.get(name) ?? 0)]));
  const cpuUsed = [cpuOf(gatewayPids) - gatewayBefore, [...behindUsed.values()].reduce((a, b) => a + b, 0)];
  const calls = run.countSourceCalls ? await sourceCalls(stack) : null;
  const totalCalls = calls ? Object.values(calls).reduce((a, b) => a + b, 0) : null;
  return {
    gateway: target.gateway,
    workload: run.resultName ?? run.workload,
    requestsPerSecond: requests / ('requests' in run.amount ? (lastAnswerAt - startedAt) / 1000 : result.duration),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    requests,
    // Answers with a non-2xx status are counted once, in `failed`.
    errors: result.errors + result.timeouts + failed,
    sourceCallsPerRequest: totalCalls === null || requests === 0 ? null : totalCalls / requests,
    sourceCallsBySource: calls && requests > 0 ? Object.fromEntries(Object.entries(calls).map(([s, n]) => [s, n / requests])) : null,
    gatewayOwnMs: ownMs.length > 0 ? { p50: percentile(ownMs, 50), p99: percentile(ownMs, 99) } : null,
    cpuMsPerRequest: requests > 0 ? { gateway: cpuUsed[0] / requests, behind: cpuUsed[1] / requests } : null,
    cpuMsPerRequestBehind: requests > 0 ? Object.fromEntries([...behindUsed].map(([name, ms]) => [name, ms / requests])) : null,
  };
}

/** Cold dossiers one at a time: latency, and the source round trips each waited on in a row. */
async function criticalPathRun(target: Target, stack: Stack, world: World, options: BenchOptions): Promise<RunResult> {
  const workload = createWorkload('cold', world, options.zipf, SEED + 4);
  const bodies = Array.from({ length: options.probeRequests }, () => workload.nextBody());
  const [gatewayPids, behind] = [target.pids(), target.behind()];
  const behindBefore = new Map([...behind].map(([name, pid]) => [name, cpuOf([pid])]));
  const gatewayBefore = cpuOf(gatewayPids);
  const { samples, roundTrips } = await measureCriticalPath({ url: target.url('cold'), headers: target.headers, bodies, mocks: stack.mocks, mocksControl: stack.mocksControl });
  const requests = samples.length;
  const behindUsed = new Map([...behind].map(([name, pid]) => [name, cpuOf([pid]) - (behindBefore.get(name) ?? 0)]));
  const byRoundTrips = [...samples].sort((a, b) => a.roundTrips - b.roundTrips || a.ms - b.ms);
  const median = byRoundTrips[Math.floor((byRoundTrips.length - 1) / 2)];
  const most = byRoundTrips[byRoundTrips.length - 1];
  const totalCalls = samples.reduce((sum, s) => sum + s.sourceCalls, 0);
  return {
    gateway: target.gateway,
    workload: 'cold, critical path',
    requestsPerSecond: requests / (samples.reduce((sum, s) => sum + s.ms, 0) / 1000),
    p50Ms: percentile(samples.map((s) => s.ms), 50),
    p99Ms: percentile(samples.map((s) => s.ms), 99),
    requests,
    errors: samples.filter((s) => s.failed).length,
    sourceCallsPerRequest: totalCalls / requests,
    sourceCallsBySource: null,
    gatewayOwnMs: null,
    cpuMsPerRequest: { gateway: (cpuOf(gatewayPids) - gatewayBefore) / requests, behind: [...behindUsed.values()].reduce((a, b) => a + b, 0) / requests },
    cpuMsPerRequestBehind: Object.fromEntries([...behindUsed].map(([name, ms]) => [name, ms / requests])),
    criticalPath: {
      roundTripsP50: median.roundTrips,
      roundTripsMax: most.roundTrips,
      chain: median.chain,
      longestChain: most.chain,
      callsFromEarlierRequests: samples.reduce((sum, s) => sum + s.callsFromEarlier, 0),
      sourceLatencyMs: options.latencyMs,
      outsideSourcesMsP50: {
        beforeFirstMs: percentile(samples.map((s) => s.outside.beforeFirstMs), 50),
        betweenMs: percentile(samples.map((s) => s.outside.betweenMs), 50),
        afterLastMs: percentile(samples.map((s) => s.outside.afterLastMs), 50),
      },
      loopbackRoundTripUsP50: { idle: percentile(roundTrips.idleUs, 50), backToBack: percentile(roundTrips.backToBackUs, 50) },
    },
  };
}

async function main(): Promise<void> {
  if (process.argv.includes('--help')) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const options = parseOptions(process.argv.slice(2));
  // Alone: everything this process starts inherits core 1; each gateway is then moved to core 0.
  if (options.alone) execFileSync('taskset', ['-a', '-cp', '1', String(process.pid)], { stdio: 'ignore' });
  if (options.cpuProfileDir) addNodeFlags('--cpu-prof', `--cpu-prof-dir=${resolve(options.cpuProfileDir)}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const runDir = join(ROOT, 'bench-results', stamp);
  const logDir = join(runDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const devDir = join(runDir, 'dev');
  await ensureDevKeys(devDir);

  const adminUnitsFile = join(ROOT, '../shared/data/vn-admin-units.json');
  say(`generating the world (${options.worldSize.toLocaleString('en-US')} citizens) to draw questions from`);
  const world = generateWorld({ size: options.worldSize, seed: 'vn-2026', adminUnitsFile, inconsistencyRate: 0.02 });
  const communesOf24 = world.catalogue.communes.filter((c) => c.ProvinceCode === '24').length;

  if (options.redis && !findRedisServer()) throw new Error('redis-server is not installed (apt-get install redis-server), or run with --no-redis');
  const redis = options.redis ? await startRedis() : null;
  cleanUp = async () => {
    await stopAllChildren();
    await redis?.stop();
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DEV_DIR: devDir,
    LOG_LEVEL: 'warn',
    AUDIT_FILE: join(runDir, 'audit.log'),
    WORLD_SIZE: String(options.worldSize),
    WORLD_SEED: 'vn-2026',
    ADMIN_UNITS_FILE: adminUnitsFile,
    // No calls out of the machine from any gateway (Apollo's usage telemetry).
    APOLLO_TELEMETRY_DISABLED: 'true',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...(redis ? { REDIS_URL: redis.url } : {}),
  };
  say(`starting mocks (${options.latencyMs[0]}–${options.latencyMs[1]} ms per source call), ${SUBGRAPHS.length} subgraphs${redis ? ' and Redis' : ''}`);
  const stack = await startStackRetrying(options, env, logDir);
  const flusher = redis ? new Redis(redis.url) : null;
  const standIns = options.alone ? await startStandIns(stack, env, runDir, logDir) : null;
  const subgraphUrls = standIns?.urls ?? stack.subgraphUrls;

  /** Empties every cache the gateways and subgraphs keep. */
  const emptyCaches = async () => {
    if (flusher) await flusher.flushall();
    else await stack.restartSubgraphs();
    // The subgraphs' memory copies and this gateway's kept answers expire meanwhile.
    await sleep(Math.max(flusher ? LOCAL_COPY_MS : 0, ANSWER_TTL_S * 1000) + 500);
  };

  const othersSupergraph = join(runDir, 'supergraph-for-apollo-and-hive.graphql');
  writeFileSync(othersSupergraph, supergraphForOthers(subgraphUrls));
  const token = await mintDevToken(
    { scope: 'population:read civil-status:read land:read social-insurance:read budget:read purpose:free-text', jurisdiction: '*', purpose: 'Benchmark HS-BENCH-0001', ttlSeconds: 8 * 3600 },
    env,
  );

  const redisPid = redis?.pid ? [['redis', redis.pid] as const] : [];
  // Alone, what stands behind a gateway is the stand-ins (and Redis); the real stack is idle.
  const behind = () =>
    new Map(standIns?.child.process.pid ? [['stand-ins', standIns.child.process.pid] as const, ...redisPid] : [...stack.processes(), ...redisPid]);
  /** Alone, a gateway gets core 0 to itself. */
  const pinned = (argv: string[]) => (options.alone ? ['taskset', '-c', '0', ...argv] : argv);
  const results: RunResult[] = [];
  const answers: Partial<Record<WorkloadName, string>> = {};
  const workloads = options.workloads;

  /** Starts one gateway (or the ceiling) and waits until it answers. */
  const launch = async (gateway: GatewayName): Promise<{ child: Child; target: Target }> => {
    const port = await freePort();
    let child: Child;
    let launched: Omit<Target, 'pids'>;
    const gatewayEnv: NodeJS.ProcessEnv = { ...env, PORT: String(port), HOST: '127.0.0.1' };
    if (gateway === 'ours') {
      child = startChild('gateway-ours', pinned(tsxCommand('gateway/main.ts')), {
        ...gatewayEnv,
        SUBGRAPH_URLS: SUBGRAPHS.map((s) => `${s}=${subgraphUrls[s]}`).join(','),
        SERVER_TIMING: 'true',
        SUBGRAPH_ANSWER_CACHE_TTL_S: String(ANSWER_TTL_S),
        // The benchmark's single client would otherwise be rate-limited as one desk.
        RATE_LIMIT_PER_SECOND: '1000000',
        RATE_LIMIT_BURST: '1000000',
      }, logDir);
      launched = { gateway, url: () => `http://127.0.0.1:${port}/graphql`, headers: { authorization: `Bearer ${token}` }, behind };
    } else if (gateway === 'apollo') {
      child = startChild('gateway-apollo', pinned(tsxCommand('bench/apollo-gateway.ts', String(port), othersSupergraph)), gatewayEnv, logDir);
      launched = { gateway, url: () => `http://127.0.0.1:${port}/`, headers: {}, behind };
    } else if (gateway === 'hive' || gateway === 'hive-router') {
      // hive-router: the same CLI with Hive Router's Rust query planner (@graphql-hive/router-runtime).
      const hiveArgs = ['supergraph', othersSupergraph, '--port', String(port), '--host', '127.0.0.1', ...(gateway === 'hive-router' ? ['--hive-router-runtime'] : [])];
      child = startChild(`gateway-${gateway}`, pinned(nodeCommand(join(ROOT, 'node_modules/@graphql-hive/gateway/dist/bin.js'), ...hiveArgs)), gatewayEnv, logDir);
      launched = { gateway, url: () => `http://127.0.0.1:${port}/graphql`, headers: {}, behind };
    } else {
      const answersFile = join(runDir, 'ceiling-answers.json');
      writeFileSync(answersFile, JSON.stringify(answers));
      child = startChild('ceiling', tsxCommand('bench/ceiling-server.ts', String(port), answersFile), gatewayEnv, logDir);
      launched = { gateway, url: (workload) => `http://127.0.0.1:${port}/graphql/${workload}`, headers: {}, behind: () => new Map() };
    }
    const started = child;
    const target: Target = { ...launched, pids: () => withDescendants(started.process.pid) };
    await waitForUrl(target.url('budget'), GATEWAY_LABELS[gateway], child, 120_000, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...target.headers },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    return { child, target };
  };

  // Freshly started sources and subgraphs run slower until V8 has compiled their hot paths: they
  // are warmed up once, through a gateway that is not measured, so that the gateway measured first
  // does not pay for it.
  if (options.stackWarmupS > 0) {
    say(`warming up sources and subgraphs (${options.stackWarmupS} s, not measured)`);
    const { child, target } = await launch('apollo');
    for (const workload of ['dossier', 'household', 'budget'] as const) {
      await measure(target, stack, world, options, {
        workload,
        amount: { seconds: Math.max(1, Math.round(options.stackWarmupS / 3)) },
        connections: options.connections,
        seed: SEED + 3,
        countSourceCalls: false,
      });
    }
    await child.stop();
  }

  /**
   * One gateway's runs: its warm-up, then each workload (caches emptied before the cold one).
   * `record` (alone mode) runs the same requests through the stand-ins in record mode, so that
   * the measured pass finds every subgraph call in memory; its figures are dropped.
   */
  const exercise = async (gateway: GatewayName, pass: 'record' | 'measure', round = 1): Promise<void> => {
    await emptyCaches();
    const { child, target } = await launch(gateway);
    say(`${GATEWAY_LABELS[gateway]}: ready${pass === 'record' ? ' (recording its subgraph calls)' : ''}`);

    // One answer per workload: checked for errors, and kept (ours) for the ceiling to serve.
    for (const workload of workloads) {
      const response = await fetch(target.url(workload), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...target.headers },
        body: createWorkload(workload, world, options.zipf, SEED).nextBody(),
      });
      const text = await response.text();
      if (response.status !== 200 || text.includes('"errors"')) say(`WARNING: ${gateway} answered ${workload} with ${response.status}: ${text.slice(0, 300)}`);
      if (gateway === 'ours') answers[workload] = text;
    }

    const isCeiling = gateway === 'ceiling';
    const keep = (result: RunResult) => results.push(options.rounds > 1 ? { ...result, round } : result);
    const run = (workload: WorkloadName, extra: Partial<MeasureOptions> = {}) =>
      measure(target, stack, world, options, {
        workload,
        amount: isCeiling ? { seconds: options.ceilingS } : { requests: Math.round(options.requests * (workload === 'budget' ? BUDGET_SHARE : 1)) },
        connections: options.connections,
        seed: SEED,
        countSourceCalls: !isCeiling && !options.alone,
        ...extra,
      });

    if (options.warmupRequests > 0 && !isCeiling) {
      say(`${gateway}: warming up (${options.warmupRequests} dossiers)`);
      await run('dossier', { amount: { requests: options.warmupRequests }, seed: SEED + 1, countSourceCalls: false });
    }
    for (const workload of workloads) {
      if (workload === 'cold' && !isCeiling) {
        say(`${gateway}: emptying caches for the cold run`);
        await emptyCaches();
      }
      say(`${gateway}: ${workload} (${isCeiling ? `${options.ceilingS} s` : 'the same requests as every gateway'}, ${options.connections} connections)`);
      const result = await run(workload);
      if (pass === 'measure') keep(result);
      say(`  ${Math.round(result.requestsPerSecond)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${result.errors} errors`);
    }
    if (options.probe && workloads.includes('cold') && !isCeiling) {
      // Latency without queueing: one request at a time, each a cache miss.
      await emptyCaches();
      say(`${gateway}: cold, one connection (${options.probeRequests} requests)`);
      keep(await run('cold', { connections: 1, amount: { requests: options.probeRequests }, seed: SEED + 2, resultName: 'cold, 1 connection' }));
    }
    if (options.criticalPath && !isCeiling) {
      await emptyCaches();
      say(`${gateway}: cold, critical path (${options.probeRequests} requests one at a time, reading the sources' call log)`);
      keep(await criticalPathRun(target, stack, world, options));
    }
    await child.stop();
  };

  const standInStats: Partial<Record<GatewayName, { hits: number; misses: number }>> = {};
  if (standIns) {
    // Every gateway's calls recorded first, side by side (keyed by query and variables), so that
    // the measured rounds can take turns.
    await standIns.forget();
    await standIns.mode('record');
    for (const gateway of options.gateways) await exercise(gateway, 'record');
    await standIns.mode('replay');
  }
  // The stand-ins count since they started: each measured pass is the difference from the last reading.
  let lastReading = standIns ? await standIns.stats() : null;
  for (let round = 1; round <= options.rounds; round++) {
    if (options.rounds > 1) say(`round ${round} of ${options.rounds}`);
    // Every other round in reverse, so that a machine slowing down or speeding up weighs on each alike.
    const order = round % 2 === 1 ? options.gateways : [...options.gateways].reverse();
    for (const gateway of order) {
      await exercise(gateway, 'measure', round);
      if (standIns && lastReading) {
        const reading = await standIns.stats();
        const [hits, misses] = [reading.hits - lastReading.hits, reading.misses - lastReading.misses];
        lastReading = reading;
        const total = (standInStats[gateway] ??= { hits: 0, misses: 0 });
        total.hits += hits;
        total.misses += misses;
        say(`${gateway}: stand-ins answered ${hits} calls from memory, passed on ${misses} never recorded`);
      }
    }
  }

  flusher?.disconnect();
  await standIns?.child.stop();
  await stack.stop();
  await redis?.stop();

  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
  const summary = {
    date: new Date().toISOString(),
    machine,
    options: { ...options, redis: !!redis },
    world: { citizens: world.citizens.size, households: world.households.size, communesOfProvince24: communesOf24 },
    results,
    ...(standIns ? { standIns: standInStats } : {}),
  };
  writeFileSync(join(runDir, 'results.json'), `${JSON.stringify(summary, null, 2)}\n`);
  // With several rounds, the tables give each figure's median; every round's ratios follow them.
  const medians = medianOfRounds(results);
  const table = options.alone ? aloneTable(medians) : markdownTable(medians);
  const perProcess = options.alone ? null : cpuTable(medians);
  const criticalPath = criticalPathTable(medians);
  const byRound = options.rounds > 1 ? roundsTable(results) : '';
  process.stdout.write(
    `\n${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, Node ${machine.node}; ${options.connections} connections, ` +
      `${options.requests} requests per run (budget ${Math.round(options.requests * BUDGET_SHARE)}), ${
        options.alone ? 'gateway alone on core 0, subgraphs answering from memory on core 1' : `sources ${options.latencyMs[0]}–${options.latencyMs[1]} ms`
      }, Redis ${redis ? 'on' : 'off'}${options.rounds > 1 ? `; medians of ${options.rounds} rounds` : ''}\n\n${table}\n\n${options.alone ? aloneRatios(medians) : ratios(medians)}\n\n` +
      (byRound ? `Each round (the gateways taking turns):\n\n${byRound}\n\n` : '') +
      (perProcess ? `CPU ms per request, by process (this gateway's runs):\n\n${perProcess}\n\n` : '') +
      (criticalPath ? `Cold dossiers one at a time, source round trips on the critical path:\n\n${criticalPath}\n\n` : '') +
      `JSON and logs: ${runDir}\n`,
  );
}

/** Whatever the run started, stopped on failure or Ctrl-C as after success. */
let cleanUp: () => Promise<void> = async () => undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything started`);
    void cleanUp().finally(() => process.exit(130));
  });
}

main().catch(async (error: unknown) => {
  // A mistake in the command line is said in its own words; anything else is a bug and shows whole.
  const mistake = error instanceof CommandInputError;
  process.stderr.write(`bench: ${mistake ? error.message : ((error as Error).stack ?? String(error))}\n`);
  await cleanUp();
  process.exit(mistake ? 2 : 1);
});
