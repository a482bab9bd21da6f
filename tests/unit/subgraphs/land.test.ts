import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from 'nock';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { SourceError } from '../../../sources/kit/errors';
import { LandClient } from '../../../sources/land/client';
import { typeDefs } from '../../../subgraphs/land';
import { createLoaders } from '../../../subgraphs/land/loaders';
import { resolvers } from '../../../subgraphs/land/resolvers';
import { uncached } from '../../support/uncached';

const BASE = 'http://land.test';
const PATH = '/land/v2/parcels';
const OWNER = '024190012345';
const CO_OWNER = '024191054321';

function holder(personalId: string, share = 1, certificateNo = 'CS 123456') {
  return { personalId, share, certificateNo, certificateIssuedOn: '2018-04-02' };
}

function parcel(parcelId: string, holders = [holder(OWNER)], landUseCode = 'ONT') {
  return {
    parcelId,
    communeCode: '07210',
    mapSheetNo: 12,
    parcelNo: 345,
    areaM2: 152.5,
    landUseCode,
    address: 'Thôn Đông, xã Tân Yên',
    holders,
    updatedAt: '2026-05-01T08:00:00Z',
  };
}

function page(items: unknown[], pageNo = 1, totalPages = 1, totalItems = items.length) {
  return { items, page: pageNo, pageSize: 200, totalItems, totalPages };
}

/** What parcel() becomes in the schema's shape, apart from the ID and owners. */
const MAPPED_FIELDS = {
  commune: { code: '07210' },
  mapSheet: 12,
  parcelNumber: 345,
  area: 152.5,
  landUseType: 'ONT',
  address: 'Thôn Đông, xã Tân Yên',
};

/** A 12-digit personalId numbered `i`. */
function personalId(i: number): string {
  return `0241900${String(i).padStart(5, '0')}`;
}

/** Records every call to the parcel search and answers from `world` (parcels by owner). */
function landSource(world: ReturnType<typeof parcel>[]) {
  const calls: { ownerIds?: string[]; ids?: string[]; page: number; pageSize: number }[] = [];
  nock(BASE)
    .get(PATH)
    .query(true)
    .times(1000)
    .reply((uri) => {
      const params = new URL(uri, BASE).searchParams;
      const ownerIds = params.get('ownerIds')?.split(',');
      const ids = params.get('ids')?.split(',');
      const pageNo = Number(params.get('page'));
      const pageSize = Number(params.get('pageSize'));
      calls.push({ ownerIds, ids, page: pageNo, pageSize });
      const matches = world.filter((p) =>
        ownerIds ? p.holders.some((h) => ownerIds.includes(h.personalId)) : ids!.includes(p.parcelId),
      );
      const totalPages = Math.ceil(matches.length / pageSize);
      return [200, page(matches.slice((pageNo - 1) * pageSize, pageNo * pageSize), pageNo, totalPages, matches.length)];
    });
  return calls;
}

let client: LandClient;
// The catalogue is only asked about owners' jurisdiction, which these tests do not exercise.
const catalogue = new CatalogueClient({ url: 'http://catalogue.test', apiKey: 'test-catalogue-key' });
beforeEach(() => {
  client = new LandClient({ url: BASE, apiKey: 'test-land-key', timeoutMs: 300 });
});
afterEach(async () => {
  nock.cleanAll();
  await client.close();
});

