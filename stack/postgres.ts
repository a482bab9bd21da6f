/**
 * A throwaway PostgreSQL server for tests, benchmarks and the soak run: Debian's server binaries, a fresh cluster in a temp
 * directory, listening on 127.0.0.1 on a free port, trusting local connections. No system service
 * is used. PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres` user.
 *
 * Tests that need it use describeWithPostgres (tests/support/needs-package.ts).
 */
import { execFile, execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { missingMessage } from './packages';
import { freePort } from './ports';


/** The newest `/usr/lib/postgresql/<version>/bin` that has initdb and pg_ctl, or null. */
export function findPostgresBinaries(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => /^\d+(\.\d+)?$/.test(v))
    .sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return null;
}

export const POSTGRES_REQUIREMENT = { what: 'PostgreSQL server', debianPackage: 'postgresql' };

export interface ThrowawayPostgres {
  /** `postgresql://postgres@127.0.0.1:<port>/postgres` */
  url: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /**
   * Stops the server and keeps its files. `immediate` is a crash (no shutdown checkpoint; the next
   * start runs crash recovery from the WAL), `fast` a clean shutdown.
   */
  halt(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts it again, same port and files. */
  start(): Promise<void>;
  /** Stops it and removes its files. */
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPostgresBinaries();
  if (!bin) throw new Error(missingMessage({ installed: false, ...POSTGRES_REQUIREMENT }));
  const asRoot = process.getuid?.() === 0;
  const base = mkdtempSync(join(tmpdir(), 'audit-pg-'));
  const data = join(base, 'data');
  const log = join(base, 'server.log');
  // As root the cluster belongs to `postgres`, a user the postgresql package creates.
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  const owner = asRoot ? { uid: id('-u'), gid: id('-g') } : null;
  if (owner) chownSync(base, owner.uid, owner.gid);
  /** Runs a server binary, as `postgres` when we are root; throws with its output on failure. */
  const run = async (program: string, args: string[]): Promise<void> => {
    const command = asRoot ? 'runuser' : join(bin, program);
    const argv = asRoot ? ['-u', 'postgres', '--', join(bin, program), ...args] : args;
    try {
      await promisify(execFile)(command, argv, { cwd: base, encoding: 'utf8', timeout: 60_000 });
    } catch (error) {
      const { stderr, stdout, message } = error as { stderr?: string; stdout?: string; message: string };
      const serverLog = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '';
      throw new Error(`${program} failed: ${stderr || stdout || message}\n${serverLog}`);
    }
  };

  await run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  writeFileSync(
    join(data, 'postgresql.auto.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      "unix_socket_directories = ''",
      'max_connections = 40',
      'shared_buffers = 16MB',
      // Durability as in production: acknowledged commits are flushed to the WAL.
      'fsync = on',
      'synchronous_commit = on',
      '',
    ].join('\n'),
  );
  if (owner) chownSync(join(data, 'postgresql.auto.conf'), owner.uid, owner.gid);

  const start = () => run('pg_ctl', ['start', '-D', data, '-l', log, '-w', '-t', '30']);
  const halt = (mode: 'fast' | 'immediate' = 'fast') => run('pg_ctl', ['stop', '-D', data, '-m', mode, '-w', '-t', '30']);
  await start();
  const urlFor = (database: string) => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    url: urlFor('postgres'),
    urlFor,
    halt,
    start,
    async stop() {
      if (existsSync(join(data, 'postmaster.pid'))) {
        try {
          await halt('immediate');
        } catch {
          // already stopped
        }
      }
      rmSync(base, { recursive: true, force: true });
    },
  };
}
