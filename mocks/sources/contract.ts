/**
 * What a mock source defines (routes, where the caller's key is, how errors look, its body format)
 * and the pieces its handlers build replies with; mocks/sources/service.ts runs it over HTTP.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { SourceName } from '../../lib/sources';
import type { BodyFormat } from './corrupt';

export type ErrorKind =
  | 'BAD_REQUEST'
  | 'BATCH_TOO_LARGE'
  | 'UNAUTHORIZED'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'PAYLOAD_TOO_LARGE'
  | 'TOO_MANY_REQUESTS'
  | 'INTERNAL'
  | 'UNAVAILABLE';

/** The HTTP status of each kind of failure, unless a source's style says otherwise. */
export const ERROR_STATUS: Record<ErrorKind, number> = {
  BAD_REQUEST: 400,
  BATCH_TOO_LARGE: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  TOO_MANY_REQUESTS: 429,
  INTERNAL: 500,
  UNAVAILABLE: 503,
};

/** Thrown by handlers; the service renders it in the source's own error style. */
export class SourceFailure extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message);
  }
}

export interface Reply {
  status: number;
  contentType: string;
  body: string;
}

export interface Call {
  method: string;
  path: string;
  /** Named groups of the route's path pattern, URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Matched against the whole decoded path; named groups become `params`. */
  path: RegExp;
  /** The name calls are counted under in `/__stats`. */
  operation: string;
  handle(call: Call): Reply;
}

export interface SourceDefinition {
  name: SourceName;
  format: BodyFormat;
  routes: Route[];
  /** Routes for tests (ground truth): no key, no faults, not counted. */
  openRoutes?: Route[];
  /** The key the caller presented; may throw SourceFailure when the request cannot be read. */
  presentedKey(call: Call): string | undefined;
  renderError(kind: ErrorKind, message: string): Reply;
  /** Calls one key may have in flight before more are refused with 429. */
  maxInFlightPerKey?: number;
}

export function jsonReply(status: number, body: unknown): Reply {
  return { status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) };
}

export function header(call: Call, name: string): string | undefined {
  const value = call.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
