/**
 * The playground and introspection as the gateway serves them, following INTROSPECTION and
 * PLAYGROUND: on by default in development, both switchable off.
 */
import { Stack, startStack } from '../../stack/stack';

const INTROSPECT = '{ __schema { queryType { name } } }';

describe('a development gateway (defaults)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mocks: { worldSize: 200 } });
  });
  afterAll(() => stack?.close());

  it('gives a browser opening /graphql the playground, and GraphQL clients their answers', async () => {
    const page = await fetch(stack.gatewayUrl, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('GraphQL playground');
    const { status, body } = await stack.query('{ provinces { code } }', undefined, { authorization: `Bearer ${await stack.token()}` });
    expect(status).toBe(200);
    expect(body.data?.provinces).toBeDefined();
  });

  it('answers introspection, for the playground\'s schema docs', async () => {
    const { body } = await stack.query<{ __schema: { queryType: { name: string } } }>(INTROSPECT, undefined, { authorization: `Bearer ${await stack.token()}` });
    expect(body.errors).toBeUndefined();
    expect(body.data?.__schema.queryType.name).toBe('Query');
  });
});

describe('a gateway with INTROSPECTION=false and PLAYGROUND=false', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ mocks: { worldSize: 200 }, env: { INTROSPECTION: 'false', PLAYGROUND: 'false' } });
  });
  afterAll(() => stack?.close());

  it('refuses introspection with an error that says so', async () => {
    const { status, body } = await stack.query(INTROSPECT, undefined, { authorization: `Bearer ${await stack.token()}` });
    expect(status).toBe(400);
    expect(body.errors?.[0]).toMatchObject({ message: expect.stringMatching(/introspection/i), extensions: { code: 'INTROSPECTION_DISABLED' } });
  });

  it('serves no playground', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/playground`)).status).toBe(404);
    expect((await fetch(`${base}/playground/assets/graphiql.min.js`)).status).toBe(404);
  });
});
