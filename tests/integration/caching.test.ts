/**
 * Speed features end to end, on the whole stack with the in-process cache: what a repeated
 * question costs at the sources, that a cached answer still reaches only callers who could have
 * fetched it, stale answers while a source is down, invalidation, the whole-response cache,
 * automatic persisted queries and compressed answers.
 */
import { createHash } from 'node:crypto';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { request } from 'undici';
import type { Citizen, World } from '../../mocks';
import { SOURCES, type SourceName } from '../../lib/sources';
import { Stack, startStack } from '../../stack/stack';

const INVALIDATION_TOKEN = 'test-invalidation-token-0123456789abcdef';
const ALL_SOURCES = 'population:read civil-status:read land:read social-insurance:read budget:read';
const DOSSIER = `query Dossier($id: ID!) { citizen(personalId: $id) {
  personalId fullName permanentResidence { commune { code name } }
  household { householdId } civilStatus { maritalStatus } landRights { certificateNumber } socialInsurance { status }
} }`;
const BUDGET = `query Budget($code: ID!) { province(code: $code) { name budget(fiscalYear: 2026) { balance communeCount revenue { totalActual } } } }`;

let stack: Stack;
let world: World;
let national: string;

beforeAll(async () => {
  stack = await startStack({
    mocks: { worldSize: 3000, worldSeed: 'caching' },
    // Civil status expires after a second but may stand in for its source for a minute. The
    // gateway's own copies of subgraph answers are off here, so every request reaches the
    // subgraphs' source caches; they have their own suite below.
    env: {
      CACHE_INVALIDATION_TOKEN: INVALIDATION_TOKEN,
      CIVIL_STATUS_CACHE_TTL_S: '1',
      CIVIL_STATUS_STALE_IF_ERROR_S: '60',
      SUBGRAPH_ANSWER_CACHE_TTL_S: '0',
    },
  });
  world = stack.mocks.world;
  national = await stack.token({ scope: ALL_SOURCES, jurisdiction: '*' });
});
afterAll(() => stack?.close());

/** Living citizens with a household, land and insurance, from distinct communes. */
function citizens(count: number, skip = 0): Citizen[] {
  const found: Citizen[] = [];
  const communes = new Set<string>();
  for (const citizen of world.citizens.values()) {
    if (citizen.death || !citizen.householdId || !world.insurance.has(citizen.personalId) || communes.has(citizen.communeCode)) continue;
    communes.add(citizen.communeCode);
    if (skip-- > 0) continue;
    found.push(citizen);
    if (found.length === count) break;
  }
  return found;
}

const ask = (token: string, query: string, variables: Record<string, unknown> = {}) =>
  stack.query<Record<string, any>>(query, variables, { authorization: `Bearer ${token}` });

function callCounts(): Record<SourceName, number> {
  return Object.fromEntries(SOURCES.map((s) => [s, stack.mocks.stats(s).requests])) as Record<SourceName, number>;
}

