/**
 * Where one process serves several subgraphs (`npm start`, the compact Kubernetes shape), each of
 * its servers says ready (`GET /ready`) only once every one of them has warmed up: the process is
 * one pod with one readiness probe, and its Services must not be sent a call for a subgraph still
 * reading its reference data because another subgraph's port answered the probe.
 */
import type { SubgraphDefinition } from './server';

export interface WarmUpTogether {
  /** The definition, its warm-up held until every wrapped one's has settled (and `allStarted`). */
  wrap<TContext extends object>(definition: SubgraphDefinition<TContext>): SubgraphDefinition<TContext>;
  /** Every server has been started: no warm-up is still to be wrapped. */
  allStarted(): void;
}

export function warmUpTogether(): WarmUpTogether {
  const warmUps: Promise<unknown>[] = [];
  let allStarted!: () => void;
  const started = new Promise<void>((resolve) => (allStarted = resolve));
  // Settled, not fulfilled: a warm-up reports its own failure and only ends its wait (lib/http-service.ts).
  const everyWarmUp = started.then(() => Promise.allSettled(warmUps));
  return {
    wrap: (definition) => ({
      ...definition,
      // Run when the server holds its port, as before; the server turns ready with the last of them.
      warmUp: async () => {
        warmUps.push(definition.warmUp?.() ?? Promise.resolve());
        await everyWarmUp;
      },
    }),
    allStarted,
  };
}
