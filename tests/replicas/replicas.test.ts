/**
 * `npm run test:replicas`: the product as replicas on shared infrastructure, all of it real —
 * HAProxy standing in for Kubernetes Services in front of two gateways (the second one a
 * two-worker server: WORKERS=2) and between them and two replicas of every subgraph, a Redis
 * Cluster of three primaries with a replica each, one PostgreSQL for the audit log. Under a mixed
 * load of dossier reads and budget aggregates:
 *  - what one gateway learns the other knows: a persisted query, a cached answer, a client's
 *    rate limit;
 *  - a subgraph replica killed (-9): only requests it had in flight may fail, none once HAProxy has
 *    marked it down;
 *  - a Redis primary killed: no request fails (memory stands in), and Redis is shared again once
 *    its replica has taken over;
 *  - a gateway killed (-9): no acknowledged read is missing from the one audit log, which
 *    audit:verify accepts with its signed checkpoints.
 * Every wait polls with a generous deadline; nothing depends on how fast this machine is.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { loadCheckpointVerifier } from '../../lib/audit/checkpoint';
import { devDirectory, Env } from '../../lib/config';
import { mintDevToken } from '../../lib/dev-tokens';
import { devKeyPaths, ensureDevKeys } from '../../lib/keys';
import { FREE_TEXT_PURPOSE_SCOPE } from '../../lib/principal';
import { envPrefix, SOURCES, SUBGRAPHS } from '../../lib/sources';
import { startMocks, RunningMocks } from '../../mocks';
import { verifyAuditDatabase } from '../../scripts/audit-verify';
import { richCitizens } from '../../stack/dossier';
import { findHaproxy, HAPROXY_REQUIREMENT, startHaproxy, ThrowawayHaproxy } from '../../stack/haproxy';
import { freePort } from '../../stack/ports';
import { startPostgres, ThrowawayPostgres } from '../../stack/postgres';
import { startRedisCluster, ThrowawayRedisCluster } from '../../stack/redis-cluster';
import { until } from '../../stack/wait';
import { describeIfInstalled } from '../support/needs-package';
import { findPostgresBinaries } from '../../stack/postgres';
import { findRedisServer } from '../../stack/redis';

const ROOT = resolve(__dirname, '../..');
const DEADLINE_MS = 120_000;
const PERSONAL_QUERY = `query Person($id: ID!) { citizen(personalId: $id) { personalId fullName civilStatus { maritalStatus } socialInsurance { insuranceCode } } }`;
const AGGREGATE_QUERY = `{ province(code: "24") { name budget(fiscalYear: 2026) { revenue { totalEstimate } } } }`;

interface Outcome {
  phase: string;
  startedAt: number;
  endedAt: number;
  status: number;
  personal: boolean;
  requestId: string | null;
  /** The answer carries the citizen: the gateway acknowledged (audited) the read. */
  acknowledged: boolean;
  errors: string[];
}

const installed = findHaproxy() !== null && findRedisServer() !== null && findPostgresBinaries() !== null;

