/**
 * The fault suite: each national database in turn slow, erroring, down or sending garbage; a
 * source failing under load until its circuit opens and recovering; a subgraph killed or hung
 * while requests run; Redis stopped and restarted under load. What a desk must see: every other
 * source's data, the failed part null with SOURCE_TIMEOUT / SOURCE_UNAVAILABLE /
 * SOURCE_BAD_RESPONSE and `extensions.source` naming it, within the configured timeout, and
 * the gateway still serving afterwards.
 *
 * Unhandled promise rejections anywhere in this process (gateway, subgraphs and mocks all run
 * here) fail the test during which they happen: jest-circus listens for `unhandledRejection` on
 * the real process (a listener added from a test file would sit on jest's sandboxed copy).
 */
import { createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import Redis from 'ioredis';
import type { World } from '../../mocks';
import type { SourceName } from '../../lib/sources';
import { answeredParts, DOSSIER_PARTS, DOSSIER_QUERY, DossierAnswer, expectedParts, richCitizens } from '../../stack/dossier';
import { describeWithRedis } from '../support/needs-package';
import { startRedis } from '../../stack/redis';
import { GraphQLErrorBody, Stack, startStack } from '../../stack/stack';

// Deadlines with room for a loaded CI machine, where a healthy dossier alone can take a second.
const SOURCE_TIMEOUT_MS = 2000;
const SUBGRAPH_TIMEOUT_MS = 8000;
const RETRIES = 2;
const WORLD = { worldSize: 2000, worldSeed: 'faults' };

/** No cache: every request reaches the sources, so each fault shows. Fast retries; no breaker unless a test sets one. */
const FAULT_ENV = {
  SUBGRAPH_ANSWER_CACHE_TTL_S: '0',
  SOURCE_TIMEOUT_MS: String(SOURCE_TIMEOUT_MS),
  SUBGRAPH_TIMEOUT_MS: String(SUBGRAPH_TIMEOUT_MS),
  SOURCE_RETRIES: String(RETRIES),
  SOURCE_RETRY_BACKOFF_MS: '20',
  SOURCE_BREAKER_MIN_CALLS: '100000',
  POPULATION_CACHE_TTL_S: '0',
  CIVIL_STATUS_CACHE_TTL_S: '0',
  LAND_CACHE_TTL_S: '0',
  SOCIAL_INSURANCE_CACHE_TTL_S: '0',
  BUDGET_CACHE_TTL_S: '0',
  CATALOGUE_CACHE_TTL_S: '0',
};

type Fault = 'slow' | 'erroring' | 'down' | 'malformed';
/** Each fault, the code it must give, and how many attempts each source call makes under it. */
const FAULTS: Record<Fault, { control: Record<string, unknown>; code: string; attempts: number }> = {
  slow: { control: { latencyMs: SOURCE_TIMEOUT_MS + 1000 }, code: 'SOURCE_TIMEOUT', attempts: 1 }, // the deadline leaves no time to retry
  erroring: { control: { errorRate: 1 }, code: 'SOURCE_UNAVAILABLE', attempts: 1 + RETRIES },
  down: { control: { outage: true }, code: 'SOURCE_UNAVAILABLE', attempts: 1 + RETRIES },
  malformed: { control: { malformedRate: 1 }, code: 'SOURCE_BAD_RESPONSE', attempts: 1 }, // garbage is not retried
};
const HEALTHY = { latencyMs: 0, jitterMs: 0, errorRate: 0, outage: false, malformedRate: 0 };

let world: World;
let stack: Stack;
let auth: Record<string, string>;

beforeAll(async () => {
  stack = await startStack({ mocks: WORLD, env: FAULT_ENV });
  world = stack.mocks.world;
  auth = { authorization: `Bearer ${await stack.token()}` };
  // Warm: the first dossier plans the query and opens connections; timings below are for the rest.
  await dossier(stack, richCitizens(world, 1)[0].personalId);
});
afterAll(() => stack?.close());

async function dossier(on: Stack, personalId: string, headers = auth) {
  const started = Date.now();
  const { status, body } = await on.query<{ citizen: DossierAnswer | null }>(DOSSIER_QUERY, { id: personalId }, headers);
  return { status, body, elapsed: Date.now() - started };
}

/** A copy of an answer without its `provenance` fields, which say when and how it was fetched. */
function withoutProvenance(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutProvenance);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== 'provenance').map(([key, inner]) => [key, withoutProvenance(inner)]));
}

