/** What the gateway knows about one request, available to every plugin and subgraph call. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { callerRequestIdFrom } from '../lib/log';
import type { Principal } from '../lib/principal';

export interface GatewayContext {
  /**
   * The gateway's own id for this request (a UUID it made): correlates logs, audit entries and
   * subgraph calls, and is sent back as `x-request-id`. Never chosen by the caller.
   */
  requestId: string;
  /** The caller's `x-request-id`, when it sent a plain one: kept beside ours, never relied on. */
  callerRequestId?: string | null;
  /** The verified caller (the anonymous principal when allowed and no token was sent). */
  principal: Principal;
}

/** A new id for a request the gateway receives; the caller's `x-request-id` is not used for it. */
export function requestIdOf(_req?: IncomingMessage): string {
  return randomUUID();
}

/** The caller's own `x-request-id` (length and characters limited), or null. */
export function callerRequestIdOf(req: IncomingMessage): string | null {
  return callerRequestIdFrom(req.headers);
}
