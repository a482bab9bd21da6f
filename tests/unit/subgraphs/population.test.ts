import { buildSubgraphSchema } from '@apollo/subgraph';
import type { GraphQLResolverMap } from '@apollo/subgraph/dist/schema-helper';
import { graphql, GraphQLSchema } from 'graphql';
import nock from '../../support/nock';
import { CatalogueClient } from '../../../sources/catalogue/client';
import { PopulationClient } from '../../../sources/population/client';
import { typeDefs } from '../../../subgraphs/population';
import { createLoaders } from '../../../subgraphs/population/loaders';
import { resolvers } from '../../../subgraphs/population/resolvers';
import { uncached } from '../../support/uncached';
import { createCursorSealer } from '../../../lib/sealed-cursor';
import { SourceCache } from '../../../sources/kit/source-cache';
import { until } from '../../../stack/wait';
import { clientPerTest, SHORT_DEADLINE_MS, withClient } from '../sources/fixtures/client-per-test';
import { CAT, CAT_KEY, catalogueClient, catalogueWard, citizenWire, householdWire, ID, pid, POP, POP_KEY, populationClient } from '../sources/fixtures/population';

const PROVINCES = [
  { Code: '24', Name: 'Bắc Ninh', NameEn: 'Bac Ninh', FullName: 'Tỉnh Bắc Ninh', FullNameEn: 'Bac Ninh Province', AdministrativeUnitShortName: 'Tỉnh' },
  { Code: '01', Name: 'Hà Nội', NameEn: 'Hanoi', FullName: 'Thành phố Hà Nội', FullNameEn: 'Hanoi City', AdministrativeUnitShortName: 'Thành phố' },
];

let population: PopulationClient;
let catalogue: CatalogueClient;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
clientPerTest(populationClient, (opened) => (population = opened));
clientPerTest(catalogueClient, (opened) => (catalogue = opened));
// A catalogue without old units unless a test says otherwise.
beforeEach(() => {
  nock(CAT).persist().get('/api/units/pre-2025/communes').reply(200, []).get('/api/units/conversion').reply(200, []);
});

// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------

