/** A caller's recent subgraph answers: reused for that caller alone, complete answers only, dropped on invalidation. */
import type { Fetcher } from '@apollo/utils.fetcher';
import { createSubgraphAnswerCache, SubgraphAnswerCacheOptions } from '../../../../gateway/subgraph-calls/kept-answers';
import { BufferedResponse } from '../../../../gateway/subgraph-calls/fetcher';

const URL_ = 'http://population.test/graphql';
const ID_A = '024190012345';
const ID_B = '001085000017';

/** A subgraph that answers each call with what `answer` returns for its body, counting calls. */
function fakeSubgraph(answer: (body: string) => { status?: number; body: string }, delayMs = 0) {
  const calls: string[] = [];
  const fetcher = (async (url: string, init: { body?: string } = {}) => {
    calls.push(init.body ?? '');
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    const { status = 200, body } = answer(init.body ?? '');
    return new BufferedResponse(url, status, { get: () => null } as never, body);
  }) as Fetcher;
  return { fetcher, calls };
}

const citizen = (id: string, fetchedAt = new Date().toISOString()) =>
  JSON.stringify({ data: { citizen: { personalId: id, fullName: 'Nguyễn Văn A', provenance: { fetchedAt, servedFromCache: false, ageSeconds: 0, stale: false } } } });
const call = (principal: string, id: string) => ({
  method: 'POST',
  headers: { 'x-gateway-principal': principal, 'x-request-id': String(Math.random()) },
  body: JSON.stringify({ query: 'query($id: ID!) { citizen(personalId: $id) { fullName } }', variables: { id } }),
});

function cacheWith(options: Partial<SubgraphAnswerCacheOptions> = {}) {
  const lookups: boolean[] = [];
  const cache = createSubgraphAnswerCache({
    ttlMs: 10_000,
    maxBytes: 1024 * 1024,
    keyHeaders: ['x-gateway-principal'],
    onLookup: (_subgraph, hit) => lookups.push(hit),
    ...options,
  });
  return { cache, lookups };
}

it('answers a repeated call of the same caller from memory, its provenance saying so and how old it is', async () => {
  const fetchedAt = new Date(Date.now() - 3500).toISOString(); // the subgraph's own cache had it for 3.5 s
  const subgraph = fakeSubgraph(() => ({ body: citizen(ID_A, fetchedAt) }));
  const { cache, lookups } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  const first = JSON.parse(await (await fetch(URL_, call('officer-1', ID_A))).text());
  const again = JSON.parse(await (await fetch(URL_, call('officer-1', ID_A))).text());
  expect(subgraph.calls).toHaveLength(1);
  expect(lookups).toEqual([false, true]);
  expect(first.data.citizen.provenance).toEqual({ fetchedAt, servedFromCache: false, ageSeconds: 0, stale: false });
  expect(again.data.citizen).toEqual({ ...first.data.citizen, provenance: { fetchedAt, servedFromCache: true, ageSeconds: 3, stale: false } });
});

it('never gives one caller an answer fetched for another, nor for a different question', async () => {
  const subgraph = fakeSubgraph(() => ({ body: citizen(ID_A) }));
  const { cache } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  await fetch(URL_, call('officer-1', ID_A));
  await fetch(URL_, call('officer-2', ID_A)); // another signed identity: scopes, jurisdiction or purpose differ
  await fetch(URL_, call('officer-1', ID_B));
  await fetch('http://land.test/graphql', call('officer-1', ID_A));
  expect(subgraph.calls).toHaveLength(4);
});

it.each<[string, { status?: number; body: string }]>([
  ['an answer with errors', { body: JSON.stringify({ data: { citizen: null }, errors: [{ message: 'source down' }] }) }],
  ['a non-200 answer', { status: 502, body: 'Bad gateway' }],
  ['an answer with a stale record', { body: citizen(ID_A).replace('"stale":false', '"stale":true') }],
])('does not keep %s', async (_name, answer) => {
  const subgraph = fakeSubgraph(() => answer);
  const { cache } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  const first = await fetch(URL_, call('officer-1', ID_A));
  expect(first.status).toBe(answer.status ?? 200);
  expect(await first.text()).toBe(answer.body); // passed on unchanged
  await fetch(URL_, call('officer-1', ID_A));
  expect(subgraph.calls).toHaveLength(2);
  expect(cache.size).toBe(0);
});

it('drops every answer naming an invalidated citizen, in the question or in the answer, and keeps the rest', async () => {
  // The household answer names ID_A although the question asked about ID_B.
  const subgraph = fakeSubgraph((body) => {
    const { id } = JSON.parse(body).variables as { id: string };
    return { body: id === ID_B ? JSON.stringify({ data: { members: [ID_B, ID_A] } }) : citizen(id) };
  });
  const { cache } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  await fetch(URL_, call('officer-1', ID_A));
  await fetch(URL_, call('officer-2', ID_A));
  await fetch(URL_, call('officer-1', ID_B));
  await fetch(URL_, call('officer-1', '079300000001'));
  expect(cache.size).toBe(4);
  expect(cache.invalidatePersons([ID_A])).toBe(3);
  expect(cache.size).toBe(1);
  await fetch(URL_, call('officer-1', ID_A));
  expect(subgraph.calls).toHaveLength(5); // fetched again
  expect(cache.invalidatePersons([ID_A])).toBe(1); // the index follows entries as they are replaced and dropped
});

it('does not keep an answer whose call began before an invalidation', async () => {
  const subgraph = fakeSubgraph(() => ({ body: citizen(ID_A) }), 50);
  const { cache } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  const pending = fetch(URL_, call('officer-1', ID_A));
  cache.invalidatePersons([ID_A]); // the source changed while the subgraph was answering
  await pending;
  expect(cache.size).toBe(0);
});

it('forgets answers after the time to live', async () => {
  const subgraph = fakeSubgraph(() => ({ body: citizen(ID_A) }));
  const { cache } = cacheWith({ ttlMs: 40 });
  const fetch = cache.around('population', subgraph.fetcher);
  await fetch(URL_, call('officer-1', ID_A));
  await new Promise((resolve) => setTimeout(resolve, 80));
  await fetch(URL_, call('officer-1', ID_A));
  expect(subgraph.calls).toHaveLength(2);
});

it('stays within its memory bound, evicting the least recently used', async () => {
  const subgraph = fakeSubgraph((body) => ({ body: JSON.stringify({ data: { pad: 'x'.repeat(2000), body } }) }));
  const { cache } = cacheWith({ maxBytes: 50_000 });
  const fetch = cache.around('population', subgraph.fetcher);
  for (let i = 0; i < 100; i++) await fetch(URL_, call(`officer-${i}`, ID_A));
  expect(cache.size).toBeGreaterThan(0);
  expect(cache.size).toBeLessThanOrEqual(21); // each answer takes about 2.4 kB of the 50 kB
  await fetch(URL_, call('officer-99', ID_A)); // the newest is still there
  expect(subgraph.calls).toHaveLength(100);
});

it('leaves calls it cannot key (a caller-supplied abort signal) to the subgraph', async () => {
  const subgraph = fakeSubgraph(() => ({ body: citizen(ID_A) }));
  const { cache } = cacheWith();
  const fetch = cache.around('population', subgraph.fetcher);
  for (let i = 0; i < 2; i++) await fetch(URL_, { ...call('officer-1', ID_A), signal: new AbortController().signal } as never);
  expect(subgraph.calls).toHaveLength(2);
});
