/**
 * A throwaway Redis server for tests and benchmarks: Debian's `redis-server`, listening on 127.0.0.1 on a free
 * port, keeping nothing on disk. No system service is used. Tests can stop it (an outage), start
 * it again on the same port, or freeze it (a Redis that hangs without closing connections).
 *
 * Tests that need it use describeWithRedis (tests/support/needs-package.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './packages';
import { freePort } from './ports';

export const REDIS_REQUIREMENT = { what: 'Redis server (redis-server)', debianPackage: 'redis-server' };
const REDIS_MISSING = 'Redis server not installed: .ci/run installs the redis-server package';

export function findRedisServer(): string | null {
  return findProgram('redis-server', ['/usr/bin/redis-server', '/usr/local/bin/redis-server']);
}

export interface ThrowawayRedis {
  url: string;
  port: number;
  /** The server's process id while it runs. */
  readonly pid: number | undefined;
  /** Stops the server (SIGKILL: an outage, not a clean shutdown); its data is gone. */
  halt(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open, nothing answers. `thaw` resumes it. */
  freeze(): void;
  thaw(): void;
  /** Stops it for good. */
  stop(): Promise<void>;
}


/**
 * Whether the Redis answering on `port` is the process `pid`: a server of another suite or jest
 * worker that took the port (say while ours was stopped for an outage) must not pass for ours.
 */
async function answersAs(port: number, pid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (data) => {
      reply += data.toString();
      const found = /\r\nprocess_id:(\d+)\r\n/.exec(reply);
      if (found) done(Number(found[1]) === pid);
      else if (!reply.startsWith('$')) done(false);
    });
  });
}

/** `extraArgs`: more redis-server options (a cluster node's, see redis-cluster.ts). */
export async function startRedis(extraArgs: readonly string[] = []): Promise<ThrowawayRedis> {
  const binary = findRedisServer();
  if (!binary) throw new Error(REDIS_MISSING);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'test-redis-'));
  let child: ChildProcess | null = null;

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', '--loglevel', 'warning', ...extraArgs];
    const started = spawn(binary, args, { stdio: 'ignore' });
    child = started;
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (started.exitCode !== null) break;
      if (await answersAs(port, started.pid!)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    // Not left running (or counted as this suite's server) when it did not come up.
    const exitCode = started.exitCode;
    await halt();
    throw new Error(exitCode !== null ? `redis-server exited with code ${exitCode} (port ${port} taken?)` : 'redis-server did not answer within 10 s');
  };
  const halt = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    running.kill('SIGCONT');
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };

  try {
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return (child as ChildProcess | null)?.pid;
    },
    start,
    halt,
    freeze: () => void child?.kill('SIGSTOP'),
    thaw: () => void child?.kill('SIGCONT'),
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
