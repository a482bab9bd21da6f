/**
 * `POST /cache/invalidate` on the gateway (the protocol: lib/cache-invalidation.ts): one place for
 * a source or an operator to say that citizens' records changed. The gateway drops its own copies
 * of subgraph answers about them (subgraph-calls/kept-answers.ts) and passes the request on to the subgraph
 * of each named source, which drops its source cache (and, with Redis, tells every replica).
 *
 * Answers 200 when every subgraph did; 502 naming those that did not (the request is idempotent:
 * send it again). Each subgraph's own answer is in `subgraphs`.
 */
import type { Fetcher } from '@apollo/utils.fetcher';
import { createInvalidationEndpoint, INVALIDATION_PATH } from '../../lib/cache-invalidation';
import { PERSONAL_SOURCES } from '../../lib/sources';
import type { RouteHandler } from '../../lib/http-service';
import type { GatewayFeature } from '../feature';
import type { SubgraphCalls } from '../subgraph-calls';

export interface InvalidationRouteOptions {
  token: string | undefined;
  /** Drops the gateway's kept subgraph answers naming these citizens; how many. */
  forgetPersons(personalIds: readonly string[]): number;
  /** The GraphQL URL of each subgraph the gateway calls, by name (known once the gateway has loaded). */
  subgraphUrl(name: string): string | undefined;
  /** The gateway's subgraph fetcher: its keep-alive pool and deadline. */
  fetcher: Fetcher;
}

interface Passed {
  status: number;
  body: unknown;
}

export function invalidationRoute(options: InvalidationRouteOptions): RouteHandler {
  const pass = async (subgraph: string, personalIds: string[]): Promise<Passed> => {
    const graphqlUrl = options.subgraphUrl(subgraph);
    if (!graphqlUrl) return { status: 502, body: { error: `The gateway does not know the ${subgraph} subgraph's address` } };
    // Beside the subgraph's GraphQL endpoint, under any path prefix a proxy adds.
    const url = new URL(graphqlUrl);
    url.pathname = url.pathname.replace(/\/graphql\/?$/, '').replace(/\/$/, '') + INVALIDATION_PATH;
    try {
      const response = await options.fetcher(url.href, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
        body: JSON.stringify({ personalIds, sources: [subgraph] }),
      });
      const text = await response.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // kept as text
      }
      return { status: response.status, body };
    } catch (error) {
      return { status: 502, body: { error: `The ${subgraph} subgraph could not be reached: ${(error as Error).message}` } };
    }
  };

  const endpoint = createInvalidationEndpoint({
    service: 'the gateway',
    token: options.token,
    sources: PERSONAL_SOURCES,
    async apply({ personalIds, sources }) {
      const droppedAnswers = options.forgetPersons(personalIds);
      // Each personal source is cached by the subgraph of its name.
      const passed = await Promise.all(sources.map(async (source) => [source, await pass(source, personalIds)] as const));
      const failed = passed.filter(([, outcome]) => outcome.status !== 200).map(([name]) => name);
      const body = { gateway: { droppedAnswers }, subgraphs: Object.fromEntries(passed) };
      if (failed.length === 0) return { status: 200, body };
      return { status: 502, body: { error: `Not every subgraph dropped its copies (${failed.join(', ')}); send the request again`, ...body } };
    },
  });

  return (req, res) => {
    if ((req.url ?? '').split('?')[0] !== INVALIDATION_PATH) return false;
    void endpoint(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
    return true;
  };
}

/** `POST /cache/invalidate`, off while no CACHE_INVALIDATION_TOKEN is set. */
export function cacheInvalidation({ token, subgraphs }: { token: string | undefined; subgraphs: SubgraphCalls }): GatewayFeature {
  return {
    name: 'cache-invalidation',
    routes: [invalidationRoute({ token, forgetPersons: subgraphs.forgetPersons, subgraphUrl: subgraphs.urlOf, fetcher: subgraphs.fetcher })],
  };
}
