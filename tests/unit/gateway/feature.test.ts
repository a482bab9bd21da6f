/** The feature contract: what a registration list promises about order, refusals and shutdown. */
import type { IncomingMessage } from 'node:http';
import type { Fetcher } from '@apollo/utils.fetcher';
import { createGatewayEvents } from '../../../gateway/events';
import { GatewayFeature, registerFeatures } from '../../../gateway/feature';
import { HttpError } from '../../../lib/graphql-http';
import { ANONYMOUS } from '../../../lib/principal';

const request = () => ({ req: {} as IncomingMessage, requestId: 'r-1' });

describe('registerFeatures', () => {
  it('runs admission hooks in list order and stops at the first refusal', async () => {
    const seen: string[] = [];
    const features = registerFeatures([
      { name: 'a', onRequest: () => void seen.push('a') },
      {
        name: 'b',
        onRequest: () => {
          seen.push('b');
          throw new HttpError(429, 'RATE_LIMITED', 'slow down');
        },
      },
      { name: 'c', onRequest: () => void seen.push('c') },
    ]);
    await expect(features.admitRequest(request())).rejects.toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    expect(seen).toEqual(['a', 'b']);
  });

  it('lets a later hook see what an earlier one established (the principal)', async () => {
    const features = registerFeatures([
      { name: 'auth', onRequest: (r) => void (r.principal = ANONYMOUS) },
      { name: 'check', onRequest: (r) => expect(r.principal).toBe(ANONYMOUS) },
    ]);
    const incoming = request();
    await features.admitRequest(incoming);
    expect(incoming).toMatchObject({ principal: ANONYMOUS });
    await features.admitOperations({ ...incoming, principal: ANONYMOUS, operations: [{ query: '{ a }' }] });
  });

  it('nests subgraph-call wrappers with the first registered outermost', async () => {
    const order: string[] = [];
    const wrap = (name: string) => (_subgraph: string, call: Fetcher): Fetcher =>
      (async (url, init) => {
        order.push(`${name} in`);
        const response = await call(url, init);
        order.push(`${name} out`);
        return response;
      }) as Fetcher;
    const features = registerFeatures([
      { name: 'outer', aroundSubgraphCall: wrap('outer') },
      { name: 'plain' },
      { name: 'inner', aroundSubgraphCall: wrap('inner') },
    ]);
    const call = features.aroundSubgraphCall('land', (async () => {
      order.push('network');
      return { status: 200 };
    }) as unknown as Fetcher);
    await call('http://land/graphql', {});
    expect(order).toEqual(['outer in', 'inner in', 'network', 'inner out', 'outer out']);
  });

  it('gathers plugins and routes in list order', () => {
    const plugin = (id: string) => ({ id }) as never;
    const route = (id: string) => Object.assign(() => false, { id });
    const features = registerFeatures([
      { name: 'a', plugins: [plugin('a1'), plugin('a2')], routes: [route('a')] },
      { name: 'b', plugins: [plugin('b1')], routes: [route('b')] },
    ]);
    expect(features.plugins.map((p) => (p as unknown as { id: string }).id)).toEqual(['a1', 'a2', 'b1']);
    expect(features.routes.map((r) => (r as unknown as { id: string }).id)).toEqual(['a', 'b']);
  });

  it('closes features in reverse order, and collects the addresses they serve', async () => {
    const closed: string[] = [];
    const feature = (name: string, address?: string): GatewayFeature => ({
      name,
      start: async () => (address ? { [name]: address } : undefined),
      close: () => void closed.push(name),
    });
    const features = registerFeatures([feature('first', 'http://127.0.0.1:9464/metrics'), feature('second')]);
    await expect(features.start()).resolves.toEqual({ first: 'http://127.0.0.1:9464/metrics' });
    await features.close();
    expect(closed).toEqual(['second', 'first']);
  });

  it('refuses a list where two features write bodies, or one is registered twice', () => {
    const writer: GatewayFeature = { name: 'gzip', writeBody: () => undefined };
    expect(() => registerFeatures([writer, { name: 'br', writeBody: () => undefined }])).toThrow(/Only one gateway feature may provide writeBody; gzip and br both do/);
    expect(() => registerFeatures([writer, writer])).toThrow(/"gzip" is registered twice/);
  });
});

describe('gateway events', () => {
  it('tells every listener, in order, and a failing listener harms neither the others nor the emitter', () => {
    const events = createGatewayEvents();
    const seen: number[] = [];
    events.on('http.response', ({ status }) => void seen.push(status));
    events.on('http.response', () => {
      throw new Error('listener bug');
    });
    events.on('http.response', ({ status }) => void seen.push(status + 1));
    expect(() => events.emit('http.response', { status: 200 })).not.toThrow();
    expect(seen).toEqual([200, 201]);
  });
});
