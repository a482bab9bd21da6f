/**
 * One process serving several subgraphs is one pod with one readiness probe: none of its ports
 * says ready until every subgraph in it has warmed up (subgraphs/main.ts, warm-up-together.ts).
 */
import { parse } from 'graphql';
import type { ForwardingVerifier } from '../../../lib/forwarding';
import { RunningService, startSubgraph, SubgraphDefinition } from '../../../subgraphs/common/server';
import { warmUpTogether } from '../../../subgraphs/common/warm-up-together';

const refuseAll: ForwardingVerifier = { verify: () => Promise.reject(new Error('unsigned')) };

function deferred(): { promise: Promise<void>; resolve(): void; reject(error: Error): void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/** A minimal subgraph whose warm-up lasts until the test says. */
function subgraph(name: string, warmUp?: () => Promise<void>): SubgraphDefinition<object> {
  return {
    name: name as SubgraphDefinition<object>['name'],
    typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"]) type Query { ${name}: String }`),
    resolvers: { Query: { [name]: () => 'ok' } },
    createContext: () => ({}),
    warmUp,
    close: async () => undefined,
  };
}

const readiness = async (service: RunningService) => (await fetch(service.url.replace('/graphql', '/ready'))).status;

describe('subgraphs served by one process', () => {
  const running: RunningService[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((service) => service.close()));
  });
  const start = async (definition: SubgraphDefinition<object>) => {
    const service = await startSubgraph(definition, { host: '127.0.0.1', port: 0, forwardingVerifier: refuseAll });
    running.push(service);
    return service;
  };

  it('say ready on every port only once every one of them has warmed up', async () => {
    const land = deferred();
    const budget = deferred();
    const together = warmUpTogether();
    const first = await start(together.wrap(subgraph('land', () => land.promise)));
    const second = await start(together.wrap(subgraph('budget', () => budget.promise)));
    const third = await start(together.wrap(subgraph('household')));
    together.allStarted();

    land.resolve();
    expect([await readiness(first), await readiness(second), await readiness(third)]).toEqual([503, 503, 503]);
    budget.resolve();
    await Promise.all([first.ready, second.ready, third.ready]);
    expect([await readiness(first), await readiness(second), await readiness(third)]).toEqual([200, 200, 200]);
  });

  it('wait for the servers started after them, even when their own warm-up is done', async () => {
    const together = warmUpTogether();
    const first = await start(together.wrap(subgraph('land', async () => undefined)));
    let firstReady = false;
    void first.ready.then(() => (firstReady = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(await readiness(first)).toBe(503);
    expect(firstReady).toBe(false);

    const second = await start(together.wrap(subgraph('budget', async () => undefined)));
    together.allStarted();
    await Promise.all([first.ready, second.ready]);
    expect([await readiness(first), await readiness(second)]).toEqual([200, 200]);
  });

  it('turn ready when a warm-up fails (it reports its own failure), once the others are done', async () => {
    const budget = deferred();
    const together = warmUpTogether();
    const first = await start(together.wrap(subgraph('land', () => Promise.reject(new Error('catalogue unreachable')))));
    const second = await start(together.wrap(subgraph('budget', () => budget.promise)));
    together.allStarted();
    expect(await readiness(first)).toBe(503);
    budget.resolve();
    await Promise.all([first.ready, second.ready]);
    expect([await readiness(first), await readiness(second)]).toEqual([200, 200]);
  });

  it('leave a subgraph served alone as it was: ready when its own warm-up is', async () => {
    const land = deferred();
    const alone = await start(subgraph('land', () => land.promise));
    expect(await readiness(alone)).toBe(503);
    land.resolve();
    await alone.ready;
    expect(await readiness(alone)).toBe(200);
  });
});