describe('the source cache', () => {
  it('answers a repeated dossier without calling any source again', async () => {
    const [citizen] = citizens(1);
    const first = await ask(national, DOSSIER, { id: citizen.personalId });
    expect(first.body.errors).toBeUndefined();
    const before = callCounts();
    const second = await ask(national, DOSSIER, { id: citizen.personalId });
    expect(second.body).toEqual(first.body);
    expect(callCounts()).toEqual(before);
  });

  it('makes a burst of desks asking for one citizen cost one call per source', async () => {
    const [citizen] = citizens(1, 1);
    stack.mocks.resetStats();
    stack.mocks.setControl('social-insurance', { latencyMs: 50 });
    try {
      const answers = await Promise.all(Array.from({ length: 8 }, () => ask(national, DOSSIER, { id: citizen.personalId })));
      for (const answer of answers) expect(answer.body.data?.citizen?.socialInsurance).not.toBeNull();
    } finally {
      stack.mocks.setControl('social-insurance', { latencyMs: 0 });
    }
    expect(stack.mocks.stats('population').requests).toBe(1);
    expect(stack.mocks.stats('social-insurance').requests).toBe(1);
  });

  it('never hands a cached answer to a caller outside its jurisdiction or without the scope', async () => {
    const [citizen, elsewhere] = citizens(2, 2);
    const warm = await ask(national, DOSSIER, { id: citizen.personalId });
    expect(warm.body.data?.citizen?.civilStatus).not.toBeNull();
    const before = callCounts();

    // Another commune's officer, with every scope: nothing of the citizen.
    const otherCommune = await stack.token({ scope: ALL_SOURCES, jurisdiction: elsewhere.communeCode });
    const outside = await ask(otherCommune, DOSSIER, { id: citizen.personalId });
    expect(outside.body.data).toEqual({ citizen: null });
    expect(outside.body.errors?.[0].extensions?.reason).toMatch(/JURISDICTION/);
    const text = JSON.stringify(outside.body);
    for (const value of [citizen.fullName, citizen.address]) expect(text).not.toContain(value);

    // A national token without civil-status:read: the rest, but not the cached civil status.
    const noCivilStatus = await stack.token({ scope: 'population:read land:read social-insurance:read budget:read', jurisdiction: '*' });
    const partial = await ask(noCivilStatus, DOSSIER, { id: citizen.personalId });
    expect(partial.body.data?.citizen?.fullName).toBe(warm.body.data?.citizen?.fullName);
    expect(partial.body.data?.citizen?.civilStatus).toBeNull();
    expect(partial.body.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'FORBIDDEN', scope: 'civil-status:read' }) })]);

    // Both were answered from the cache: no source was asked, and still nothing crossed.
    const after = callCounts();
    expect(after.population).toBe(before.population);
  });

  it("serves civil status past its time to live while the source is down, and only then", async () => {
    const [citizen] = citizens(1, 4);
    const warm = await ask(national, DOSSIER, { id: citizen.personalId });
    const held = warm.body.data?.citizen?.civilStatus;
    expect(held).not.toBeNull();
    await new Promise((r) => setTimeout(r, 1100));
    stack.mocks.setControl('civil-status', { outage: true });
    try {
      const during = await ask(national, DOSSIER, { id: citizen.personalId });
      expect(during.body.errors).toBeUndefined();
      expect(during.body.data?.citizen?.civilStatus).toEqual(held);

      // A citizen never fetched before has nothing to stand in: the outage shows.
      const [fresh] = citizens(1, 5);
      const uncached = await ask(national, DOSSIER, { id: fresh.personalId });
      expect(uncached.body.data?.citizen?.civilStatus).toBeNull();
      expect(uncached.body.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'civil-status' });
    } finally {
      stack.mocks.setControl('civil-status', { outage: false });
    }
  });
});

