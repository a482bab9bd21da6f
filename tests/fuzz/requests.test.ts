/**
 * Property-based fuzzing of the gateway's front door (fast-check), on the whole stack: request
 * bodies, GraphQL documents, variables, personal IDs and access tokens. Whatever comes in:
 *  - never a 5xx other than 503 (overload, or the audit log unable to record),
 *  - never a stack trace or an internal path in the answer,
 *  - always a JSON answer that says what went wrong (an error code) or carries data,
 *  - no token but the real one ever gets data,
 * and the process is alive and ready at the end, with no unhandled rejection on the way.
 *
 * `FUZZ_RUNS` sets the number of cases for the whole suite, shared by the properties (default a
 * few hundred, for `npm test`); `npm run test:fuzz` runs 10,000. `FUZZ_SEED` replays a run.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Supergraph } from '@apollo/federation-internals';
import fc from 'fast-check';
import { acceptSecurityFeatures } from '../../gateway/access/requirements';
import { Stack, startStack } from '../../stack/stack';
import { authorizations, personalIds, RawRequest, requestBodies, schemaQueries, variables } from './arbitraries';

const PROPERTIES = 5;
const TOTAL_RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const RUNS = Math.max(1, Math.ceil(TOTAL_RUNS / PROPERTIES));
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
// The long form takes minutes; the default run a few seconds.
jest.setTimeout(Math.max(60_000, RUNS * PROPERTIES * 50));

const SUPERGRAPH = readFileSync(resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8');
const schema = Supergraph.build(acceptSecurityFeatures(SUPERGRAPH)).apiSchema().toGraphQLJSSchema();

/** What only an internal fault shows: stack frames, source paths, exception class names. */
const LEAK = /\bat [\w$.<>]+ \(|\bat (?:async )?\/|node_modules|\.ts:\d+|\.js:\d+|stacktrace|\b(?:TypeError|RangeError|ReferenceError|SyntaxError): /;

let stack: Stack;
let token: string;
let cases = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
const started = performance.now();

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  process.on('uncaughtException', onUnhandled);
  // No rate limit: the suite is one client sending thousands of requests on purpose.
  stack = await startStack({ env: { RATE_LIMIT_PER_SECOND: '0' } });
  token = await stack.token();
});

afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  process.off('uncaughtException', onUnhandled);
  const seconds = (performance.now() - started) / 1000;
  console.log(`fuzz: ${cases} cases in ${seconds.toFixed(1)} s (FUZZ_RUNS=${TOTAL_RUNS}${SEED === undefined ? '' : `, FUZZ_SEED=${SEED}`})`);
  await stack?.close();
});

interface Sent {
  status: number;
  text: string;
}

async function send(request: RawRequest, authorization: string | null = `Bearer ${token}`): Promise<Sent> {
  cases++;
  const headers: Record<string, string> = {};
  if (authorization !== null) headers.authorization = authorization;
  if (request.contentType !== null) headers['content-type'] = request.contentType;
  if (request.method === 'GET') headers['apollo-require-preflight'] = 'true';
  const url = request.method === 'GET' ? `${stack.gatewayUrl}?${request.search ?? ''}` : stack.gatewayUrl;
  const response = await fetch(url, { method: request.method, headers, body: request.method === 'POST' ? request.body : undefined });
  return { status: response.status, text: await response.text() };
}

function postJson(body: unknown): RawRequest {
  return { method: 'POST', contentType: 'application/json', body: JSON.stringify(body) };
}

/** The properties every answer has, whatever was asked. */
function expectSafe({ status, text }: Sent): void {
  if (status >= 500 && status !== 503) throw new Error(`HTTP ${status}: ${text.slice(0, 300)}`);
  if (LEAK.test(text)) throw new Error(`internal detail in the answer: ${text.slice(0, 300)}`);
  // Refused by Node's HTTP parser before any of our code (a URL past the header size limit).
  if ((status === 400 || status === 431) && text === '') return;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON (HTTP ${status}): ${text.slice(0, 120)}`);
  }
  const results = Array.isArray(body) ? body : [body];
  for (const result of results as { data?: unknown; errors?: { extensions?: { code?: unknown } }[] }[]) {
    if (result === null || typeof result !== 'object') throw new Error(`not a GraphQL answer: ${text.slice(0, 120)}`);
    if (result.errors !== undefined) {
      if (!Array.isArray(result.errors) || result.errors.some((e) => typeof e.extensions?.code !== 'string')) {
        throw new Error(`an error without a code: ${text.slice(0, 300)}`);
      }
    } else if (result.data === undefined) {
      throw new Error(`neither data nor errors: ${text.slice(0, 120)}`);
    }
  }
}

/**
 * The same token once decoded: base64url's last character carries unused bits, so two spellings
 * can stand for one signature, and the verifier rightly accepts both.
 */
function sameBytes(a: string, b: string): boolean {
  const decode = (jwt: string) => jwt.split('.').map((part) => Buffer.from(part, 'base64url').toString('hex')).join('.');
  return /^[\w-]+\.[\w-]+\.[\w-]+$/.test(a) && decode(a) === decode(b);
}

const run = <T>(arbitrary: fc.Arbitrary<T>, check: (value: T) => Promise<void>) =>
  fc.assert(
    fc.asyncProperty(arbitrary, async (value) => check(value)),
    { numRuns: RUNS, ...(SEED === undefined ? {} : { seed: SEED }), endOnFailure: true },
  );

describe('the gateway under fuzzed input', () => {
  it('request bodies: any bytes, content type and JSON shape', async () => {
    await run(requestBodies(schemaQueries(schema)), async (request) => expectSafe(await send(request)));
  });

  it('queries: the schema with arguments of any value, broken documents, hostile shapes', async () => {
    await run(schemaQueries(schema), async (query) => expectSafe(await send(postJson({ query }))));
  });

  it('variables: every JSON shape for real operations', async () => {
    await run(variables, async (operation) => expectSafe(await send(postJson(operation))));
  });

  it('personal IDs: well-formed or not, inline and as variables', async () => {
    await run(fc.tuple(personalIds, fc.boolean()), async ([id, inline]) => {
      const query = inline
        ? `{ citizen(personalId: ${JSON.stringify(id)}) { personalId fullName civilStatus { maritalStatus } socialInsurance { status } } }`
        : 'query Q($id: ID!) { citizen(personalId: $id) { personalId fullName civilStatus { maritalStatus } socialInsurance { status } } }';
      expectSafe(await send(postJson(inline ? { query } : { query, variables: { id } })));
    });
  });

  it('tokens: forged, cut, garbled or missing, and none of them gets data', async () => {
    await run(authorizations(token), async (authorization) => {
      const answer = await send(postJson({ query: '{ provinces { code } }' }), authorization);
      expectSafe(answer);
      const sent = authorization === null ? undefined : /^Bearer +(\S+)\s*$/i.exec(authorization)?.[1];
      const genuine = sent !== undefined && sameBytes(sent, token);
      if (!genuine && answer.status !== 401) throw new Error(`a forged token was answered HTTP ${answer.status}: ${authorization?.slice(0, 80)}`);
    });
  });

  it('is alive and ready afterwards, with nothing left unhandled', async () => {
    const base = stack.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    for (const subgraph of Object.values(stack.subgraphs)) expect((await fetch(subgraph.url.replace(/\/graphql$/, '/health'))).status).toBe(200);
    expect(unhandled).toEqual([]);
    expect(cases).toBeGreaterThanOrEqual(Math.min(TOTAL_RUNS, RUNS * PROPERTIES));
  });
});
