/**
 * The product as the soak measures it, laid out as in production: the gateway, each subgraph in
 * its own process, the mock sources in one more, on free ports, with a throwaway development
 * directory (keys, process log). The audit log is a throwaway PostgreSQL database when the
 * server is installed (production's sink), else a file. The processes' output goes to a log
 * file, not the terminal; their resident memory is read from /proc (or `ps`).
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureDevKeys } from '../../lib/keys';
import { envPrefix, SOURCES, SUBGRAPHS } from '../../lib/sources';
import { freePort } from '../../stack/ports';
import { findPostgresBinaries, startPostgres } from '../../stack/postgres';
import { stopChildren } from '../../stack/child-processes';

const ROOT = resolve(__dirname, '../..');

export interface ProductProcess {
  /** `mocks`, `gateway` or `subgraph:<name>`. */
  label: string;
  pid: number;
}

export interface RunningProduct {
  gatewayUrl: string;
  populationMockUrl: string;
  /** The key of the mocks' test endpoints (`x-mocks-control-key`). */
  mocksControlKey: string;
  devDir: string;
  logFile: string;
  /** Where the audit log is kept: `postgresql` or `file`. */
  audit: 'postgresql' | 'file';
  processes: ProductProcess[];
  stop(): Promise<void>;
}

async function waitFor(url: string, what: string, child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode} while starting`);
    if (await fetch(url).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready at ${url} within ${timeoutMs / 1000} s`);
}

/** Resident set size of a process in bytes, or null when it cannot be read. */
export function residentBytes(pid: number): number | null {
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    // not Linux, or the process is gone: try ps
  }
  try {
    const kb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim());
    return Number.isFinite(kb) && kb > 0 ? kb * 1024 : null;
  } catch {
    return null;
  }
}

export async function startProduct(options: { worldSize: number; env?: NodeJS.ProcessEnv }): Promise<RunningProduct> {
  const devDir = mkdtempSync(join(tmpdir(), 'vn-gateway-soak-'));
  await ensureDevKeys(devDir);
  const database = findPostgresBinaries() ? await startPostgres() : null;
  const logFile = join(devDir, 'product.log');
  const log = createWriteStream(logFile);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DEV_DIR: devDir,
    AUDIT_FILE: join(devDir, 'audit', 'audit.log'),
    ...(database ? { AUDIT_DATABASE_URL: database.url } : {}),
    WORLD_SIZE: String(options.worldSize),
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    SUBGRAPH_HOST: '127.0.0.1',
    MOCKS_HOST: '127.0.0.1',
    MOCKS_CONTROL_KEY: randomBytes(24).toString('base64url'),
    ...options.env,
  };
  const catalogue = resolve(ROOT, '../shared/data/vn-admin-units.json');
  if (!env.ADMIN_UNITS_FILE && existsSync(catalogue)) env.ADMIN_UNITS_FILE = catalogue;
  for (const source of SOURCES) {
    const port = await freePort();
    env[`${envPrefix(source)}_MOCK_PORT`] = String(port);
    env[`${envPrefix(source)}_SOURCE_URL`] = `http://127.0.0.1:${port}`;
  }
  const subgraphUrls: string[] = [];
  for (const subgraph of SUBGRAPHS) {
    const port = await freePort();
    env[`${envPrefix(subgraph)}_SUBGRAPH_PORT`] = String(port);
    subgraphUrls.push(`${subgraph}=http://127.0.0.1:${port}/graphql`);
  }
  env.SUBGRAPH_URLS = subgraphUrls.join(',');
  env.PORT = String(await freePort());

  const children: ChildProcess[] = [];
  const processes: ProductProcess[] = [];
  const run = (label: string, script: string, args: string[] = []) => {
    const child = spawn(process.execPath, ['--import', 'tsx', resolve(ROOT, script), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (chunk: Buffer) => log.write(`[${label}] ${chunk.toString()}`));
    child.stderr?.on('data', (chunk: Buffer) => log.write(`[${label}] ${chunk.toString()}`));
    children.push(child);
    if (child.pid) processes.push({ label, pid: child.pid });
    return child;
  };
  const stop = async () => {
    await stopChildren(children, 30_000);
    await database?.stop();
    log.end();
  };

  try {
    const mocks = run('mocks', 'mocks/main.ts');
    for (const source of SOURCES) await waitFor(`${env[`${envPrefix(source)}_SOURCE_URL`]}/__health`, `mock ${source}`, mocks);
    for (const entry of subgraphUrls) {
      const [name, url] = entry.split('=');
      await waitFor(url.replace(/\/graphql$/, '/ready'), `subgraph ${name}`, run(`subgraph:${name}`, 'subgraphs/main.ts', [name]));
    }
    const gateway = run('gateway', 'gateway/main.ts');
    await waitFor(`http://127.0.0.1:${env.PORT}/ready`, 'gateway', gateway);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message} (see ${logFile})`);
  }

  return {
    gatewayUrl: `http://127.0.0.1:${env.PORT}/graphql`,
    populationMockUrl: env.POPULATION_SOURCE_URL!,
    mocksControlKey: env.MOCKS_CONTROL_KEY!,
    devDir,
    logFile,
    audit: database ? 'postgresql' : 'file',
    processes,
    async stop() {
      await stop();
    },
  };
}

/** Removes the product's throwaway directory (keys, audit log, process log). */
export function removeProductFiles(product: RunningProduct): void {
  rmSync(product.devDir, { recursive: true, force: true });
}