function errorAt(errors: GraphQLErrorBody[] | undefined, path: readonly (string | number)[]): GraphQLErrorBody | undefined {
  return errors?.find((error) => JSON.stringify(error.path) === JSON.stringify(path));
}

describe('each source in turn', () => {
  const cases: [SourceName, Fault][] = [];
  for (const source of Object.keys(DOSSIER_PARTS) as (keyof typeof DOSSIER_PARTS)[]) {
    for (const fault of Object.keys(FAULTS) as Fault[]) cases.push([source, fault]);
  }

  afterEach(() => {
    for (const source of Object.keys(DOSSIER_PARTS) as SourceName[]) stack.mocks.setControl(source, HEALTHY);
  });

  it.each(cases)('%s %s: that part is null with its code and source, every other source answers, within the timeout', async (source, fault) => {
    const citizen = richCitizens(world, 1)[0];
    const expected = expectedParts(world, citizen);
    // The source calls a healthy dossier makes (nothing is cached here).
    stack.mocks.resetStats();
    await dossier(stack, citizen.personalId);
    const healthyCalls = stack.mocks.stats(source).requests;
    stack.mocks.resetStats();
    stack.mocks.setControl(source, FAULTS[fault].control);

    const { status, body, elapsed } = await dossier(stack, citizen.personalId);

    expect(status).toBe(200);
    const parts = answeredParts(body.data!.citizen!);
    for (const [part, value] of Object.entries(parts)) {
      expect([part, value]).toEqual([part, part === source ? null : expected[part as keyof typeof expected]]);
    }
    const error = errorAt(body.errors, DOSSIER_PARTS[source as keyof typeof DOSSIER_PARTS]);
    expect(error?.extensions).toMatchObject({ code: FAULTS[fault].code, source });
    expect(body.errors).toHaveLength(1);
    // Transient failures were retried, garbage and timeouts not.
    expect(healthyCalls).toBeGreaterThan(0);
    expect(stack.mocks.stats(source).requests).toBe(healthyCalls * FAULTS[fault].attempts);
    // A slow source is given up at its deadline, well before the gateway's own; any other failure answers sooner.
    expect(elapsed).toBeLessThan(fault === 'slow' ? SUBGRAPH_TIMEOUT_MS : SOURCE_TIMEOUT_MS);
    if (fault === 'slow') expect(elapsed).toBeGreaterThanOrEqual(SOURCE_TIMEOUT_MS - 50);
    // Nothing about the citizen is repeated in the error.
    expect(JSON.stringify(body.errors)).not.toContain(citizen.personalId);
  });

  it.each(Object.keys(FAULTS) as Fault[])(
    'population %s: the citizen is null with its code (no identity, no jurisdiction), other root fields still answer',
    async (fault) => {
      const citizen = richCitizens(world, 1)[0];
      stack.mocks.setControl('population', FAULTS[fault].control);
      const started = Date.now();
      const { status, body } = await stack.query<{ citizen: unknown; commune: { name: string; budget: unknown } }>(
        `query($id: ID!, $commune: ID!) { citizen(personalId: $id) { fullName civilStatus { maritalStatus } }
           commune(code: $commune) { name budget(fiscalYear: 2026) { balance } residents(first: 1) { totalCount } } }`,
        { id: citizen.personalId, commune: citizen.communeCode },
        auth,
      );
      stack.mocks.setControl('population', HEALTHY);
      expect(status).toBe(200);
      expect(body.data?.citizen).toBeNull();
      expect(errorAt(body.errors, ['citizen'])?.extensions).toMatchObject({ code: FAULTS[fault].code, source: 'population' });
      // The commune's name (catalogue) and budget (treasury) arrive; only its residents are missing.
      expect(body.data?.commune).toMatchObject({ name: world.catalogue.communeByCode.get(citizen.communeCode)!.FullName, residents: null });
      expect(body.data?.commune.budget).not.toBeNull();
      expect(errorAt(body.errors, ['commune', 'residents'])?.extensions).toMatchObject({ code: FAULTS[fault].code, source: 'population' });
      expect(Date.now() - started).toBeLessThan(fault === 'slow' ? SUBGRAPH_TIMEOUT_MS : SOURCE_TIMEOUT_MS);
    },
  );

  it('catalogue down: personal records are withheld (their jurisdiction cannot be confirmed) with the reason', async () => {
    const citizen = richCitizens(world, 1)[0];
    stack.mocks.setControl('catalogue', { outage: true });
    const { status, body, elapsed } = await dossier(stack, citizen.personalId);
    stack.mocks.setControl('catalogue', HEALTHY);
    expect(status).toBe(200);
    expect(body.data?.citizen).toBeNull();
    expect(body.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'catalogue' });
    expect(JSON.stringify(body)).not.toContain(citizen.fullName);
    expect(elapsed).toBeLessThan(SOURCE_TIMEOUT_MS);
  });

  it('partly failing sources (a third of calls erroring or garbled) still answer every dossier with data or a coded error', async () => {
    for (const source of Object.keys(DOSSIER_PARTS) as SourceName[]) stack.mocks.setControl(source, { errorRate: 0.3, malformedRate: 0.05 });
    const citizens = richCitizens(world, 24);
    const answers = [
      ...(await Promise.all(citizens.slice(0, 12).map((c) => dossier(stack, c.personalId)))),
      ...(await Promise.all(citizens.slice(12).map((c) => dossier(stack, c.personalId)))),
    ];
    let complete = 0;
    for (const [index, { status, body }] of answers.entries()) {
      expect(status).toBe(200);
      const expected = expectedParts(world, citizens[index]);
      const parts = answeredParts(body.data!.citizen!);
      for (const [source, path] of Object.entries(DOSSIER_PARTS)) {
        const value = parts[source as keyof typeof parts];
        if (value === null) {
          expect(errorAt(body.errors, path)?.extensions).toMatchObject({ code: expect.stringMatching(/^SOURCE_(UNAVAILABLE|BAD_RESPONSE|TIMEOUT)$/), source });
        } else {
          expect(value).toEqual(expected[source as keyof typeof expected]);
        }
      }
      if (!body.errors) complete++;
    }
    // Retries absorb most transient errors: 21–22 of 24 dossiers come back whole (the mocks fail
    // exactly the share asked, spread evenly, so a retry usually lands on a good call); without
    // retries about a fifth would.
    expect(complete).toBeGreaterThanOrEqual(Math.round(citizens.length * 0.45));
  });
});

