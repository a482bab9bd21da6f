/**
 * `POST /cache/invalidate` on each subgraph (the protocol: lib/cache-invalidation.ts): every
 * cached answer about the named citizens is dropped, in this process, in the shared Redis store,
 * and — through the invalidation channel — in every replica's memory and every gateway's copies.
 */
import { createInvalidationEndpoint as createEndpoint, INVALIDATION_PATH } from '../../lib/cache-invalidation';
import type { SourceCache } from '../../sources/kit/source-cache';

export { INVALIDATION_PATH };

export interface InvalidationEndpointOptions {
  subgraph: string;
  caches: readonly SourceCache[];
  /** The bearer token callers must present; undefined turns the endpoint off. */
  token: string | undefined;
}

export function createInvalidationEndpoint(options: InvalidationEndpointOptions) {
  const personal = options.caches.filter((cache) => cache.personal);
  return createEndpoint({
    service: `the ${options.subgraph} subgraph`,
    token: options.token,
    sources: personal.map((cache) => cache.source),
    async apply(request) {
      const chosen = personal.filter((cache) => request.sources.includes(cache.source));
      const told = await Promise.all(chosen.map((cache) => cache.invalidatePersons(request.personalIds)));
      const dropped = { personalIds: request.personalIds.length, sources: chosen.map((cache) => cache.source) };
      if (told.every(Boolean)) return { status: 200, body: { dropped, broadcast: true } };
      return {
        status: 503,
        body: {
          error: 'Dropped in this replica and the shared store, but the other replicas could not be told (Redis unreachable); retry',
          dropped,
          broadcast: false,
        },
      };
    },
  });
}