describe('population loaders', () => {
  it('splits citizen and household lookups into calls of at most 100 IDs', async () => {
    const citizenCalls: number[] = [];
    const householdCalls: number[] = [];
    nock(POP)
      .persist()
      .post('/api/v1/citizens:batchGet')
      .reply((_uri, body) => {
        const ids = (body as { soDinhDanh: string[] }).soDinhDanh;
        citizenCalls.push(ids.length);
        return [200, { ketQua: ids.map((id) => citizenWire(id)), khongTimThay: [] }];
      })
      .post('/api/v1/households:batchGet')
      .reply((_uri, body) => {
        const ids = (body as { maHo: string[] }).maHo;
        householdCalls.push(ids.length);
        return [200, { ketQua: ids.map((id) => householdWire(id)), khongTimThay: [] }];
      });
    const loaders = createLoaders({ clients: { population, catalogue }, caches: { population: uncached('population'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const ids = Array.from({ length: 250 }, (_, i) => pid(i));
    const householdIds = Array.from({ length: 150 }, (_, i) => `HK${String(i).padStart(7, '0')}`);
    const [citizens, households] = await Promise.all([
      Promise.all(ids.map((id) => loaders.citizen.load(id))),
      Promise.all(householdIds.map((id) => loaders.household.load(id))),
    ]);
    expect(citizens.map((c) => c?.personalId)).toEqual(ids);
    expect(households.map((h) => h?.householdId)).toEqual(householdIds);
    expect(citizenCalls.sort((a, b) => b - a)).toEqual([100, 100, 50]);
    expect(householdCalls.sort((a, b) => b - a)).toEqual([100, 50]);
  });

  it('splits commune lookups into catalogue calls of at most 200 codes', async () => {
    const calls: number[] = [];
    nock(CAT)
      .persist()
      .get('/api/units/communes')
      .query(true)
      .reply((uri) => {
        const codes = new URL(uri, CAT).searchParams.get('codes')!.split(',');
        calls.push(codes.length);
        return [200, codes.map((code) => catalogueWard(code))];
      });
    const loaders = createLoaders({ clients: { population, catalogue }, caches: { population: uncached('population'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const codes = Array.from({ length: 450 }, (_, i) => String(10000 + i));
    const communes = await Promise.all(codes.map((code) => loaders.commune.load(code)));
    expect(communes.map((c) => c?.code)).toEqual(codes);
    expect(calls.sort((a, b) => b - a)).toEqual([200, 200, 50]);
  });

  it('turns a failed batch into a GraphQL error naming the source for each key of it', async () => {
    nock(POP).post('/api/v1/citizens:batchGet').reply(503, { maLoi: 'UNAVAILABLE', thongDiep: 'x' });
    const loaders = createLoaders({ clients: { population, catalogue }, caches: { population: uncached('population'), catalogue: uncached('catalogue') }, concurrency: 4 });
    const results = await Promise.allSettled([loaders.citizen.load(ID), loaders.citizen.load(pid(1))]);
    for (const result of results) {
      expect(result).toMatchObject({ status: 'rejected', reason: { extensions: { code: 'SOURCE_UNAVAILABLE', source: 'population' } } });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Resolvers end to end: the subgraph schema run in-process against nock'd sources.

interface World {
  citizens: Map<string, ReturnType<typeof citizenWire>>;
  households: Map<string, ReturnType<typeof householdWire>>;
  communes: Map<string, ReturnType<typeof catalogueWard>>;
}

interface Calls {
  citizens: string[][];
  households: string[][];
  communes: string[][];
  provinces: number;
  province: string[];
  residents: string[];
}

/**
 * 100 citizens in 25 households of four (head, spouse, two children), living in four communes.
 * Members of household h are citizens 4h … 4h+3.
 */
function buildWorld(): World {
  const citizens = new Map<string, ReturnType<typeof citizenWire>>();
  const households = new Map<string, ReturnType<typeof householdWire>>();
  const communeCodes = ['07210', '07213', '07216', '07219'];
  const relations = ['CHU_HO', 'VO_CHONG', 'CON', 'CON'];
  for (let h = 0; h < 25; h++) {
    const householdId = `HK${String(h).padStart(7, '0')}`;
    const maXa = communeCodes[h % 4];
    const members = relations.map((relation, i) => ({ soDinhDanh: pid(4 * h + i), quanHeVoiChuHo: relation }));
    for (const [i, member] of members.entries()) {
      citizens.set(
        member.soDinhDanh,
        citizenWire(member.soDinhDanh, {
          hoVaTen: `Công dân ${4 * h + i}`,
          gioiTinh: (4 * h + i) % 2 ? 'Nữ' : 'Nam',
          noiThuongTru: { maXa, diaChiChiTiet: `Số ${h}, thôn Đông` },
          maHo: householdId,
          quanHeVoiChuHo: member.quanHeVoiChuHo,
        }),
      );
    }
    households.set(householdId, householdWire(householdId, { maXa, diaChi: `Số ${h}, thôn Đông`, chuHo: members[0].soDinhDanh, thanhVien: members }));
  }
  const communes = new Map(communeCodes.map((code) => [code, catalogueWard(code)]));
  return { citizens, households, communes };
}

/** Serves `world` from nock'd population and catalogue sources, recording every call. */
function serve(world: World): Calls {
  const calls: Calls = { citizens: [], households: [], communes: [], provinces: 0, province: [], residents: [] };
  nock(POP, { reqheaders: { 'x-api-key': POP_KEY } })
    .persist()
    .post('/api/v1/citizens:batchGet')
    .reply((_uri, body) => {
      const ids = (body as { soDinhDanh: string[] }).soDinhDanh;
      calls.citizens.push(ids);
      if (ids.length > 100) return [400, { maLoi: 'BATCH_TOO_LARGE', thongDiep: 'x' }];
      return [200, { ketQua: ids.filter((id) => world.citizens.has(id)).map((id) => world.citizens.get(id)), khongTimThay: ids.filter((id) => !world.citizens.has(id)) }];
    })
    .post('/api/v1/households:batchGet')
    .reply((_uri, body) => {
      const ids = (body as { maHo: string[] }).maHo;
      calls.households.push(ids);
      if (ids.length > 100) return [400, { maLoi: 'BATCH_TOO_LARGE', thongDiep: 'x' }];
      return [200, { ketQua: ids.filter((id) => world.households.has(id)).map((id) => world.households.get(id)), khongTimThay: ids.filter((id) => !world.households.has(id)) }];
    });
  nock(CAT, { reqheaders: { 'x-api-key': CAT_KEY } })
    .persist()
    .get('/api/units/communes')
    .query(true)
    .reply((uri) => {
      const codes = new URL(uri, CAT).searchParams.get('codes')!.split(',');
      calls.communes.push(codes);
      if (codes.length > 200) return [400, { message: 'too many' }];
      const found = codes.filter((code) => world.communes.has(code)).map((code) => world.communes.get(code));
      return found.length ? [200, found] : [404, { message: 'not found' }];
    })
    .get('/api/units/provinces')
    .reply(() => {
      calls.provinces++;
      return [200, PROVINCES];
    })
    .get(/^\/api\/units\/provinces\/\d+$/)
    .reply((uri) => {
      const code = uri.split('/').pop()!;
      calls.province.push(code);
      const province = PROVINCES.find((p) => p.Code === code);
      return province ? [200, { ...province, Wards: [...world.communes.values()].filter((w) => w.ProvinceCode === code) }] : [404, { message: 'x' }];
    });
  return calls;
}

describe('population resolvers', () => {
  let schema: GraphQLSchema;
  const cursors = createCursorSealer(Buffer.from('a secret the replicas share'), 'population residents');
  beforeAll(() => {
    schema = buildSubgraphSchema({ typeDefs, resolvers: resolvers as GraphQLResolverMap<unknown> });
  });

  function run(source: string, variableValues?: Record<string, unknown>, clients = { population, catalogue }) {
    return graphql({
      schema,
      source,
      variableValues,
      contextValue: { loaders: createLoaders({ clients, caches: { population: uncached('population'), catalogue: uncached('catalogue') }, concurrency: 4 }), cursors },
    });
  }

  const CITIZEN_FIELDS = `
    personalId fullName dateOfBirth gender lifeStatus
    permanentResidence { address commune { code name nameEn kind province { code name nameEn } } }
    household {
      householdId address
      headPersonalId
      commune { code name }
      memberships { personalId relationToHead }
    }`;

  it('resolves one citizen with residence, commune, province and household', async () => {
    const calls = serve(buildWorld());
    const result = await run(`{ citizen(personalId: "${pid(1)}") { ${CITIZEN_FIELDS} } }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.citizen).toEqual({
      personalId: pid(1),
      fullName: 'Công dân 1',
      dateOfBirth: '1990-03-05',
      gender: 'FEMALE',
      lifeStatus: 'LIVING',
      permanentResidence: {
        address: 'Số 0, thôn Đông',
        commune: {
          code: '07210',
          name: 'Phường Bắc Giang',
          nameEn: 'Bac Giang Ward',
          kind: 'WARD',
          province: { code: '24', name: 'Tỉnh Bắc Ninh', nameEn: 'Bac Ninh Province' },
        },
      },
      household: {
        householdId: 'HK0000000',
        address: 'Số 0, thôn Đông',
        headPersonalId: pid(0),
        commune: { code: '07210', name: 'Phường Bắc Giang' },
        // The household book's lines, for the household subgraph: the members' own records are
        // another fetch, which the gateway runs beside the other sources.
        memberships: [0, 1, 2, 3].map((i) => ({ personalId: pid(i), relationToHead: ['HEAD', 'SPOUSE', 'CHILD', 'CHILD'][i] })),
      },
    });
    // The citizen, its household sent along; then, since the household's lines were asked for
    // (the gateway asks only to fetch the members next), the other members, read ahead.
    await until(() => calls.citizens.length === 2, 5_000, 5);
    expect(calls.citizens).toEqual([[pid(1)], [pid(0), pid(2), pid(3)]]);
    expect(calls.households).toHaveLength(1);
    expect(calls.communes).toEqual([['07210']]);
    expect(calls.provinces).toBe(1);
  });

  it('returns null for an unknown citizen and BAD_USER_INPUT for a malformed ID, before any call', async () => {
    const calls = serve(buildWorld());
    const unknown = await run('{ citizen(personalId: "024190999999") { fullName } }');
    expect(unknown).toEqual({ data: { citizen: null } });
    const bad = await run('{ citizen(personalId: "12345") { fullName } }');
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'personalId' });
    expect(calls.citizens).toEqual([['024190999999']]);
  });

  it('answers citizens for 100 IDs with every nested field in one call per source', async () => {
    const world = buildWorld();
    const calls = serve(world);
    const ids = [...world.citizens.keys()].reverse();
    const result = await run(`query ($ids: [ID!]!) { citizens(personalIds: $ids) { ${CITIZEN_FIELDS} } }`, { ids });
    expect(result.errors).toBeUndefined();
    const citizens = result.data?.citizens as Array<{ personalId: string; household: { memberships: unknown[] } }>;
    expect(citizens.map((c) => c.personalId)).toEqual(ids);
    expect(citizens.every((c) => c.household.memberships.length === 4)).toBe(true);
    expect(calls.citizens).toHaveLength(1);
    expect(calls.citizens[0]).toHaveLength(100);
    expect(calls.households).toHaveLength(1);
    expect(calls.households[0]).toHaveLength(25);
    expect(calls.communes).toHaveLength(1);
    expect(calls.communes[0].sort()).toEqual(['07210', '07213', '07216', '07219']);
    expect(calls.provinces).toBe(1);
  });

  it('keeps input order, repeats duplicates and gives null for unknown IDs', async () => {
    const calls = serve(buildWorld());
    const ids = [pid(5), '024190999999', pid(2), pid(5)];
    const result = await run('query ($ids: [ID!]!) { citizens(personalIds: $ids) { personalId } }', { ids });
    expect(result).toEqual({ data: { citizens: [{ personalId: pid(5) }, null, { personalId: pid(2) }, { personalId: pid(5) }] } });
    expect(calls.citizens).toEqual([[pid(5), '024190999999', pid(2)]]);
  });

  it('refuses more than 100 IDs, naming the limit, before any call', async () => {
    const calls = serve(buildWorld());
    const ids = Array.from({ length: 101 }, (_, i) => pid(i));
    const result = await run('query ($ids: [ID!]!) { citizens(personalIds: $ids) { personalId } }', { ids });
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'personalIds' });
    expect(result.errors?.[0].message).toContain('100');
    expect(calls.citizens).toEqual([]);
  });

  it('names the position of the first malformed ID but not its value', async () => {
    const calls = serve(buildWorld());
    const ids = [pid(1), pid(2), '999912345678', 'also-bad'];
    const result = await run('query ($ids: [ID!]!) { citizens(personalIds: $ids) { personalId } }', { ids });
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'personalIds' });
    expect(result.errors?.[0].message).toContain('personalIds[2]');
    expect(result.errors?.[0].message).not.toContain('999912345678');
    expect(calls.citizens).toEqual([]);
  });

  it('returns an empty list for no IDs without a call', async () => {
    const calls = serve(buildWorld());
    await expect(run('{ citizens(personalIds: []) { personalId } }')).resolves.toEqual({ data: { citizens: [] } });
    expect(calls.citizens).toEqual([]);
  });

  it("reads a dossier's other household members ahead, so that the gateway's call for them finds them kept", async () => {
    const calls = serve(buildWorld());
    // One cache for two requests, as in a subgraph process: the citizen's, then the members'.
    const caches = { population: new SourceCache('population', { ttlMs: 60_000 }), catalogue: uncached('catalogue') };
    const request = (source: string, variableValues?: Record<string, unknown>) =>
      graphql({ schema, source, variableValues, contextValue: { loaders: createLoaders({ clients: { population, catalogue }, caches, concurrency: 4 }) } });
    const first = await request(`{ citizen(personalId: "${pid(5)}") { fullName household { memberships { personalId relationToHead } } } }`);
    expect(first.errors).toBeUndefined();
    // Read without anyone asking again for them.
    await until(() => calls.citizens.length === 2, 5_000, 5);
    expect(calls.citizens).toEqual([[pid(5)], [pid(4), pid(6), pid(7)]]);
    const reps = [4, 5, 6, 7].map((i) => ({ __typename: 'Citizen', personalId: pid(i) }));
    const members = await request('query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Citizen { fullName } } }', { reps });
    expect(members).toEqual({ data: { _entities: [4, 5, 6, 7].map((i) => ({ fullName: `Công dân ${i}` })) } });
    expect(calls.citizens).toHaveLength(2);
    await caches.population.close();
  });

  it('reads no member ahead for a list of citizens or a household asked by ID', async () => {
    const calls = serve(buildWorld());
    const listed = await run(`query ($ids: [ID!]!) { citizens(personalIds: $ids) { household { memberships { personalId } } } }`, { ids: [pid(1), pid(9)] });
    const household = await run('{ household(householdId: "HK0000003") { memberships { personalId } } }');
    expect([listed.errors, household.errors]).toEqual([undefined, undefined]);
    // Give a wrongly started read the time to reach the source.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls.citizens).toEqual([[pid(1), pid(9)]]);
  });

  it("answers members' records asked for by reference in one call, as the household subgraph's members are", async () => {
    const calls = serve(buildWorld());
    const reps = [1, 2, 3, 5, 6, 7].map((i) => ({ __typename: 'Citizen', personalId: pid(i) }));
    const result = await run('query ($reps: [_Any!]!) { _entities(representations: $reps) { ... on Citizen { fullName } } }', { reps });
    expect(result.errors).toBeUndefined();
    expect(result.data?._entities).toEqual([1, 2, 3, 5, 6, 7].map((i) => ({ fullName: `Công dân ${i}` })));
    expect(calls.citizens).toEqual([[1, 2, 3, 5, 6, 7].map(pid)]);
  });

  it('resolves a household and returns null for an unknown one', async () => {
    const calls = serve(buildWorld());
    const result = await run(`{
      known: household(householdId: "HK0000001") { householdId headPersonalId memberships { relationToHead personalId } }
      unknown: household(householdId: "HK9999999") { householdId }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.known).toMatchObject({ householdId: 'HK0000001', headPersonalId: pid(4) });
    expect((result.data?.known as { memberships: unknown[] }).memberships).toHaveLength(4);
    expect(result.data?.unknown).toBeNull();
    expect(calls.households).toEqual([['HK0000001', 'HK9999999']]);
    expect(calls.citizens).toEqual([]);
  });

  it('refuses an empty householdId', async () => {
    serve(buildWorld());
    const result = await run('{ household(householdId: "") { householdId } }');
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'householdId' });
  });

  it('lists provinces, reads one with its communes and primes the commune loader', async () => {
    const calls = serve(buildWorld());
    const result = await run(`{
      provinces { code name nameEn }
      province(code: "24") { name communes { code name kind province { code } } }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.provinces).toEqual([
      { code: '24', name: 'Tỉnh Bắc Ninh', nameEn: 'Bac Ninh Province' },
      { code: '01', name: 'Thành phố Hà Nội', nameEn: 'Hanoi City' },
    ]);
    expect(result.data?.province).toMatchObject({ name: 'Tỉnh Bắc Ninh' });
    expect((result.data?.province as { communes: unknown[] }).communes).toHaveLength(4);
    expect(calls.provinces).toBe(1);
    expect(calls.province).toEqual(['24']);
    expect(calls.communes).toEqual([]);
  });

  it.each([
    ['province', '2', 'a province code has exactly 2 digits'],
    ['province', '99', 'no province with that code'],
    ['commune', '7210', 'a commune code has exactly 5 digits'],
    ['commune', '99999', 'no commune with that code'],
  ])('refuses %s(code: "%s") with BAD_USER_INPUT: %s', async (field, code, message) => {
    serve(buildWorld());
    const result = await run(`{ ${field}(code: "${code}") { name } }`);
    expect(result.data).toEqual({ [field]: null });
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'code' });
    expect(result.errors?.[0].message).toContain(message);
  });

  it('resolves a commune with its catalogue FullName and a page of residents, the source\'s cursor sealed both ways', async () => {
    const calls = serve(buildWorld());
    // The source pages by the last personal ID: the caller sees neither the one it sends nor the one it gets.
    const sourceCursor = Buffer.from(pid(1)).toString('base64url');
    nock(POP, { reqheaders: { 'x-api-key': POP_KEY } })
      .get('/api/v1/communes/07210/residents')
      .query({ limit: '2', cursor: 'c-20' })
      .reply(200, {
        tongSo: 16,
        ketQua: [citizenWire(pid(0), { maHo: 'HK0000000' }), citizenWire(pid(1), { maHo: 'HK0000000' })],
        conTiep: true,
        conTroTiep: sourceCursor,
      });
    const result = await run(`{
      commune(code: "07210") {
        code name nameEn kind province { name }
        residents(first: 2, after: "${cursors.seal('c-20', 'residents:07210')}") {
          totalCount pageInfo { hasNextPage endCursor }
          nodes { personalId fullName permanentResidence { commune { name } } household { memberships { personalId } } }
        }
      }
    }`);
    expect(result.errors).toBeUndefined();
    expect(result.data?.commune).toEqual({
      code: '07210',
      name: 'Phường Bắc Giang',
      nameEn: 'Bac Giang Ward',
      kind: 'WARD',
      province: { name: 'Tỉnh Bắc Ninh' },
      residents: {
        totalCount: 16,
        pageInfo: { hasNextPage: true, endCursor: expect.any(String) },
        nodes: [0, 1].map((i) => ({
          personalId: pid(i),
          fullName: 'Nguyễn Văn An',
          permanentResidence: { commune: { name: 'Phường Bắc Giang' } },
          household: { memberships: [0, 1, 2, 3].map((m) => ({ personalId: pid(m) })) },
        })),
      },
    });
    expect(calls.communes).toEqual([['07210']]);
    // The residents came with the page; their household's lines with the household.
    expect(calls.citizens).toEqual([]);
    const endCursor = (result.data?.commune as { residents: { pageInfo: { endCursor: string } } }).residents.pageInfo.endCursor;
    for (const shown of [endCursor, Buffer.from(endCursor, 'base64url').toString('latin1')]) {
      expect(shown).not.toContain(sourceCursor);
      expect(shown).not.toContain(pid(1));
    }
    expect(cursors.open(endCursor, 'residents:07210')).toBe(sourceCursor);
    // Another commune's listing does not take it.
    expect(cursors.open(endCursor, 'residents:07213')).toBeNull();
  });

  it('defaults residents to 20 per page and answers an empty page for a commune population does not know', async () => {
    serve(buildWorld());
    nock(POP).get('/api/v1/communes/07213/residents').query({ limit: '20' }).reply(404, { maLoi: 'NOT_FOUND', thongDiep: 'x' });
    const result = await run('{ commune(code: "07213") { residents { totalCount nodes { personalId } pageInfo { hasNextPage endCursor } } } }');
    expect(result).toEqual({
      data: { commune: { residents: { totalCount: 0, nodes: [], pageInfo: { hasNextPage: false, endCursor: null } } } },
    });
  });

  it.each([0, 101, -5])('refuses residents(first: %i) with BAD_USER_INPUT before calling population', async (first) => {
    serve(buildWorld());
    const result = await run(`{ commune(code: "07210") { residents(first: ${first}) { totalCount } } }`);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    expect(result.errors?.[0].path).toEqual(['commune', 'residents']);
  });

  it('refuses a cursor it did not seal for that commune before calling the source, and blames a refused first page on the source', async () => {
    serve(buildWorld());
    const sourceCursor = Buffer.from(pid(3)).toString('base64url');
    nock(POP).get('/api/v1/communes/07213/residents').query({ limit: '20' }).reply(400, { maLoi: 'BAD_REQUEST', thongDiep: 'x' });
    const result = await run(`{
      a: commune(code: "07210") { residents(after: "forged") { totalCount } }
      b: commune(code: "07213") { residents { totalCount } }
      c: commune(code: "07210") { residents(after: "${sourceCursor}") { totalCount } }
      d: commune(code: "07210") { residents(after: "${cursors.seal(sourceCursor, 'residents:07213')}") { totalCount } }
    }`);
    const byPath = Object.fromEntries((result.errors ?? []).map((e) => [e.path?.[0], e.extensions]));
    for (const alias of ['a', 'c', 'd']) expect(byPath[alias]).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(byPath.b).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
  });

  describe('_entities', () => {
    const ENTITIES = `query ($reps: [_Any!]!) { _entities(representations: $reps) {
      ... on Citizen { personalId fullName }
      ... on Household { householdId headPersonalId }
      ... on Commune { code name province { code } }
      ... on Province { code name }
    } }`;

    it('resolves every kind of reference, batching each kind into one call, null for unknown or malformed keys', async () => {
      const calls = serve(buildWorld());
      const reps = [
        { __typename: 'Commune', code: '07210' },
        { __typename: 'Citizen', personalId: pid(3) },
        { __typename: 'Commune', code: '07213' },
        { __typename: 'Commune', code: '99999' },
        { __typename: 'Commune', code: 'not-a-code' },
        { __typename: 'Household', householdId: 'HK0000002' },
        { __typename: 'Citizen', personalId: pid(40) },
        { __typename: 'Citizen', personalId: 'garbage' },
        { __typename: 'Province', code: '24' },
        { __typename: 'Province', code: '01' },
        { __typename: 'Province', code: '77' },
      ];
      const result = await run(ENTITIES, { reps });
      expect(result.errors).toBeUndefined();
      expect(result.data?._entities).toEqual([
        { code: '07210', name: 'Phường Bắc Giang', province: { code: '24' } },
        { personalId: pid(3), fullName: 'Công dân 3' },
        { code: '07213', name: 'Xã Số 07213', province: { code: '24' } },
        null,
        null,
        { householdId: 'HK0000002', headPersonalId: pid(8) },
        { personalId: pid(40), fullName: 'Công dân 40' },
        null,
        { code: '24', name: 'Tỉnh Bắc Ninh' },
        { code: '01', name: 'Thành phố Hà Nội' },
        null,
      ]);
      expect(calls.communes).toEqual([['07210', '07213', '99999']]);
      expect(calls.citizens).toEqual([[pid(3), pid(40)]]);
      expect(calls.households).toEqual([['HK0000002']]);
      expect(calls.provinces).toBe(1);
    });

    it('resolves 300 commune references (e.g. LandParcel.commune) in two catalogue calls', async () => {
      const world = buildWorld();
      const codes = Array.from({ length: 300 }, (_, i) => String(20000 + i));
      for (const code of codes) world.communes.set(code, catalogueWard(code));
      const calls = serve(world);
      const result = await run(ENTITIES, { reps: codes.map((code) => ({ __typename: 'Commune', code })) });
      expect(result.errors).toBeUndefined();
      expect((result.data?._entities as Array<{ code: string }>).map((c) => c.code)).toEqual(codes);
      expect(calls.communes.map((batch) => batch.length)).toEqual([200, 100]);
      expect(calls.provinces).toBe(1);
    });
  });

  describe('source failures', () => {
    it('surfaces a population outage on the field with the source named and no personal data', async () => {
      nock(POP).post('/api/v1/citizens:batchGet').reply(503, { maLoi: 'UNAVAILABLE', thongDiep: 'x' });
      const result = await run(`{ citizen(personalId: "${ID}") { fullName } }`);
      expect(result.data).toEqual({ citizen: null });
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'population' });
      expect(result.errors?.[0].message).not.toContain(ID);
    });

    it('fails citizens as a whole with the one error that caused it', async () => {
      nock(POP).post('/api/v1/citizens:batchGet').reply(200, { ketQua: 'garbage' });
      const result = await run('query ($ids: [ID!]!) { citizens(personalIds: $ids) { fullName } }', { ids: [ID, pid(1)] });
      expect(result.errors).toHaveLength(1);
      expect(result.errors?.[0]).toMatchObject({ path: ['citizens'], extensions: { code: 'SOURCE_BAD_RESPONSE', source: 'population' } });
    });

    it('names the catalogue when the commune lookup fails, keeping the other root fields', async () => {
      nock(POP).post('/api/v1/citizens:batchGet').reply(200, { ketQua: [citizenWire()], khongTimThay: [] });
      nock(CAT).get('/api/units/communes').query(true).delay(4000).reply(200, []);
      nock(CAT).get('/api/units/provinces').reply(200, PROVINCES);
      const quick = catalogueClient(SHORT_DEADLINE_MS);
      const result = await withClient(quick, () =>
        run(
          `{
        citizen(personalId: "${ID}") { fullName permanentResidence { commune { name } } }
        provinces { code }
      }`,
          undefined,
          { population, catalogue: quick },
        ),
      );
      expect(result.errors?.[0]).toMatchObject({
        path: ['citizen', 'permanentResidence', 'commune'],
        extensions: { code: 'SOURCE_TIMEOUT', source: 'catalogue' },
      });
      expect(result.data?.provinces).toHaveLength(2);
    });

    it('names the catalogue when the province list fails', async () => {
      nock(CAT).get('/api/units/provinces').reply(500, { message: 'x' });
      const result = await run('{ provinces { code } }');
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'catalogue' });
    });

    it('reports a residence in a commune the catalogue does not list as a population inconsistency', async () => {
      nock(POP).post('/api/v1/citizens:batchGet').reply(200, { ketQua: [citizenWire(ID, { noiThuongTru: { maXa: '99999', diaChiChiTiet: 'x' } })], khongTimThay: [] });
      nock(CAT).get('/api/units/communes').query({ codes: '99999' }).reply(404, { message: 'x' });
      const result = await run(`{ citizen(personalId: "${ID}") { permanentResidence { commune { name } } } }`);
      expect(result.errors?.[0].extensions).toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
    });
  });
});
