/**
 * The request a callback runs for, where Apollo Server calls without passing its context (its
 * persisted-query cache). server.ts runs each request's execution inside it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { GatewayContext } from './context';

const scope = new AsyncLocalStorage<GatewayContext>();

export function runInRequest<T>(context: GatewayContext, run: () => T): T {
  return scope.run(context, run);
}

/** The request being served, or undefined outside one. */
export function currentRequest(): GatewayContext | undefined {
  return scope.getStore();
}