describeIfInstalled('replicas behind HAProxy on Redis Cluster and PostgreSQL', { installed, ...HAPROXY_REQUIREMENT, what: 'HAProxy, redis-server and PostgreSQL' }, () => {
  let logDir: string;
  let devDir: string;
  let mocks: RunningMocks;
  let redis: ThrowawayRedisCluster;
  let postgres: ThrowawayPostgres;
  let proxy: ThrowawayHaproxy;
  const children: ChildProcess[] = [];
  const gateways: Array<{ url: string; child: ChildProcess }> = [];
  const subgraphReplicas: Array<{ child: ChildProcess; ports: Record<string, number> }> = [];
  let env: Env;
  let citizens: string[];

  const logs = new Map<ChildProcess, string>();

  function start(name: string, script: string, extra: Env, args: string[] = []): ChildProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const path = join(logDir, `${name}.log`);
    const log = createWriteStream(path);
    child.stdout?.pipe(log);
    child.stderr?.pipe(log);
    children.push(child);
    logs.set(child, path);
    return child;
  }

  /** The end of a child's log: the log folder is removed after the run, the failure message is not. */
  function lastLines(child: ChildProcess): string {
    try {
      return readFileSync(logs.get(child) ?? '', 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '(no log)';
    }
  }

  async function ready(url: string, child: ChildProcess, what: string): Promise<void> {
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}; its log ends:\n${lastLines(child)}`);
      try {
        return (await fetch(`${url}/ready`)).ok;
      } catch {
        return false;
      }
    }, DEADLINE_MS, 250);
  }

  const tokens = new Map<string, Promise<string>>();
  function token(client: string): Promise<string> {
    if (!tokens.has(client)) {
      tokens.set(
        client,
        mintDevToken({ scope: `population:read civil-status:read social-insurance:read budget:read ${FREE_TEXT_PURPOSE_SCOPE}`, jurisdiction: '*', purpose: 'REPLICA-TEST HS-0001', client, ttlSeconds: 3600 }, { DEV_DIR: devDir }),
      );
    }
    return tokens.get(client)!;
  }

  async function post(url: string, body: unknown, client: string): Promise<{ status: number; headers: Headers; body: { data?: Record<string, any>; errors?: Array<{ extensions?: { code?: string } }> } }> {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await token(client)}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: any = {};
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = { errors: [{ extensions: { code: `HTTP_${response.status}` } }] };
    }
    return { status: response.status, headers: response.headers, body: parsed };
  }

  /** The mixed load through HAProxy's gateway frontend, until stopped; every outcome kept. */
  function startLoad(concurrency = 4) {
    const outcomes: Outcome[] = [];
    let phase = 'warm';
    let stopped = false;
    let n = 0;
    const loops = Array.from({ length: concurrency }, async () => {
      while (!stopped) {
        const i = n++;
        const personal = i % 3 !== 2;
        const startedAt = Date.now();
        const currentPhase = phase;
        // A client id per 30 requests: the load never meets the rate limit, which has its own check.
        const client = `load-${Math.floor(i / 30)}`;
        try {
          const r = await post(proxy.urls.gateway, personal ? { query: PERSONAL_QUERY, variables: { id: citizens[i % citizens.length] } } : { query: AGGREGATE_QUERY }, client);
          outcomes.push({
            phase: currentPhase,
            startedAt,
            endedAt: Date.now(),
            status: r.status,
            personal,
            requestId: r.headers.get('x-request-id'),
            acknowledged: personal && r.status === 200 && typeof r.body.data?.citizen?.personalId === 'string',
            errors: (r.body.errors ?? []).map((e) => String(e.extensions?.code)),
          });
        } catch (error) {
          outcomes.push({ phase: currentPhase, startedAt, endedAt: Date.now(), status: 0, personal, requestId: null, acknowledged: false, errors: [(error as Error).message] });
        }
      }
    });
    return {
      outcomes,
      setPhase(next: string) {
        phase = next;
      },
      /** Resolves once `count` requests started from now on have completed. */
      async more(count: number) {
        const from = Date.now();
        await until(() => outcomes.filter((o) => o.startedAt >= from).length >= count, DEADLINE_MS, 50);
      },
      async stop() {
        stopped = true;
        await Promise.all(loops);
      },
    };
  }

  const failed = (o: Outcome) => o.status !== 200 || o.errors.length > 0;

  beforeAll(async () => {
    logDir = mkdtempSync(join(tmpdir(), 'replicas-logs-'));
    devDir = mkdtempSync(join(tmpdir(), 'replicas-dev-'));
    await ensureDevKeys(devDir);
    mocks = await startMocks({ worldSize: 2000, ports: Object.fromEntries(SOURCES.map((s) => [s, 0])) as never });
    citizens = richCitizens(mocks.world, 40).map((c) => c.personalId);
    [redis, postgres] = await Promise.all([startRedisCluster({ primaries: 3, replicasEach: 1, nodeTimeoutMs: 2000 }), startPostgres()]);
    env = {
      NODE_ENV: 'development',
      DEV_DIR: devDir,
      LOG_LEVEL: 'warn',
      REDIS_CLUSTER_NODES: redis.seeds,
      AUDIT_DATABASE_URL: postgres.url,
      AUDIT_CHECKPOINT_EVERY: '50',
      RATE_LIMIT_PER_SECOND: '0.01',
      RATE_LIMIT_BURST: '40',
      SUBGRAPH_HOST: '127.0.0.1',
    };
    for (const source of SOURCES) env[`${envPrefix(source)}_SOURCE_URL`] = mocks.urls[source];

    // Two replicas of every subgraph (each process serves all of them, on ports of its own).
    for (let r = 0; r < 2; r++) {
      const ports: Record<string, number> = {};
      const extra: Env = {};
      for (const name of SUBGRAPHS) {
        ports[name] = await freePort();
        extra[`${envPrefix(name)}_SUBGRAPH_PORT`] = String(ports[name]);
      }
      subgraphReplicas.push({ child: start(`subgraphs-${r}`, 'subgraphs/main.ts', extra), ports });
    }
    const gatewayPorts = [await freePort(), await freePort()];
    proxy = await startHaproxy([
      { name: 'gateway', replicas: gatewayPorts.map((p) => `127.0.0.1:${p}`) },
      ...SUBGRAPHS.map((name) => ({ name: `sg-${name}`, replicas: subgraphReplicas.map((r) => `127.0.0.1:${r.ports[name]}`) })),
    ]);
    const subgraphUrls = SUBGRAPHS.map((name) => `${name}=${proxy.urls[`sg-${name}`]}/graphql`).join(',');
    for (const [i, port] of gatewayPorts.entries()) {
      const child = start(`gateway-${i}`, 'gateway/main.ts', {
        HOST: '127.0.0.1',
        PORT: String(port),
        SUPERGRAPH_PATH: join(ROOT, 'schema/supergraph.graphql'),
        SUBGRAPH_URLS: subgraphUrls,
        // The second gateway is one server on two cores: two workers sharing its port.
        WORKERS: i === 1 ? '2' : '1',
        LOG_LEVEL: i === 1 ? 'info' : 'warn',
      });
      gateways.push({ url: `http://127.0.0.1:${port}`, child });
    }
    for (const [r, replica] of subgraphReplicas.entries()) {
      for (const name of SUBGRAPHS) await ready(`http://127.0.0.1:${replica.ports[name]}`, replica.child, `subgraph replica ${r} ${name}`);
    }
    for (const [i, g] of gateways.entries()) await ready(g.url, g.child, `gateway ${i}`);
    await until(async () => Object.values(await proxy.states()).every((s) => s === 'UP'), DEADLINE_MS, 250);
  }, 600_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : null)));
    await proxy?.stop();
    await redis?.stop();
    await postgres?.stop();
    await mocks?.close();
    rmSync(devDir, { recursive: true, force: true });
    if (process.env.KEEP_REPLICA_LOGS) console.log(`replica logs kept in ${logDir}`);
    else rmSync(logDir, { recursive: true, force: true });
  }, 120_000);

  it('shares a persisted query, a cached answer and a rate limit between the two gateways', async () => {
    const [a, b] = gateways.map((g) => g.url);
    // The second gateway serves from two worker processes on one port (the first may have
    // answered /ready before the second is up).
    const secondLog = () => readFileSync(join(logDir, 'gateway-1.log'), 'utf8');
    await until(() => (secondLog().match(/"msg":"serving"/g) ?? []).length >= 2, DEADLINE_MS, 250);
    expect(secondLog()).toContain('gateway: serving with 2 worker processes');
    expect(secondLog().match(/"msg":"serving"/g)).toHaveLength(2);
    // A persisted query registered through one gateway is known to the other.
    const query = `{ province(code: "24") { name } } # replicas ${Date.now()}`;
    const hash = createHash('sha256').update(query).digest('hex');
    const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
    expect((await post(a, { query, ...persisted }, 'pq-client')).body.data).toBeDefined();
    const viaOther = await post(b, persisted, 'pq-client');
    expect(viaOther.body.errors).toBeUndefined();
    expect(viaOther.body.data?.province?.name).toBeTruthy();

    // An aggregate answered through one gateway is served from the shared cache by the other.
    const aggregate = { query: `{ province(code: "24") { code name } } # cache ${Date.now()}` };
    expect((await post(a, aggregate, 'cache-client')).headers.get('x-response-cache')).toBe('miss');
    const cached = await post(b, aggregate, 'cache-client');
    expect(cached.headers.get('x-response-cache')).toBe('hit');
    expect(cached.body.data).toEqual((await post(a, aggregate, 'cache-client')).body.data);

    // One bucket of 40 for this client, however its requests are spread over the gateways.
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await post(i % 2 === 0 ? a : b, { query: '{ province(code: "24") { code } }' }, 'rate-client')).status);
    const allowed = statuses.filter((s) => s === 200).length;
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    // 40, plus at most one token refilled at 0.01/s over this test.
    expect(allowed).toBeGreaterThanOrEqual(40);
    expect(allowed).toBeLessThanOrEqual(41);
  }, 300_000);

  it('survives a subgraph replica, a Redis primary and a gateway killed mid-load, with one complete audit log', async () => {
    const load = startLoad();
    try {
      await load.more(40);

      // A subgraph replica killed: what it had in flight may fail; nothing after HAProxy marks it down.
      load.setPhase('subgraph-killed');
      subgraphReplicas[0].child.kill('SIGKILL');
      let markedDownAt = 0;
      await until(async () => {
        const states = await proxy.states();
        const down = SUBGRAPHS.every((name) => states[`sg-${name}/0`]?.startsWith('DOWN'));
        if (down) markedDownAt = Date.now();
        return down;
      }, DEADLINE_MS, 100);
      load.setPhase('subgraph-down');
      await until(() => load.outcomes.filter((o) => o.startedAt > markedDownAt).length >= 40, DEADLINE_MS, 50);
      const afterDown = load.outcomes.filter((o) => o.startedAt > markedDownAt);
      expect(afterDown.length).toBeGreaterThanOrEqual(40);
      expect(afterDown.filter(failed)).toEqual([]);

      // A Redis primary killed: no request fails while the cluster fails over.
      load.setPhase('redis-failover');
      const primary = await redis.primaryFor(`vncg:forwarded-call:population:x`);
      await primary.halt();
      await until(async () => (await redis.primaryFor('vncg:forwarded-call:population:x').catch(() => primary)) !== primary, DEADLINE_MS, 200);
      await redis.healthy(DEADLINE_MS);
      // Counted on the nodes still up (the halted primary's counts go with it).
      const statsBefore = await redis.commandCalls();
      await load.more(40);
      expect(load.outcomes.filter((o) => o.phase === 'redis-failover' && failed(o))).toEqual([]);
      // Used again once failed over: a query persisted through one gateway is known to the other.
      const [a, b] = gateways.map((g) => g.url);
      await until(async () => {
        const query = `{ province(code: "24") { name } } # after failover ${Date.now()}`;
        const persisted = { extensions: { persistedQuery: { version: 1, sha256Hash: createHash('sha256').update(query).digest('hex') } } };
        await post(a, { query, ...persisted }, 'pq-client');
        return (await post(b, persisted, 'pq-client')).body.data?.province?.name !== undefined;
      }, DEADLINE_MS, 500);
      const statsAfter = await redis.commandCalls();
      expect((statsAfter.set ?? 0) + (statsAfter.get ?? 0)).toBeGreaterThan((statsBefore.set ?? 0) + (statsBefore.get ?? 0));

      // A gateway killed: its in-flight requests fail at the proxy; every acknowledged read stays logged.
      load.setPhase('gateway-killed');
      gateways[0].child.kill('SIGKILL');
      await until(async () => (await proxy.states())['gateway/0']?.startsWith('DOWN') ?? false, DEADLINE_MS, 100);
      load.setPhase('gateway-down');
      await load.more(30);
    } finally {
      await load.stop();
    }
    const outcomes = load.outcomes;
    expect(outcomes.filter((o) => o.phase === 'gateway-down' && failed(o))).toEqual([]);

    const acknowledged = outcomes.filter((o) => o.acknowledged).map((o) => o.requestId!);
    expect(acknowledged.length).toBeGreaterThan(100);
    const client = new Client({ connectionString: postgres.url });
    await client.connect();
    let logged: Set<string>;
    try {
      logged = new Set((await client.query<{ request_id: string }>('SELECT DISTINCT request_id FROM audit_log')).rows.map((r) => r.request_id));
    } finally {
      await client.end();
    }
    expect(acknowledged.filter((id) => !logged.has(id))).toEqual([]);
    const verdict = await verifyAuditDatabase(postgres.url, { verifier: loadCheckpointVerifier(devKeyPaths(devDirectory({ DEV_DIR: devDir })).auditCheckpointPublicKey) });
    expect(verdict).toMatchObject({ status: 0 });
  }, 900_000);
});