describe('sources down with a recent answer cached (stale-if-error)', () => {
  let cached: Stack;
  const STALE_QUERY = `query($id: ID!) { citizen(personalId: $id) {
    permanentResidence { commune { budget(fiscalYear: 2026) { revenue { totalEstimate } provenance { stale servedFromCache } } } }
    civilStatus { birth { registrationNumber } provenance { stale servedFromCache } }
    landRights { parcel { parcelId } provenance { stale servedFromCache } }
    socialInsurance { insuranceCode provenance { stale servedFromCache } }
  } }`;
  const MARKS: Record<keyof typeof DOSSIER_PARTS, (citizen: Record<string, any>) => { stale: boolean; servedFromCache: boolean }[]> = {
    'civil-status': (c) => [c.civilStatus.provenance],
    land: (c) => c.landRights.map((right: { provenance: unknown }) => right.provenance),
    'social-insurance': (c) => [c.socialInsurance.provenance],
    budget: (c) => [c.permanentResidence.commune.budget.provenance],
  };

  beforeAll(async () => {
    const shortLived: Record<string, string> = {};
    for (const prefix of ['CIVIL_STATUS', 'LAND', 'SOCIAL_INSURANCE', 'BUDGET']) {
      shortLived[`${prefix}_CACHE_TTL_S`] = '1';
      shortLived[`${prefix}_STALE_IF_ERROR_S`] = '60';
    }
    cached = await startStack({ mocks: { ...WORLD, world }, env: { ...FAULT_ENV, ...shortLived } });
  });
  afterAll(() => cached?.close());

  it('serves every down source its expired answer, marked stale, with no error and the same data', async () => {
    const citizen = richCitizens(world, 1)[0];
    const token = { authorization: `Bearer ${await cached.token()}` };
    const ask = () => cached.query<{ citizen: Record<string, any> }>(STALE_QUERY, { id: citizen.personalId }, token);
    const warm = await ask();
    expect(warm.body.errors).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 1100)); // every cached answer is now past its time to live

    const sources = Object.keys(DOSSIER_PARTS) as (keyof typeof DOSSIER_PARTS)[];
    for (const source of sources) cached.mocks.setControl(source, { outage: true });
    try {
      const { status, body } = await ask();
      expect(status).toBe(200);
      expect(body.errors).toBeUndefined();
      for (const source of sources) {
        const marks = MARKS[source](body.data!.citizen);
        expect([source, marks]).toEqual([source, marks.map(() => ({ stale: true, servedFromCache: true }))]);
        expect(marks.length).toBeGreaterThan(0);
      }
      // The same answer as before the outage, apart from its provenance.
      expect(withoutProvenance(body.data)).toEqual(withoutProvenance(warm.body.data));
    } finally {
      for (const source of sources) cached.mocks.setControl(source, HEALTHY);
    }
  });
});

