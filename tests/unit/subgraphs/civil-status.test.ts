import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from '../../support/nock';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { CivilStatusClient } from '../../../sources/civil-status/client';
import { createCivilStatusSubgraph, typeDefs } from '../../../subgraphs/civil-status';
import { createLoaders } from '../../../subgraphs/civil-status/loaders';
import { resolvers } from '../../../subgraphs/civil-status/resolvers';
import { uncached, UNCACHED_CONFIG } from '../../support/uncached';
import { clientPerTest, PATIENT_DEADLINE_MS, SHORT_DEADLINE_MS, withClient } from '../sources/fixtures/client-per-test';
import { BASE, civilStatusClient, DEATH, fault, hoSo, ID, idsFrom, KEY, MAPPED_BIRTH, MAPPED_MARRIAGES, OTHER, requestedIds, response, SECOND_MARRIAGE, soap, SPOUSE, UNKNOWN } from '../sources/fixtures/civil-status';

/** The catalogue places registering units; these tests ask for none. */
const unusedCatalogue = new CatalogueClient({ url: 'http://catalogue.invalid', apiKey: 'unused' });

let client: CivilStatusClient;
clientPerTest(civilStatusClient, (opened) => (client = opened));

describe('civil-status loaders', () => {

  it('splits 120 IDs into 3 SOAP calls of at most 50', async () => {
    const ids = idsFrom(120);
    const batches: string[][] = [];
    soap()
      .times(3)
      .reply(200, (_uri, body) => {
        const batch = requestedIds(body as string);
        batches.push(batch);
        return response(batch.map((id) => hoSo({ id, marriages: [] })));
      });
    const loaders = createLoaders({ clients: { civilStatus: client, catalogue: unusedCatalogue }, caches: { civilStatus: uncached('civil-status'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const results = await Promise.all(ids.map((id) => loaders.civilStatus.load(id)));
    expect(results.map((r) => r?.personalId)).toEqual(ids);
    expect(batches).toHaveLength(3);
    expect(batches.every((batch) => batch.length <= 50)).toBe(true);
    expect(batches.flat().sort()).toEqual([...ids].sort());
  });

  it('resolves KhongTimThay IDs to null', async () => {
    soap().reply(200, response([hoSo()], [UNKNOWN]));
    const loaders = createLoaders({ clients: { civilStatus: client, catalogue: unusedCatalogue }, caches: { civilStatus: uncached('civil-status'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const [found, missing] = await Promise.all([loaders.civilStatus.load(ID), loaders.civilStatus.load(UNKNOWN)]);
    expect(found?.personalId).toBe(ID);
    expect(missing).toBeNull();
  });

  it('turns a failed call into a GraphQL error for the keys of that batch only', async () => {
    const ids = idsFrom(60);
    let call = 0;
    soap()
      .times(2)
      .reply((_uri, body) => {
        const batch = requestedIds(body as string);
        return ++call === 1 ? [500, fault('soap:Server')] : [200, response(batch.map((id) => hoSo({ id, marriages: [] })))];
      });
    const loaders = createLoaders({ clients: { civilStatus: client, catalogue: unusedCatalogue }, caches: { civilStatus: uncached('civil-status'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const settled = await Promise.allSettled(ids.map((id) => loaders.civilStatus.load(id)));
    const rejected = settled.filter((s) => s.status === 'rejected');
    expect(rejected).toHaveLength(50);
    expect(rejected[0]).toMatchObject({ reason: { extensions: { code: 'SOURCE_UNAVAILABLE', source: 'civil-status' } } });
    expect(settled.filter((s) => s.status === 'fulfilled')).toHaveLength(10);
  });
});

describe('civil-status resolvers', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  });

  const ENTITIES = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Citizen {
        personalId
        civilStatus {
          maritalStatus
          birth { registrationNumber registeredOn registeredAt { code } fatherName motherName }
          marriages { registrationNumber registeredOn spouse { personalId } spouseName status endedOn }
          death { registrationNumber dateOfDeath registeredOn registeredAt { code } }
          updatedAt
        }
      }
    }
  }`;

  function run(personalIds: string[], query = ENTITIES, source = client) {
    return graphql({
      schema,
      source: query,
      variableValues: { representations: personalIds.map((personalId) => ({ __typename: 'Citizen', personalId })) },
      contextValue: { loaders: createLoaders({ clients: { civilStatus: source, catalogue: unusedCatalogue }, caches: { civilStatus: uncached('civil-status'), catalogue: uncached('catalogue') }, concurrency: 4 }) },
    });
  }

  it('resolves Citizen entities with one SOAP call for all representations', async () => {
    let calls = 0;
    soap().reply(200, () => {
      calls++;
      return response([hoSo({ death: DEATH }), hoSo({ id: OTHER, marriages: [], status: 'CHUA_KET_HON', birth: null })], [UNKNOWN]);
    });
    const result = await run([ID, OTHER, UNKNOWN]);
    expect(result.errors).toBeUndefined();
    expect(calls).toBe(1);
    const [first, second, third] = (result.data as { _entities: Array<Record<string, unknown>> })._entities;
    expect(first).toEqual({
      personalId: ID,
      civilStatus: {
        maritalStatus: 'MARRIED',
        birth: MAPPED_BIRTH,
        marriages: MAPPED_MARRIAGES,
        death: { registrationNumber: 'KT-07213-2025-000009', dateOfDeath: '2025-11-02', registeredOn: '2025-11-05', registeredAt: { code: '07213' } },
        updatedAt: '2026-05-01T08:00:00Z',
      },
    });
    expect(second).toMatchObject({ personalId: OTHER, civilStatus: { maritalStatus: 'SINGLE', birth: null, marriages: [], death: null } });
    expect(third).toEqual({ personalId: UNKNOWN, civilStatus: null });
  });

  it("batches a spouse's civil status through the same loader", async () => {
    const batches: string[][] = [];
    soap()
      .times(2)
      .reply(200, (_uri, body) => {
        const batch = requestedIds(body as string);
        batches.push(batch);
        return batch[0] === ID
          ? response([hoSo()])
          : response([hoSo({ id: SPOUSE, gender: 'Nu', marriages: [SECOND_MARRIAGE.replace(SPOUSE, ID)] })]);
      });
    const result = await run(
      [ID],
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) {
          ... on Citizen { civilStatus { marriages { spouse { personalId civilStatus { maritalStatus } } } } }
        }
      }`,
    );
    expect(result.errors).toBeUndefined();
    expect(batches).toEqual([[ID], [SPOUSE]]);
    const marriages = (result.data as any)._entities[0].civilStatus.marriages;
    expect(marriages).toEqual([{ spouse: null }, { spouse: { personalId: SPOUSE, civilStatus: { maritalStatus: 'MARRIED' } } }]);
  });

  it('refuses an invalid personalId representation with BAD_USER_INPUT, never sending it to the source', async () => {
    let requested: string[] = [];
    const scope = soap().reply(200, (_uri, body) => {
      requested = requestedIds(body as string);
      return response([hoSo()]);
    });
    const result = await run(['12345', '024990012345', ID]);
    expect(scope.isDone()).toBe(true);
    expect(requested).toEqual([ID]);
    expect((result.data as any)._entities).toEqual([null, null, expect.objectContaining({ personalId: ID })]);
    expect(result.errors?.map((e) => e.path)).toEqual([
      ['_entities', 0],
      ['_entities', 1],
    ]);
    for (const error of result.errors ?? []) {
      expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'personalId' });
      expect(error.message).not.toContain('12345');
    }
  });

  it('makes no source call when every representation is invalid', async () => {
    const scope = soap().reply(200, response([hoSo()]));
    const result = await run(['abc']);
    expect(scope.isDone()).toBe(false);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it.each([
    [(s: nock.Interceptor) => s.reply(500, fault('soap:Server')), 'SOURCE_UNAVAILABLE', PATIENT_DEADLINE_MS],
    [(s: nock.Interceptor) => s.reply(401, fault('soap:Client')), 'SOURCE_UNAVAILABLE', PATIENT_DEADLINE_MS],
    [(s: nock.Interceptor) => s.reply(200, '<soap:Envelope'), 'SOURCE_BAD_RESPONSE', PATIENT_DEADLINE_MS],
    [(s: nock.Interceptor) => s.delay(1000).reply(200, response([hoSo()])), 'SOURCE_TIMEOUT', SHORT_DEADLINE_MS],
  ])('surfaces a source failure as a per-field error with extensions.source (%#)', async (reply, code, deadlineMs) => {
    reply(soap());
    const result = await withClient(civilStatusClient(deadlineMs), (source) => run([ID, OTHER], ENTITIES, source));
    expect((result.data as any)._entities).toEqual([
      { personalId: ID, civilStatus: null },
      { personalId: OTHER, civilStatus: null },
    ]);
    expect(result.errors).toHaveLength(2);
    expect(result.errors?.map((e) => e.path)).toEqual([
      ['_entities', 0, 'civilStatus'],
      ['_entities', 1, 'civilStatus'],
    ]);
    for (const error of result.errors ?? []) {
      expect(error.extensions).toMatchObject({ code, source: 'civil-status' });
      expect(error.message).not.toContain(ID);
    }
  });
});

describe('createCivilStatusSubgraph', () => {
  it('wires the client from the civil-status connection and gives each request fresh loaders', async () => {
    const definition = createCivilStatusSubgraph({
      name: 'civil-status',
      host: '127.0.0.1',
      port: 0,
      sourceTimeoutMs: 500,
      sourceConcurrency: 4,
      sources: { 'civil-status': { url: BASE, apiKey: KEY }, catalogue: { url: 'http://catalogue.invalid', apiKey: 'unused' } },
      forwardingPublicKeyFile: '',
      auditFile: '',
      ...UNCACHED_CONFIG,
    });
    expect(definition.name).toBe('civil-status');
    const first = definition.createContext();
    expect(definition.createContext().loaders.civilStatus).not.toBe(first.loaders.civilStatus);
    let sent = '';
    soap().reply(200, (_uri, body) => {
      sent = body as string;
      return response([], [ID]);
    });
    await expect(first.loaders.civilStatus.load(ID)).resolves.toBeNull();
    expect(sent).toContain(`<ht:KhoaTruyCap>${KEY}</ht:KhoaTruyCap>`);
    await definition.close();
  });

  it('refuses to start without the civil-status connection', () => {
    expect(() =>
      createCivilStatusSubgraph({ name: 'civil-status', host: '127.0.0.1', port: 0, sourceTimeoutMs: 500, sourceConcurrency: 4, sources: {}, forwardingPublicKeyFile: '', auditFile: '', ...UNCACHED_CONFIG }),
    ).toThrow(/civil-status source connection/);
  });
});
