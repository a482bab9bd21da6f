/** What the gateway knows about one request, available to every plugin and subgraph call. */
import type { IncomingMessage } from 'node:http';
import { requestIdFrom } from '../lib/log';
import type { Principal } from '../lib/principal';

export interface GatewayContext {
  /** Correlates logs, audit entries and subgraph calls for one request. */
  requestId: string;
  /** The verified caller (the anonymous principal when allowed and no token was sent). */
  principal: Principal;
}

export function requestIdOf(req: IncomingMessage): string {
  return requestIdFrom(req.headers);
}
