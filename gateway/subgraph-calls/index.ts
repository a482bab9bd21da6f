/**
 * Everything between the query planner and a subgraph, in the order a call passes through it:
 *
 *   data source (request id, trace, caller)            data-source.ts
 *   → kept answers: a caller's recent complete answers kept-answers.ts
 *   → the features' wrappers (aroundSubgraphCall)      ../feature.ts
 *   → `subgraph.call` events (metrics, server timing)
 *   → deduplication of identical calls in flight      deduplication.ts
 *   → a request's concurrent calls to one subgraph merged  merging.ts
 *   → the per-call signature                            signing.ts
 *   → undici over a keep-alive pool, with a deadline    fetcher.ts
 *
 * and back: a subgraph that fails nulls only its own fields (failures.ts).
 */
import type { Fetcher } from '@apollo/utils.fetcher';
import type { ServiceEndpointDefinition } from '@apollo/gateway';
import type { ForwardingSigner } from '../../lib/forwarding';
import type { InvalidationBus } from '../../lib/kv';
import type { SubgraphName } from '../../lib/sources';
import type { GatewayEvents } from '../events';
import { REQUEST_ID_HEADER, SubgraphDataSource } from './data-source';
import { deduplicateSubgraphCalls } from './deduplication';
import { createSubgraphFetcher, SubgraphClientTls } from './fetcher';
import { createSubgraphAnswerCache } from './kept-answers';
import { mergeConcurrentCalls } from './merging';
import { CALLER_HEADER, signingFetcher } from './signing';

export { CALLER_HEADER } from './signing';

export interface SubgraphCallsOptions {
  /** Subgraph URLs that override the supergraph's (by name). */
  urls: Partial<Record<SubgraphName, string>>;
  timeoutMs: number;
  /** The largest answer read from a subgraph, in bytes. */
  maxAnswerBytes?: number;
  tls?: SubgraphClientTls;
  signer: ForwardingSigner;
  /** Make concurrent identical calls for the same caller once. */
  deduplicate: boolean;
  /** Send a request's concurrent query calls to one subgraph as one call. */
  mergeCalls: boolean;
  /** Reuse a caller's complete answers this long (0: off), within this much memory. */
  keptAnswers: { ttlMs: number; maxBytes: number };
  /** Where sources announce changed citizens: their kept answers are dropped. */
  invalidations: InvalidationBus;
  events: GatewayEvents;
  /** The features' wrappers around each subgraph's calls. */
  around(subgraph: string, call: Fetcher): Fetcher;
}

export interface SubgraphCalls {
  /** For `new ApolloGateway({ buildService })`. */
  buildService(definition: ServiceEndpointDefinition): SubgraphDataSource;
  /** The GraphQL URL of a subgraph the gateway calls (known once the gateway has loaded). */
  urlOf(subgraph: string): string | undefined;
  /** The bare fetcher: keep-alive pool and deadline, no signature (the gateway's own calls). */
  fetcher: Fetcher;
  /** Drops every kept answer naming one of these citizens; how many. */
  forgetPersons(personalIds: readonly string[]): number;
  close(): Promise<void>;
}

/** Tells `subgraph.call` listeners of each call: when it ran and how it ended. */
function observed(events: GatewayEvents, subgraph: string, fetcher: Fetcher): Fetcher {
  return (async (url: string, init?: Parameters<Fetcher>[1]) => {
    const startedAt = performance.now();
    const requestId = (init?.headers as Record<string, string> | undefined)?.[REQUEST_ID_HEADER];
    try {
      const response = await fetcher(url, init);
      events.emit('subgraph.call', { subgraph, requestId, startedAt, endedAt: performance.now(), outcome: `${Math.floor(response.status / 100)}xx` });
      return response;
    } catch (error) {
      const outcome = (error as Error)?.name === 'SubgraphTimeoutError' ? 'timeout' : 'error';
      events.emit('subgraph.call', { subgraph, requestId, startedAt, endedAt: performance.now(), outcome });
      throw error;
    }
  }) as Fetcher;
}

export function createSubgraphCalls(options: SubgraphCallsOptions): SubgraphCalls {
  const network = createSubgraphFetcher({ timeoutMs: options.timeoutMs, maxAnswerBytes: options.maxAnswerBytes, tls: options.tls });
  const kept =
    options.keptAnswers.ttlMs > 0
      ? createSubgraphAnswerCache({
          ttlMs: options.keptAnswers.ttlMs,
          maxBytes: options.keptAnswers.maxBytes,
          keyHeaders: [CALLER_HEADER],
          onLookup: (subgraph, hit) => options.events.emit('subgraph.kept-answer', { subgraph, hit }),
        })
      : null;
  const unsubscribe = kept ? options.invalidations.subscribe((message) => kept.invalidatePersons(message.personalIds)) : () => {};
  const urls = new Map<string, string>();
  return {
    buildService({ name, url }) {
      const subgraphUrl = options.urls[name as SubgraphName] ?? url;
      if (subgraphUrl) urls.set(name, subgraphUrl);
      // Each call signed for this subgraph and its body, just before it is sent.
      const signed = signingFetcher(network.fetcher, options.signer, name);
      const merged = options.mergeCalls ? mergeConcurrentCalls(signed, { keyHeaders: [CALLER_HEADER, REQUEST_ID_HEADER] }) : signed;
      const shared = options.deduplicate ? deduplicateSubgraphCalls(merged, { keyHeaders: [CALLER_HEADER] }) : merged;
      const wrapped = options.around(name, observed(options.events, name, shared));
      // The audit subgraph's answers change with every read, so they are never kept.
      return new SubgraphDataSource({ url: subgraphUrl, fetcher: kept && name !== 'audit' ? kept.around(name, wrapped) : wrapped }, name);
    },
    urlOf: (subgraph) => urls.get(subgraph),
    fetcher: network.fetcher,
    forgetPersons: (personalIds) => kept?.invalidatePersons(personalIds) ?? 0,
    async close() {
      unsubscribe();
      kept?.close();
      await network.close();
    },
  };
}