describe('invalidation', () => {
  const invalidate = (subgraph: 'population' | 'civil-status' | 'budget', body: unknown, token: string | null = INVALIDATION_TOKEN) =>
    fetch(stack.subgraphs[subgraph].url.replace(/\/graphql$/, '/cache/invalidate'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it("drops a citizen's cached answers when a source reports a change, so the next request reads the source", async () => {
    const [citizen] = citizens(1, 6);
    await ask(national, DOSSIER, { id: citizen.personalId });
    const before = stack.mocks.stats('population').requests;

    const response = await invalidate('population', { personalIds: [citizen.personalId] });
    expect(response.status).toBe(200);
    await expect(response.json()).resolves.toEqual({ dropped: { personalIds: 1, sources: ['population'] }, broadcast: true });

    await ask(national, DOSSIER, { id: citizen.personalId });
    expect(stack.mocks.stats('population').requests).toBe(before + 1);
  });

  it('is refused without the token, with a malformed ID, or for a source the subgraph does not hold', async () => {
    const [citizen] = citizens(1, 6);
    expect((await invalidate('population', { personalIds: [citizen.personalId] }, null)).status).toBe(401);
    expect((await invalidate('population', { personalIds: [citizen.personalId] }, 'x'.repeat(40))).status).toBe(401);
    const malformed = await invalidate('population', { personalIds: ['12345'] });
    expect(malformed.status).toBe(400);
    expect(await malformed.text()).toMatch(/personalIds\[0\] is invalid/);
    expect((await invalidate('population', { personalIds: [citizen.personalId], sources: ['land'] })).status).toBe(400);
    expect((await invalidate('population', {})).status).toBe(400);
  });
});

describe("a caller's recent subgraph answers, kept by the gateway", () => {
  let gateway: Stack;
  beforeAll(async () => {
    gateway = await startStack({ mocks: { worldSize: 3000, worldSeed: 'caching', world }, env: { CACHE_INVALIDATION_TOKEN: INVALIDATION_TOKEN } });
  });
  afterAll(() => gateway?.close());

  const askHere = (token: string, query: string, variables: Record<string, unknown> = {}) =>
    gateway.query<Record<string, any>>(query, variables, { authorization: `Bearer ${token}` });
  /** The sum of a gateway metric's series whose line starts with `prefix`, from its /metrics. */
  const metric = async (prefix: string) => {
    const text = await (await fetch(gateway.gatewayUrl.replace(/\/graphql$/, '/metrics'))).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith(prefix))
      .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
  };
  /** Calls the gateway made to subgraphs so far. */
  const subgraphCalls = () => metric('gateway_subgraph_request_duration_seconds_count');
  const invalidateAtGateway = (body: unknown, token: string | null = INVALIDATION_TOKEN) =>
    fetch(gateway.gatewayUrl.replace(/\/graphql$/, '/cache/invalidate'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });

  it('answers a repeated dossier without calling a subgraph, and records every read in the audit log', async () => {
    const [citizen] = citizens(1, 7);
    const officer = await gateway.token({ scope: ALL_SOURCES, jurisdiction: citizen.communeCode, sub: 'officer-answers', purpose: '1.001193 HS-2026-000777' });
    const first = await askHere(officer, DOSSIER, { id: citizen.personalId });
    expect(first.body.errors).toBeUndefined();
    const [before, hitsBefore] = [await subgraphCalls(), await metric('gateway_subgraph_answer_cache_lookups_total{subgraph="population",result="hit"}')];
    const again = await askHere(officer, DOSSIER, { id: citizen.personalId });
    expect(again.body).toEqual(first.body);
    expect(await subgraphCalls()).toBe(before);
    expect(await metric('gateway_subgraph_answer_cache_lookups_total{subgraph="population",result="hit"}')).toBeGreaterThan(hitsBefore);

    const auditor = await gateway.token({ scope: 'audit:read', jurisdiction: '*', sub: 'inspector-answers' });
    const log = await askHere(auditor, `query($id: ID!) { accessLog(personalId: $id, first: 10) { subject purpose } }`, { id: citizen.personalId });
    expect(log.body.data?.accessLog.filter((read: { subject: string }) => read.subject === 'officer-answers')).toHaveLength(2);
  });

  it('reuses nothing for another caller: other purposes ask the subgraphs, other communes get nothing', async () => {
    const [citizen, elsewhere] = citizens(2, 8);
    const officer = await gateway.token({ scope: ALL_SOURCES, jurisdiction: citizen.communeCode, purpose: '1.001193 HS-2026-000001' });
    const first = await askHere(officer, DOSSIER, { id: citizen.personalId });

    const before = await subgraphCalls();
    const anotherDossier = await gateway.token({ scope: ALL_SOURCES, jurisdiction: citizen.communeCode, purpose: '1.001193 HS-2026-000002' });
    const answered = await askHere(anotherDossier, DOSSIER, { id: citizen.personalId });
    expect(answered.body).toEqual(first.body);
    expect(await subgraphCalls()).toBeGreaterThan(before);

    const otherCommune = await gateway.token({ scope: ALL_SOURCES, jurisdiction: elsewhere.communeCode, purpose: '1.001193 HS-2026-000001' });
    const outside = await askHere(otherCommune, DOSSIER, { id: citizen.personalId });
    expect(outside.body.data).toEqual({ citizen: null });
    expect(JSON.stringify(outside.body)).not.toContain(first.body.data?.citizen?.fullName);
  });

  it('POST /cache/invalidate on the gateway drops its copies and the subgraphs\' caches, so a changed record shows at once', async () => {
    // One whose population record agrees with civil status, so its name is the one the register gives.
    const citizen = citizens(10, 9).find((candidate) => !candidate.populationStale)!;
    const officer = await gateway.token({ scope: ALL_SOURCES, jurisdiction: '*' });
    const original = citizen.fullName;
    expect((await askHere(officer, DOSSIER, { id: citizen.personalId })).body.data?.citizen?.fullName).toBe(original);
    citizen.fullName = 'Trần Thị Đã Đổi Tên'; // the population register records a change of name
    try {
      expect((await askHere(officer, DOSSIER, { id: citizen.personalId })).body.data?.citizen?.fullName).toBe(original); // still kept

      const response = await invalidateAtGateway({ personalIds: [citizen.personalId] });
      expect(response.status).toBe(200);
      const told = (await response.json()) as { gateway: { droppedAnswers: number }; subgraphs: Record<string, { status: number }> };
      expect(told.gateway.droppedAnswers).toBeGreaterThan(0);
      expect(Object.keys(told.subgraphs).sort()).toEqual(['civil-status', 'land', 'population', 'social-insurance']);
      for (const outcome of Object.values(told.subgraphs)) expect(outcome.status).toBe(200);

      expect((await askHere(officer, DOSSIER, { id: citizen.personalId })).body.data?.citizen?.fullName).toBe('Trần Thị Đã Đổi Tên');
    } finally {
      citizen.fullName = original;
    }
  });

  it('refuses an invalidation without the token or with a source it does not know, saying what was wrong', async () => {
    const [citizen] = citizens(1, 9);
    expect((await invalidateAtGateway({ personalIds: [citizen.personalId] }, null)).status).toBe(401);
    const unknown = await invalidateAtGateway({ personalIds: [citizen.personalId], sources: ['budget'] });
    expect(unknown.status).toBe(400);
    expect(await unknown.text()).toMatch(/sources must be a list of some of population, civil-status, land, social-insurance/);
  });
});

describe('the whole-response cache', () => {
  it('answers a repeated budget question from the cache, per caller access', async () => {
    const province = world.catalogue.communeByCode.get(citizens(1)[0].communeCode)!.ProvinceCode;
    const budgetReader = await stack.token({ scope: 'budget:read', jurisdiction: province, purpose: '' });
    const headers = async (token: string) => {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: BUDGET, variables: { code: province } }),
      });
      return { cache: response.headers.get('x-response-cache'), body: (await response.json()) as Record<string, any> };
    };
    const first = await headers(budgetReader);
    const second = await headers(budgetReader);
    expect(first.cache).toBe('miss');
    expect(second.cache).toBe('hit');
    expect(second.body).toEqual(first.body);
    expect(first.body.data.province.budget.communeCount).toBeGreaterThan(0);

    // Without budget:read the cached budget is not served: the field is refused, the rest answered.
    const catalogueOnly = await stack.token({ scope: 'population:read', jurisdiction: province });
    const refused = await headers(catalogueOnly);
    expect(refused.cache).not.toBe('hit');
    expect(refused.body.data.province).toEqual({ name: first.body.data.province.name, budget: null });
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', scope: 'budget:read' });

    // Another jurisdiction has its own entry.
    expect((await headers(await stack.token({ scope: 'budget:read', jurisdiction: '*' }))).cache).toBe('miss');
  });

  it('keys an answer on the variables the operation declares: others are ignored, however deep, never a 500', async () => {
    const ask = async (variablesJson: string) => {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${national}` },
        body: `{"query":"{ provinces { code } }","variables":${variablesJson}}`,
      });
      return { status: response.status, cache: response.headers.get('x-response-cache'), body: (await response.json()) as Record<string, any> };
    };
    // 60,000 arrays deep, written out: too deep for a recursive walk of the variables.
    const first = await ask(`{"unused":${'['.repeat(60_000)}1${']'.repeat(60_000)}}`);
    expect([first.status, first.body.errors]).toEqual([200, undefined]);
    expect(first.body.data.provinces.length).toBeGreaterThan(0);
    // The same operation with other undeclared variables is the same answer, from the cache.
    expect((await ask('{"other":"x"}')).cache).toBe('hit');
  });

  it('never keeps an answer with personal data', async () => {
    const [citizen] = citizens(1);
    for (let i = 0; i < 2; i++) {
      const response = await fetch(stack.gatewayUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${national}` },
        body: JSON.stringify({ query: DOSSIER, variables: { id: citizen.personalId } }),
      });
      expect(response.headers.get('x-response-cache')).toBeNull();
    }
  });
});

