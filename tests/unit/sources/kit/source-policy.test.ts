/**
 * The resilience every source client shares (sources/kit/resilience), against a real HTTP
 * server whose answers each test scripts: retries of transient failures only, one deadline for
 * the whole call, a circuit breaker that stops calling a failing source and probes it after the
 * cool-down, and a cap on calls in flight.
 */
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadSourceResilience, SourceResilience } from '../../../../lib/config';
import { SourceError } from '../../../../sources/kit/errors';
import { resilienceEvents } from '../../../../sources/kit/resilience/events';
import { isTransient, SourcePolicy } from '../../../../sources/kit/resilience/source-policy';
import { SourceClient } from '../../../../sources/kit/source-client';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
/** Answers in order; the last one repeats. */
let script: Handler[] = [];
let calls = 0;
let inFlight = 0;
let maxInFlight = 0;

const answer = (status: number, body = '{"ok":true}'): Handler => (_req, res) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(body);
};
const hang: Handler = () => undefined; // never answers
const slow = (ms: number, then: Handler): Handler => (req, res) => void setTimeout(() => then(req, res), ms);

// A server per test: a call an earlier test left on its way (a hung request, a queued call
// dispatched as its deadline passed) reaches that test's server and is not counted in this one.
const servers: Server[] = [];
beforeEach(async () => {
  script = [answer(200)];
  calls = 0;
  inFlight = 0;
  maxInFlight = 0;
  const own = createServer((req, res) => {
    if (own !== server) return void res.writeHead(503).end();
    const handler = script[Math.min(calls, script.length - 1)];
    calls++;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => {
      if (own === server) inFlight--;
    });
    handler(req, res);
  });
  server = own;
  servers.push(own);
  await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(own.address() as AddressInfo).port}`;
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});
afterAll(async () => {
  for (const each of servers) each.closeAllConnections();
  await Promise.all(servers.map((each) => new Promise<void>((resolve) => each.close(() => resolve()))));
});

class TestClient extends SourceClient {
  readonly source = 'land' as const;
  protected authHeaders() {
    return { authorization: `Bearer ${this.apiKey}` };
  }
  get(): Promise<unknown> {
    return this.send({ path: '/thing' }, (response) => this.parseJson(response));
  }
}

const FAST: SourceResilience = {
  // Far beyond any test's run: only the tests about the deadline meet it.
  timeoutMs: 60_000,
  retries: 2,
  retryBackoffMs: 5,
  breakerFailureRate: 0.5,
  breakerMinCalls: 1000,
  breakerWindowMs: 10_000,
  breakerCooldownMs: 10_000,
  maxConcurrent: 8,
  maxQueued: 100,
};

const clients: TestClient[] = [];
function client(resilience: Partial<SourceResilience> = FAST): TestClient {
  const made = new TestClient({ url: base, apiKey: 'test-land-key', resilience });
  clients.push(made);
  return made;
}
async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('answer size', () => {
  const sized = (maxResponseBytes: number) => {
    const made = new TestClient({ url: base, apiKey: 'test-land-key', resilience: { ...FAST, retries: 0 }, maxResponseBytes });
    clients.push(made);
    return made;
  };

  it('reads an answer up to its limit, Vietnamese text whole across chunks', async () => {
    const text = JSON.stringify({ ok: 'Phường Bắc Giang '.repeat(200) });
    script = [(_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const bytes = Buffer.from(text);
      // Split inside a multi-byte character.
      res.write(bytes.subarray(0, 7));
      res.end(bytes.subarray(7));
    }];
    await expect(sized(Buffer.byteLength(text)).get()).resolves.toEqual(JSON.parse(text));
  });

  it('refuses a larger one as SOURCE_BAD_RESPONSE, declared or streamed, without reading it all', async () => {
    script = [answer(200, JSON.stringify({ ok: 'x'.repeat(5_000) }))];
    const declared = await failure(sized(1_000).get());
    expect([declared.code, declared.message]).toEqual(['SOURCE_BAD_RESPONSE', 'The land source sent an answer larger than 1000 bytes (read no further)']);
    // No content-length: counted as it streams, and the rest is not waited for.
    let sent = 0;
    script = [(_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const tick = setInterval(() => {
        if (res.destroyed || sent > 1_000_000) return clearInterval(tick);
        sent += 2_000;
        res.write('x'.repeat(2_000));
      }, 1);
    }];
    const streamed = await failure(sized(10_000).get());
    expect(streamed.code).toBe('SOURCE_BAD_RESPONSE');
    expect(sent).toBeLessThan(1_000_000);
  });
});

describe('retries', () => {
  it('retries a source that answers 503, 500 and then 200, and returns the answer', async () => {
    script = [answer(503), answer(500), answer(200)];
    await expect(client().get()).resolves.toEqual({ ok: true });
    expect(calls).toBe(3);
  });

  it('retries 429 (too many calls) and connection failures too', async () => {
    script = [answer(429), (_req, res) => res.socket?.destroy(), answer(200)];
    await expect(client().get()).resolves.toEqual({ ok: true });
    expect(calls).toBe(3);
  });

  it('gives up after the configured retries with the source named', async () => {
    script = [answer(503)];
    const error = await failure(client({ ...FAST, retries: 1 }).get());
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land', status: 503 });
    expect(calls).toBe(2);
  });

  it.each([
    ['a malformed request (400)', answer(400), 'SOURCE_BAD_RESPONSE'],
    ['refused credentials (401)', answer(401), 'SOURCE_UNAVAILABLE'],
    ['a malformed answer', answer(200, '{"trunc'), 'SOURCE_BAD_RESPONSE'],
  ])('does not retry %s', async (_what, handler, code) => {
    script = [handler, answer(200)];
    expect(await failure(client().get())).toMatchObject({ code, source: 'land' });
    expect(calls).toBe(1);
  });

  it('spaces retries with growing, jittered pauses', async () => {
    script = [answer(503)];
    const pauses: number[] = [];
    const listener = ({ delayMs }: { delayMs: number }) => pauses.push(delayMs);
    resilienceEvents.on('retry', listener);
    try {
      await failure(client({ ...FAST, retries: 3, retryBackoffMs: 20 }).get());
    } finally {
      resilienceEvents.off('retry', listener);
    }
    expect(pauses).toHaveLength(3);
    expect(pauses.every((ms) => ms > 0 && ms <= 160)).toBe(true);
  });
});

describe('the deadline', () => {
  it('answers SOURCE_TIMEOUT naming the deadline when the source hangs, and tries no more', async () => {
    script = [hang];
    const error = await failure(client({ ...FAST, timeoutMs: 300 }).get());
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'land' });
    expect(error.message).toMatch(/300 ms/);
    expect(calls).toBe(1);
  });

  describe('on a fake clock', () => {
    // The deadline and the pauses between attempts run on jest's fake timers, so when the call
    // ends and what it reports do not depend on how busy the machine is.
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    function policy(resilience: Partial<SourceResilience>): SourcePolicy {
      return new SourcePolicy('land', { ...FAST, ...resilience });
    }

    /** Runs `call`, recording the error it ends with; `error` stays undefined while it runs. */
    function outcome(call: Promise<unknown>): { error?: unknown; settled: Promise<void> } {
      const ended: { error?: unknown; settled: Promise<void> } = { settled: Promise.resolve() };
      ended.settled = call.then(
        () => void (ended.error = new Error('the call succeeded')),
        (error: unknown) => void (ended.error = error),
      );
      return ended;
    }

    it('clears the deadline of a call that was answered: its signal never aborts, no timer is left', async () => {
      let seen: AbortSignal | undefined;
      await expect(
        policy({ timeoutMs: 300 }).run(async (signal) => {
          seen = signal;
          return 'answered';
        }),
      ).resolves.toBe('answered');
      expect(jest.getTimerCount()).toBe(0);
      await jest.advanceTimersByTimeAsync(10_000);
      expect(seen?.aborted).toBe(false);
    });

    it('answers SOURCE_TIMEOUT at the deadline, not before, when the source hangs', async () => {
      let attempts = 0;
      const hanging = (signal: AbortSignal) => {
        attempts++;
        return new Promise<never>((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new SourceError('land', 'SOURCE_TIMEOUT', 'aborted')), { once: true }),
        );
      };
      const call = outcome(policy({ timeoutMs: 300 }).run(hanging));
      await jest.advanceTimersByTimeAsync(299);
      expect(call.error).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      await call.settled;
      expect(call.error).toBeInstanceOf(SourceError);
      expect(call.error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'land', message: expect.stringMatching(/300 ms/) });
      expect(attempts).toBe(1);
    });

    it('keeps every attempt and pause inside the deadline, and reports the failure rather than a timeout', async () => {
      const started = Date.now();
      const attemptsAt: number[] = [];
      const pausesAt: number[] = [];
      // The source answers 503 at once: the deadline can only pass during a pause.
      const failing = async (signal: AbortSignal) => {
        attemptsAt.push(signal.aborted ? Infinity : Date.now() - started);
        throw new SourceError('land', 'SOURCE_UNAVAILABLE', 'The land source answered HTTP 503', 503);
      };
      const listener = () => pausesAt.push(Date.now() - started);
      resilienceEvents.on('retry', listener);
      try {
        const call = outcome(policy({ timeoutMs: 250, retries: 10, retryBackoffMs: 100 }).run(failing));
        await jest.advanceTimersByTimeAsync(249);
        expect(call.error).toBeUndefined();
        await jest.advanceTimersByTimeAsync(1);
        await call.settled;
        expect(call.error).toBeInstanceOf(SourceError);
        expect(call.error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land', status: 503 });

        // Nothing is attempted once the deadline has passed, however long the pause it fell in.
        const attempted = attemptsAt.length;
        await jest.advanceTimersByTimeAsync(60_000);
        expect(attemptsAt.slice(0, attempted).every((at) => at < 250)).toBe(true);
        expect(attemptsAt.slice(attempted).every((at) => at === Infinity)).toBe(true);
        expect(pausesAt.every((at) => at < 250)).toBe(true);
        expect(attempted).toBeGreaterThan(1); // it did retry inside the deadline
        expect(attempted).toBeLessThan(11); // and the deadline cut the retries short
      } finally {
        resilienceEvents.off('retry', listener);
      }
    });
  });
});

describe('the circuit breaker', () => {
  const BREAKER: Partial<SourceResilience> = { ...FAST, retries: 0, breakerMinCalls: 4, breakerFailureRate: 0.5, breakerCooldownMs: 300 };

  it('stops calling a failing source, then lets one probe through after the cool-down and closes on success', async () => {
    const states: string[] = [];
    const listener = ({ state }: { state: string }) => states.push(state);
    resilienceEvents.on('breaker', listener);
    try {
      const land = client(BREAKER);
      script = [answer(503)];
      for (let i = 0; i < 4; i++) await failure(land.get());
      expect(land.policy.state).toBe('open');
      const before = calls;
      const refused = await failure(land.get());
      expect(refused).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
      expect(refused.message).toMatch(/paused/);
      expect(calls).toBe(before); // failed fast: the source was not called

      await new Promise((r) => setTimeout(r, 350));
      script = [answer(200)];
      calls = 0;
      await expect(Promise.all([land.get(), land.get(), land.get()])).resolves.toHaveLength(3);
      expect(land.policy.state).toBe('closed');
      expect(states).toEqual(['open', 'half-open', 'closed']);
    } finally {
      resilienceEvents.off('breaker', listener);
    }
  });

  it('reopens when the probe fails', async () => {
    const land = client(BREAKER);
    script = [answer(503)];
    for (let i = 0; i < 4; i++) await failure(land.get());
    await new Promise((r) => setTimeout(r, 350));
    calls = 0;
    await failure(land.get());
    expect(calls).toBe(1);
    expect(land.policy.state).toBe('open');
  });

  it('is not opened by answers that say the request was wrong', async () => {
    const land = client(BREAKER);
    script = [answer(200, 'not json')];
    for (let i = 0; i < 8; i++) await failure(land.get());
    expect(land.policy.state).toBe('closed');
  });
});

describe('the concurrency cap', () => {
  it('keeps at most maxConcurrent calls in flight and refuses beyond the queue at once', async () => {
    script = [slow(100, answer(200))];
    const land = client({ ...FAST, maxConcurrent: 2, maxQueued: 2 });
    const results = await Promise.allSettled([land.get(), land.get(), land.get(), land.get(), land.get()]);
    expect(maxInFlight).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
    const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as SourceError;
    expect(refused).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
    expect(refused.message).toMatch(/Too many calls/);
  });

  it('counts the wait for a slot against the deadline', async () => {
    script = [hang];
    const land = client({ ...FAST, maxConcurrent: 1, timeoutMs: 250 });
    const [first, queued] = await Promise.allSettled([land.get(), land.get()]);
    expect(first).toMatchObject({ status: 'rejected', reason: { code: 'SOURCE_TIMEOUT' } });
    expect(queued).toMatchObject({ status: 'rejected', reason: { code: 'SOURCE_TIMEOUT' } });
  });
});

describe('a client built without resilience settings', () => {
  it('makes one attempt and never opens a circuit', async () => {
    const plain = new TestClient({ url: base, apiKey: 'test-land-key', timeoutMs: 500 });
    clients.push(plain);
    script = [answer(503)];
    for (let i = 0; i < 30; i++) await failure(plain.get());
    expect(calls).toBe(30);
    expect(plain.policy.state).toBe('closed');
  });
});

describe('isTransient', () => {
  it.each([
    ['a timeout', true, new SourceError('land', 'SOURCE_TIMEOUT', 't')],
    ['an unreachable source', true, new SourceError('land', 'SOURCE_UNAVAILABLE', 'unreachable')],
    ['HTTP 502', true, new SourceError('land', 'SOURCE_UNAVAILABLE', '502', 502)],
    ['HTTP 429', true, new SourceError('land', 'SOURCE_UNAVAILABLE', '429', 429)],
    ['refused credentials', false, new SourceError('land', 'SOURCE_UNAVAILABLE', '401', 401)],
    ['a missing endpoint', false, new SourceError('land', 'SOURCE_UNAVAILABLE', '404', 404)],
    ['a malformed answer', false, new SourceError('land', 'SOURCE_BAD_RESPONSE', 'garbage')],
    ['a programming error', false, new Error('bug')],
  ])('%s → transient: %s', (_what, expected, error) => {
    expect(isTransient(error)).toBe(expected);
  });
});

describe('configuration', () => {
  it('reads a setting for every source and lets one source override it', () => {
    const env = { SOURCE_RETRIES: '4', LAND_SOURCE_RETRIES: '0', SOURCE_TIMEOUT_MS: '2500', CIVIL_STATUS_SOURCE_BREAKER_COOLDOWN_MS: '60000' };
    expect(loadSourceResilience('land', env)).toMatchObject({ retries: 0, timeoutMs: 2500, breakerCooldownMs: 10_000 });
    expect(loadSourceResilience('civil-status', env)).toMatchObject({ retries: 4, timeoutMs: 2500, breakerCooldownMs: 60_000 });
    expect(loadSourceResilience('budget', {})).toEqual({
      timeoutMs: 5000,
      retries: 2,
      retryBackoffMs: 100,
      breakerFailureRate: 0.5,
      breakerMinCalls: 10,
      breakerWindowMs: 10_000,
      breakerCooldownMs: 10_000,
      maxConcurrent: 16,
      maxQueued: 1000,
    });
  });

  it.each([
    ['SOURCE_BREAKER_FAILURE_RATE', '1'],
    ['LAND_SOURCE_RETRIES', '-1'],
    ['SOURCE_TIMEOUT_MS', 'soon'],
    ['LAND_SOURCE_CONCURRENCY', '0'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadSourceResilience('land', { [name]: value })).toThrow(ConfigError);
    expect(() => loadSourceResilience('land', { [name]: value })).toThrow(name);
  });
});

describe('a closed client', () => {
  it('calls the source no more: a late call fails at once as SOURCE_UNAVAILABLE', async () => {
    const land = client();
    await land.get();
    await land.close();
    const error = await failure(land.get());
    expect(error).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
    expect(error.message).toMatch(/closed/);
    expect(calls).toBe(1);
  });
});
