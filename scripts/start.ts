/**
 * `npm start`: mock sources, every subgraph and the gateway, as three child processes in one
 * terminal, started in dependency order. Ctrl-C (or SIGTERM) stops them all. `npm run
 * start:cluster` is the same with WORKERS=auto: the subgraphs and the gateway on every core.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { loadGatewayConfig, loadMocksConfig, loadSubgraphConfig, loadWorkersConfig } from '../lib/config';
import { ensureDevKeys } from '../lib/keys';
import { log, logDestination } from '../lib/log';
import { logStartFailure, setUpLogsAndTraces } from '../lib/process-logging';
import { SOURCES, SUBGRAPHS } from '../lib/sources';
import { devControlKey } from '../mocks/control-key';
import { stopChildren } from '../stack/child-processes';

const root = resolve(__dirname, '..');
const children: ChildProcess[] = [];
/** The children's stdout is a pipe, so they write JSON; this terminal shows it readably (lib/log.ts). */
const childLogs: Writable = process.stdout.isTTY ? (logDestination(true) as unknown as Writable) : process.stdout;
let stopping = false;

function run(label: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, script)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // JSON log lines pass as they are (each names its service), made readable on a terminal;
  // anything else is labelled.
  const relay = (from: Readable | null, to: Writable, json: Writable) => {
    if (from) createInterface({ input: from }).on('line', (line) => line && (line.startsWith('{') ? json.write(`${line}\n`) : to.write(`[${label}] ${line}\n`)));
  };
  relay(child.stdout, process.stdout, childLogs);
  relay(child.stderr, process.stderr, process.stderr);
  child.on('exit', (code, signal) => {
    if (!stopping) {
      log.error('a process exited; stopping the rest', { process: label, ...(signal ? { signal } : { code }) });
      void stopAll(1);
    }
  });
  children.push(child);
  return child;
}

async function waitFor(url: string, what: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (stopping) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

async function stopAll(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  await stopChildren(children, 10_000);
  process.exit(code);
}

async function main(): Promise<void> {
  setUpLogsAndTraces('start', { tracing: false });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The official catalogue is the better default for development when it sits beside the repo.
  const catalogue = resolve(root, '../shared/data/vn-admin-units.json');
  if (!env.ADMIN_UNITS_FILE && existsSync(catalogue)) env.ADMIN_UNITS_FILE = catalogue;
  // The catalogue before 1 July 2025 and the conversion table, when they sit beside it.
  const pre2025 = resolve(root, '../shared/data/vn-admin-units-pre-2025.csv');
  const conversion = resolve(root, '../shared/data/vn-admin-units-2025-conversion.csv');
  if (env.ADMIN_UNITS_FILE === catalogue && !env.ADMIN_UNITS_CONVERSION_FILE && existsSync(conversion)) {
    env.ADMIN_UNITS_CONVERSION_FILE = conversion;
    if (!env.ADMIN_UNITS_PRE_2025_FILE && existsSync(pre2025)) env.ADMIN_UNITS_PRE_2025_FILE = pre2025;
  }

  // Validate every process's configuration up front, so a bad value fails here, once, clearly.
  const mocks = loadMocksConfig(env);
  const subgraphs = SUBGRAPHS.map((name) => loadSubgraphConfig(name, env));
  const gateway = loadGatewayConfig(env);
  // WORKERS above 1 (npm run start:cluster) needs Redis and the PostgreSQL audit log: said here, once.
  loadWorkersConfig(env, 'gateway');

  // The development token issuer and the gateway's forwarding keys, made once and kept in .dev/.
  if (!gateway.production) await ensureDevKeys(gateway.devDir);
  // The mocks' test endpoints (/__truth, /__control, /__stats) need a key: the one in .dev/ unless set.
  if (!env.MOCKS_CONTROL_KEY) env.MOCKS_CONTROL_KEY = devControlKey(gateway.devDir);

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  run('mocks', 'mocks/main.ts', env);
  for (const source of SOURCES) await waitFor(`http://${mocks.host}:${mocks.ports[source]}/__health`, `mock ${source} source`);
  // Two processes cannot share METRICS_PORT: the subgraphs' process takes the next port.
  run('subgraphs', 'subgraphs/main.ts', env.METRICS_PORT ? { ...env, METRICS_PORT: String(Number(env.METRICS_PORT) + 1) } : env);
  for (const subgraph of subgraphs) await waitFor(`http://${subgraph.host}:${subgraph.port}/ready`, `subgraph ${subgraph.name}`);
  run('gateway', 'gateway/main.ts', env);
  const host = gateway.host === '0.0.0.0' ? '127.0.0.1' : gateway.host;
  await waitFor(`http://${host}:${gateway.port}/ready`, 'gateway');
  if (!stopping) {
    log.info('ready (Ctrl-C stops everything)', {
      url: `http://localhost:${gateway.port}/graphql`,
      getToken: 'npm run token -- --scope "population:read civil-status:read land:read social-insurance:read budget:read" --jurisdiction 24 --purpose "1.001193 HS-2026-0001"',
    });
  }
}

main().catch((error: unknown) => {
  logStartFailure(error);
  void stopAll(1);
});
