/**
 * A throwaway HAProxy (Debian's /usr/sbin/haproxy) standing in for Kubernetes Services: one HTTP
 * frontend per service on a free port, round-robin over its replicas, each replica health-checked
 * on `/ready`; a stats page whose CSV says which replicas it has marked down.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProgram } from './packages';
import { freePort } from './ports';

export const HAPROXY_REQUIREMENT = { what: 'HAProxy (haproxy)', debianPackage: 'haproxy' };

export function findHaproxy(): string | null {
  return findProgram('haproxy', ['/usr/sbin/haproxy', '/usr/local/sbin/haproxy', '/usr/bin/haproxy']);
}

export interface HaproxyService {
  name: string;
  /** `127.0.0.1:port` of each replica. */
  replicas: string[];
}

export interface ThrowawayHaproxy {
  /** `http://127.0.0.1:<port>` of each service's frontend. */
  urls: Record<string, string>;
  /** Each replica's state as HAProxy sees it (`UP`, `DOWN`, …), by `service/replica-index`. */
  states(): Promise<Record<string, string>>;
  stop(): Promise<void>;
}

export async function startHaproxy(services: HaproxyService[], { checkIntervalMs = 500 } = {}): Promise<ThrowawayHaproxy> {
  const binary = findHaproxy();
  if (!binary) throw new Error('HAProxy not installed: .ci/run installs the haproxy package');
  const dir = mkdtempSync(join(tmpdir(), 'test-haproxy-'));
  const statsPort = await freePort();
  const ports: Record<string, number> = {};
  for (const service of services) ports[service.name] = await freePort();
  const config = [
    'global',
    '  maxconn 4000',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    // A connection refused by a dead replica is retried on another one, as a Service's endpoint
    // list drops it; a request already sent to it is not replayed.
    '  retries 2',
    '  option redispatch 1',
    `  default-server inter ${checkIntervalMs} fall 2 rise 1`,
    'listen stats',
    `  bind 127.0.0.1:${statsPort}`,
    '  stats enable',
    '  stats uri /stats',
    ...services.flatMap((service) => [
      `frontend fe_${service.name}`,
      `  bind 127.0.0.1:${ports[service.name]}`,
      `  default_backend be_${service.name}`,
      `backend be_${service.name}`,
      '  balance roundrobin',
      '  option httpchk GET /ready',
      '  http-check expect status 200',
      ...service.replicas.map((address, i) => `  server r${i} ${address} check`),
    ]),
    '',
  ].join('\n');
  const file = join(dir, 'haproxy.cfg');
  writeFileSync(file, config);
  const child: ChildProcess = spawn(binary, ['-f', file, '-db'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => (errors = (errors + d.toString()).slice(-4000)));
  const statsUrl = `http://127.0.0.1:${statsPort}/stats;csv`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited: ${errors}`);
    try {
      if ((await fetch(statsUrl)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`haproxy did not start: ${errors}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    urls: Object.fromEntries(services.map((s) => [s.name, `http://127.0.0.1:${ports[s.name]}`])),
    async states() {
      const text = await (await fetch(statsUrl)).text();
      const states: Record<string, string> = {};
      for (const line of text.split('\n')) {
        const [proxy, server, , , , , , , , , , , , , , , , status] = line.split(',');
        if (proxy?.startsWith('be_') && server?.startsWith('r')) states[`${proxy.slice(3)}/${server.slice(1)}`] = status;
      }
      return states;
    },
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((done) => {
          child.once('exit', () => done());
          child.kill('SIGKILL');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
