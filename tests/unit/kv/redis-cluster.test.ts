/**
 * Every Redis user on a real Redis Cluster (three primaries, one replica each), connected by
 * configuration alone: shared values across hash slots, invalidation messages, the rate limit's
 * script, forwarded-call ids claimed once for all replicas; then a primary killed: memory stands
 * in without a failed call, and the cluster is used again once its replica has taken over.
 */
import { loadRedisConfig, RedisTarget } from '../../../lib/config';
import { createForwardingSigner, createForwardingVerifier } from '../../../lib/forwarding';
import { generateSigningKeyPair } from '../../../lib/keys';
import { ANONYMOUS } from '../../../lib/principal';
import { createRedisClient, InvalidationMessage, MemoryStore, openCacheBackend, CacheBackend, RedisStore } from '../../../lib/kv';
import { createRateLimiter, RateLimiter } from '../../../gateway/rate-limit';
import { startRedisCluster, ThrowawayRedisCluster } from '../../../stack/redis-cluster';
import { until } from '../../../stack/wait';
import { describeWithRedis } from '../../support/needs-package';

const PERSON = '024190012345';

describeWithRedis('Redis Cluster by configuration', () => {
  let cluster: ThrowawayRedisCluster;
  let target: RedisTarget;
  const closers: Array<() => Promise<void>> = [];
  const store = () => {
    const opened = new RedisStore({ target, commandTimeoutMs: 250, local: new MemoryStore(1000), localTtlMs: 1, role: 'cluster test' });
    closers.push(() => opened.close());
    return opened;
  };
  const backend = () => {
    const opened: CacheBackend = openCacheBackend({ redis: target, commandTimeoutMs: 250, maxEntries: 1000, role: 'cluster test' });
    closers.push(() => opened.close());
    return opened;
  };

  beforeAll(async () => {
    cluster = await startRedisCluster({ primaries: 3, replicasEach: 1, nodeTimeoutMs: 2000 });
    target = loadRedisConfig({ REDIS_CLUSTER_NODES: cluster.seeds }).redis!;
  }, 120_000);
  afterAll(async () => {
    for (const close of closers) await close();
    await cluster?.stop();
  });

  it('reads the cluster, Sentinel and single shapes from the environment, one at a time', () => {
    expect(target).toMatchObject({ mode: 'cluster', nodes: cluster.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })) });
    expect(loadRedisConfig({ REDIS_SENTINELS: 's1:26379, s2:26379', REDIS_SENTINEL_NAME: 'gateway' }).redis).toEqual({
      mode: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }, { host: 's2', port: 26379 }],
      name: 'gateway',
      tls: false,
    });
    expect(loadRedisConfig({}).redis).toBeUndefined();
    expect(() => loadRedisConfig({ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'b:6379' })).toThrow(/REDIS_URL and REDIS_CLUSTER_NODES: set only one/);
    expect(() => loadRedisConfig({ REDIS_SENTINELS: 's1:26379' })).toThrow(/REDIS_SENTINEL_NAME/);
    expect(() => loadRedisConfig({ REDIS_CLUSTER_NODES: 'no-port' })).toThrow(/REDIS_CLUSTER_NODES/);
  });

  it('shares values whose keys fall in different hash slots, and deletes them', async () => {
    const one = store();
    const other = store();
    await until(() => one.backend === 'redis' && other.backend === 'redis', 30_000);
    const keys = Array.from({ length: 20 }, (_, i) => `k:slots:${i}`);
    for (const key of keys) await one.set(key, `v-${key}`, 60_000);
    await until(async () => (await other.getMany(keys)).every((v, i) => v === `v-${keys[i]}`));
    await one.delete(keys);
    await until(async () => (await other.getMany(keys)).every((v) => v === undefined));
  });

  it('carries invalidation messages between processes through the cluster', async () => {
    const one = backend();
    const other = backend();
    const heard: InvalidationMessage[] = [];
    other.bus.subscribe((m) => heard.push(m));
    await until(async () => {
      await one.bus.publish({ personalIds: [PERSON] });
      return heard.length > 0;
    }, 30_000, 200);
    expect(heard[0]).toEqual({ personalIds: [PERSON] });
  });

  it('keeps one token bucket per client for two gateway replicas', async () => {
    const limiters: RateLimiter[] = [0, 1].map(() => createRateLimiter({ perSecond: 0.001, burst: 5, redis: createRedisClient(target, { commandTimeoutMs: 250, role: 'test' }) }));
    closers.push(...limiters.map((l) => () => l.close()));
    // The first answer may come before the cluster's slots are known: wait until Redis answers.
    await until(async () => (await limiters[0].take('warm-up')).store === 'redis', 30_000, 100);
    const decisions = [];
    for (let i = 0; i < 8; i++) decisions.push(await limiters[i % 2].take('client-a'));
    expect(decisions.map((d) => d.store)).toEqual(Array(8).fill('redis'));
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
  });

  it('refuses a forwarded call replayed to another replica of the subgraph', async () => {
    const keys = await generateSigningKeyPair('EdDSA');
    const signer = await createForwardingSigner(keys.privateJwk);
    const registers = [store(), store()];
    await until(() => registers.every((r) => r.backend === 'redis'), 30_000);
    const replicas = await Promise.all(registers.map((callIds) => createForwardingVerifier(keys.publicJwk, { audience: 'land', callIds })));
    const body = Buffer.from('{"query":"{ __typename }"}');
    const header = await signer.sign(ANONYMOUS, { audience: 'land', body });
    await expect(replicas[0].verify(header, body)).resolves.toEqual(ANONYMOUS);
    await expect(replicas[1].verify(header, body)).rejects.toThrow('The forwarded call was already used');
  });

  it('stands in with memory while a primary is down, then uses the cluster again after failover', async () => {
    const one = store();
    const other = store();
    await until(() => one.backend === 'redis' && other.backend === 'redis', 30_000);
    const key = 'k:failover';
    const primary = await cluster.primaryFor(key);
    await primary.halt();
    // Every call answers (memory), none throws, while the cluster fails over.
    const answers: Array<string | undefined> = [];
    await until(async () => {
      await one.set(key, 'during', 60_000);
      answers.push(await one.get(key));
      return (await cluster.primaryFor(key).catch(() => primary)) !== primary;
    }, 60_000, 200);
    expect(answers.every((a) => a === 'during')).toBe(true);
    await cluster.healthy();
    // Once failed over, a value written through one replica is read through the other.
    await until(async () => {
      await one.set(key, 'after', 60_000);
      return (await other.get(key)) === 'after' && one.backend === 'redis';
    }, 60_000, 200);
  }, 120_000);
});