describe('circuit breaker under load', () => {
  let guarded: Stack;
  beforeAll(async () => {
    guarded = await startStack({
      mocks: { ...WORLD, world },
      env: { ...FAULT_ENV, LAND_SOURCE_BREAKER_MIN_CALLS: '5', LAND_SOURCE_BREAKER_COOLDOWN_MS: '4000', LAND_SOURCE_RETRIES: '0' },
    });
  });
  afterAll(() => guarded?.close());

  it('stops calling a source that is down, answers at once meanwhile, and closes again after a successful probe', async () => {
    const citizens = richCitizens(world, 12);
    const token = { authorization: `Bearer ${await guarded.token()}` };
    guarded.mocks.setControl('land', { outage: true, latencyMs: 1500 });
    await Promise.all(citizens.slice(0, 6).map((citizen) => dossier(guarded, citizen.personalId, token)));

    // Open: land is not called, and its part fails fast instead of waiting for the source.
    guarded.mocks.resetStats();
    const open = await dossier(guarded, citizens[6].personalId, token);
    expect(guarded.mocks.stats('land').requests).toBe(0);
    expect(errorAt(open.body.errors, DOSSIER_PARTS.land)?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
    expect(open.elapsed).toBeLessThan(1500); // not waiting for the (slow) source
    expect(answeredParts(open.body.data!.citizen!)['social-insurance']).not.toBeNull();

    // The source recovers; after the cool-down one probe goes through and closes the circuit.
    guarded.mocks.setControl('land', HEALTHY);
    await new Promise((resolve) => setTimeout(resolve, 4100));
    const recovered = await dossier(guarded, citizens[7].personalId, token);
    expect(recovered.body.errors).toBeUndefined();
    expect(answeredParts(recovered.body.data!.citizen!).land).toEqual(expectedParts(world, citizens[7]).land);
  });
});

describe('a subgraph down', () => {
  let fragile: Stack;
  let token: Record<string, string>;
  let hung: TcpServer | undefined;
  beforeAll(async () => {
    fragile = await startStack({ mocks: { ...WORLD, world }, env: { ...FAULT_ENV, SUBGRAPH_TIMEOUT_MS: '1000' } });
    token = { authorization: `Bearer ${await fragile.token()}` };
  });
  const held = new Set<Socket>();
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => (hung ? hung.close(() => resolve()) : resolve()));
    await fragile?.close();
  });

  it('killed while requests run: answers stay 200, its fields null with SOURCE_UNAVAILABLE naming it, the rest intact', async () => {
    const citizens = richCitizens(world, 10);
    const answers: Awaited<ReturnType<typeof dossier>>[] = [];
    let running = true;
    const load = Array.from({ length: 6 }, async (_, worker) => {
      for (let i = worker; running; i++) answers.push(await dossier(fragile, citizens[i % citizens.length].personalId, token));
    });
    while (answers.length < 12) await new Promise((resolve) => setTimeout(resolve, 20));
    await fragile.subgraphs.land.close({ timeoutMs: 1 }); // connections cut, as a crash would
    const killedAt = answers.length;
    await new Promise((resolve) => setTimeout(resolve, 500));
    running = false;
    await Promise.all(load);

    expect(killedAt).toBeGreaterThan(0);
    expect(answers.length).toBeGreaterThan(killedAt + 5);
    for (const { status, body } of answers) {
      expect(status).toBe(200);
      const parts = answeredParts(body.data!.citizen!);
      expect(parts['civil-status']).not.toBeNull();
      expect(parts['social-insurance']).not.toBeNull();
      expect(parts.budget).not.toBeNull();
      if (parts.land === null) {
        expect(errorAt(body.errors, DOSSIER_PARTS.land)?.extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
      }
    }
    const after = answers.slice(-5);
    expect(after.every(({ body }) => body.data!.citizen!.landRights === null)).toBe(true);
    expect(after.every(({ elapsed }) => elapsed < SOURCE_TIMEOUT_MS)).toBe(true);
  });

  it('hung (accepts, never answers): its fields time out with SOURCE_TIMEOUT within SUBGRAPH_TIMEOUT_MS', async () => {
    // Something that holds the dead subgraph's port and never says a word.
    hung = createTcpServer((socket) => void held.add(socket));
    await new Promise<void>((resolve) => hung!.listen(fragile.subgraphs.land.port, '127.0.0.1', resolve));
    const citizen = richCitizens(world, 1)[0];
    const { status, body, elapsed } = await dossier(fragile, citizen.personalId, token);
    expect(status).toBe(200);
    expect(errorAt(body.errors, DOSSIER_PARTS.land)?.extensions).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'land' });
    expect(answeredParts(body.data!.citizen!)['civil-status']).toEqual(expectedParts(world, citizen)['civil-status']);
    expect(elapsed).toBeGreaterThanOrEqual(1000 - 50);
    expect(elapsed).toBeLessThan(1000 + 3000); // the deadline, plus what a loaded machine adds
  });

  it('is still alive and ready', async () => {
    const base = fragile.gatewayUrl.replace(/\/graphql$/, '');
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
  });
});

