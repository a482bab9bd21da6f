/**
 * The whole stack sharing a real Redis: source answers and persisted queries land in Redis, an
 * invalidation reaches another replica through pub/sub, and a Redis outage — stopped or hung —
 * costs no request, with Redis used again once it is back.
 */
import { createHash } from 'node:crypto';
import Redis from 'ioredis';
import type { Citizen, World } from '../../mocks';
import { loadSubgraphConfig, SUBGRAPH_SOURCES } from '../../lib/config';
import { createForwardingSigner, FORWARDING_HEADER } from '../../lib/forwarding';
import { devKeyPaths, readJwkFile } from '../../lib/keys';
import type { Principal } from '../../lib/principal';
import { createJurisdictionKeySigner } from '../../lib/jurisdiction-key';
import { RunningService, startSubgraph, subgraphServerOptions } from '../../subgraphs/common/server';
import { SUBGRAPH_FACTORIES } from '../../subgraphs/registry';
import { BENCHMARK_PRINCIPAL } from '../../subgraphs/common/unsigned-calls';
import { until } from '../../stack/wait';
import { describeWithRedis } from '../support/needs-package';
import { startRedis, ThrowawayRedis } from '../../stack/redis';
import { Stack, startStack } from '../../stack/stack';

const INVALIDATION_TOKEN = 'test-invalidation-token-0123456789abcdef';
const DOSSIER = `query($id: ID!) { citizen(personalId: $id) {
  personalId fullName household { householdId } civilStatus { maritalStatus } landRights { certificateNumber } socialInsurance { status }
} }`;

