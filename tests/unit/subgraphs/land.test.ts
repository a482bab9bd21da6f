import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from '../../support/nock';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { LandClient } from '../../../sources/land/client';
import { typeDefs } from '../../../subgraphs/land';
import { createLoaders } from '../../../subgraphs/land/loaders';
import { resolvers } from '../../../subgraphs/land/resolvers';
import { uncached } from '../../support/uncached';
import { clientPerTest } from '../sources/fixtures/client-per-test';
import { BASE, CO_OWNER, holder, landClient, MAPPED_FIELDS, OWNER, page, parcel, PATH, personalId } from '../sources/fixtures/land';

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
clientPerTest(landClient, (opened) => (client = opened));

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
