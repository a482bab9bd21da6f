/**
 * The source cache on its own, over the in-process store: what a repeated question costs, what a
 * burst costs, what a caller gets when the source fails after an answer expired, and what an
 * invalidation drops.
 */
import { MemoryStore } from '../../../../lib/kv';
import { localInvalidationBus } from '../../../../lib/kv/invalidation-bus';
import { SourceError } from '../../../../sources/kit/errors';
import { stampProvenance, type Provenance } from '../../../../sources/kit/provenance';
import { SourceCache } from '../../../../sources/kit/source-cache';

interface Rec {
  id: string;
  name: string;
  provenance: Provenance;
}

const A = '024190012345';
const B = '024190054321';
const C = '001200000001';

const record = (id: string, name = `name of ${id}`): Rec => ({ id, name, provenance: stampProvenance('civil-status', null) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const outage = () => new SourceError('civil-status', 'SOURCE_UNAVAILABLE', 'The civil-status source answered HTTP 503', 503);

/** A fake source: records the keys of each call, answers from `data`, or fails when `failing`. */
function fakeSource(data: Map<string, Rec> = new Map([A, B].map((id) => [id, record(id)]))) {
  const calls: string[][] = [];
  let failure: Error | null = null;
  let delayMs = 0;
  const fetch = async (keys: readonly string[]) => {
    calls.push([...keys]);
    if (delayMs) await sleep(delayMs);
    if (failure) throw failure;
    return new Map([...keys].filter((k) => data.has(k)).map((k) => [k, structuredClone(data.get(k)!)]));
  };
  return {
    calls,
    fetch,
    data,
    fail: (error: Error | null) => void (failure = error),
    slow: (ms: number) => void (delayMs = ms),
  };
}

function cache(options: Partial<ConstructorParameters<typeof SourceCache>[1]> = {}) {
  return new SourceCache('civil-status', { ttlMs: 60_000, staleIfErrorMs: 60_000, ...options });
}

describe('hits and misses', () => {
  it('answers a repeated key from the cache, marked as cached, and fetches only the keys it lacks', async () => {
    const source = fakeSource();
    const lookup = cache().batch('record', source.fetch);

    const first = await lookup([A]);
    expect((first.get(A) as Rec).provenance.cached).toBe(false);
    const second = await lookup([A, B]);
    expect(source.calls).toEqual([[A], [B]]);
    expect((second.get(A) as Rec).name).toBe(`name of ${A}`);
    expect((second.get(A) as Rec).provenance.cached).toBe(true);
    expect((second.get(B) as Rec).provenance.cached).toBe(false);
  });

  it('answers without waiting for the shared store to confirm its copy, and serves that copy next', async () => {
    const source = fakeSource();
    const memory = new MemoryStore();
    // A store whose writes land in memory at once but are never confirmed (a hung Redis, say).
    const store = Object.assign(Object.create(memory) as MemoryStore, {
      set: (key: string, value: string, ttlMs: number) => {
        void memory.set(key, value, ttlMs);
        return new Promise<void>(() => {});
      },
    });
    const lookup = cache({ store }).batch('record', source.fetch);
    const first = await lookup([A]);
    expect((first.get(A) as Rec).name).toBe(`name of ${A}`);
    expect(((await lookup([A])).get(A) as Rec).provenance.cached).toBe(true);
    expect(source.calls).toEqual([[A]]);
  });

  it('remembers that the source has no such record', async () => {
    const source = fakeSource();
    const lookup = cache().batch('record', source.fetch);
    expect((await lookup([C])).has(C)).toBe(false);
    expect((await lookup([C])).has(C)).toBe(false);
    expect(source.calls).toEqual([[C]]);
  });

  it('gives every request its own copy, so one cannot change what another reads', async () => {
    const lookup = cache().batch('record', fakeSource().fetch);
    await lookup([A]);
    const mine = (await lookup([A])).get(A) as Rec;
    mine.name = 'changed by one request';
    expect(((await lookup([A])).get(A) as Rec).name).toBe(`name of ${A}`);
  });

  it('asks the source again once the time to live has passed', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 30 }).batch('record', source.fetch);
    await lookup([A]);
    await sleep(50);
    await lookup([A]);
    expect(source.calls).toEqual([[A], [A]]);
  });

  it('keeps namespaces apart', async () => {
    const source = fakeSource();
    const shared = cache();
    await shared.batch('record', source.fetch)([A]);
    await shared.batch('other', source.fetch)([A]);
    expect(source.calls).toHaveLength(2);
  });

  it('asks the source again rather than fail on a stored answer it cannot read', async () => {
    const store = new MemoryStore(10);
    const source = fakeSource();
    const lookup = new SourceCache('civil-status', { ttlMs: 60_000, store, prefix: 'sc:t' }).batch('record', source.fetch);
    await store.set(`sc:t:record:${A}`, `${Date.now() + 60_000}\n{"truncated":`, 60_000);
    expect(((await lookup([A])).get(A) as Rec).name).toBe(`name of ${A}`);
    expect(source.calls).toEqual([[A]]);
  });

  it('with a time to live of 0 calls the source every time', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 0 }).batch('record', source.fetch);
    await lookup([A]);
    await lookup([A]);
    expect(source.calls).toHaveLength(2);
  });
});

