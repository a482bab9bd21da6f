import nock from '../../support/nock';
import { SourceError } from '../../../sources/kit/errors';
import { LandClient } from '../../../sources/land/client';
import { clientPerTest, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';
import { BASE, CO_OWNER, holder, landClient, MAPPED_FIELDS, OWNER, page, parcel, PATH, personalId } from './fixtures/land';

let client: LandClient;
clientPerTest(landClient, (opened) => (client = opened));

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
    const error = await withClient(landClient(SHORT_DEADLINE_MS), (quick) => quick.findByOwners([OWNER])).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'land' });
  });
});
