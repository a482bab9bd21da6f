/**
 * Automatic persisted queries (Apollo's APQ protocol): a client sends the SHA-256 of a query it
 * sent before instead of the query text; the first time, the gateway answers
 * PERSISTED_QUERY_NOT_FOUND and the client sends both, which registers it. Queries are kept in the
 * gateway's key-value store — Redis when configured, so every replica knows a query one of them
 * registered — for `ttlS` seconds.
 *
 * Each caller (calling system and signed-in user) has queries of its own. Shared, a hash would
 * tell anyone who sends it whether someone else asked that exact text lately: for a query written
 * with a personal ID in it, that someone looked that citizen up.
 */
import { hash } from 'node:crypto';
import type { KeyValueStore } from '../../lib/kv';
import type { Principal } from '../../lib/principal';
import type { GatewayFeature } from '../feature';
import { currentRequest } from '../request-scope';

/** Apollo Server prefixes its keys with `apq:`; this namespaces them among the product's keys. */
const PREFIX = 'gw:';

/** Namespaces worked out for a request's principal: a lookup and the registration after it share one. */
const namespaces = new WeakMap<Principal, string>();

/** The caller's namespace: a digest, so that no user's name sits in the store's keys. */
export function callerNamespace(principal: Principal | undefined): string {
  if (!principal) return 'none';
  let namespace = namespaces.get(principal);
  if (namespace === undefined) {
    namespace = hash('sha256', `${principal.clientId}\n${principal.subject}`, 'base64url').slice(0, 22);
    namespaces.set(principal, namespace);
  }
  return namespace;
}

export function persistedQueries({ store, ttlS }: { store: KeyValueStore; ttlS: number }): GatewayFeature {
  const keyOf = (key: string) => `${PREFIX}${callerNamespace(currentRequest()?.principal)}:${key}`;
  return {
    name: 'persisted-queries',
    persistedQueries: {
      ttl: ttlS,
      cache: {
        get: (key) => store.get(keyOf(key)),
        set: (key, value, options) => store.set(keyOf(key), value, (options?.ttl ?? ttlS) * 1000),
        delete: (key) => store.delete([keyOf(key)]),
      },
    },
  };
}
