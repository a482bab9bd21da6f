/** What the gateway knows about one request, available to every plugin and subgraph call. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Principal } from '../lib/principal';

export interface GatewayContext {
  /** Correlates logs, audit entries and subgraph calls for one request. */
  requestId: string;
  /** The verified caller (the anonymous principal when allowed and no token was sent). */
  principal: Principal;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function requestIdOf(req: IncomingMessage): string {
  const offered = req.headers['x-request-id'];
  return typeof offered === 'string' && REQUEST_ID.test(offered) ? offered : randomUUID();
}
