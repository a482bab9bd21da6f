/**
 * Attacks on the gateway-to-subgraph link, each of which must be refused:
 *  - a forwarded header captured on the link, replayed straight to a subgraph with another body,
 *    with the same body, or against another subgraph;
 *  - a call signed with the gateway's own forwarding key (the link fully compromised) carrying
 *    `_entities` representations whose `jurisdictionKey` is forged, to read citizens (or a
 *    household's members) of another province from the subgraphs that take the key from the
 *    representation.
 *
 * Real headers are captured by a recording proxy between a gateway and the subgraphs.
 */
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Citizen, Household, World } from '../../mocks';
import { createForwardingSigner, FORWARDING_HEADER, ForwardingSigner } from '../../lib/forwarding';
import { createJurisdictionKeySigner, JurisdictionKeySigner } from '../../lib/jurisdiction-key';
import { devKeyPaths, readJwkFile } from '../../lib/keys';
import type { Principal } from '../../lib/principal';
import type { SubgraphName } from '../../lib/sources';
import { RunningGateway, startGateway } from '../../gateway/server';
import { DOSSIER_QUERY, richCitizens } from '../../stack/dossier';
import { Stack, startStack } from '../../stack/stack';

const TARGETS = ['civil-status', 'land', 'social-insurance', 'reconciliation', 'audit', 'household'] as const;
type Target = (typeof TARGETS)[number];
/** The subgraphs that take a jurisdiction key from a representation. */
const KEY_READERS = ['civil-status', 'land', 'social-insurance', 'reconciliation'] as const;

interface Captured {
  headers: Record<string, string>;
  body: string;
}

let stack: Stack;
let world: World;
let recorder: { gateway: RunningGateway; proxies: Server[] };
const captured = new Map<string, Captured[]>();
let forwarding: ForwardingSigner;
let population: JurisdictionKeySigner;
let home: { province: string; commune: string; resident: Citizen };
let elsewhere: Citizen;

const SUBGRAPH_CALLS: Record<Target, (personalId: string) => string> = {
  'civil-status': (id) => entities(id, 'civilStatus { maritalStatus }'),
  land: (id) => entities(id, 'landRights { certificateNumber }'),
  'social-insurance': (id) => entities(id, 'socialInsurance { insuranceCode }'),
  reconciliation: (id) => entities(id, 'discrepancies { kind description }'),
  audit: (id) => JSON.stringify({ query: 'query($id: ID!) { accessLog(personalId: $id, first: 50) { subject clientId purpose fields } }', variables: { id } }),
  household: (id) => householdEntities(householdOf(id)),
};

function householdOf(personalId: string): Household {
  return world.households.get(world.citizens.get(personalId)!.householdId!)!;
}

/** `_entities` for a household's members, with the lines population sends for it (@requires). */
function householdEntities(household: Household, jurisdictionKey?: string): string {
  const representation = {
    __typename: 'Household',
    householdId: household.householdId,
    ...(jurisdictionKey === undefined ? {} : { jurisdictionKey }),
    headPersonalId: household.headId,
    memberPersonalIds: household.members.map((m) => m.personalId),
    memberships: household.members.map((m) => ({ personalId: m.personalId, relationToHead: m.relationToHead })),
  };
  return JSON.stringify({
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Household { head { personalId } members { relationToHead citizen { personalId } } } } }',
    variables: { r: [representation] },
  });
}

/** The key population signs for a household: its own commune's. */
function householdKey(household: Household): string {
  return population.sign('Household', household.householdId, `${world.catalogue.communeByCode.get(household.communeCode)!.ProvinceCode}/${household.communeCode}`);
}

function entities(personalId: string, selection: string, jurisdictionKey?: string): string {
  return JSON.stringify({
    query: `query($r: [_Any!]!) { _entities(representations: $r) { ... on Citizen { ${selection} } } }`,
    variables: { r: [{ __typename: 'Citizen', personalId, ...(jurisdictionKey === undefined ? {} : { jurisdictionKey }) }] },
  });
}

const GUARDED: Record<(typeof KEY_READERS)[number], string> = {
  'civil-status': 'civilStatus { maritalStatus }',
  land: 'landRights { certificateNumber }',
  'social-insurance': 'socialInsurance { insuranceCode }',
  reconciliation: 'discrepancies { kind description }',
};

