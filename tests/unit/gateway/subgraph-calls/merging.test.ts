/**
 * A request's concurrent query calls to one subgraph go out as one call, and each call still gets
 * exactly the answer it would have got alone: its own data, its own errors at its own paths.
 */
import type { FetcherRequestInit, FetcherResponse } from '@apollo/utils.fetcher';
import { buildSchema, graphql } from 'graphql';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BufferedResponse, createSubgraphFetcher, PlainHeaders } from '../../../../gateway/subgraph-calls/fetcher';
import { mergeConcurrentCalls } from '../../../../gateway/subgraph-calls/merging';

const schema = buildSchema(`
  type Person { id: ID! name: String! secret: String }
  type Query { people(ids: [ID!]!): [Person]! }
  type Mutation { touch(id: ID!): Boolean }
`);
const rootValue = {
  people: ({ ids }: { ids: string[] }) =>
    ids.map((id) => ({
      id,
      name: `name of ${id}`,
      secret: () => {
        if (id === 'p2') throw Object.assign(new Error('not yours'), { extensions: { code: 'FORBIDDEN' } });
        return `secret of ${id}`;
      },
    })),
  touch: () => true,
};

/** A subgraph that executes what it is sent, remembering each call's body; `status` forces a failure. */
function subgraph(status = 200) {
  const calls: { body: string; headers: Record<string, string> }[] = [];
  const fetcher = async (url: string, init: FetcherRequestInit = {}): Promise<FetcherResponse> => {
    calls.push({ body: init.body as string, headers: { ...(init.headers ?? {}) } });
    await new Promise((resolve) => setImmediate(resolve));
    if (status !== 200) return new BufferedResponse(url, status, new PlainHeaders({}), `{"errors":[{"message":"down ${status}"}]}`);
    const { query, variables, operationName } = JSON.parse(init.body as string);
    const result = await graphql({ schema, source: query, variableValues: variables, operationName, rootValue });
    return new BufferedResponse(url, 200, new PlainHeaders({ 'content-type': 'application/json' }), JSON.stringify(result));
  };
  return { fetcher, calls };
}

const PEOPLE = 'query Fetch__people__1($ids: [ID!]!) { people(ids: $ids) { id name } }';
const SECRETS = 'query Fetch__people__2($ids: [ID!]!) { people(ids: $ids) { id secret } }';
const headersOf = (caller: string, requestId: string) => ({ 'content-type': 'application/json', 'x-gateway-caller': caller, 'x-request-id': requestId });
const call = (query: string, ids: string[], caller = 'alice', requestId = 'r1', extra: Record<string, unknown> = {}): FetcherRequestInit => ({
  method: 'POST',
  headers: headersOf(caller, requestId),
  body: JSON.stringify({ query, variables: { ids }, operationName: /query (\w+)/.exec(query)?.[1], ...extra }),
});
const URL = 'http://population/graphql';
const options = { keyHeaders: ['x-gateway-caller', 'x-request-id'] };

async function answersAlone(inits: FetcherRequestInit[]): Promise<unknown[]> {
  const { fetcher } = subgraph();
  return Promise.all(inits.map(async (init) => JSON.parse(await (await fetcher(URL, init)).text())));
}

it('sends one request\'s concurrent calls to a subgraph as one call; each gets the answer it would get alone, errors at its own paths', async () => {
  const inits = [call(PEOPLE, ['p1']), call(SECRETS, ['p1', 'p2', 'p3'])];
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  const responses = await Promise.all(inits.map((init) => merged(URL, init)));
  expect(calls).toHaveLength(1);
  expect(responses.map((r) => r.status)).toEqual([200, 200]);
  const answers = await Promise.all(responses.map(async (r) => JSON.parse(await r.text())));
  const alone = await answersAlone(inits);
  expect(answers[0]).toEqual(alone[0]);
  expect(answers[1].data).toEqual((alone[1] as { data: unknown }).data);
  expect(answers[1].errors).toEqual([expect.objectContaining({ message: 'not yours', path: ['people', 1, 'secret'], extensions: { code: 'FORBIDDEN' } })]);
  expect(answers[0].errors).toBeUndefined();
  // The merged call was made for that caller and request.
  expect(calls[0].headers['x-gateway-caller']).toBe('alice');
  expect(calls[0].headers['x-request-id']).toBe('r1');
});

it('never merges calls of different callers, of different requests, or to different subgraphs', async () => {
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  await Promise.all([
    merged(URL, call(PEOPLE, ['p1'], 'alice', 'r1')),
    merged(URL, call(SECRETS, ['p1'], 'bob', 'r1')),
    merged(URL, call(SECRETS, ['p1'], 'alice', 'r2')),
    merged('http://land/graphql', call(SECRETS, ['p1'], 'alice', 'r1')),
  ]);
  expect(calls).toHaveLength(4);
  for (const { body } of calls) expect(JSON.parse(body).query).not.toMatch(/_v\d+_/);
});

it('never merges calls that carry no caller or no request id', async () => {
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  const bare = (query: string): FetcherRequestInit => ({ ...call(query, ['p1']), headers: { 'content-type': 'application/json' } });
  const noRequestId = (query: string): FetcherRequestInit => ({ ...call(query, ['p1']), headers: { 'content-type': 'application/json', 'x-gateway-caller': 'alice' } });
  await Promise.all([merged(URL, bare(PEOPLE)), merged(URL, bare(SECRETS)), merged(URL, noRequestId(PEOPLE)), merged(URL, noRequestId(SECRETS))]);
  expect(calls).toHaveLength(4);
  for (const { body } of calls) expect(JSON.parse(body).query).not.toMatch(/_v\d+_/);
});

