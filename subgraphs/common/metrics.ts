/**
 * A subgraph process's metrics, served at its `GET /metrics`:
 *  - subgraph_source_request_duration_seconds{source,outcome}: every HTTP attempt at a source;
 *  - subgraph_source_retries_total{source}, subgraph_source_refused_calls_total{source,reason}:
 *    what the resilience policy did (retries; calls refused with the circuit open or the queue full);
 *  - subgraph_source_circuit_state{source,state}: 1 for the breaker's current state, 0 otherwise;
 *  - subgraph_source_cache_lookups_total{source,result} (hit, miss, stale) and
 *    subgraph_source_cache_hit_ratio{source}: the source caches, hits over lookups since start.
 * One registry per process: where one process runs several subgraphs (`npm start`), each
 * subgraph's /metrics shows the whole process, its sources told apart by the `source` label.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { createRegistry, LATENCY_BUCKETS } from '../../lib/metrics';
import { resilienceEvents } from '../../sources/kit/resilience/events';
import type { SourceCache } from '../../sources/kit/source-cache';
import { sourceCallEvents } from '../../sources/kit/telemetry';

const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;

export interface SubgraphMetrics {
  registry: Registry;
  /** Counts these caches' lookups from now on (a subgraph's caches, when it starts). */
  watchCaches(caches: readonly SourceCache[]): void;
  /** Stops counting them (the subgraph stopped). */
  unwatchCaches(caches: readonly SourceCache[]): void;
}

function create(): SubgraphMetrics {
  const registry = createRegistry('subgraph');
  const watched = new Set<SourceCache>();
  /** What each cache had counted at the last scrape, so the counters grow by the difference. */
  const counted = new WeakMap<SourceCache, { hits: number; misses: number; stale: number }>();

  const sourceDuration = new Histogram({
    name: 'subgraph_source_request_duration_seconds',
    help: 'HTTP attempts at each source, by outcome (ok or the SOURCE_* error code)',
    labelNames: ['source', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const retries = new Counter({
    name: 'subgraph_source_retries_total',
    help: 'Attempts at a source repeated after a transient failure',
    labelNames: ['source'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'subgraph_source_refused_calls_total',
    help: 'Source calls refused without reaching the source (circuit open, queue full)',
    labelNames: ['source', 'reason'] as const,
    registers: [registry],
  });
  const circuit = new Gauge({
    name: 'subgraph_source_circuit_state',
    help: "Each source's circuit breaker: 1 for its current state (closed, half-open, open), 0 for the others",
    labelNames: ['source', 'state'] as const,
    registers: [registry],
  });
  new Counter({
    name: 'subgraph_source_cache_lookups_total',
    help: 'Source cache lookups: hit (fresh answer), miss (source called), stale (expired answer served because the source failed)',
    labelNames: ['source', 'result'] as const,
    registers: [registry],
    collect() {
      for (const cache of watched) {
        const now = cache.stats();
        const before = counted.get(cache) ?? { hits: 0, misses: 0, stale: 0 };
        this.inc({ source: cache.source, result: 'hit' }, now.hits - before.hits);
        this.inc({ source: cache.source, result: 'miss' }, now.misses - before.misses);
        this.inc({ source: cache.source, result: 'stale' }, now.staleServed - before.stale);
        counted.set(cache, { hits: now.hits, misses: now.misses, stale: now.staleServed });
      }
    },
  });
  new Gauge({
    name: 'subgraph_source_cache_hit_ratio',
    help: 'Share of source cache lookups answered from the cache since the process started (0-1)',
    labelNames: ['source'] as const,
    registers: [registry],
    collect() {
      const totals = new Map<string, { hits: number; lookups: number }>();
      for (const cache of watched) {
        const { hits, misses } = cache.stats();
        const total = totals.get(cache.source) ?? { hits: 0, lookups: 0 };
        totals.set(cache.source, { hits: total.hits + hits, lookups: total.lookups + hits + misses });
      }
      this.reset();
      for (const [source, { hits, lookups: all }] of totals) if (all > 0) this.set({ source }, hits / all);
    },
  });

  sourceCallEvents.on('call', ({ source, seconds, outcome }) => sourceDuration.observe({ source, outcome }, seconds));
  resilienceEvents.on('retry', ({ source }) => retries.inc({ source }));
  resilienceEvents.on('rejected', ({ source, reason }) => refused.inc({ source, reason }));
  const breakerKnown = new Set<string>();
  const setBreaker = (source: string, state: (typeof BREAKER_STATES)[number]) => {
    breakerKnown.add(source);
    for (const candidate of BREAKER_STATES) circuit.set({ source, state: candidate }, candidate === state ? 1 : 0);
  };
  resilienceEvents.on('breaker', ({ source, state }) => setBreaker(source, state));

  return {
    registry,
    watchCaches(caches) {
      for (const cache of caches) {
        watched.add(cache);
        // A breaker that has not changed state yet is closed; show it from the first scrape.
        if (!breakerKnown.has(cache.source)) setBreaker(cache.source, 'closed');
      }
    },
    unwatchCaches(caches) {
      for (const cache of caches) watched.delete(cache);
    },
  };
}

let metrics: SubgraphMetrics | null = null;

/** The process's subgraph metrics, made on first use. */
export function subgraphMetrics(): SubgraphMetrics {
  metrics ??= create();
  return metrics;
}
