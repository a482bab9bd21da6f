/** The land source over HTTP: by holder, by parcel ID, one parcel, paging, limits, bearer key. */
import type { RunningMocks } from '../../../mocks';
import { callJson, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let base: string;
const AUTH = { authorization: `Bearer ${TEST_KEYS.land}` };

beforeAll(async () => {
  mocks = await startTestMocks();
  base = `${mocks.urls.land}/land/v2/parcels`;
});
afterAll(() => mocks.close());

const holders = () => [...mocks.world.index.parcelsByOwner.keys()];

describe('GET /land/v2/parcels', () => {
  it('finds parcels by holder, ordered by parcel ID, in the documented shape', async () => {
    const owners = holders().slice(0, 5);
    const expected = [...new Set(owners.flatMap((o) => mocks.world.index.parcelsByOwner.get(o)!))].sort();
    const { status, body } = await callJson(`${base}?ownerIds=${owners.join(',')}`, { headers: AUTH });
    expect(status).toBe(200);
    expect(body).toMatchObject({ page: 1, pageSize: 50, totalItems: expected.length, totalPages: 1 });
    expect(body.items.map((p: { parcelId: string }) => p.parcelId)).toEqual(expected);
    const parcel = mocks.world.parcels.get(expected[0])!;
    expect(body.items[0]).toEqual({
      parcelId: parcel.parcelId,
      communeCode: parcel.communeCode,
      mapSheetNo: parcel.mapSheetNo,
      parcelNo: parcel.parcelNo,
      areaM2: parcel.areaM2,
      landUseCode: parcel.landUseCode,
      address: parcel.address,
      holders: parcel.holders,
      updatedAt: parcel.updatedAt,
    });
  });

  it('finds parcels by ID and skips unknown ones', async () => {
    const ids = [...mocks.world.parcels.keys()].slice(0, 3);
    const { body } = await callJson(`${base}?ids=${[...ids, 'TD-00000-000-00000'].join(',')}`, { headers: AUTH });
    expect(body.items.map((p: { parcelId: string }) => p.parcelId)).toEqual([...ids].sort());
    expect(body.totalItems).toBe(3);
  });

  it('pages with pageSize up to 200 and reports the totals', async () => {
    const owners = holders().slice(0, 100);
    const all = [...new Set(owners.flatMap((o) => mocks.world.index.parcelsByOwner.get(o)!))].sort();
    const pageSize = 7;
    const seen: string[] = [];
    for (let page = 1; ; page++) {
      const { status, body } = await callJson(`${base}?ownerIds=${owners.join(',')}&page=${page}&pageSize=${pageSize}`, { headers: AUTH });
      expect(status).toBe(200);
      expect(body.totalPages).toBe(Math.ceil(all.length / pageSize));
      seen.push(...body.items.map((p: { parcelId: string }) => p.parcelId));
      if (page >= body.totalPages) break;
    }
    expect(seen).toEqual(all);
    const beyond = await callJson(`${base}?ownerIds=${owners.join(',')}&page=999`, { headers: AUTH });
    expect(beyond.body.items).toEqual([]);
  });

  it.each([
    ['both ids and ownerIds', 'ids=a&ownerIds=b'],
    ['neither', ''],
    ['101 owner IDs', `ownerIds=${Array.from({ length: 101 }, (_, i) => `0010900${String(i).padStart(5, '0')}`).join(',')}`],
    ['an empty list', 'ids=,'],
    ['page 0', 'ids=a&page=0'],
    ['pageSize 201', 'ids=a&pageSize=201'],
    ['a non-numeric page', 'ids=a&page=two'],
  ])('answers %s with 400', async (_what, query) => {
    const { status, body } = await callJson(`${base}?${query}`, { headers: AUTH });
    expect(status).toBe(400);
    expect(body.error).toEqual({ code: expect.any(String), message: expect.any(String) });
  });
});

describe('GET /land/v2/parcels/{parcelId}', () => {
  it('answers one parcel, or 404', async () => {
    const [id] = mocks.world.parcels.keys();
    expect((await callJson(`${base}/${id}`, { headers: AUTH })).body.parcelId).toBe(id);
    const missing = await callJson(`${base}/TD-00000-000-00000`, { headers: AUTH });
    expect(missing).toEqual({ status: 404, body: { error: { code: 'NOT_FOUND', message: expect.any(String) } } });
  });
});

describe('the bearer key', () => {
  it('is required', async () => {
    const [id] = mocks.world.parcels.keys();
    for (const headers of [{ authorization: 'Bearer wrong-key-1' }, { authorization: TEST_KEYS.land }, {}] as Record<string, string>[]) {
      const { status, body } = await callJson(`${base}/${id}`, { headers });
      expect(status).toBe(401);
      expect(body.error.code).toBe('UNAUTHORIZED');
    }
  });
});