describe('automatic persisted queries', () => {
  const query = '{ provinces { code name } }';
  const hash = createHash('sha256').update(query).digest('hex');
  const send = async (body: unknown, token = national) => {
    const response = await fetch(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return (await response.json()) as Record<string, any>;
  };
  const extensions = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

  it('asks for the query the first time, then answers from the hash alone', async () => {
    const unknown = await send({ extensions: extensions(hash) });
    expect(unknown.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const registered = await send({ query, extensions: extensions(hash) });
    expect(registered.data.provinces.length).toBeGreaterThan(0);
    const byHash = await send({ extensions: extensions(hash) });
    expect(byHash).toEqual(registered);
  });

  it('keeps each caller\'s queries its own: another system, or another officer of the same one, is asked for the text', async () => {
    const text = `{ provinces { code } } # ${Date.now()}`;
    const sha = createHash('sha256').update(text).digest('hex');
    expect((await send({ query: text, extensions: extensions(sha) })).data.provinces.length).toBeGreaterThan(0);
    for (const other of [
      await stack.token({ scope: ALL_SOURCES, jurisdiction: '*', client: 'another-system' }),
      await stack.token({ scope: ALL_SOURCES, jurisdiction: '*', sub: 'another-officer' }),
    ]) {
      const byHash = await send({ extensions: extensions(sha) }, other);
      expect(byHash.data).toBeUndefined();
      expect(byHash.errors[0].extensions.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    }
    expect((await send({ extensions: extensions(sha) })).data.provinces.length).toBeGreaterThan(0);
  });

  it('refuses a query sent with a hash that is not its own, as the caller\'s mistake', async () => {
    const wrong = await send({ query, extensions: extensions('0'.repeat(64)) });
    expect(wrong.data).toBeUndefined();
    expect(wrong.errors[0].message).toMatch(/sha does not match/i);
    expect(wrong.errors[0].extensions.code).toBe('BAD_REQUEST');
  });
});

describe('compressed answers', () => {
  const raw = async (query: string, acceptEncoding?: string) => {
    const response = await request(stack.gatewayUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${national}`, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
      body: JSON.stringify({ query }),
    });
    const bytes = Buffer.from(await response.body.arrayBuffer());
    return { headers: response.headers, bytes };
  };
  const large = `{ provinces { code name budget(fiscalYear: 2026) {
    revenue { lines { itemCode itemName estimate actual } } expenditure { lines { itemCode itemName estimate actual } } } } }`;

  it('sends brotli or gzip when accepted, smaller and decoding to the same answer, with Vary', async () => {
    const plain = await raw(large);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers.vary).toMatch(/Accept-Encoding/i);
    const answer = JSON.parse(plain.bytes.toString());

    const br = await raw(large, 'gzip, deflate, br');
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers.vary).toMatch(/Accept-Encoding/i);
    expect(br.bytes.length).toBeLessThan(plain.bytes.length / 3);
    expect(JSON.parse(brotliDecompressSync(br.bytes).toString())).toEqual(answer);

    const gzip = await raw(large, 'gzip');
    expect(gzip.headers['content-encoding']).toBe('gzip');
    expect(Number(gzip.headers['content-length'])).toBe(gzip.bytes.length);
    expect(JSON.parse(gunzipSync(gzip.bytes).toString())).toEqual(answer);

    expect((await raw(large, 'br;q=0, gzip;q=0.5')).headers['content-encoding']).toBe('gzip');
    expect((await raw(large, 'identity')).headers['content-encoding']).toBeUndefined();
  });

  it('leaves small answers as they are', async () => {
    const small = await raw('{ __typename }', 'br, gzip');
    expect(small.headers['content-encoding']).toBeUndefined();
    expect(small.headers.vary).toMatch(/Accept-Encoding/i);
    expect(JSON.parse(small.bytes.toString())).toEqual({ data: { __typename: 'Query' } });
  });
});