describe('land source client', () => {

  it('searches by owners with the bearer key and maps parcels to the schema shape', async () => {
    nock(BASE, { reqheaders: { authorization: 'Bearer test-land-key' } })
      .get(PATH)
      .query({ ownerIds: `${OWNER},${CO_OWNER}`, page: '1', pageSize: '200' })
      .reply(200, page([parcel('TD-07210-012-00345', [holder(OWNER, 0.5, 'CS 1'), holder(CO_OWNER, 0.5, 'CS 2')])]));
    await expect(client.findByOwners([OWNER, CO_OWNER])).resolves.toEqual([
      {
        parcelId: 'TD-07210-012-00345',
        ...MAPPED_FIELDS,
        owners: [
          { citizen: { personalId: OWNER }, share: 0.5, certificateNumber: 'CS 1', issuedOn: '2018-04-02' },
          { citizen: { personalId: CO_OWNER }, share: 0.5, certificateNumber: 'CS 2', issuedOn: '2018-04-02' },
        ],
        updatedAt: '2026-05-01T08:00:00Z',
        provenance: { source: 'land', producedAt: '2026-05-01T08:00:00Z', fetchedAt: expect.any(String), cached: false, stale: false },
      },
    ]);
  });

  it('searches by parcel IDs and keys the answer by parcel ID', async () => {
    nock(BASE)
      .get(PATH)
      .query({ ids: 'P-1,P-2,P-3', page: '1', pageSize: '200' })
      .reply(200, page([parcel('P-1'), parcel('P-3', [holder(OWNER)], 'LUC')]));
    const found = await client.findByIds(['P-1', 'P-2', 'P-3']);
    expect([...found.keys()]).toEqual(['P-1', 'P-3']);
    expect(found.get('P-3')?.landUseType).toBe('LUC');
  });

  it('follows every page of a long answer, counting a repeated parcel once', async () => {
    const items = Array.from({ length: 450 }, (_, i) => parcel(`P-${String(i).padStart(4, '0')}`));
    nock(BASE).get(PATH).query({ ownerIds: OWNER, page: '1', pageSize: '200' }).reply(200, page(items.slice(0, 200), 1, 3, 450));
    // The last parcel of page 2 shows up again on page 3, as when data moves during paging.
    nock(BASE).get(PATH).query({ ownerIds: OWNER, page: '2', pageSize: '200' }).reply(200, page(items.slice(200, 400), 2, 3, 450));
    nock(BASE).get(PATH).query({ ownerIds: OWNER, page: '3', pageSize: '200' }).reply(200, page(items.slice(399), 3, 3, 450));
    const parcels = await client.findByOwners([OWNER]);
    expect(parcels).toHaveLength(450);
    expect(new Set(parcels.map((p) => p.parcelId)).size).toBe(450);
    expect(nock.isDone()).toBe(true);
  });

  it('reads an empty page as nothing found, but a 404 search as a source fault, not as "no land"', async () => {
    nock(BASE).get(PATH).query(true).reply(200, page([], 1, 0, 0));
    await expect(client.findByOwners([OWNER])).resolves.toEqual([]);
    nock(BASE).get(PATH).query(true).reply(404, { error: { code: 'NOT_FOUND', message: 'x' } });
    await expect(client.findByIds(['P-1'])).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'land' });
  });

  it('refuses more IDs than the source takes, without calling it', async () => {
    await expect(client.findByOwners(Array.from({ length: 101 }, (_, i) => personalId(i)))).rejects.toThrow(RangeError);
  });

  it.each([
    [400, 'SOURCE_BAD_RESPONSE'],
    [401, 'SOURCE_UNAVAILABLE'],
    [500, 'SOURCE_UNAVAILABLE'],
    [503, 'SOURCE_UNAVAILABLE'],
  ])('maps HTTP %i to %s naming the source', async (status, code) => {
    nock(BASE).get(PATH).query(true).reply(status, { error: { code: 'X', message: 'x' } });
    await expect(client.findByOwners([OWNER])).rejects.toMatchObject({ code, source: 'land' });
  });

  it('reports a body that is not JSON as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get(PATH).query(true).reply(200, '{"items": [{"parcelId": "TD-', { 'content-type': 'application/json' });
    await expect(client.findByOwners([OWNER])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'land' });
  });

  it.each([
    ['a string area', { ...parcel('P-1'), areaM2: '152.5' }],
    ['a fractional map sheet', { ...parcel('P-1'), mapSheetNo: 12.5 }],
    ['an unknown land-use code', parcel('P-1', [holder(OWNER)], 'XYZ')],
    ['a commune code of the wrong shape', { ...parcel('P-1'), communeCode: 7210 }],
    ['holders that are not a list', { ...parcel('P-1'), holders: null }],
    ['a share as text', { ...parcel('P-1'), holders: [{ ...holder(OWNER), share: '0.5' }] }],
    ['a share above 1', parcel('P-1', [holder(OWNER, 1.5)])],
    ['a compact issue date', parcel('P-1', [{ ...holder(OWNER), certificateIssuedOn: '20180402' }])],
    ['a missing certificate number', { ...parcel('P-1'), holders: [{ ...holder(OWNER), certificateNo: undefined }] }],
  ])('reports %s as SOURCE_BAD_RESPONSE', async (_what, item) => {
    nock(BASE).get(PATH).query(true).reply(200, page([item]));
    await expect(client.findByOwners([OWNER])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'land' });
  });

  it.each([
    ['items that are not a list', { ...page([]), items: {} }],
    ['the wrong page number', page([parcel('P-1')], 2)],
    ['a fractional page count', { ...page([parcel('P-1')]), totalPages: 1.5 }],
    ['an absurd page count', { ...page([parcel('P-1')]), totalPages: 1e9 }],
    ['a body that is not an object', 'null'],
  ])('reports %s as SOURCE_BAD_RESPONSE', async (_what, body) => {
    nock(BASE).get(PATH).query(true).reply(200, body);
    await expect(client.findByOwners([OWNER])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'land' });
  });

  it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
    nock(BASE).get(PATH).query(true).delay(1000).reply(200, page([]));
    const error = await client.findByOwners([OWNER]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'land' });
  });
});