function provinceOf(citizen: Citizen): string {
  return world.catalogue.communeByCode.get(citizen.communeCode)!.ProvinceCode;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A proxy in front of one subgraph that keeps a copy of every request it passes on. */
async function recordingProxy(name: string, target: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readAll(req);
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (typeof value === 'string' && !['host', 'content-length', 'connection', 'transfer-encoding'].includes(key)) headers[key] = value;
      }
      if (req.url?.startsWith('/graphql')) captured.set(name, [...(captured.get(name) ?? []), { headers, body: body.toString('utf8') }]);
      const answer = await fetch(new URL(req.url ?? '/', target), { method: req.method, headers, body: req.method === 'POST' ? body : undefined });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** POSTs straight to a subgraph, around the gateway. */
async function callSubgraph(name: SubgraphName, headers: Record<string, string>, body: string) {
  const response = await fetch(stack.subgraphs[name].url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, text: await response.text() };
}

function firstCapture(name: Target): Captured {
  const calls = captured.get(name) ?? [];
  const call = calls.find((c) => c.headers[FORWARDING_HEADER]);
  if (!call) throw new Error(`the gateway sent no signed call to ${name}`);
  return call;
}

function expectUnauthenticated(answer: { status: number; text: string }, reason: RegExp): void {
  expect(answer.status).toBe(401);
  const body = JSON.parse(answer.text) as { data?: unknown; errors: { message: string; extensions: Record<string, unknown> }[] };
  expect(body.data).toBeUndefined();
  expect(body.errors).toHaveLength(1);
  expect(body.errors[0].extensions).toEqual({ code: 'UNAUTHENTICATED' });
  expect(body.errors[0].message).toMatch(reason);
  expect(answer.text).not.toMatch(/stacktrace|    at /);
}

/** A principal of the home province, with every scope: what a captured header could carry. */
function officer(): Principal {
  return {
    subject: 'officer-home',
    clientId: 'tthc-system',
    scopes: new Set(['population:read', 'civil-status:read', 'land:read', 'social-insurance:read', 'reconciliation:read', 'audit:read']),
    jurisdiction: { national: false, provinces: new Set([home.province]), communes: new Set() },
    purpose: 'TEST-PROCEDURE HS-0002',
    locationIndependent: false,
  };
}

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 3000, worldSeed: 'subgraph-bypass' } });
  world = stack.mocks.world;
  const [resident] = richCitizens(world, 1);
  home = { province: provinceOf(resident), commune: resident.communeCode, resident };
  elsewhere = richCitizens(world, 400).find((c) => provinceOf(c) !== home.province)!;
  forwarding = await createForwardingSigner(readJwkFile(devKeyPaths(stack.devDir).forwardingPrivateKey));
  population = createJurisdictionKeySigner(readJwkFile(devKeyPaths(stack.devDir).jurisdictionPrivateKey));

  // A second gateway of the same configuration, whose subgraph calls pass through recording proxies.
  const proxies: Server[] = [];
  const subgraphUrls: Record<string, string> = {};
  for (const [name, running] of Object.entries(stack.subgraphs)) {
    const proxy = await recordingProxy(name, running.url);
    proxies.push(proxy);
    subgraphUrls[name] = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/graphql`;
  }
  const gateway = await startGateway({
    ...stack.gatewayConfig,
    port: 0,
    subgraphUrls,
    subgraphAnswerCacheTtlMs: 0,
    auditFile: join(stack.devDir, 'recording-gateway-audit.log'),
  });
  recorder = { gateway, proxies };

  const token = await stack.token({ scope: 'population:read civil-status:read land:read social-insurance:read budget:read audit:read reconciliation:read' });
  const ask = async (query: string, variables: Record<string, unknown>) => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { errors?: unknown[] };
    expect(body.errors).toBeUndefined();
  };
  await ask(
    DOSSIER_QUERY.replace('socialInsurance { insuranceCode }', 'socialInsurance { insuranceCode } discrepancies { kind } household { members { relationToHead } }'),
    { id: home.resident.personalId },
  );
  await ask('query($id: ID!) { accessLog(personalId: $id, first: 5) { subject } }', { id: home.resident.personalId });
}, 60_000);

afterAll(async () => {
  await recorder?.gateway.close();
  await Promise.all((recorder?.proxies ?? []).map((proxy) => new Promise((resolve) => proxy.close(resolve))));
  await stack?.close();
});

describe('a forwarded header captured on the gateway-to-subgraph link', () => {
  it.each(TARGETS)('is refused by %s with another body (the signed digest does not match)', async (name) => {
    const { headers } = firstCapture(name);
    const answer = await callSubgraph(name, headers, SUBGRAPH_CALLS[name](elsewhere.personalId));
    expectUnauthenticated(answer, /^The request body is not the one the gateway signed$/);
    for (const secret of [elsewhere.fullName, elsewhere.personalId]) expect(answer.text).not.toContain(secret);
  });

  it.each(TARGETS)('is refused by %s with its signed body but another operation in the URL, as a GET or a POST', async (name) => {
    const { headers, body } = firstCapture(name);
    const other = JSON.parse(SUBGRAPH_CALLS[name](elsewhere.personalId)) as { query: string; variables: unknown };
    const search = `?query=${encodeURIComponent(other.query)}&variables=${encodeURIComponent(JSON.stringify(other.variables))}`;
    const get = await fetch(stack.subgraphs[name].url + search, { headers: { ...headers, 'apollo-require-preflight': 'true' } });
    const post = await fetch(stack.subgraphs[name].url + search, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
    expect(post.status).toBe(400);
    for (const text of [await get.text(), await post.text()]) {
      expect(JSON.parse(text).data).toBeUndefined();
      for (const secret of [elsewhere.fullName, elsewhere.personalId]) expect(text).not.toContain(secret);
    }
  });

  it.each(TARGETS)('is refused by %s with the very body the gateway sent (its id was used)', async (name) => {
    const { headers, body } = firstCapture(name);
    expectUnauthenticated(await callSubgraph(name, headers, body), /^The forwarded call was already used$/);
  });

  it.each(TARGETS)('is refused when a call signed for %s is sent to another subgraph', async (name) => {
    const { headers, body } = firstCapture(name);
    const other: SubgraphName = name === 'civil-status' ? 'land' : 'civil-status';
    expectUnauthenticated(await callSubgraph(other, headers, body), new RegExp(`^The forwarded call is not meant for the ${other} subgraph$`));
  });

  it.each(TARGETS)('cannot be stripped either: %s refuses a call without one', async (name) => {
    expectUnauthenticated(await callSubgraph(name, {}, SUBGRAPH_CALLS[name](elsewhere.personalId)), /^Subgraphs accept requests only from the gateway$/);
  });

  it.each(TARGETS)('control: %s serves the same other body when the gateway signs it for it', async (name) => {
    // Shows the refusals above are the signature's doing, not a malformed request.
    const id = home.resident.personalId;
    const body =
      name === 'audit'
        ? SUBGRAPH_CALLS.audit(id)
        : name === 'household'
          ? householdEntities(householdOf(id), householdKey(householdOf(id)))
          : entities(id, GUARDED[name], population.sign('Citizen', id, `${home.province}/${home.commune}`));
    const answer = await callSubgraph(name, { [FORWARDING_HEADER]: await forwarding.sign(officer(), { audience: name, body }) }, body);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.text).errors).toBeUndefined();
  });
});

/** `_entities` sent straight to a subgraph, signed with the gateway's own forwarding key: the attacker holds it. */
async function compromisedLinkCall(name: SubgraphName, body: string) {
  const answer = await callSubgraph(name, { [FORWARDING_HEADER]: await forwarding.sign(officer(), { audience: name, body }) }, body);
  expect(answer.status).toBe(200);
  return { text: answer.text, body: JSON.parse(answer.text) as { data: { _entities: (Record<string, unknown> | null)[] } | null; errors?: { extensions: Record<string, unknown> }[] } };
}

/** The entity's fields all null, each refusal FORBIDDEN for `reason`, and `secret` nowhere in the answer. */
function expectWithheld(answer: Awaited<ReturnType<typeof compromisedLinkCall>>, reason: string, secret: string): void {
  const values = Object.values(answer.body.data?._entities?.[0] ?? {});
  expect(values.every((value) => value === null)).toBe(true);
  expect(answer.body.errors?.length).toBeGreaterThan(0);
  for (const error of answer.body.errors ?? []) expect(error.extensions).toMatchObject({ code: 'FORBIDDEN', reason });
  expect(answer.text).not.toContain(secret);
}

describe('a representation with a forged jurisdiction key, on a fully compromised link', () => {
  const forgedCall = (name: (typeof KEY_READERS)[number], personalId: string, jurisdictionKey: string | undefined) =>
    compromisedLinkCall(name, entities(personalId, GUARDED[name], jurisdictionKey));

  const forgeries: [string, () => string | undefined][] = [
    ['a plain key naming the officer’s own commune', () => `${home.province}/${home.commune}`],
    ['a key population signed for another citizen (of the officer’s commune)', () => population.sign('Citizen', home.resident.personalId, `${home.province}/${home.commune}`)],
    ['a key population signed for a household of the same id', () => population.sign('Household', elsewhere.personalId, `${home.province}/${home.commune}`)],
    ['a signed key with its residence changed', () => population.sign('Citizen', elsewhere.personalId, `${provinceOf(elsewhere)}/${elsewhere.communeCode}`).replace(`${provinceOf(elsewhere)}/${elsewhere.communeCode}`, `${home.province}/${home.commune}`)],
    ['a key signed by a key pair other than population’s', () => `${home.province}/${home.commune}.9999999999.${Buffer.alloc(64, 7).toString('base64url')}`],
    ['an expired key population signed', () => expiredKey(elsewhere.personalId, `${home.province}/${home.commune}`)],
    ['no key at all', () => undefined],
  ];

  for (const name of KEY_READERS) {
    it.each(forgeries)(`${name} withholds the record of another province's citizen given %s`, async (_what, forge) => {
      expectWithheld(await forgedCall(name, elsewhere.personalId, forge()), 'JURISDICTION_UNKNOWN', elsewhere.fullName);
    });

    it(`${name}: population's genuine key places the citizen outside the officer's jurisdiction`, async () => {
      const genuine = population.sign('Citizen', elsewhere.personalId, `${provinceOf(elsewhere)}/${elsewhere.communeCode}`);
      expectWithheld(await forgedCall(name, elsewhere.personalId, genuine), 'OUTSIDE_JURISDICTION', elsewhere.fullName);
    });

    it(`${name}: control: a genuine key of the officer's own resident is served`, async () => {
      const genuine = population.sign('Citizen', home.resident.personalId, `${home.province}/${home.commune}`);
      const answer = await forgedCall(name, home.resident.personalId, genuine);
      expect(answer.body.errors).toBeUndefined();
      expect(answer.body.data?._entities[0]).not.toBeNull();
    });
  }
});

