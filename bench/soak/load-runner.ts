/**
 * An open-loop load generator: requests start at a fixed rate whatever the answers' latency (as
 * independent desks do), so a slow product shows up as latency and requests piling up rather
 * than as a politely lower rate. At most `maxInFlight` requests are outstanding; a request that
 * would exceed it is not sent and counted as `shed` (the generator's own overload signal).
 */
import { Pool } from 'undici';
import { errorOf, WorkloadRequest } from './workload';

export interface LoadOptions {
  /** The gateway's GraphQL URL. */
  url: string;
  /** Requests started per second. */
  rate: number;
  durationMs: number;
  next: () => WorkloadRequest;
  /** Headers for each request (a token from a pool of callers). */
  headers: () => Record<string, string>;
  maxInFlight?: number;
  /** Called with every answered request, for callers that split results into phases. */
  onResult?: (result: RequestResult) => void;
}

export interface RequestResult {
  kind: string;
  startedAt: number;
  latencyMs: number;
  /** Null when the request was answered in full. */
  error: string | null;
}

export interface LoadSummary {
  sent: number;
  answered: number;
  shed: number;
  errors: Record<string, number>;
  errorCount: number;
  latency: Percentiles;
  byKind: Record<string, { count: number; latency: Percentiles }>;
  achievedRate: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export function percentiles(values: number[]): Percentiles {
  if (values.length === 0) return { p50: 0, p90: 0, p99: 0, max: 0 };
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: Math.round(sorted[sorted.length - 1]) };
}

export function summarize(results: readonly RequestResult[], sent: number, shed: number, durationMs: number): LoadSummary {
  const errors: Record<string, number> = {};
  const byKindLatency = new Map<string, number[]>();
  for (const result of results) {
    if (result.error) errors[`${result.kind}: ${result.error}`] = (errors[`${result.kind}: ${result.error}`] ?? 0) + 1;
    const list = byKindLatency.get(result.kind) ?? [];
    list.push(result.latencyMs);
    byKindLatency.set(result.kind, list);
  }
  return {
    sent,
    answered: results.length,
    shed,
    errors,
    errorCount: Object.values(errors).reduce((sum, n) => sum + n, 0),
    latency: percentiles(results.map((r) => r.latencyMs)),
    byKind: Object.fromEntries([...byKindLatency].map(([kind, values]) => [kind, { count: values.length, latency: percentiles(values) }])),
    achievedRate: Math.round((results.length / (durationMs / 1000)) * 10) / 10,
  };
}

export async function runLoad(options: LoadOptions): Promise<LoadSummary> {
  const target = new URL(options.url);
  const maxInFlight = options.maxInFlight ?? 512;
  const pool = new Pool(target.origin, { connections: Math.min(maxInFlight, 256), keepAliveTimeout: 30_000 });
  const results: RequestResult[] = [];
  let sent = 0;
  let shed = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();

  const fire = () => {
    if (inFlight >= maxInFlight) {
      shed++;
      return;
    }
    sent++;
    inFlight++;
    const request = options.next();
    const startedAt = performance.now();
    const done = pool
      .request({
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', ...options.headers() },
        body: JSON.stringify({ query: request.query, variables: request.variables }),
      })
      .then(
        async (response) => {
          const text = await response.body.text();
          let body: unknown = null;
          try {
            body = JSON.parse(text);
          } catch {
            // counted below as "not JSON"
          }
          return errorOf(response.statusCode, body);
        },
        (error: Error) => `transport: ${(error as { code?: string }).code ?? error.name}`,
      )
      .then((error) => {
        const result = { kind: request.kind, startedAt, latencyMs: performance.now() - startedAt, error };
        results.push(result);
        options.onResult?.(result);
      })
      .finally(() => {
        inFlight--;
        pending.delete(done);
      });
    pending.add(done);
  };

  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= options.durationMs) {
        clearInterval(tick);
        resolve();
        return;
      }
      // Catch up to where the schedule says we should be.
      const due = Math.floor((elapsed / 1000) * options.rate) - (sent + shed);
      for (let i = 0; i < due; i++) fire();
    }, 5);
  });
  await Promise.all(pending);
  await pool.close();
  return summarize(results, sent, shed, options.durationMs);
}
