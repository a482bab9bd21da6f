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

  it('refuses what a browser sends cross-site without a preflight, and serves a GET that forces one', async () => {
    expect((await post({ query: '{ __typename }' }, { 'content-type': 'text/plain' })).status).toBe(400);
    const simpleGet = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`);
    expect(simpleGet.status).toBe(400);
    const preflighted = await fetch(`${url}?query=${encodeURIComponent('{ __typename }')}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect([preflighted.status, await preflighted.json()]).toEqual([200, { data: { __typename: 'Query' } }]);
  });

  it('reports every operation to the request log', () => {
    expect(outcomes.length).toBeGreaterThan(5);
  });
});