describeWithRedis('with Redis', () => {
  let redis: ThrowawayRedis;
  let probe: Redis;
  let stack: Stack;
  let world: World;
  let token: string;
  let next = 0;

  /** A living citizen not asked about before in this suite. */
  function freshCitizen(): Citizen {
    const living = [...world.citizens.values()].filter((c) => !c.death && c.householdId);
    return living[next++];
  }
  const dossier = (citizen: Citizen) => stack.query<Record<string, any>>(DOSSIER, { id: citizen.personalId }, { authorization: `Bearer ${token}` });
  const keys = (pattern: string) => probe.keys(pattern).catch(() => [] as string[]);

  beforeAll(async () => {
    redis = await startRedis();
    probe = new Redis(redis.url, { maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    probe.on('error', () => undefined);
    stack = await startStack({
      mocks: { worldSize: 2000, worldSeed: 'redis' },
      // The subgraphs' store is under test: the gateway's own copies of their answers are off.
      env: { REDIS_URL: redis.url, REDIS_COMMAND_TIMEOUT_MS: '200', CACHE_INVALIDATION_TOKEN: INVALIDATION_TOKEN, SUBGRAPH_ANSWER_CACHE_TTL_S: '0' },
    });
    world = stack.mocks.world;
    token = await stack.token();
  });
  afterAll(async () => {
    await stack?.close();
    probe?.disconnect();
    await redis?.stop();
  });

  it('keeps source answers and persisted queries in Redis, where every replica finds them', async () => {
    const citizen = freshCitizen();
    await until(async () => (await dossier(citizen)).status === 200 && (await keys('sc:*')).length > 0);
    await dossier(citizen);
    expect(await probe.exists(`sc:population:population:citizen:${citizen.personalId}`)).toBe(1);
    expect(await probe.exists(`sc:civil-status:civil-status:record:${citizen.personalId}`)).toBe(1);
    expect(await probe.exists(`sc:social-insurance:social-insurance:participant:${citizen.personalId}`)).toBe(1);

    const query = '{ provinces { code } }';
    const hash = createHash('sha256').update(query).digest('hex');
    await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, extensions: { persistedQuery: { version: 1, sha256Hash: hash } } }),
    });
    // Under the caller's own namespace, never under the hash alone (gateway/cache/persisted-queries.ts).
    const stored = await probe.keys(`gw:*:apq:${hash}`);
    expect(stored).toHaveLength(1);
    expect(await probe.get(stored[0])).toBe(query);
    expect(await probe.exists(`gw:apq:${hash}`)).toBe(0);
  });

  describe('invalidation across two replicas of a subgraph', () => {
    let second: RunningService;
    let sign: (principal: Principal, body: string) => Promise<string>;
    let signKey: (personalId: string, key: string) => string;

    beforeAll(async () => {
      const env = { REDIS_URL: redis.url, DEV_DIR: stack.devDir, CIVIL_STATUS_SOURCE_URL: stack.mocks.urls['civil-status'] };
      const config = { ...loadSubgraphConfig('civil-status', env), port: 0 };
      config.sources = Object.fromEntries(SUBGRAPH_SOURCES['civil-status'].map((s) => [s, config.sources[s]]));
      second = await startSubgraph(SUBGRAPH_FACTORIES['civil-status'](config), { ...subgraphServerOptions(config), host: '127.0.0.1', port: 0 });
      const signer = await createForwardingSigner(readJwkFile(devKeyPaths(stack.devDir).forwardingPrivateKey));
      sign = (principal, body) => signer.sign(principal, { audience: 'civil-status', body });
      // As population issues them.
      const keys = createJurisdictionKeySigner(readJwkFile(devKeyPaths(stack.devDir).jurisdictionPrivateKey));
      signKey = (personalId, key) => keys.sign('Citizen', personalId, key);
    });
    afterAll(() => second?.close());

    /** The entity call the gateway makes for a citizen's civil status. */
    function civilStatusRequest(citizen: Citizen): string {
      const province = world.catalogue.communeByCode.get(citizen.communeCode)!.ProvinceCode;
      return JSON.stringify({
        query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { civilStatus { maritalStatus } } } }',
        variables: { r: [{ __typename: 'Citizen', personalId: citizen.personalId, jurisdictionKey: signKey(citizen.personalId, `${province}/${citizen.communeCode}`) }] },
      });
    }

    function post(replica: RunningService, request: string, signature: string): Promise<Response> {
      return fetch(replica.url, { method: 'POST', headers: { 'content-type': 'application/json', [FORWARDING_HEADER]: signature }, body: request });
    }

    /** Asks one replica directly for a citizen's civil status, as the gateway would. */
    async function civilStatusFrom(replica: RunningService, citizen: Citizen): Promise<string> {
      const request = civilStatusRequest(citizen);
      const response = await post(replica, request, await sign(BENCHMARK_PRINCIPAL, request));
      const body = (await response.json()) as { data: { _entities: { civilStatus: { maritalStatus: string } }[] } };
      return body.data._entities[0].civilStatus.maritalStatus;
    }

    it("drops the citizen's answers in the other replica too, through Redis pub/sub", async () => {
      const citizen = freshCitizen();
      const first = stack.subgraphs['civil-status'];
      const calls = () => stack.mocks.stats('civil-status').requests;
      await civilStatusFrom(second, citizen);
      await civilStatusFrom(first, citizen);
      const warmed = calls();
      // Both replicas now answer without the source (the second from its own memory).
      await civilStatusFrom(second, citizen);
      await civilStatusFrom(first, citizen);
      expect(calls()).toBe(warmed);

      const response = await fetch(first.url.replace(/\/graphql$/, '/cache/invalidate'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${INVALIDATION_TOKEN}` },
        body: JSON.stringify({ personalIds: [citizen.personalId] }),
      });
      await expect(response.json()).resolves.toMatchObject({ broadcast: true });
      expect(await probe.exists(`sc:civil-status:civil-status:record:${citizen.personalId}`)).toBe(0);

      // The message reaches the second replica within moments, well before its own copy would expire.
      await until(async () => {
        await civilStatusFrom(second, citizen);
        return calls() > warmed;
      }, 2000);
    });

    it('ignores a malformed message on the channel', async () => {
      await probe.publish('vncg:source-cache:invalidate', '{"v":1,"personalIds":["not-an-id"]}');
      await probe.publish('vncg:source-cache:invalidate', 'garbage');
      const citizen = freshCitizen();
      await expect(civilStatusFrom(second, citizen)).resolves.toEqual(expect.any(String));
    });

    it('refuses a call that one replica served when it is replayed to the other (its id claimed in Redis)', async () => {
      const request = civilStatusRequest(freshCitizen());
      const signature = await sign(BENCHMARK_PRINCIPAL, request);
      expect((await post(stack.subgraphs['civil-status'], request, signature)).status).toBe(200);
      const replayed = await post(second, request, signature);
      expect(replayed.status).toBe(401);
      expect(await replayed.text()).toContain('The forwarded call was already used');
      expect((await keys('vncg:forwarded-call:civil-status:*')).length).toBeGreaterThan(0);
    });
  });

  it('keeps answering while Redis is down, and uses Redis again once it is back', async () => {
    await redis.halt();
    try {
      for (let i = 0; i < 3; i++) {
        const started = Date.now();
        const answer = await dossier(freshCitizen());
        expect(answer.status).toBe(200);
        expect(answer.body.errors).toBeUndefined();
        expect(answer.body.data?.citizen?.civilStatus).not.toBeNull();
        expect(Date.now() - started).toBeLessThan(2000);
      }
      // Answers are still cached meanwhile, in memory.
      const citizen = freshCitizen();
      await dossier(citizen);
      const before = stack.mocks.stats('population').requests;
      await dossier(citizen);
      expect(stack.mocks.stats('population').requests).toBe(before);
    } finally {
      await redis.start();
    }
    const citizen = freshCitizen();
    await until(async () => {
      await dossier(citizen);
      return (await probe.exists(`sc:population:population:citizen:${citizen.personalId}`)) === 1;
    });
  });

  it('does not stall on a hung Redis', async () => {
    redis.freeze();
    try {
      const started = Date.now();
      const answer = await dossier(freshCitizen());
      expect(answer.body.errors).toBeUndefined();
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis.thaw();
    }
  });
});
