/**
 * Every request limit as a caller meets it, each just under (answered) and just over (refused
 * before execution, with its own code and status), on the whole stack with small limits; then
 * introspection and CSRF prevention.
 */
import { join } from 'node:path';
import { startGateway, RunningGateway } from '../../gateway/server';
import { Stack, startStack } from '../../stack/stack';

const LIMITS = {
  MAX_BODY_BYTES: '4096',
  MAX_BATCH_OPERATIONS: '3',
  MAX_QUERY_BYTES: '1024',
  MAX_QUERY_TOKENS: '60',
  MAX_QUERY_DEPTH: '5',
  MAX_QUERY_ALIASES: '3',
  MAX_QUERY_DIRECTIVES: '2',
  MAX_QUERY_COST: '100',
  RATE_LIMIT_PER_SECOND: '0',
};

let stack: Stack;
let auth: Record<string, string>;
let personalIds: string[];
let communeCode: string;

beforeAll(async () => {
  stack = await startStack({ env: LIMITS });
  auth = { authorization: `Bearer ${await stack.token()}` };
  personalIds = [...stack.mocks.world.citizens.keys()].slice(0, 51);
  communeCode = stack.mocks.world.catalogue.communes[0].Code;
});
afterAll(() => stack?.close());

interface Answer {
  status: number;
  body: { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] } | unknown[];
}

/** POSTs `body` as it is (a string, or JSON-encoded). */
async function post(body: unknown, headers: Record<string, string> = {}, url = stack.gatewayUrl): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function codes(answer: Answer): (string | undefined)[] {
  return Array.isArray(answer.body) ? [] : (answer.body.errors ?? []).map((e) => e.extensions?.code);
}

/** The answer was served: no limit refused it. */
function expectServed(answer: Answer): void {
  expect(answer.status).toBe(200);
  expect(Array.isArray(answer.body) ? answer.body : (answer.body as { data?: unknown }).data).toBeTruthy();
}

function expectRefused(answer: Answer, status: number, code: string): void {
  expect(answer.status).toBe(status);
  expect(codes(answer)).toEqual([code]);
  expect((answer.body as { data?: unknown }).data).toBeUndefined();
  expect((answer.body as { errors: { message: string }[] }).errors[0].message).toMatch(/limit|exceeds/);
}

describe('body size (MAX_BODY_BYTES)', () => {
  const padded = (bytes: number) => {
    const json = JSON.stringify({ query: '{ __typename }' });
    return json + ' '.repeat(bytes - json.length);
  };
  it('serves a body of exactly the limit and refuses one byte more with 413 PAYLOAD_TOO_LARGE', async () => {
    expectServed(await post(padded(4096)));
    expectRefused(await post(padded(4097)), 413, 'PAYLOAD_TOO_LARGE');
  });
});

describe('batched requests (MAX_BATCH_OPERATIONS)', () => {
  const op = { query: '{ provinces { code } }' };
  it('runs a batch of the limit and refuses a bigger one with TOO_MANY_OPERATIONS', async () => {
    const three = await post([op, op, op]);
    expect(three.status).toBe(200);
    expect(three.body).toHaveLength(3);
    expect((three.body as { data: { provinces: unknown[] } }[]).every((r) => r.data.provinces.length > 0)).toBe(true);
    expectRefused(await post([op, op, op, op]), 400, 'TOO_MANY_OPERATIONS');
  });
});

describe('document size (MAX_QUERY_BYTES) and tokens (MAX_QUERY_TOKENS)', () => {
  it('measures the query document in bytes, comments and whitespace included', async () => {
    const query = (bytes: number) => `{ __typename }\n#${'x'.repeat(bytes - 16)}`;
    expect(Buffer.byteLength(query(1024))).toBe(1024);
    expectServed(await post({ query: query(1024) }));
    expectRefused(await post({ query: query(1025) }), 413, 'QUERY_TOO_LARGE');
  });

  it('counts tokens before parsing', async () => {
    const query = (tokens: number) => `{ ${'__typename '.repeat(tokens - 2)}}`;
    expectServed(await post({ query: query(60) }));
    expectRefused(await post({ query: query(61) }), 400, 'TOO_MANY_TOKENS');
  });
});

