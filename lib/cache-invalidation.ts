/**
 * `POST /cache/invalidate`, as every service that keeps answers about citizens serves it (each
 * subgraph for its source caches, the gateway for its copies of subgraph answers): a source (or
 * its operator) reports that some citizens' records changed, and every cached answer about them
 * is dropped.
 *
 *   POST /cache/invalidate
 *   Authorization: Bearer <CACHE_INVALIDATION_TOKEN>
 *   {"personalIds": ["024190012345", …], "sources": ["civil-status"]}   (sources optional)
 *
 * Protected by a shared secret rather than the gateway's forwarding signature: the caller is a
 * source system or an operator, never an end user going through the gateway. Without a configured
 * token the endpoint is off (403). This module holds what every such endpoint does alike (method,
 * secret, reading and checking the body); `apply` is what the service drops.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, sendJson } from './graphql-http';
import { personalIdProblem } from './personal-id';

export const INVALIDATION_PATH = '/cache/invalidate';
const MAX_IDS = 1000;

export interface InvalidationRequest {
  personalIds: string[];
  sources: string[];
}

export interface InvalidationEndpointOptions {
  /** Names the service in messages ("the civil-status subgraph", "the gateway"). */
  service: string;
  /** The bearer token callers must present; undefined turns the endpoint off. */
  token: string | undefined;
  /** The sources a request may name here; a request naming none means all of them. */
  sources: readonly string[];
  /** Drops what the request names; answers with the status and body to send. */
  apply(request: InvalidationRequest): Promise<{ status: number; body: unknown }>;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

class BadRequest extends Error {}

function readRequest(text: string, sources: readonly string[]): InvalidationRequest {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BadRequest('The body is not valid JSON');
  }
  const { personalIds, sources: named } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (!Array.isArray(personalIds) || personalIds.length === 0 || personalIds.length > MAX_IDS) {
    throw new BadRequest(`personalIds must be a list of 1 to ${MAX_IDS} personal IDs`);
  }
  personalIds.forEach((id, index) => {
    const problem = personalIdProblem(id);
    if (problem) throw new BadRequest(`personalIds[${index}] is invalid: ${problem}`);
  });
  if (named !== undefined && (!Array.isArray(named) || named.some((s) => typeof s !== 'string' || !sources.includes(s)))) {
    throw new BadRequest(`sources must be a list of some of ${sources.join(', ')} (the sources whose answers about citizens are cached here)`);
  }
  return { personalIds: [...new Set(personalIds as string[])], sources: (named as string[] | undefined) ?? [...sources] };
}

export function createInvalidationEndpoint(options: InvalidationEndpointOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }, { allow: 'POST' });
    if (!options.token) {
      return sendJson(res, 403, { error: `Cache invalidation is not enabled on ${options.service} (CACHE_INVALIDATION_TOKEN is unset)` });
    }
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(presented, options.token)) {
      return sendJson(res, 401, { error: 'Cache invalidation needs "Authorization: Bearer <CACHE_INVALIDATION_TOKEN>"' }, { 'www-authenticate': 'Bearer' });
    }
    let request: InvalidationRequest;
    try {
      request = readRequest(await readBody(req, 64 * 1024), options.sources);
    } catch (error) {
      if (error instanceof BadRequest) return sendJson(res, 400, { error: error.message });
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      throw error;
    }
    const { status, body } = await options.apply(request);
    sendJson(res, status, body);
  };
}
