/** The gateway's undici fetcher: answers as Apollo's data source reads them, and deadlines that hold. */
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSubgraphFetcher, SubgraphAnswerTooLargeError, SubgraphTimeoutError } from '../../../../gateway/subgraph-calls/fetcher';
import { type Deadline, startDeadline } from '../../../../lib/deadline';

// Each deadline the fetcher starts, with its clear() watched.
jest.mock('../../../../lib/deadline', () => {
  const actual = jest.requireActual('../../../../lib/deadline');
  return {
    ...actual,
    startDeadline: jest.fn((ms: number) => {
      const deadline = actual.startDeadline(ms);
      return { signal: deadline.signal, clear: jest.fn(deadline.clear) };
    }),
  };
});

let server: Server;
let url: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/hang') return; // never answers
    if (req.url === '/large') {
      // Declared: refused on its Content-Length.
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': 4096 });
      res.end(`{"data":{"text":"${'x'.repeat(4096 - 20)}"}}`);
      return;
    }
    if (req.url?.startsWith('/chunked/')) {
      // No Content-Length: the text arrives in pieces, a Vietnamese letter split between two.
      const size = Number(req.url.slice('/chunked/'.length));
      const letter = Buffer.from('ễ');
      const json = Buffer.concat([Buffer.from('{"data":{"text":"'), Buffer.from('a'.repeat(size)), letter, Buffer.from('"}}')]);
      res.writeHead(200, { 'content-type': 'application/json' });
      const split = json.length - 4; // inside the three bytes of the letter
      res.write(json.subarray(0, split));
      setImmediate(() => res.end(json.subarray(split)));
      return;
    }
    if (req.url === '/stall') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"data":');
      return; // the body never finishes
    }
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-echo': req.headers['x-request-id'] ?? '' });
      res.end(JSON.stringify({ data: { echo: JSON.parse(body) } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

it('posts the body and gives back status, headers and body as Apollo reads them', async () => {
  const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 1000 });
  const response = await fetcher(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' }, body: '{"query":"{a}"}' });
  expect(response.status).toBe(200);
  expect(response.ok).toBe(true);
  expect(response.headers.get('Content-Type')).toBe('application/json');
  expect(response.headers.get('x-echo')).toBe('r-1');
  expect(response.headers.get('x-absent')).toBeNull();
  expect([...response.headers].map(([name]) => name)).toContain('content-type');
  await expect(response.json()).resolves.toEqual({ data: { echo: { query: '{a}' } } });
  await close();
});

it.each(['/hang', '/stall'])('gives up on %s after its deadline with SubgraphTimeoutError', async (path) => {
  const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 200 });
  const started = Date.now();
  await expect(fetcher(`${url}${path}`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(SubgraphTimeoutError);
  expect(Date.now() - started).toBeLessThan(1500);
  await close();
});

describe('an answer larger than maxAnswerBytes', () => {
  it.each([
    ['declared by its Content-Length', '/large'],
    ['sent in chunks without one', '/chunked/2000'],
  ])('fails the call with SubgraphAnswerTooLargeError when %s', async (_how, path) => {
    const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 1000, maxAnswerBytes: 1024 });
    try {
      await expect(fetcher(`${url}${path}`, { method: 'POST', body: '{}' })).rejects.toBeInstanceOf(SubgraphAnswerTooLargeError);
      // The pool is still usable afterwards.
      await expect(fetcher(`${url}/graphql`, { method: 'POST', body: '{"query":"{a}"}' }).then((r) => r.status)).resolves.toBe(200);
    } finally {
      await close();
    }
  });

  it('reads a chunked answer under the cap whole, a letter split between chunks included', async () => {
    const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 1000, maxAnswerBytes: 1024 });
    try {
      const response = await fetcher(`${url}/chunked/500`, { method: 'POST', body: '{}' });
      await expect(response.json()).resolves.toEqual({ data: { text: `${'a'.repeat(500)}ễ` } });
    } finally {
      await close();
    }
  });
});

it('clears each call\'s deadline when the call ends, answered or failed, so no timer fires for it later', async () => {
  const { fetcher, close } = createSubgraphFetcher({ timeoutMs: 60_000 });
  const started = jest.mocked(startDeadline);
  started.mockClear();
  try {
    await fetcher(`${url}/graphql`, { method: 'POST', body: '{"query":"{a}"}' });
    await expect(fetcher('http://127.0.0.1:1/graphql', { method: 'POST', body: '{}' })).rejects.toThrow();
    const deadlines = started.mock.results.map((result) => result.value as Deadline);
    expect(deadlines).toHaveLength(2);
    for (const deadline of deadlines) {
      expect(deadline.clear).toHaveBeenCalledTimes(1);
      expect(deadline.signal.aborted).toBe(false);
    }
  } finally {
    await close();
  }
});