describe('shape of the operation', () => {
  it('depth (MAX_QUERY_DEPTH): counts fields, not fragments', async () => {
    const id = personalIds[0];
    expectServed(await post({ query: `{ citizen(personalId: "${id}") { permanentResidence { commune { province { code } } } } }` }));
    expectServed(
      await post({ query: `query { citizen(personalId: "${id}") { ...R } } fragment R on Citizen { permanentResidence { commune { province { code } } } }` }),
    );
    expectRefused(await post({ query: `{ citizen(personalId: "${id}") { household { head { permanentResidence { commune { code } } } } } }` }), 400, 'QUERY_TOO_DEEP');
  });

  it('aliases (MAX_QUERY_ALIASES)', async () => {
    const aliased = (n: number) => `{ ${'abcd'.slice(0, n).split('').map((a) => `${a}: commune(code: "${communeCode}") { name }`).join(' ')} }`;
    expectServed(await post({ query: aliased(3) }));
    expectRefused(await post({ query: aliased(4) }), 400, 'TOO_MANY_ALIASES');
  });

  it('directives (MAX_QUERY_DIRECTIVES)', async () => {
    expectServed(await post({ query: '{ __typename @include(if: true) provinces @skip(if: false) { code } }' }));
    expectRefused(await post({ query: '{ __typename @include(if: true) provinces @skip(if: false) { code @include(if: true) } }' }), 400, 'TOO_MANY_DIRECTIVES');
  });
});

describe('cost (MAX_QUERY_COST), with list sizes from the variables', () => {
  const query = 'query Households($ids: [ID!]!) { citizens(personalIds: $ids) { household { householdId } } }';

  it('serves 50 citizens with their households (cost 100) and refuses 51 without calling any source', async () => {
    const fifty = await post({ query, variables: { ids: personalIds.slice(0, 50) } });
    expectServed(fifty);
    expect((fifty.body as { data: { citizens: unknown[] } }).data.citizens).toHaveLength(50);

    stack.mocks.resetStats();
    const refused = await post({ query, variables: { ids: personalIds.slice(0, 51) } });
    expectRefused(refused, 400, 'QUERY_TOO_COSTLY');
    expect((refused.body as { errors: { message: string }[] }).errors[0].message).toContain('102');
    expect(stack.mocks.stats('population').requests).toBe(0);
  });

  it('prices, and runs, a variable left out at the default its operation declares', async () => {
    const declared = (ids: string[]) => `query Households($ids: [ID!]! = ${JSON.stringify(ids)}) { citizens(personalIds: $ids) { household { householdId } } }`;
    const served = await post({ query: declared(personalIds.slice(0, 2)) });
    expectServed(served);
    expect((served.body as { errors?: unknown }).errors).toBeUndefined();
    expect((served.body as { data: { citizens: unknown[] } }).data.citizens).toHaveLength(2);
    // Priced at the default it will run with, not the schema's own (first: 20).
    stack.mocks.resetStats();
    const page = `query Page($c: ID!, $n: Int = 100) { commune(code: $c) { residents(first: $n) { nodes { household { householdId } } } } }`;
    expectRefused(await post({ query: page, variables: { c: communeCode } }), 400, 'QUERY_TOO_COSTLY');
    expect(stack.mocks.stats('population').requests).toBe(0);
  });
});

describe('introspection', () => {
  let closed: RunningGateway | null = null;
  afterAll(() => closed?.close());

  it('is answered where configured on (development default)', async () => {
    const answer = await post({ query: '{ __schema { queryType { name } } }' });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
  });

  it('is refused with INTROSPECTION_DISABLED when off, and field suggestions no longer leak the schema', async () => {
    closed = await startGateway({ ...stack.gatewayConfig, introspection: false, auditFile: join(stack.devDir, 'closed-audit.log') });
    const answer = await post({ query: '{ __schema { queryType { name } } }' }, {}, closed.url);
    expect(answer.status).toBe(400);
    expect(codes(answer)).toEqual(['INTROSPECTION_DISABLED']);

    const typo = await post({ query: '{ provincs { code } }' }, {}, closed.url);
    expect(codes(typo)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    expect(JSON.stringify(typo.body)).not.toContain('provinces');
    const hinted = await post({ query: '{ provincs { code } }' });
    expect(JSON.stringify(hinted.body)).toMatch(/Did you mean .*provinces/);
  });
});

describe('CSRF prevention', () => {
  const get = (headers: Record<string, string> = {}) =>
    fetch(`${stack.gatewayUrl}?query=${encodeURIComponent('{ provinces { code } }')}`, { headers: { ...auth, ...headers } });

  it('refuses a simple GET or text/plain POST, which a browser sends cross-site without a preflight', async () => {
    const simpleGet = await get();
    expect(simpleGet.status).toBe(400);
    expect(JSON.stringify(await simpleGet.json())).toMatch(/Cross-Site Request Forgery/);

    const textPost = await post(JSON.stringify({ query: '{ provinces { code } }' }), { 'content-type': 'text/plain' });
    expect(textPost.status).toBe(400);
    expect(JSON.stringify(textPost.body)).toMatch(/Cross-Site Request Forgery/);
  });

  it('serves a GET that carries a header forcing a preflight', async () => {
    const answer = await get({ 'apollo-require-preflight': 'true' });
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { data: { provinces: unknown[] } }).data.provinces.length).toBeGreaterThan(0);
  });
});
