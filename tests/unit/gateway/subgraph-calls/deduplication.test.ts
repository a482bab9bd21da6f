/** Identical concurrent subgraph calls made once, and never shared between different callers. */
import type { FetcherResponse } from '@apollo/utils.fetcher';
import { deduplicateSubgraphCalls } from '../../../../gateway/subgraph-calls/deduplication';

function fakeFetcher(fail = false) {
  const calls: string[] = [];
  const fetcher = async (url: string, init?: { body?: string | Buffer; headers?: Record<string, string> }): Promise<FetcherResponse> => {
    calls.push(`${init?.headers?.['x-gateway-principal']} ${init?.body}`);
    await new Promise((r) => setTimeout(r, 20));
    if (fail) throw new Error('subgraph down');
    let used = false;
    const response: FetcherResponse = {
      url,
      status: 200,
      ok: true,
      redirected: false,
      statusText: 'OK',
      get bodyUsed() {
        return used;
      },
      headers: new Headers() as never,
      text: async () => {
        if (used) throw new Error('body already read');
        used = true;
        return `answer to ${init?.body}`;
      },
      json: async () => ({}),
      arrayBuffer: async () => new ArrayBuffer(0),
      clone: () => response,
    };
    // A real clone reads independently.
    response.clone = () => ({ ...response, text: async () => `answer to ${init?.body}` });
    return response;
  };
  return { fetcher, calls };
}

const call = (principal: string, body: string) => ({ method: 'POST', headers: { 'x-gateway-principal': principal, 'x-request-id': Math.random().toString() }, body });

it('makes identical concurrent calls for the same caller once, and each caller reads its own answer', async () => {
  const { fetcher, calls } = fakeFetcher();
  const deduplicated = deduplicateSubgraphCalls(fetcher, { keyHeaders: ['x-gateway-principal'] });
  const answers = await Promise.all([1, 2, 3].map(() => deduplicated('http://s/graphql', call('alice', 'q1'))));
  expect(calls).toEqual(['alice q1']);
  for (const answer of answers) await expect(answer.text()).resolves.toBe('answer to q1');
});

it('never shares a call between different callers, queries or subgraphs, nor with a later request', async () => {
  const { fetcher, calls } = fakeFetcher();
  const deduplicated = deduplicateSubgraphCalls(fetcher, { keyHeaders: ['x-gateway-principal'] });
  await Promise.all([
    deduplicated('http://s/graphql', call('alice', 'q1')),
    deduplicated('http://s/graphql', call('bob', 'q1')),
    deduplicated('http://s/graphql', call('alice', 'q2')),
    deduplicated('http://t/graphql', call('alice', 'q1')),
  ]);
  await deduplicated('http://s/graphql', call('alice', 'q1'));
  expect(calls).toHaveLength(5);
});

it('gives every waiter the failure of the shared call', async () => {
  const { fetcher, calls } = fakeFetcher(true);
  const deduplicated = deduplicateSubgraphCalls(fetcher, { keyHeaders: ['x-gateway-principal'] });
  const results = await Promise.allSettled([1, 2].map(() => deduplicated('http://s/graphql', call('alice', 'q1'))));
  expect(calls).toHaveLength(1);
  expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
});
