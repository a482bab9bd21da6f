/**
 * The Redis store against a real redis-server: values shared through Redis, memory standing in
 * while Redis is down or hung, Redis used again once it is back, and deletions it missed replayed.
 */
import Redis from 'ioredis';
import { MemoryStore, RedisStore } from '../../../lib/kv';
import { until } from '../../../stack/wait';
import { describeWithRedis } from '../../support/needs-package';
import { startRedis, ThrowawayRedis } from '../../../stack/redis';

describeWithRedis('RedisStore', () => {
  let redis: ThrowawayRedis;
  let probe: Redis;
  const stores: RedisStore[] = [];
  const open = (localTtlMs = 5000) => {
    const store = new RedisStore({ target: { mode: 'single', url: redis.url }, commandTimeoutMs: 150, local: new MemoryStore(1000), localTtlMs, role: 'test' });
    stores.push(store);
    return store;
  };

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(stores.map((s) => s.close()));
    probe?.disconnect();
    await redis?.stop();
  });

  it('keeps values in Redis, with their time to live, where another replica reads them', async () => {
    const one = open();
    const other = open();
    await until(() => one.backend === 'redis' && other.backend === 'redis');
    await one.set('k:shared', 'value', 60_000);
    expect(await probe.get('k:shared')).toBe('value');
    expect(await probe.pttl('k:shared')).toBeGreaterThan(59_000);
    await expect(other.getMany(['k:shared', 'k:absent'])).resolves.toEqual(['value', undefined]);
    await one.delete(['k:shared']);
    expect(await probe.exists('k:shared')).toBe(0);
  });

  it("answers from its own short-lived copy, and dropLocal drops that copy without touching Redis", async () => {
    const store = open(100);
    await until(() => store.backend === 'redis');
    await store.set('k:local', 'v1', 60_000);
    await probe.set('k:local', 'v2');
    expect(await store.get('k:local')).toBe('v1'); // its own copy, no round trip
    await store.dropLocal(['k:local']);
    expect(await store.get('k:local')).toBe('v2');
    expect(await probe.get('k:local')).toBe('v2');
  });

  it('falls back to memory when Redis stops, without failing or stalling, and uses Redis again once it is back', async () => {
    const store = open();
    await until(() => store.backend === 'redis');
    await redis.halt();
    await until(() => store.backend === 'memory');

    const started = Date.now();
    await store.set('k:during', 'kept in memory', 60_000);
    await expect(store.get('k:during')).resolves.toBe('kept in memory');
    await store.delete(['k:missed']);
    expect(Date.now() - started).toBeLessThan(100);

    await redis.start();
    await until(() => store.backend === 'redis');
    await store.set('k:after', 'back in redis', 60_000);
    await until(async () => (await probe.get('k:after').catch(() => null)) === 'back in redis');
    // Memory written during the outage is dropped: invalidations may have been missed meanwhile.
    await expect(store.get('k:during')).resolves.toBeUndefined();
  });

  it('gives up on a hung Redis after its command timeout, then spares later requests the wait', async () => {
    const store = open();
    await until(() => store.backend === 'redis');
    await store.set('k:hung', 'before', 60_000);
    await probe.set('k:deleted-while-hung', 'stale');
    redis.freeze();
    try {
      let started = Date.now();
      await store.getMany(['k:other']);
      expect(Date.now() - started).toBeLessThan(1000);
      started = Date.now();
      await store.set('k:x', 'y', 1000);
      await store.delete(['k:deleted-while-hung']);
      expect(Date.now() - started).toBeLessThan(50);
      expect(store.backend).toBe('memory');
    } finally {
      redis.thaw();
    }
    // Once it answers again, the deletion it missed is replayed.
    await until(async () => {
      await store.get('k:probe-' + Date.now());
      return (await probe.exists('k:deleted-while-hung')) === 0;
    });
  });
});
