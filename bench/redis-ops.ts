/**
 * `npm run bench:redis-ops [-- --requests 300 --world-size 20000]`: Redis commands per request of
 * each benchmark workload (bench/workloads.ts), with every Redis user of the product on one
 * throwaway redis-server: the gateway (persisted queries, response cache, rate limit), the
 * subgraphs (source caches, replay guard of forwarded calls). Counted by the server itself: the
 * `INFO commandstats` delta over the workload's requests, divided by them, and the reads Redis made
 * from its clients' sockets (`total_reads_processed`): commands a client wrote together (a
 * pipeline) cost one read, so fewer reads per request is fewer round trips and system calls on
 * both sides. The stack runs in one process (stack/stack.ts) with the rate limit on, as in production.
 *
 * Writes docs/results/redis-ops-<date>.json.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Redis from 'ioredis';
import { startRedis } from '../stack/redis';
import { startStack } from '../stack/stack';
import { machine, runBenchmark } from './doc';
import { createWorkload, WORKLOADS } from './workloads';

async function commandCalls(redis: Redis): Promise<Record<string, number>> {
  const totals: Record<string, number> = {};
  for (const [, name, calls] of (await redis.info('commandstats')).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) totals[name] = Number(calls);
  return totals;
}

async function socketReads(redis: Redis): Promise<number> {
  return Number(/^total_reads_processed:(\d+)/m.exec(await redis.info('stats'))?.[1] ?? NaN);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { requests: { type: 'string', default: '300' }, 'world-size': { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '8' } } });
  const requests = Number(values.requests);
  const concurrency = Number(values.concurrency);
  const redisServer = await startRedis();
  const probe = new Redis(redisServer.url);
  const stack = await startStack({
    mocks: { worldSize: Number(values['world-size']) },
    env: { REDIS_URL: redisServer.url, RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', LOG_LEVEL: 'warn' },
  });
  const results = [];
  try {
    const token = await stack.token({ scope: 'population:read civil-status:read land:read social-insurance:read budget:read', client: 'bench-redis-ops' });
    for (const name of WORKLOADS) {
      const workload = createWorkload(name, stack.mocks.world, 1, 2026);
      // Connections up and scripts loaded before counting.
      await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: workload.nextBody() });
      const before = await commandCalls(probe);
      const readsBefore = await socketReads(probe);
      let sent = 0;
      let errors = 0;
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          while (sent < requests) {
            sent++;
            const response = await fetch(stack.gatewayUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: workload.nextBody() });
            const body = (await response.json()) as { errors?: unknown[] };
            if (response.status !== 200 || body.errors) errors++;
          }
        }),
      );
      const reads = (await socketReads(probe)) - readsBefore;
      const after = await commandCalls(probe);
      const perRequest: Record<string, number> = {};
      let total = 0;
      for (const [command, calls] of Object.entries(after)) {
        const delta = calls - (before[command] ?? 0);
        if (command === 'info' || delta === 0) continue;
        perRequest[command] = Math.round((delta / requests) * 100) / 100;
        total += delta;
      }
      const perRequestOf = (n: number) => Math.round((n / requests) * 100) / 100;
      const result = { workload: name, requests, errors, commandsPerRequest: perRequestOf(total), socketReadsPerRequest: perRequestOf(reads), byCommand: perRequest };
      console.log(JSON.stringify(result));
      results.push(result);
    }
  } finally {
    await stack.close();
    probe.disconnect();
    await redisServer.stop();
  }
  const date = new Date().toISOString().slice(0, 10);
  const out = resolve(__dirname, '..', 'docs', 'results', `redis-ops-${date}.json`);
  const report = {
    command: `npm run bench:redis-ops -- --requests ${requests} --world-size ${values['world-size']} --concurrency ${concurrency}`,
    machine: machine(),
    setup: 'the whole stack in one process on one redis-server (gateway: persisted queries, response cache, rate limit; subgraphs: source caches, forwarded-call replay guard); commands counted by INFO commandstats over the workload, divided by its requests; socket reads (INFO stats total_reads_processed: commands written together are read once) likewise. In a Redis Cluster each MGET of n keys becomes n GETs (keys of different hash slots).',
    results,
  };
  writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  console.log(`written ${out}`);
}

runBenchmark('bench:redis-ops', main);