describe('single-flight', () => {
  it('makes a burst of requests for one key cost one source call', async () => {
    const source = fakeSource();
    source.slow(30);
    const lookup = cache().batch('record', source.fetch);
    const answers = await Promise.all(Array.from({ length: 20 }, () => lookup([A])));
    expect(source.calls).toEqual([[A]]);
    for (const answer of answers) expect((answer.get(A) as Rec).name).toBe(`name of ${A}`);
    // Each waiter has its own copy.
    expect(new Set(answers.map((a) => a.get(A))).size).toBe(20);
  });

  it('joins overlapping batches: only keys nobody is fetching are asked for', async () => {
    const source = fakeSource();
    source.slow(30);
    const lookup = cache().batch('record', source.fetch);
    await Promise.all([lookup([A]), lookup([A, B])]);
    expect(source.calls).toEqual([[A], [B]]);
  });

  it('shares a failure with everyone who waited for the failed call', async () => {
    const source = fakeSource();
    source.slow(20);
    source.fail(outage());
    const lookup = cache().batch('record', source.fetch);
    const answers = await Promise.all([lookup([A]), lookup([A])]);
    expect(source.calls).toHaveLength(1);
    for (const answer of answers) expect(answer.get(A)).toBeInstanceOf(SourceError);
  });
});

describe('stale-if-error', () => {
  it('serves an expired answer, marked stale, when the source fails, and the error for keys it never held', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 20, staleIfErrorMs: 5000 }).batch('record', source.fetch);
    await lookup([A]);
    await sleep(40);
    source.fail(outage());

    const answer = await lookup([A, B]);
    const stale = answer.get(A) as Rec;
    expect(stale.name).toBe(`name of ${A}`);
    expect(stale.provenance).toMatchObject({ cached: true, stale: true });
    expect(answer.get(B)).toBeInstanceOf(SourceError);
    expect((answer.get(B) as SourceError).code).toBe('SOURCE_UNAVAILABLE');
  });

  it('asks the source first: an expired answer is not served while the source answers', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 20, staleIfErrorMs: 5000 }).batch('record', source.fetch);
    await lookup([A]);
    source.data.set(A, record(A, 'changed at the source'));
    await sleep(40);
    expect(((await lookup([A])).get(A) as Rec).name).toBe('changed at the source');
  });

  it('gives the error once the stale window has passed too', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 10, staleIfErrorMs: 20 }).batch('record', source.fetch);
    await lookup([A]);
    await sleep(50);
    source.fail(outage());
    expect((await lookup([A])).get(A)).toBeInstanceOf(SourceError);
  });

  it('never serves stale without a stale window', async () => {
    const source = fakeSource();
    const lookup = cache({ ttlMs: 10, staleIfErrorMs: 0 }).batch('record', source.fetch);
    await lookup([A]);
    await sleep(30);
    source.fail(outage());
    expect((await lookup([A])).get(A)).toBeInstanceOf(SourceError);
  });

  it('throws errors that are not source failures as they are', async () => {
    const source = fakeSource();
    source.fail(new TypeError('a bug'));
    await expect(cache().batch('record', source.fetch)([A])).rejects.toThrow('a bug');
  });

  it('one(): serves stale for a one-ID source too, and throws a failure it cannot cover', async () => {
    const source = fakeSource();
    const getOne = cache({ ttlMs: 20, staleIfErrorMs: 5000 }).one('participant', async (id) => (await source.fetch([id])).get(id) ?? null);
    await getOne(A);
    await sleep(40);
    source.fail(outage());
    await expect(getOne(A)).resolves.toMatchObject({ name: `name of ${A}`, provenance: { stale: true } });
    await expect(getOne(B)).rejects.toBeInstanceOf(SourceError);
  });
});

describe('invalidation', () => {
  it("drops a citizen's answers in its personal namespaces, so the next request asks the source", async () => {
    const source = fakeSource();
    const subject = cache({ personalNamespaces: ['record'] });
    const lookup = subject.batch('record', source.fetch);
    await lookup([A, B]);
    source.data.set(A, record(A, 'changed at the source'));
    await subject.dropPersons([A]);
    const answer = await lookup([A, B]);
    expect((answer.get(A) as Rec).name).toBe('changed at the source');
    expect(source.calls).toEqual([[A, B], [A]]);
  });

  it('does not store an answer fetched while an invalidation for it arrived', async () => {
    const source = fakeSource();
    source.slow(30);
    const subject = cache({ personalNamespaces: ['record'] });
    const lookup = subject.batch('record', source.fetch);
    const during = lookup([A]);
    await sleep(5);
    await subject.dropPersons([A]);
    await during;
    source.slow(0);
    await lookup([A]);
    expect(source.calls).toHaveLength(2);
  });

  it('tells the other caches of the source through the bus, and leaves other sources alone', async () => {
    const store = () => new MemoryStore(100);
    const here = new SourceCache('civil-status', { ttlMs: 60_000, store: store(), bus: localInvalidationBus, personalNamespaces: ['record'] });
    const elsewhere = new SourceCache('civil-status', { ttlMs: 60_000, store: store(), bus: localInvalidationBus, personalNamespaces: ['record'] });
    const otherSource = new SourceCache('social-insurance', { ttlMs: 60_000, store: store(), bus: localInvalidationBus, personalNamespaces: ['record'] });
    const sources = [fakeSource(), fakeSource(), fakeSource()];
    const lookups = [here, elsewhere, otherSource].map((c, i) => c.batch('record', sources[i].fetch));
    for (const lookup of lookups) await lookup([A]);

    await expect(here.invalidatePersons([A])).resolves.toBe(true);
    for (const lookup of lookups) await lookup([A]);
    expect(sources.map((s) => s.calls.length)).toEqual([2, 2, 1]);
    await Promise.all([here.close(), elsewhere.close(), otherSource.close()]);
  });
});
