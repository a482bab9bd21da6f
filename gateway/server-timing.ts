/**
 * `SERVER_TIMING=true`: each answer carries a Server-Timing header saying where its time went:
 *
 *   Server-Timing: gateway;dur=1.3, subgraphs;dur=74.2, total;dur=75.5
 *
 * `subgraphs` is the time at least one subgraph call was in flight (parallel calls counted once),
 * `gateway` the rest of the request from the moment it was authenticated: planning, access
 * filtering and settling, the audit write, serialisation. The benchmark reads it to measure the
 * gateway's own overhead; operators can read it in a browser's network panel. Off by default: it
 * tells callers how long the backends took.
 */
import { performance } from 'node:perf_hooks';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GatewayContext } from './context';
import type { GatewayEvents } from './events';
import type { GatewayFeature } from './feature';

interface RequestTiming {
  startedAt: number;
  /** [start, end] of every subgraph call, ms on the performance clock. */
  calls: [number, number][];
}

/** Total length of the union of intervals: parallel calls count once. */
export function coveredMs(intervals: readonly [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let [start, end] = sorted[0] ?? [0, 0];
  for (const [s, e] of sorted.slice(1)) {
    if (s > end) {
      total += end - start;
      [start, end] = [s, e];
    } else {
      end = Math.max(end, e);
    }
  }
  return total + (end - start);
}

/** Off unless `enabled`. */
export function serverTiming({ enabled, events }: { enabled: boolean; events: GatewayEvents }): GatewayFeature {
  if (!enabled) return { name: 'server-timing' };
  // Subgraph calls find their request by the x-request-id the gateway forwards.
  const open = new Map<string, RequestTiming>();
  events.on('subgraph.call', ({ requestId, startedAt, endedAt }) => open.get(requestId ?? '')?.calls.push([startedAt, endedAt]));

  const plugin: ApolloServerPlugin<GatewayContext> = {
    async requestDidStart({ contextValue }) {
      const timing: RequestTiming = { startedAt: performance.now(), calls: [] };
      open.set(contextValue.requestId, timing);
      return {
        async willSendResponse({ response }) {
          open.delete(contextValue.requestId);
          const total = performance.now() - timing.startedAt;
          const subgraphs = coveredMs(timing.calls);
          response.http.headers.set(
            'server-timing',
            `gateway;dur=${(total - subgraphs).toFixed(2)}, subgraphs;dur=${subgraphs.toFixed(2)}, total;dur=${total.toFixed(2)}`,
          );
        },
      };
    },
  };
  return { name: 'server-timing', plugins: [plugin] };
}