it('sends a call that is alone, a mutation, or one with extensions exactly as it came', async () => {
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  const alone = call(PEOPLE, ['p1']);
  await merged(URL, alone);
  const mutation = { ...call(PEOPLE, []), body: JSON.stringify({ query: 'mutation { touch(id: "p1") }' }) };
  const withExtensions = call(PEOPLE, ['p2'], 'alice', 'r1', { extensions: { persistedQuery: { version: 1, sha256Hash: 'x' } } });
  await Promise.all([merged(URL, mutation), merged(URL, withExtensions), merged(URL, mutation)]);
  expect(calls.map((c) => c.body)).toEqual([alone.body, mutation.body, withExtensions.body, mutation.body]);
});

it('fails every call a merged call carried the way the subgraph failed it', async () => {
  const { fetcher, calls } = subgraph(503);
  const merged = mergeConcurrentCalls(fetcher, options);
  const responses = await Promise.all([merged(URL, call(PEOPLE, ['p1'])), merged(URL, call(SECRETS, ['p1']))]);
  expect(calls).toHaveLength(1);
  expect(responses.map((r) => r.status)).toEqual([503, 503]);
  for (const response of responses) await expect(response.text()).resolves.toBe('{"errors":[{"message":"down 503"}]}');
});

it('passes on a network error to every call the merged call carried', async () => {
  const fetcher = async (): Promise<FetcherResponse> => {
    await new Promise((resolve) => setImmediate(resolve));
    throw Object.assign(new Error('Subgraph did not answer'), { name: 'SubgraphTimeoutError' });
  };
  const merged = mergeConcurrentCalls(fetcher, options);
  const results = await Promise.allSettled([merged(URL, call(PEOPLE, ['p1'])), merged(URL, call(SECRETS, ['p1']))]);
  expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).name)).toEqual(['SubgraphTimeoutError', 'SubgraphTimeoutError']);
});

it('passes on a refused connection, alone or merged, as the error the socket raised', async () => {
  // A real socket error, made by Node itself, not by this test.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const { port } = closed.address() as AddressInfo;
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  const network = createSubgraphFetcher({ timeoutMs: 2000 });
  try {
    const merged = mergeConcurrentCalls(network.fetcher, options);
    const url = `http://127.0.0.1:${port}/graphql`;
    const alone = await Promise.allSettled([merged(url, call(PEOPLE, ['p1']))]);
    const together = await Promise.allSettled([merged(url, call(PEOPLE, ['p1'])), merged(url, call(SECRETS, ['p1']))]);
    for (const result of [...alone, ...together]) {
      expect(result.status).toBe('rejected');
      const reason = (result as PromiseRejectedResult).reason as { code?: string; cause?: { code?: string } };
      expect(reason.code ?? reason.cause?.code).toBe('ECONNREFUSED');
    }
  } finally {
    await network.close();
  }
});

it('merges again on the next round: nothing of an earlier call is kept or answered again', async () => {
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  await Promise.all([merged(URL, call(PEOPLE, ['p1'])), merged(URL, call(SECRETS, ['p1']))]);
  const second = await Promise.all([merged(URL, call(PEOPLE, ['p4'])), merged(URL, call(SECRETS, ['p4']))]);
  expect(calls).toHaveLength(2);
  expect(JSON.parse(await second[0].text())).toEqual({ data: { people: [{ id: 'p4', name: 'name of p4' }] } });
});

it('merges the same documents again by their variables alone: the same merged text, each call\'s own values', async () => {
  const { fetcher, calls } = subgraph();
  const merged = mergeConcurrentCalls(fetcher, options);
  await Promise.all([merged(URL, call(PEOPLE, ['p1'])), merged(URL, call(SECRETS, ['p2']))]);
  await Promise.all([merged(URL, call(PEOPLE, ['p5'])), merged(URL, call(SECRETS, ['p6', 'p7']))]);
  const [first, second] = calls.map((c) => JSON.parse(c.body) as { query: string; variables: Record<string, unknown> });
  expect(second.query).toBe(first.query);
  expect(second.variables).toEqual({ _v0_ids: ['p5'], _v1_ids: ['p6', 'p7'] });
});

it('gives an error at no path to every call, and fails every call when the answer holds a field none asked for', async () => {
  const answering = (answer: unknown) => async (url: string): Promise<FetcherResponse> => {
    await new Promise((resolve) => setImmediate(resolve));
    return new BufferedResponse(url, 200, new PlainHeaders({ 'content-type': 'application/json' }), JSON.stringify(answer));
  };
  const pathless = mergeConcurrentCalls(answering({ data: { _v0_people: [], _v1_people: [] }, errors: [{ message: 'slow source' }] }), options);
  const answers = await Promise.all([pathless(URL, call(PEOPLE, ['p1'])), pathless(URL, call(SECRETS, ['p1']))].map(async (r) => JSON.parse(await (await r).text())));
  expect(answers).toEqual([
    { data: { people: [] }, errors: [{ message: 'slow source' }] },
    { data: { people: [] }, errors: [{ message: 'slow source' }] },
  ]);
  const stray = mergeConcurrentCalls(answering({ data: { _v0_people: [], people: [] } }), options);
  const results = await Promise.allSettled([stray(URL, call(PEOPLE, ['p1'])), stray(URL, call(SECRETS, ['p1']))]);
  expect(results.map((r) => r.status === 'rejected' && (r.reason as Error).message)).toEqual([
    expect.stringContaining('a field none of its calls asked for'),
    expect.stringContaining('a field none of its calls asked for'),
  ]);
});
