/** The gateway's POST /cache/invalidate: passed on to each source's subgraph, and what the caller is told when one cannot be reached. */
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { invalidationRoute } from '../../../gateway/cache/invalidation-route';
import { createSubgraphAnswerCache } from '../../../gateway/subgraph-calls/kept-answers';
import { createSubgraphFetcher, SubgraphFetcher } from '../../../gateway/subgraph-calls/fetcher';

const TOKEN = 'unit-test-invalidation-token-0123456789';
const PERSON = '024190012345';

let subgraphs: Server;
let subgraphBase: string;
const received: { path: string; authorization: string | undefined; body: unknown }[] = [];
let gateway: Server;
let gatewayUrl: string;
let answers: ReturnType<typeof createSubgraphAnswerCache>;
let subgraphFetcher: SubgraphFetcher;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text;
}

beforeAll(async () => {
  // Every subgraph but land answers; land's address is a port nobody listens on.
  subgraphs = createServer(async (req, res) => {
    received.push({ path: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(await bodyOf(req)) });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"dropped":{},"broadcast":true}');
  });
  subgraphBase = await listen(subgraphs);
  answers = createSubgraphAnswerCache({ ttlMs: 10_000, maxBytes: 1 << 20, keyHeaders: [] });
  subgraphFetcher = createSubgraphFetcher({ timeoutMs: 2000 });
  const route = invalidationRoute({
    token: TOKEN,
    forgetPersons: (ids) => answers.invalidatePersons(ids),
    subgraphUrl: (name) => (name === 'land' ? 'http://127.0.0.1:1/graphql' : `${subgraphBase}/${name}/graphql`),
    fetcher: subgraphFetcher.fetcher,
  });
  gateway = createServer((req, res) => {
    if (!route(req, res)) res.writeHead(404).end();
  });
  gatewayUrl = `${await listen(gateway)}/cache/invalidate`;
});
afterAll(async () => {
  answers.close();
  await subgraphFetcher.close();
  await new Promise((resolve) => subgraphs.close(resolve));
  await new Promise((resolve) => gateway.close(resolve));
});

const invalidate = (body: unknown) =>
  fetch(gatewayUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

it("passes the request on to each named source's subgraph, beside its GraphQL path, with the token", async () => {
  received.length = 0;
  const response = await invalidate({ personalIds: [PERSON], sources: ['population', 'civil-status'] });
  expect(response.status).toBe(200);
  expect(await response.json()).toMatchObject({ gateway: { droppedAnswers: 0 }, subgraphs: { population: { status: 200 }, 'civil-status': { status: 200 } } });
  expect(received.map((r) => r.path).sort()).toEqual(['/civil-status/cache/invalidate', '/population/cache/invalidate']);
  for (const call of received) expect(call.authorization).toBe(`Bearer ${TOKEN}`);
  expect(received.find((r) => r.path.startsWith('/population'))?.body).toEqual({ personalIds: [PERSON], sources: ['population'] });
});

it('answers 502 naming a subgraph that could not be told, after telling the others', async () => {
  received.length = 0;
  const response = await invalidate({ personalIds: [PERSON] });
  expect(response.status).toBe(502);
  const body = (await response.json()) as { error: string; subgraphs: Record<string, { status: number; body: { error?: string } }> };
  expect(body.error).toMatch(/\(land\); send the request again/);
  expect(body.subgraphs.land.status).toBe(502);
  expect(body.subgraphs.land.body.error).toMatch(/The land subgraph could not be reached/);
  expect(received).toHaveLength(3); // population, civil-status, social-insurance
});

it('refuses other methods and a body that is not JSON, saying what was wrong', async () => {
  expect((await fetch(gatewayUrl)).status).toBe(405);
  const malformed = await fetch(gatewayUrl, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{personalIds' });
  expect(malformed.status).toBe(400);
  expect(await malformed.json()).toEqual({ error: 'The body is not valid JSON' });
});
