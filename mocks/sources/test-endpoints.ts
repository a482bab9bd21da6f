/**
 * The test endpoints of a mock source: `/__health` (open), and behind the control key
 * (`x-mocks-control-key`) `/__stats`, `/__calls`, `/__control` and the source's open routes (ground truth):
 * ground truth is every citizen's record, and `/__control` can take a source down.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { ERROR_STATUS, jsonReply, Reply, Route, SourceFailure } from './contract';
import type { Faults } from './faults';
import { matchRoute, readBody } from './http';
import type { CallCounter } from './stats';

/** The header carrying the key of the test endpoints (`MOCKS_CONTROL_KEY`). */
export const MOCKS_CONTROL_HEADER = 'x-mocks-control-key';

/** 401 without the control key, 403 with a wrong one, null when it matches. */
export function checkControlKey(headers: IncomingHttpHeaders, expected: string): Reply | null {
  const presented = headers[MOCKS_CONTROL_HEADER];
  if (presented === undefined) {
    return jsonReply(401, { error: `The mocks' test endpoints need the ${MOCKS_CONTROL_HEADER} header (the key in MOCKS_CONTROL_KEY)` });
  }
  const digest = (text: string) => createHash('sha256').update(text).digest();
  if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), digest(expected))) {
    return jsonReply(403, { error: `The ${MOCKS_CONTROL_HEADER} header does not hold the mocks' control key (MOCKS_CONTROL_KEY)` });
  }
  return null;
}

export interface TestEndpointTargets {
  /** The key every test endpoint but `/__health` requires. */
  controlKey: string;
  stats: CallCounter;
  faults: Faults;
  openRoutes: Route[];
}

/** The answer of `/__control`, `/__stats`, `/__health` or an open route; null when `path` is none. */
export async function testEndpoint(targets: TestEndpointTargets, req: IncomingMessage, method: string, path: string, rawQuery: string): Promise<Reply | null> {
  switch (path) {
    case '/__health':
      return jsonReply(200, { status: 'ok' });
  }
  // Every other `/__` path is a test endpoint, or a guess at one: the key first.
  const refused = checkControlKey(req.headers, targets.controlKey);
  if (refused) return refused;
  switch (path) {
    case '/__stats':
      if (method === 'DELETE') targets.stats.reset();
      return method === 'GET' || method === 'DELETE' ? jsonReply(200, targets.stats.get()) : jsonReply(405, { error: 'use GET or DELETE' });
    case '/__calls':
      if (method === 'DELETE') targets.stats.resetCalls();
      return method === 'GET' || method === 'DELETE' ? jsonReply(200, { calls: targets.stats.calls() }) : jsonReply(405, { error: 'use GET or DELETE' });
    case '/__control':
      if (method === 'GET') return jsonReply(200, targets.faults.get());
      if (method !== 'PUT') return jsonReply(405, { error: 'use GET or PUT' });
      try {
        return jsonReply(200, targets.faults.set(JSON.parse(await readBody(req))));
      } catch (error) {
        return jsonReply(400, { error: error instanceof SyntaxError ? 'the body is not valid JSON' : (error as Error).message });
      }
  }
  const match = matchRoute(targets.openRoutes, method, path);
  if (!match.route) return null;
  try {
    return match.route.handle({ method, path, params: match.params, query: new URLSearchParams(rawQuery), headers: req.headers, body: '' });
  } catch (error) {
    return jsonReply(error instanceof SourceFailure ? ERROR_STATUS[error.kind] : 500, { error: (error as Error).message });
  }
}
