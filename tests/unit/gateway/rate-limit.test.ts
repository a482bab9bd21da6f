/**
 * The token buckets behind the per-client rate limit: in memory, and in a real Redis shared by
 * two limiters standing for two gateway replicas; and the fall back to memory while Redis is down.
 */
import { createRedisClient, RedisClient } from '../../../lib/kv/redis-client';
import type { IncomingMessage } from 'node:http';
import { createRateLimiter, RateLimiter, rateLimit } from '../../../gateway/rate-limit';
import { createGatewayEvents } from '../../../gateway/events';
import { ANONYMOUS, Principal } from '../../../lib/principal';
import { MemoryBuckets } from '../../../gateway/rate-limit/token-bucket';
import { describeWithRedis } from '../../support/needs-package';
import { startRedis, ThrowawayRedis } from '../../../stack/redis';

describe('memory buckets', () => {
  const settings = { perSecond: 2, burst: 3 };

  it('lets a burst through, then refuses with the wait until the next token', () => {
    const buckets = new MemoryBuckets(settings);
    const t = 1_000_000;
    expect([1, 2, 3].map(() => buckets.take('a', 1, t).allowed)).toEqual([true, true, true]);
    expect(buckets.take('a', 1, t)).toEqual({ allowed: false, retryAfterMs: 500, remaining: 0 });
    // 250 ms later half a token has come back: still refused, the wait halved.
    expect(buckets.take('a', 1, t + 250)).toEqual({ allowed: false, retryAfterMs: 250, remaining: 0 });
    expect(buckets.take('a', 1, t + 500).allowed).toBe(true);
  });

  it('refills at the configured rate, never past the burst', () => {
    const buckets = new MemoryBuckets(settings);
    const t = 2_000_000;
    for (let i = 0; i < 3; i++) buckets.take('a', 1, t);
    expect(buckets.take('a', 1, t + 60_000).remaining).toBe(2); // full (3) after a minute, minus this one
  });

  it('keeps one bucket per client', () => {
    const buckets = new MemoryBuckets(settings);
    const t = 3_000_000;
    for (let i = 0; i < 3; i++) buckets.take('a', 1, t);
    expect(buckets.take('a', 1, t).allowed).toBe(false);
    expect(buckets.take('b', 1, t).allowed).toBe(true);
  });

  it('takes several tokens at once for a batch', () => {
    const buckets = new MemoryBuckets(settings);
    expect(buckets.take('a', 3, 4_000_000).allowed).toBe(true);
    expect(buckets.take('a', 2, 4_000_000)).toMatchObject({ allowed: false, retryAfterMs: 1000 });
  });
});

describe('the rate-limit feature', () => {
  const officer: Principal = { ...ANONYMOUS, subject: 'officer-1', clientId: 'tthc', purpose: null };
  const admit = async (feature: ReturnType<typeof rateLimit>, principal: Principal, remoteAddress: string) => {
    const req = { socket: { remoteAddress }, headers: {} } as unknown as IncomingMessage;
    try {
      await feature.onOperations!({ req, requestId: 'r', principal, operations: [{}] });
      return 'admitted';
    } catch (error) {
      return (error as { code?: string }).code;
    }
  };

  it('gives callers without a token a bucket per address, and signed-in clients theirs whatever the address; metrics hear no address', async () => {
    const events = createGatewayEvents();
    const heard: string[] = [];
    events.on('rate.limited', ({ clientId }) => heard.push(clientId));
    const feature = rateLimit({ perSecond: 0.001, burst: 2, redis: undefined, redisCommandTimeoutMs: 100, events });
    for (let i = 0; i < 2; i++) expect(await admit(feature, ANONYMOUS, '192.0.2.1')).toBe('admitted');
    expect(await admit(feature, ANONYMOUS, '192.0.2.1')).toBe('RATE_LIMITED');
    // Another address's anonymous callers still have their allowance.
    expect(await admit(feature, ANONYMOUS, '192.0.2.2')).toBe('admitted');
    // A client is one bucket from anywhere.
    expect(await admit(feature, officer, '192.0.2.3')).toBe('admitted');
    expect(await admit(feature, officer, '192.0.2.4')).toBe('admitted');
    expect(await admit(feature, officer, '192.0.2.5')).toBe('RATE_LIMITED');
    expect(heard).toEqual(['anonymous', 'tthc']);
    await feature.close?.();
  });
});

describeWithRedis('Redis buckets', () => {
  let redis: ThrowawayRedis;
  const limiters: RateLimiter[] = [];
  const connections: RedisClient[] = [];

  /** A limiter as a gateway replica makes it, with its own connection. */
  function replica(perSecond: number, burst: number): RateLimiter {
    const client = createRedisClient({ mode: 'single', url: redis.url }, { commandTimeoutMs: 200, role: 'rate limit test' });
    connections.push(client);
    const limiter = createRateLimiter({ perSecond, burst, redis: client });
    limiters.push(limiter);
    return limiter;
  }

  async function ready(): Promise<void> {
    await Promise.all(connections.map((c) => (c.status === 'ready' ? undefined : new Promise((r) => c.once('ready', r)))));
  }

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(limiters.map((l) => l.close()));
    await redis?.stop();
  });

  it('shares one bucket per client between replicas', async () => {
    const [one, two] = [replica(0.5, 4), replica(0.5, 4)];
    await ready();
    const taken = [await one.take('shared'), await two.take('shared'), await one.take('shared'), await two.take('shared')];
    expect(taken.map((d) => [d.allowed, d.store])).toEqual(Array(4).fill([true, 'redis']));
    const refused = await one.take('shared');
    expect(refused).toMatchObject({ allowed: false, store: 'redis' });
    // 0.5 tokens a second: a whole token is 2 s away, minus the milliseconds already gone.
    expect(refused.retryAfterMs).toBeGreaterThan(1500);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(2000);
    expect((await two.take('someone-else')).allowed).toBe(true);
  });

  it('counts in memory while Redis is down, without waiting for it, and shares again once it is back', async () => {
    const limiter = replica(1000, 5);
    await ready();
    expect((await limiter.take('outage')).store).toBe('redis');

    await redis.halt();
    const started = Date.now();
    const during = await limiter.take('outage');
    expect(during).toMatchObject({ allowed: true, store: 'memory' });
    expect(Date.now() - started).toBeLessThan(500);

    await redis.start();
    await ready();
    expect((await limiter.take('outage')).store).toBe('redis');
  });

  it('waits for a hung Redis once, then counts in memory for a while without asking it', async () => {
    const limiter = replica(1000, 5);
    await ready();
    const client = connections[connections.length - 1];
    expect((await limiter.take('hung')).store).toBe('redis');
    const sent = jest.spyOn(client, 'sendCommand');
    redis.freeze();
    try {
      // The first take gives up after the command timeout (200 ms here) and counts in memory.
      expect(await limiter.take('hung')).toMatchObject({ allowed: true, store: 'memory' });
      const asked = sent.mock.calls.length;
      expect(asked).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) expect((await limiter.take('hung')).store).toBe('memory');
      // Not one of them waited on Redis again.
      expect(sent.mock.calls.length).toBe(asked);
    } finally {
      redis.thaw();
      sent.mockRestore();
    }
  });
});
