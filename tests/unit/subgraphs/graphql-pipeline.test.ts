/**
 * The subgraphs' own GraphQL pipeline answers as Apollo Server did: a standard Federation 2
 * subgraph (`_service`, `_entities`), 400 for what cannot run, CSRF prevention, masked errors.
 */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { GraphQLError, parse } from 'graphql';
import { readBodyBytes } from '../../../lib/graphql-http';
import { createGraphQLPipeline } from '../../../subgraphs/common/graphql-pipeline';

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
  type Query { hello(name: String!): String broken: String forbidden: String }
  type Thing @key(fields: "id") { id: ID! label: String }
`);
const resolvers = {
  Query: {
    hello: (_: unknown, { name }: { name: string }) => `xin chào ${name}`,
    broken: () => {
      throw new Error('secret detail');
    },
    forbidden: () => {
      throw new GraphQLError('Not allowed', { extensions: { code: 'FORBIDDEN' } });
    },
  },
  Thing: { __resolveReference: (ref: { id: string }) => ({ id: ref.id, label: `thing ${ref.id}` }) },
};

let server: Server;
let url: string;
const outcomes: number[] = [];

beforeAll(async () => {
  const pipeline = createGraphQLPipeline<object>({
    schema: buildSubgraphSchema({ typeDefs, resolvers }),
    introspection: false,
    onOperation: ({ errors }) => outcomes.push(errors.length),
  });
  server = createServer((req, res) => {
    void readBodyBytes(req, 10_000).then((body) => pipeline.serve(req, res, body, {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

async function post(body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const response = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}
const codes = (body: { errors?: any[] }) => body.errors?.map((e) => e.extensions?.code);

describe('subgraph GraphQL pipeline', () => {
  it('answers a query, the same text again from its parsed copy, and the federation fields', async () => {
    for (let i = 0; i < 2; i++) expect(await post({ query: 'query Q($n: String!) { hello(name: $n) }', variables: { n: 'An' } })).toEqual({ status: 200, body: { data: { hello: 'xin chào An' } } });
    const sdl = await post({ query: '{ _service { sdl } }' });
    expect(sdl.body.data._service.sdl).toContain('type Thing');
    const entities = await post({ query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Thing { label } } }', variables: { r: [{ __typename: 'Thing', id: '7' }] } });
    expect(entities.body).toEqual({ data: { _entities: [{ label: 'thing 7' }] } });
  });

  it('refuses with 400 what cannot run: bad syntax, unknown fields, missing variables, batches, unknown operations', async () => {
    expect(await post({ query: '{ hello(' })).toMatchObject({ status: 400, body: { errors: [{ extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] } });
    const unknown = await post({ query: '{ nope }' });
    expect([unknown.status, codes(unknown.body)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    const missing = await post({ query: 'query Q($n: String!) { hello(name: $n) }' });
    expect([missing.status, codes(missing.body)]).toEqual([400, ['BAD_USER_INPUT']]);
    expect((await post([{ query: '{ __typename }' }])).status).toBe(400);
    const operation = await post({ query: 'query A { __typename } query B { __typename }', operationName: 'C' });
    expect([operation.status, codes(operation.body)]).toEqual([400, ['OPERATION_RESOLUTION_FAILURE']]);
    expect((await post('{not json')).status).toBe(400);
  });

  it('refuses introspection when it is off', async () => {
    const answer = await post({ query: '{ __schema { queryType { name } } }' });
    expect(answer.status).toBe(400);
    expect(new Set(codes(answer.body))).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
    expect(answer.body.errors?.[0].message).toMatch(/introspection/i);
  });

  it('passes the codes callers act on and masks anything unexpected, with its path', async () => {
    const answer = await post({ query: '{ broken forbidden hello(name: "B") }' });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toEqual({ broken: null, forbidden: null, hello: 'xin chào B' });
    expect(answer.body.errors).toEqual([
      { message: 'Internal error in the subgraph', path: ['broken'], extensions: { code: 'INTERNAL_SERVER_ERROR' } },
      expect.objectContaining({ message: 'Not allowed', path: ['forbidden'], extensions: { code: 'FORBIDDEN' } }),
    ]);
    expect(JSON.stringify(answer.body)).not.toContain('secret detail');
  });

  it('refuses what a browser sends cross-site without a preflight, and any GET: the operation comes from the body alone', async () => {
    expect((await post({ query: '{ __typename }' }, { 'content-type': 'text/plain' })).status).toBe(400);
    const get = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect([get.status, get.headers.get('allow'), codes((await get.json()) as never)]).toEqual([405, 'POST', ['BAD_REQUEST']]);
  });

  it('reports every operation to the request log', () => {
    expect(outcomes.length).toBeGreaterThan(5);
  });
});

describe("a call's first use, confirmed while it runs (lib/forwarding.ts, CheckedCall)", () => {
  // What each operation's resolver saw: whether the claim of the call's id had been settled.
  const ran: { field: string; settled: boolean }[] = [];
  let settled = false;
  let claim: { promise: Promise<void>; resolve(): void; reject(error: Error): void };
  let firstUseServer: Server;
  let firstUseUrl: string;

  const newClaim = () => {
    settled = false;
    let resolve!: () => void;
    let reject!: (error: Error) => void;
    const promise = new Promise<void>((ok, fail) => ((resolve = ok), (reject = fail)));
    promise.then(() => (settled = true), () => (settled = true));
    claim = { promise, resolve, reject };
  };

  beforeAll(async () => {
    const schema = buildSubgraphSchema({
      typeDefs: parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
        type Query { record: String }
        type Mutation { change: String }
      `),
      resolvers: {
        Query: { record: () => (ran.push({ field: 'record', settled }), 'dữ liệu cá nhân') },
        Mutation: { change: () => (ran.push({ field: 'change', settled }), 'changed') },
      },
    });
    const pipeline = createGraphQLPipeline<object>({ schema, introspection: false });
    firstUseServer = createServer((req, res) => {
      void readBodyBytes(req, 10_000).then((body) => pipeline.serve(req, res, body, {}, claim.promise));
    });
    await new Promise<void>((resolve) => firstUseServer.listen(0, '127.0.0.1', resolve));
    firstUseUrl = `http://127.0.0.1:${(firstUseServer.address() as AddressInfo).port}/graphql`;
  });
  afterAll(() => new Promise((resolve) => firstUseServer.close(resolve)));
  beforeEach(() => {
    ran.length = 0;
    newClaim();
  });

  const send = (query: string) =>
    fetch(firstUseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) }).then(async (r) => ({ status: r.status, body: await r.json() }));
  const until = async (condition: () => boolean) => {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  };

  it('runs a query while the claim is pending, and answers only once it is confirmed', async () => {
    let answered = false;
    const answer = send('{ record }').then((a) => ((answered = true), a));
    await until(() => ran.length === 1);
    expect(ran).toEqual([{ field: 'record', settled: false }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    claim.resolve();
    expect(await answer).toEqual({ status: 200, body: { data: { record: 'dữ liệu cá nhân' } } });
  });

  it('answers a replayed query as unauthenticated, without its data', async () => {
    const answer = send('{ record }');
    await until(() => ran.length === 1);
    claim.reject(new Error('The forwarded call was already used'));
    const { status, body } = await answer;
    expect(status).toBe(401);
    expect(body).toEqual({ errors: [{ message: 'The forwarded call was already used', extensions: { code: 'UNAUTHENTICATED' } }] });
    expect(JSON.stringify(body)).not.toContain('dữ liệu');
  });

  it('runs a mutation only after the claim is confirmed, and never for a replay', async () => {
    const first = send('mutation { change }');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ran).toEqual([]);
    claim.resolve();
    expect(await first).toEqual({ status: 200, body: { data: { change: 'changed' } } });
    expect(ran).toEqual([{ field: 'change', settled: true }]);

    ran.length = 0;
    newClaim();
    const replay = send('mutation { change }');
    claim.reject(new Error('The forwarded call was already used'));
    expect((await replay).status).toBe(401);
    expect(ran).toEqual([]);
  });

  it('holds back even a refusal until the claim is settled', async () => {
    let answered = false;
    const answer = send('{ nope }').then((a) => ((answered = true), a));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    claim.reject(new Error('The forwarded call was already used'));
    expect((await answer).status).toBe(401);
  });
});
