/**
 * The invalidation channel against a real redis-server: a message published by one process
 * reaches the others, the subscription comes back after the connection drops, and closing the
 * bus at any moment of a reconnection leaves nothing behind (no rejected promise that nobody
 * handles — jest would fail every test of a suite for one).
 */
import { AddressInfo, connect, createServer, Socket } from 'node:net';
import Redis from 'ioredis';
import { openCacheBackend, CacheBackend, InvalidationMessage } from '../../../lib/kv';
import { INVALIDATION_CHANNEL } from '../../../lib/kv/invalidation-bus';
import { until } from '../../../stack/wait';
import { startRedis, ThrowawayRedis } from '../../../stack/redis';
import { describeWithRedis } from '../../support/needs-package';

const PERSON = '024190012345';

describeWithRedis('RedisInvalidationBus', () => {
  let redis: ThrowawayRedis;
  let probe: Redis;
  const open: CacheBackend[] = [];
  const backend = () => {
    const opened = openCacheBackend({ redis: { mode: 'single', url: redis.url }, commandTimeoutMs: 200, maxEntries: 100, role: 'test' });
    open.push(opened);
    return opened;
  };
  const subscribers = async () => ((await probe.pubsub('NUMSUB', INVALIDATION_CHANNEL)) as [string, number])[1];

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
  });
  afterAll(async () => {
    await Promise.all(open.map((b) => b.close()));
    probe?.disconnect();
    await redis?.stop();
  });

  it('carries a message to the other processes, and subscribes again after the connection drops', async () => {
    const one = backend();
    const other = backend();
    const received: InvalidationMessage[] = [];
    other.bus.subscribe((message) => received.push(message));
    await until(async () => (await subscribers()) === 2);

    await probe.client('KILL', 'TYPE', 'pubsub');
    await until(async () => (await subscribers()) === 2);
    await until(async () => {
      await one.bus.publish({ personalIds: [PERSON] });
      return received.length > 0;
    });
    expect(received[0]).toEqual({ personalIds: [PERSON] });
    await Promise.all([one.close(), other.close()]);
    await until(async () => (await subscribers()) === 0);
  });

  it('closes cleanly while it is subscribing again after a reconnection', async () => {
    // Between the bus and Redis, a proxy that can drop the connection and then keep the
    // SUBSCRIBE of the reconnection from Redis, so the bus is closed with it unanswered.
    let holdSubscribe = false;
    let held = false;
    const sockets = new Set<Socket>();
    const proxy = createServer((client) => {
      const upstream = connect(redis.port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.on('close', () => {
          sockets.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (data) => {
        if (holdSubscribe && /subscribe/i.test(data.toString())) held = true;
        else upstream.write(data);
      });
      upstream.on('data', (data) => client.write(data));
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const opened = openCacheBackend({ redis: { mode: 'single', url: `redis://127.0.0.1:${(proxy.address() as AddressInfo).port}` }, commandTimeoutMs: 200, maxEntries: 100, role: 'test' });
      open.push(opened);
      await until(async () => (await subscribers()) === 1);
      holdSubscribe = true;
      for (const socket of sockets) socket.destroy();
      await until(() => held);
      await opened.close();
      await until(() => sockets.size === 0);
      // A SUBSCRIBE rejected with nobody to handle it would surface now and fail this test.
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });
});
