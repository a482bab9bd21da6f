/**
 * A throwaway Redis Cluster for tests and benchmarks: Debian's `redis-server` nodes with
 * `--cluster-enabled yes` on free ports, joined by `redis-cli --cluster create`. With replicas,
 * killing a primary is followed by its replica's promotion after `--cluster-node-timeout`.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import Redis from 'ioredis';
import { findProgram } from './packages';
import { startRedis, ThrowawayRedis } from './redis';

export interface ThrowawayRedisCluster {
  nodes: ThrowawayRedis[];
  /** `host:port,…` as REDIS_CLUSTER_NODES takes it. */
  seeds: string;
  /** The node serving `key`'s hash slot as primary now. */
  primaryFor(key: string): Promise<ThrowawayRedis>;
  /** Resolves once every slot is served, every live node says the cluster is ok and every replica follows its primary. */
  healthy(timeoutMs?: number): Promise<void>;
  /** Sum of a command's calls over the live nodes (INFO commandstats). */
  commandCalls(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

function findRedisCli(): string {
  return findProgram('redis-cli', ['/usr/bin/redis-cli', '/usr/local/bin/redis-cli']) ?? 'redis-cli';
}

async function ask<T>(port: number, work: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await work(client);
  } finally {
    client.disconnect();
  }
}

/**
 * A node's cluster bus listens on its port + 10000: a free port above 55535 (or whose bus port is
 * taken) makes redis-server exit, so another free port is tried.
 */
async function startNode(args: readonly string[]): Promise<ThrowawayRedis> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRedis(args);
    } catch (error) {
      if (attempt >= 20) throw error;
    }
  }
}

/** `primaries` primaries and `replicasEach` replicas of each; node timeout in ms (failover speed). */
export async function startRedisCluster({ primaries = 3, replicasEach = 1, nodeTimeoutMs = 2000 } = {}): Promise<ThrowawayRedisCluster> {
  // A replica may always take over, however long it was away (a test's outage, not a real one).
  const args = ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-replica-validity-factor', '0'];
  const nodes: ThrowawayRedis[] = [];
  try {
    for (let i = 0; i < primaries * (1 + replicasEach); i++) nodes.push(await startNode(args));
    await run(findRedisCli(), ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', String(replicasEach), '--cluster-yes'], { timeout: 60_000 });
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  const alive = () => nodes.filter((n) => n.pid !== undefined);
  const wantedReplicas = primaries * replicasEach;

  const cluster: ThrowawayRedisCluster = {
    nodes,
    seeds: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    async primaryFor(key) {
      for (const node of alive()) {
        try {
          const slot = await ask(node.port, (c) => c.call('CLUSTER', 'KEYSLOT', key) as Promise<number>);
          const slots = (await ask(node.port, (c) => c.call('CLUSTER', 'SLOTS'))) as Array<[number, number, [string, number, ...unknown[]]]>;
          const range = slots.find(([from, to]) => slot >= from && slot <= to);
          const found = range && nodes.find((n) => n.port === Number(range[2][1]));
          if (found) return found;
        } catch {
          // ask another node
        }
      }
      throw new Error(`no node serves ${key}`);
    },
    async healthy(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let last = '';
      while (Date.now() < deadline) {
        const states = await Promise.all(
          alive().map((n) => ask(n.port, (c) => c.call('CLUSTER', 'INFO') as Promise<string>).catch((e: Error) => e.message)),
        );
        last = states.map((s) => /cluster_state:(\w+)/.exec(s)?.[1] ?? s).join(',');
        const replication = await Promise.all(alive().map((n) => ask(n.port, (c) => c.info('replication')).catch((e: Error) => e.message)));
        const following = replication.filter((r) => r.includes('role:slave')).every((r) => r.includes('master_link_status:up'));
        const replicas = replication.filter((r) => r.includes('role:slave')).length;
        if (
          states.every((s) => s.includes('cluster_state:ok') && s.includes('cluster_slots_ok:16384')) &&
          following &&
          replicas >= Math.min(wantedReplicas, alive().length - primaries)
        ) {
          return;
        }
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`Redis Cluster not healthy within ${timeoutMs} ms: ${last}`);
    },
    async commandCalls() {
      const totals: Record<string, number> = {};
      for (const node of alive()) {
        const text = await ask(node.port, (c) => c.info('commandstats')).catch(() => '');
        for (const [, name, calls] of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) totals[name] = (totals[name] ?? 0) + Number(calls);
      }
      return totals;
    },
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
  await cluster.healthy();
  return cluster;
}
