/**
 * `POST /cache/invalidate` on each subgraph: a source (or its operator) reports that some
 * citizens' records changed, and every cached answer about them is dropped, in this process, in
 * the shared Redis store, and — through the invalidation channel — in every replica's memory.
 *
 *   POST /cache/invalidate
 *   Authorization: Bearer <CACHE_INVALIDATION_TOKEN>
 *   {"personalIds": ["024190012345", …], "sources": ["civil-status"]}   (sources optional)
 *
 * Protected by a shared secret rather than the gateway's forwarding signature: the caller is a
 * source system or an operator, never an end user going through the gateway. Without a configured
 * token the endpoint is off (403).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, readBody, sendJson } from '../../lib/graphql-http';
import { personalIdProblem } from '../../lib/personal-id';
import type { SourceCache } from './source-cache';

export const INVALIDATION_PATH = '/cache/invalidate';
const MAX_IDS = 1000;

export interface InvalidationEndpointOptions {
  subgraph: string;
  caches: readonly SourceCache[];
  /** The bearer token callers must present; undefined turns the endpoint off. */
  token: string | undefined;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

class BadRequest extends Error {}

function readRequest(text: string, sources: readonly string[]): { personalIds: string[]; sources: string[] } {
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
    throw new BadRequest(`sources must be a list of some of ${sources.join(', ')} (the sources this subgraph caches answers about citizens from)`);
  }
  return { personalIds: [...new Set(personalIds as string[])], sources: (named as string[] | undefined) ?? [...sources] };
}

export function createInvalidationEndpoint(options: InvalidationEndpointOptions) {
  const personal = options.caches.filter((cache) => cache.personal);
  const sources = personal.map((cache) => cache.source);

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'POST') return sendJson(res, 405, { error: 'Use POST' }, { allow: 'POST' });
    if (!options.token) {
      return sendJson(res, 403, { error: `Cache invalidation is not enabled on the ${options.subgraph} subgraph (CACHE_INVALIDATION_TOKEN is unset)` });
    }
    const header = req.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7) : '';
    if (!sameSecret(presented, options.token)) {
      return sendJson(res, 401, { error: 'Cache invalidation needs "Authorization: Bearer <CACHE_INVALIDATION_TOKEN>"' }, { 'www-authenticate': 'Bearer' });
    }
    let request: { personalIds: string[]; sources: string[] };
    try {
      request = readRequest(await readBody(req, 64 * 1024), sources);
    } catch (error) {
      if (error instanceof BadRequest) return sendJson(res, 400, { error: error.message });
      if (error instanceof HttpError) return sendJson(res, error.status, { error: error.message });
      throw error;
    }
    const chosen = personal.filter((cache) => request.sources.includes(cache.source));
    const told = await Promise.all(chosen.map((cache) => cache.invalidatePersons(request.personalIds)));
    const result = { personalIds: request.personalIds.length, sources: chosen.map((cache) => cache.source) };
    if (told.every(Boolean)) return sendJson(res, 200, { dropped: result, broadcast: true });
    sendJson(res, 503, {
      error: 'Dropped in this replica and the shared store, but the other replicas could not be told (Redis unreachable); retry',
      dropped: result,
      broadcast: false,
    });
  };
}
