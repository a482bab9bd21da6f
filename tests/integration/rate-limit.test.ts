/**
 * The per-client rate limit as callers meet it: HTTP 429 with Retry-After and RATE_LIMITED once a
 * client's bucket is empty, other clients unaffected, a batch costing one token per operation;
 * with Redis, one bucket shared by two gateway replicas, and service going on from memory while
 * Redis is down.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RunningGateway, startGateway } from '../../gateway/server';
import { describeWithRedis } from '../support/needs-package';
import { startRedis, ThrowawayRedis } from '../../stack/redis';
import { Stack, startStack } from '../../stack/stack';

const QUERY = { query: '{ provinces { code } }' };

async function ask(url: string, token: string, body: unknown = QUERY) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { errors?: { message: string; extensions: { code: string; retryAfter?: number } }[] };
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: json };
}

describe('rate limit in memory', () => {
  let stack: Stack;
  beforeAll(async () => {
    // 3 at once, then one every 10 s: the test never waits for a refill.
    stack = await startStack({ env: { RATE_LIMIT_PER_SECOND: '0.1', RATE_LIMIT_BURST: '3' } });
  });
  afterAll(() => stack?.close());

  it('answers a client its burst, then 429 with Retry-After and RATE_LIMITED', async () => {
    const token = await stack.token({ client: 'tthc-bac-ninh' });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await ask(stack.gatewayUrl, token)).status);
    expect(statuses).toEqual([200, 200, 200]);

    const refused = await ask(stack.gatewayUrl, token);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThanOrEqual(9);
    expect(Number(refused.retryAfter)).toBeLessThanOrEqual(10);
    expect(refused.body.errors).toEqual([
      expect.objectContaining({ extensions: { code: 'RATE_LIMITED', retryAfter: Number(refused.retryAfter) } }),
    ]);
    expect(refused.body.errors?.[0].message).toMatch(/Retry after \d+ s/);
  });

  it('keeps each client_id to its own bucket, whoever the officer', async () => {
    const busy = await stack.token({ client: 'vendor-busy', sub: 'officer-1' });
    for (let i = 0; i < 3; i++) await ask(stack.gatewayUrl, busy);
    expect((await ask(stack.gatewayUrl, await stack.token({ client: 'vendor-busy', sub: 'officer-2' }))).status).toBe(429);
    expect((await ask(stack.gatewayUrl, await stack.token({ client: 'vendor-quiet', sub: 'officer-1' }))).status).toBe(200);
  });

  it('stands in front of the procedure check: a client past its rate writes no more refusals to the audit log', async () => {
    const token = await stack.token({ client: 'vendor-probing', purpose: '' });
    const probe = () =>
      fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'x-procedure': 'local:no-such-procedure', 'x-dossier': 'HS-1' },
        body: JSON.stringify(QUERY),
      }).then((response) => response.status);
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await probe());
    expect(statuses).toEqual([400, 400, 400, 429, 429]);
    const refusals = readFileSync(stack.gatewayConfig.auditFile, 'utf8')
      .split('\n')
      .filter((line) => line.includes('"vendor-probing"'))
      .map((line) => JSON.parse(line) as { kind?: string; refusal?: { code: string } });
    expect(refusals.map((e) => [e.kind, e.refusal?.code])).toEqual(Array(3).fill(['refusal', 'UNKNOWN_PROCEDURE']));
  });

  it('charges a batch one token per operation', async () => {
    const token = await stack.token({ client: 'vendor-batch' });
    expect((await ask(stack.gatewayUrl, token, [QUERY, QUERY])).status).toBe(200);
    expect((await ask(stack.gatewayUrl, token, [QUERY, QUERY])).status).toBe(429);
    expect((await ask(stack.gatewayUrl, token)).status).toBe(200);
  });
});

describeWithRedis('rate limit in Redis', () => {
  let redis: ThrowawayRedis;
  let stack: Stack;
  let replica: RunningGateway;

  /**
   * Waits until the two replicas draw from one bucket: Redis connects in the background, and
   * until it has, each replica counts in its own memory. Two requests on each, then a fifth:
   * refused only when the four were counted together.
   */
  async function untilShared(): Promise<boolean> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const probe = await stack.token({ client: `probe-${Date.now()}` });
      for (let i = 0; i < 4; i++) await ask(i % 2 ? replica.url : stack.gatewayUrl, probe);
      if ((await ask(replica.url, probe)).status === 429) return true;
      await new Promise((r) => setTimeout(r, 200));
    }
    return false;
  }

  beforeAll(async () => {
    redis = await startRedis();
    stack = await startStack({ env: { RATE_LIMIT_PER_SECOND: '0.1', RATE_LIMIT_BURST: '4', REDIS_URL: redis.url } });
    // A replica of its own: one process writes an audit file (replicas sharing one log use PostgreSQL).
    replica = await startGateway({ ...stack.gatewayConfig, auditFile: join(stack.devDir, 'replica-audit.log') });
    expect(await untilShared()).toBe(true);
  });
  afterAll(async () => {
    await replica?.close();
    await stack?.close();
    await redis?.stop();
  });

  it('shares one bucket per client between gateway replicas', async () => {
    const token = await stack.token({ client: 'shared-client' });
    const urls = [stack.gatewayUrl, replica.url, stack.gatewayUrl, replica.url];
    const statuses = [];
    for (const url of urls) statuses.push((await ask(url, token)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await ask(replica.url, token)).status).toBe(429);
    expect((await ask(stack.gatewayUrl, token)).status).toBe(429);
  });

  it('keeps serving while Redis is down (each replica counting for itself), and shares again when it is back', async () => {
    await redis.halt();
    try {
      const token = await stack.token({ client: 'during-outage' });
      const statuses = [];
      for (let i = 0; i < 5; i++) statuses.push((await ask(stack.gatewayUrl, token)).status);
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      expect((await ask(replica.url, token)).status).toBe(200); // the other replica's own memory bucket
    } finally {
      await redis.start();
    }
    expect(await untilShared()).toBe(true);
  });
});