describe('land loaders', () => {

  it('loads rights for 250 owners in queries of at most 100 owners, pages of 200', async () => {
    const owners = Array.from({ length: 250 }, (_, i) => personalId(i));
    // Three parcels each, one of them shared with the next citizen.
    const world = owners.flatMap((id, i) => [
      parcel(`P-${i}-A`, [holder(id)]),
      parcel(`P-${i}-B`, [holder(id)]),
      parcel(`P-${i}-C`, [holder(id, 0.5, `CS ${i}`), holder(owners[(i + 1) % owners.length], 0.5, `CS ${i}b`)]),
    ]);
    const calls = landSource(world);
    const loaders = createLoaders({ clients: { land: client, catalogue }, caches: { land: uncached('land'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const rights = await Promise.all(owners.map((id) => loaders.rightsByOwner.load(id)));

    expect(calls.every((c) => c.ids === undefined && c.ownerIds!.length <= 100 && c.pageSize === 200)).toBe(true);
    expect(calls.map((c) => c.ownerIds!.length).filter((_, i) => calls[i].page === 1)).toEqual([100, 100, 50]);
    // 100 owners match ~300 parcels (their own three plus the one shared by the previous owner): 2 pages;
    // the last 50 match ~150: 1 page.
    expect(calls).toHaveLength(5);
    expect(rights[1]?.map((r) => r.parcel.parcelId).sort()).toEqual(['P-0-C', 'P-1-A', 'P-1-B', 'P-1-C']);
    expect(rights[1]?.find((r) => r.parcel.parcelId === 'P-0-C')).toMatchObject({ share: 0.5, certificateNumber: 'CS 0b', issuedOn: '2018-04-02' });

    // Parcels met on the way are primed: looking one up costs no call.
    await expect(loaders.parcel.load('P-7-B')).resolves.toMatchObject({ parcelId: 'P-7-B' });
    expect(calls).toHaveLength(5);
  });

  it('gives a citizen without land an empty list, not null', async () => {
    landSource([]);
    await expect(createLoaders({ clients: { land: client, catalogue }, caches: { land: uncached('land'), catalogue: uncached('catalogue') }, concurrency: 4 }).rightsByOwner.load(OWNER)).resolves.toEqual([]);
  });

  it('loads parcels by ID in queries of at most 100', async () => {
    const world = Array.from({ length: 150 }, (_, i) => parcel(`P-${i}`));
    const calls = landSource(world);
    const loaders = createLoaders({ clients: { land: client, catalogue }, caches: { land: uncached('land'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const found = await Promise.all([...world.map((p) => p.parcelId), 'P-missing'].map((id) => loaders.parcel.load(id)));
    expect(calls.map((c) => c.ids!.length)).toEqual([100, 51]);
    expect(found.slice(0, 150).every((p, i) => p?.parcelId === `P-${i}`)).toBe(true);
    expect(found[150]).toBeNull();
  });

  it('turns a failed query into a GraphQL error for the keys of that query only', async () => {
    nock(BASE).get(PATH).query((q) => q.ids === 'P-1').reply(503, { error: { code: 'UNAVAILABLE', message: 'x' } });
    const loaders = createLoaders({ clients: { land: client, catalogue }, caches: { land: uncached('land'), catalogue: uncached('catalogue') }, concurrency: 4 });
    await expect(loaders.parcel.load('P-1')).rejects.toMatchObject({ extensions: { code: 'SOURCE_UNAVAILABLE', source: 'land' } });
  });
});

describe('land resolvers', () => {
  let schema: GraphQLSchema;
  beforeAll(() => {
    schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
    nock.disableNetConnect();
  });
  afterAll(() => nock.enableNetConnect());

  function run(source: string, variableValues?: Record<string, unknown>) {
    return graphql({ schema, source, variableValues, contextValue: { loaders: createLoaders({ clients: { land: client, catalogue }, caches: { land: uncached('land'), catalogue: uncached('catalogue') }, concurrency: 4 }) } });
  }

  const CITIZEN_RIGHTS = `query ($representations: [_Any!]!) {
    _entities(representations: $representations) {
      ... on Citizen {
        personalId
        landRights {
          certificateNumber issuedOn share
          parcel {
            parcelId commune { code } mapSheet parcelNumber area landUseType address
            owners { citizen { personalId } share certificateNumber }
          }
        }
      }
    }
  }`;

  it('resolves 100 citizens\' land rights, with parcels and owners, in one source call', async () => {
    const owners = Array.from({ length: 100 }, (_, i) => personalId(i));
    const world = owners.map((id, i) => parcel(`P-${i}`, [holder(id, 0.5, `CS ${i}`), holder(CO_OWNER, 0.5, 'CS X')]));
    const calls = landSource(world);
    const result = await run(CITIZEN_RIGHTS, { representations: owners.map((id) => ({ __typename: 'Citizen', personalId: id })) });
    expect(result.errors).toBeUndefined();
    expect(calls).toHaveLength(1);
    expect(calls[0].ownerIds).toHaveLength(100);
    const entities = result.data!._entities as { landRights: unknown[] }[];
    expect(entities[7]).toEqual({
      personalId: owners[7],
      landRights: [
        {
          certificateNumber: 'CS 7',
          issuedOn: '2018-04-02',
          share: 0.5,
          parcel: {
            parcelId: 'P-7',
            ...MAPPED_FIELDS,
            owners: [
              { citizen: { personalId: owners[7] }, share: 0.5, certificateNumber: 'CS 7' },
              { citizen: { personalId: CO_OWNER }, share: 0.5, certificateNumber: 'CS X' },
            ],
          },
        },
      ],
    });
  });

  it('answers landParcel by ID and null for an unknown parcel', async () => {
    landSource([parcel('TD-07210-012-00345', [holder(OWNER)], 'TMD')]);
    const found = await run('{ landParcel(parcelId: "TD-07210-012-00345") { parcelId landUseType owners { citizen { personalId } } } }');
    expect(found).toEqual({
      data: { landParcel: { parcelId: 'TD-07210-012-00345', landUseType: 'TMD', owners: [{ citizen: { personalId: OWNER } }] } },
    });
    const missing = await run('{ landParcel(parcelId: "TD-00000") { parcelId } }');
    expect(missing).toEqual({ data: { landParcel: null } });
  });

  it.each([[''], ['x'.repeat(65)], ['TD/07210'], ['TD 07210'], ['TĐ-07210']])(
    'refuses parcelId %j with BAD_USER_INPUT before calling the source',
    async (parcelId) => {
      const result = await run('query ($id: ID!) { landParcel(parcelId: $id) { parcelId } }', { id: parcelId });
      expect(result.data).toEqual({ landParcel: null });
      expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'parcelId' });
    },
  );

  it('resolves LandParcel references in one batched query by IDs', async () => {
    const calls = landSource([parcel('P-1'), parcel('P-2')]);
    const result = await run('query ($r: [_Any!]!) { _entities(representations: $r) { ... on LandParcel { parcelId area } } }', {
      r: [
        { __typename: 'LandParcel', parcelId: 'P-1' },
        { __typename: 'LandParcel', parcelId: 'P-2' },
        { __typename: 'LandParcel', parcelId: 'P-3' },
      ],
    });
    expect(result).toEqual({ data: { _entities: [{ parcelId: 'P-1', area: 152.5 }, { parcelId: 'P-2', area: 152.5 }, null] } });
    expect(calls).toEqual([{ ids: ['P-1', 'P-2', 'P-3'], ownerIds: undefined, page: 1, pageSize: 200 }]);
  });

  it('surfaces a source failure as a per-field error naming the source', async () => {
    nock(BASE).get(PATH).query(true).reply(503, { error: { code: 'UNAVAILABLE', message: 'x' } });
    const result = await run(CITIZEN_RIGHTS, { representations: [{ __typename: 'Citizen', personalId: OWNER }] });
    // landRights is nullable: a land outage nulls that field only, not the citizen.
    expect(result.data).toEqual({ _entities: [{ personalId: OWNER, landRights: null }] });
    expect(result.errors?.[0]).toMatchObject({
      path: ['_entities', 0, 'landRights'],
      extensions: { code: 'SOURCE_UNAVAILABLE', source: 'land' },
    });
  });

  it('surfaces an unknown land-use code as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get(PATH).query(true).reply(200, page([parcel('P-1', [holder(OWNER)], 'QQQ')]));
    const result = await run('{ landParcel(parcelId: "P-1") { landUseType } }');
    expect(result.errors?.[0]?.extensions).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'land' });
    expect(JSON.stringify(result.errors)).not.toContain('QQQ');
  });
});
