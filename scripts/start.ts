/**
 * `npm start`: mock sources, the five subgraphs and the gateway, as three child processes in one
 * terminal, started in dependency order. Ctrl-C (or SIGTERM) stops them all.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError, loadGatewayConfig, loadMocksConfig, loadSubgraphConfig } from '../lib/config';
import { ensureDevKeys } from '../lib/keys';
import { SOURCES, SUBGRAPHS } from '../lib/sources';

const root = resolve(__dirname, '..');
const children: ChildProcess[] = [];
let stopping = false;

function run(label: string, script: string, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(root, script)], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const prefix = (chunk: Buffer) =>
    chunk
      .toString()
      .split('\n')
      .filter((line) => line.length > 0)
      .map((line) => `[${label}] ${line}\n`)
      .join('');
  child.stdout?.on('data', (chunk: Buffer) => process.stdout.write(prefix(chunk)));
  child.stderr?.on('data', (chunk: Buffer) => process.stderr.write(prefix(chunk)));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`[${label}] exited (${signal ?? `code ${code}`}); stopping the rest`);
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
  await Promise.all(
    children
      .filter((child) => child.exitCode === null && child.signalCode === null)
      .map(
        (child) =>
          new Promise<void>((done) => {
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
            child.once('exit', () => {
              clearTimeout(killer);
              done();
            });
            child.kill('SIGTERM');
          }),
      ),
  );
  process.exit(code);
}

async function main(): Promise<void> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // The official catalogue is the better default for development when it sits beside the repo.
  const catalogue = resolve(root, '../shared/data/vn-admin-units.json');
  if (!env.ADMIN_UNITS_FILE && existsSync(catalogue)) env.ADMIN_UNITS_FILE = catalogue;

  // Validate every process's configuration up front, so a bad value fails here, once, clearly.
  const mocks = loadMocksConfig(env);
  const subgraphs = SUBGRAPHS.map((name) => loadSubgraphConfig(name, env));
  const gateway = loadGatewayConfig(env);

  // The development token issuer and the gateway's forwarding keys, made once and kept in .dev/.
  if (!gateway.production) await ensureDevKeys(gateway.devDir);

  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  run('mocks', 'mocks/main.ts', env);
  for (const source of SOURCES) await waitFor(`http://${mocks.host}:${mocks.ports[source]}/__health`, `mock ${source} source`);
  run('subgraphs', 'subgraphs/main.ts', env);
  for (const subgraph of subgraphs) await waitFor(`http://${subgraph.host}:${subgraph.port}/health`, `subgraph ${subgraph.name}`);
  run('gateway', 'gateway/main.ts', env);
  const host = gateway.host === '0.0.0.0' ? '127.0.0.1' : gateway.host;
  await waitFor(`http://${host}:${gateway.port}/ready`, 'gateway');
  if (!stopping) {
    console.log(`\nReady: http://localhost:${gateway.port}/graphql  (Ctrl-C stops everything)`);
    console.log('Get a development token: npm run token -- --scope "population:read civil-status:read land:read social-insurance:read budget:read" --jurisdiction 24 --purpose "1.001193 HS-2026-0001"\n');
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : `start: ${(error as Error).message}`);
  void stopAll(1);
});
