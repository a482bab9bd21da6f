/**
 * What happens in the gateway, told to whoever listens: metrics, logs and server timing observe
 * these events instead of being handed into the features they watch. Listeners run synchronously
 * and must be cheap; one that throws is logged and never fails the request it observes.
 */
import type { AuditRecord } from '../lib/audit/entry';
import { log } from '../lib/log';

export interface GatewayEventMap {
  /** A request refused before any GraphQL work (authentication, rate limit, limits, malformed body). */
  'request.refused': { status: number; code: string };
  /** A `/graphql` response sent, by HTTP status. */
  'http.response': { status: number };
  /** A limit refused an operation (cost, depth, aliases…), by its code. */
  'limit.rejected': { code: string };
  /** A request refused by the rate limit; `store` says where the bucket was kept. */
  'rate.limited': { clientId: string; store: string };
  /** One call sent to a subgraph; `outcome` is the HTTP status class, `timeout` or `error`. */
  'subgraph.call': { subgraph: string; requestId: string | undefined; startedAt: number; endedAt: number; outcome: string };
  /** A subgraph call answered from the caller's kept answers (`hit`) or sent on (`miss`). */
  'subgraph.kept-answer': { subgraph: string; hit: boolean };
  /** One response's personal-record reads appended to the audit log (or not). */
  'audit.write': { outcome: 'ok' | 'error'; seconds: number };
  /** The personal-record reads of one response, once the audit log holds them. */
  'audit.recorded': { records: readonly AuditRecord[] };
}

export type GatewayEventName = keyof GatewayEventMap;
export type GatewayEventListener<E extends GatewayEventName> = (event: GatewayEventMap[E]) => void;

export interface GatewayEvents {
  on<E extends GatewayEventName>(name: E, listener: GatewayEventListener<E>): void;
  emit<E extends GatewayEventName>(name: E, event: GatewayEventMap[E]): void;
}

export function createGatewayEvents(): GatewayEvents {
  const listeners = new Map<GatewayEventName, ((event: never) => void)[]>();
  return {
    on(name, listener) {
      listeners.set(name, [...(listeners.get(name) ?? []), listener as (event: never) => void]);
    },
    emit(name, event) {
      for (const listener of listeners.get(name) ?? []) {
        try {
          (listener as (event: unknown) => void)(event);
        } catch (error) {
          log.warn('an event listener failed', { event: name, error: (error as Error).message });
        }
      }
    },
  };
}