describeWithRedis('Redis stopped and restarted under load', () => {
  it('keeps answering every dossier in full while the shared cache comes and goes', async () => {
    const redis = await startRedis();
    const shared = await startStack({ mocks: { ...WORLD, world }, env: { ...FAULT_ENV, REDIS_URL: redis.url, LAND_CACHE_TTL_S: '60', CIVIL_STATUS_CACHE_TTL_S: '60' } });
    try {
      const token = { authorization: `Bearer ${await shared.token()}` };
      const citizens = richCitizens(world, 10);
      await dossier(shared, citizens[0].personalId, token); // warm: plans the query, opens connections
      const answers: Awaited<ReturnType<typeof dossier>>[] = [];
      let running = true;
      const load = Array.from({ length: 4 }, async (_, worker) => {
        for (let i = worker; running; i++) answers.push(await dossier(shared, citizens[i % citizens.length].personalId, token));
      });
      // Each phase lasts 700 ms and at least four answers.
      const phase = async () => {
        const [until, count] = [Date.now() + 700, answers.length + 4];
        while (Date.now() < until || answers.length < count) await new Promise((resolve) => setTimeout(resolve, 20));
      };
      const keysInRedis = async () => {
        const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
        try {
          await client.connect();
          return await client.dbsize();
        } finally {
          client.disconnect();
        }
      };
      await phase();
      expect(await keysInRedis()).toBeGreaterThan(0); // the cache lives in Redis
      await redis.halt();
      const stoppedAt = answers.length;
      await phase();
      await redis.start(); // empty
      const restartedAt = answers.length;
      // The cache goes back to Redis once its client reconnects (backing off up to 2 s).
      let refilled = false;
      for (const deadline = Date.now() + 5000; !refilled && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        refilled = (await keysInRedis()) > 0;
      }
      running = false;
      await Promise.all(load);
      expect(refilled).toBe(true);

      expect(answers.length).toBeGreaterThan(restartedAt);
      expect(restartedAt).toBeGreaterThan(stoppedAt);
      for (const [index, { status, body }] of answers.entries()) {
        expect([index, status, body.errors]).toEqual([index, 200, undefined]);
        const answer = body.data!.citizen!;
        const citizen = world.citizens.get(answer.personalId)!;
        expect(answeredParts(answer)).toEqual(expectedParts(world, citizen));
      }
    } finally {
      await shared.close();
      await redis.stop();
    }
  });
});