describe('a household representation with a forged jurisdiction key, on a fully compromised link', () => {
  const forgedCall = (household: Household, jurisdictionKey: string | undefined) => compromisedLinkCall('household', householdEntities(household, jurisdictionKey));

  const forgeries: [string, () => string | undefined][] = [
    ['a plain key naming the officer’s own commune', () => `${home.province}/${home.commune}`],
    ['a key population signed for the officer’s own household', () => householdKey(householdOf(home.resident.personalId))],
    ['a key population signed for a citizen of the same id', () => population.sign('Citizen', householdOf(elsewhere.personalId).householdId, `${home.province}/${home.commune}`)],
    ['no key at all', () => undefined],
  ];

  it.each(forgeries)("withholds another province's household members given %s", async (_what, forge) => {
    const household = householdOf(elsewhere.personalId);
    expectWithheld(await forgedCall(household, forge()), 'JURISDICTION_UNKNOWN', household.headId);
  });

  it("population's genuine key places the household outside the officer's jurisdiction", async () => {
    const household = householdOf(elsewhere.personalId);
    expectWithheld(await forgedCall(household, householdKey(household)), 'OUTSIDE_JURISDICTION', household.headId);
  });

  it("control: a genuine key of the officer's own household is served", async () => {
    const household = householdOf(home.resident.personalId);
    const answer = await forgedCall(household, householdKey(household));
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data?._entities[0]).toMatchObject({ head: { personalId: household.headId } });
  });
});

/** A key population signed long ago (the clock is moved only for the synchronous signing). */
function expiredKey(personalId: string, key: string): string {
  const now = Date.now();
  const clock = jest.spyOn(Date, 'now').mockReturnValue(now - 2 * 3600_000);
  try {
    return population.sign('Citizen', personalId, key);
  } finally {
    clock.mockRestore();
  }
}
