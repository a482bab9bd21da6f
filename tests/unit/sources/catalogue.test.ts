import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import nock from '../../support/nock';
import { CatalogueClient, communeLookup } from '../../../sources/catalogue/client';
import { SourceCache } from '../../../sources/kit/source-cache';
import { SourceError } from '../../../sources/kit/errors';
import { clientPerTest, PATIENT_DEADLINE_MS, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';

const BASE = 'http://catalogue.test';
/** Every mapped unit says where it came from; the catalogue gives no change dates. */
const PROVENANCE = { source: 'catalogue', producedAt: null, fetchedAt: expect.any(String), cached: false, stale: false };
const ADMIN_UNITS_FILE = resolve(__dirname, '../../../../shared/data/vn-admin-units.json');

function ward(code: string, shortName = 'Phường', name = 'Bắc Giang') {
  return {
    Type: 'ward',
    Code: code,
    Name: name,
    NameEn: 'Bac Giang',
    FullName: `${shortName} ${name}`,
    FullNameEn: 'Bac Giang Ward',
    CodeName: 'bac_giang',
    ProvinceCode: '24',
    AdministrativeUnitId: 3,
    AdministrativeUnitShortName: shortName,
  };
}

const BAC_NINH = {
  Type: 'province',
  Code: '24',
  Name: 'Bắc Ninh',
  NameEn: 'Bac Ninh',
  FullName: 'Tỉnh Bắc Ninh',
  FullNameEn: 'Bac Ninh Province',
  CodeName: 'bac_ninh',
  AdministrativeUnitShortName: 'Tỉnh',
};

describe('catalogue source client', () => {
  let client: CatalogueClient;
  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  clientPerTest(
    () => new CatalogueClient({ url: BASE, apiKey: 'test-catalogue-key', timeoutMs: PATIENT_DEADLINE_MS }),
    (opened) => (client = opened),
  );

  it('lists provinces with the key and maps the PascalCase shape', async () => {
    nock(BASE, { reqheaders: { 'x-api-key': 'test-catalogue-key' } })
      .get('/api/units/provinces')
      .reply(200, [BAC_NINH, { ...BAC_NINH, Code: '01', FullName: 'Thành phố Hà Nội', FullNameEn: 'Hanoi City', AdministrativeUnitShortName: 'Thành phố' }]);
    await expect(client.listProvinces()).resolves.toEqual([
      { code: '24', name: 'Tỉnh Bắc Ninh', nameEn: 'Bac Ninh Province', provenance: PROVENANCE },
      { code: '01', name: 'Thành phố Hà Nội', nameEn: 'Hanoi City', provenance: PROVENANCE },
    ]);
  });

  it('reads a province with its communes, mapping each kind of unit', async () => {
    nock(BASE)
      .get('/api/units/provinces/24')
      .reply(200, { ...BAC_NINH, Wards: [ward('07210'), ward('07213', 'Xã', 'Tân An'), ward('07999', 'Đặc khu', 'Thử')] });
    const province = await client.getProvince('24');
    expect(province).toMatchObject({ code: '24', name: 'Tỉnh Bắc Ninh', nameEn: 'Bac Ninh Province' });
    expect(province?.communes).toEqual([
      { code: '07210', name: 'Phường Bắc Giang', nameEn: 'Bac Giang Ward', kind: 'WARD', provinceCode: '24', provenance: PROVENANCE },
      { code: '07213', name: 'Xã Tân An', nameEn: 'Bac Giang Ward', kind: 'COMMUNE', provinceCode: '24', provenance: PROVENANCE },
      { code: '07999', name: 'Đặc khu Thử', nameEn: 'Bac Giang Ward', kind: 'SPECIAL_ZONE', provinceCode: '24', provenance: PROVENANCE },
    ]);
  });

  it('returns null for an unknown province', async () => {
    nock(BASE).get('/api/units/provinces/99').reply(404, { message: 'not found' });
    await expect(client.getProvince('99')).resolves.toBeNull();
  });

  it('looks communes up by a comma-separated list of codes and keys them by code', async () => {
    nock(BASE, { reqheaders: { 'x-api-key': 'test-catalogue-key' } })
      .get('/api/units/communes')
      .query({ codes: '07210,07213,99999' })
      .reply(200, [ward('07213', 'Xã', 'Tân An'), ward('07210')]);
    const found = await client.getCommunes(['07210', '07213', '99999']);
    expect([...found.keys()].sort()).toEqual(['07210', '07213']);
    expect(found.get('07210')).toMatchObject({ name: 'Phường Bắc Giang', kind: 'WARD', provinceCode: '24' });
    expect(found.has('99999')).toBe(false);
  });

  it('treats a 404 for a commune batch as none found', async () => {
    nock(BASE).get('/api/units/communes').query({ codes: '99998,99999' }).reply(404, { message: 'not found' });
    await expect(client.getCommunes(['99998', '99999'])).resolves.toEqual(new Map());
  });

  it('makes no call for an empty list of codes', async () => {
    await expect(client.getCommunes([])).resolves.toEqual(new Map());
  });

  describe('kept whole', () => {
    const HANOI = { ...BAC_NINH, Code: '01', FullName: 'Thành phố Hà Nội', FullNameEn: 'Hanoi City', AdministrativeUnitShortName: 'Thành phố' };
    const hanoiWard = { ...ward('00004', 'Phường', 'Ba Đình'), ProvinceCode: '01' };

    /** The catalogue's two provinces, Hà Nội's answered with `hanoi` (its communes by default). */
    function wholeCatalogue(hanoi: [number, Record<string, unknown>] = [200, { ...HANOI, Wards: [hanoiWard] }]) {
      return nock(BASE)
        .get('/api/units/provinces')
        .reply(200, [BAC_NINH, HANOI])
        .get('/api/units/provinces/24')
        .reply(200, { ...BAC_NINH, Wards: [ward('07210'), ward('07213', 'Xã', 'Tân An')] })
        .get('/api/units/provinces/01')
        .reply(...hanoi);
    }

    it('answers commune look-ups from memory once fetched whole, one call per province', async () => {
      const scope = wholeCatalogue();
      await client.keepWhole(60_000);
      expect(scope.isDone()).toBe(true);
      // No interceptor is left and the network is closed: a call would fail the look-up.
      const found = await client.getCommunes(['07213', '00004', '99999']);
      expect([...found.keys()].sort()).toEqual(['00004', '07213']);
      // Served from memory, and said so.
      expect(found.get('00004')).toEqual({ code: '00004', name: 'Phường Ba Đình', nameEn: 'Bac Giang Ward', kind: 'WARD', provinceCode: '01', provenance: { ...PROVENANCE, cached: true } });
      found.get('00004')!.name = 'changed by one request';
      expect((await client.getCommunes(['00004'])).get('00004')?.name).toBe('Phường Ba Đình');
      // A code today's catalogue does not list (an old unit's, say) is not a commune, without a call.
      expect(found.has('99999')).toBe(false);
    });

    it("serves a subgraph's look-ups from the kept catalogue without going through the source cache", async () => {
      const cache = new SourceCache('catalogue', { ttlMs: 60_000 });
      const lookup = communeLookup(client, cache);
      // Before the catalogue is kept: through the cache to the source, and kept there.
      nock(BASE).get('/api/units/communes').query({ codes: '07210' }).reply(200, [ward('07210')]);
      expect([...(await lookup(['07210'])).keys()]).toEqual(['07210']);
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
      wholeCatalogue();
      await client.keepWhole(60_000);
      const found = await lookup(['07210', '00004']);
      expect([...found.keys()].sort()).toEqual(['00004', '07210']);
      expect(found.get('00004')).toMatchObject({ provinceCode: '01', provenance: { cached: true } });
      // Neither read nor written: the kept catalogue is the whole, newer copy.
      expect(cache.stats()).toMatchObject({ hits: 0, misses: 1 });
      await cache.close();
    });

    it('keeps nothing with a TTL of 0: look-ups go to the source', async () => {
      await client.keepWhole(0);
      nock(BASE).get('/api/units/communes').query({ codes: '07210' }).reply(200, [ward('07210')]);
      await expect(client.getCommunes(['07210'])).resolves.toEqual(new Map([['07210', expect.objectContaining({ code: '07210' })]]));
    });

    it('looks communes up code by code when the whole catalogue could not be fetched', async () => {
      wholeCatalogue([503, { message: 'maintenance' }]);
      await expect(client.keepWhole(60_000)).resolves.toBeUndefined();
      nock(BASE).get('/api/units/communes').query({ codes: '07210,00004' }).reply(200, [ward('07210'), hanoiWard]);
      const found = await client.getCommunes(['07210', '00004']);
      expect([...found.keys()].sort()).toEqual(['00004', '07210']);
    });

    it('refuses a catalogue whose province list names a province it then does not return', async () => {
      wholeCatalogue([404, { message: 'not found' }]);
      await client.keepWhole(60_000);
      // Half a catalogue would call every Hà Nội commune unknown: it is not kept.
      nock(BASE).get('/api/units/communes').query({ codes: '00004' }).reply(200, [hanoiWard]);
      await expect(client.getCommunes(['00004'])).resolves.toEqual(new Map([['00004', expect.objectContaining({ provinceCode: '01' })]]));
    });
  });

  it('falls back to NameEn, then the Vietnamese name, when FullNameEn is absent', async () => {
    const { FullNameEn: _full, ...withoutFull } = ward('07210');
    const { NameEn: _name, ...withoutEither } = withoutFull;
    nock(BASE).get('/api/units/communes').query(true).reply(200, [withoutFull, { ...withoutEither, Code: '07213' }]);
    const found = await client.getCommunes(['07210', '07213']);
    expect(found.get('07210')?.nameEn).toBe('Bac Giang');
    expect(found.get('07213')?.nameEn).toBe('Phường Bắc Giang');
  });

  it('accepts decomposed (NFD) Vietnamese unit kinds', async () => {
    nock(BASE).get('/api/units/communes').query(true).reply(200, [ward('07213', 'Xã'.normalize('NFD'))]);
    await expect(client.getCommunes(['07213'])).resolves.toEqual(new Map([['07213', expect.objectContaining({ kind: 'COMMUNE' })]]));
  });

  it.each([
    [500, 'SOURCE_UNAVAILABLE'],
    [503, 'SOURCE_UNAVAILABLE'],
    [401, 'SOURCE_UNAVAILABLE'],
    [400, 'SOURCE_BAD_RESPONSE'],
  ])('maps HTTP %i to %s naming the source', async (status, code) => {
    nock(BASE).get('/api/units/provinces').reply(status, { message: 'x' });
    nock(BASE).get('/api/units/provinces/24').reply(status, { message: 'x' });
    nock(BASE).get('/api/units/communes').query(true).reply(status, { message: 'x' });
    await expect(client.listProvinces()).rejects.toMatchObject({ code, source: 'catalogue' });
    await expect(client.getProvince('24')).rejects.toMatchObject({ code, source: 'catalogue' });
    await expect(client.getCommunes(['07210'])).rejects.toMatchObject({ code, source: 'catalogue' });
  });

  it('reports a body that is not JSON as SOURCE_BAD_RESPONSE', async () => {
    nock(BASE).get('/api/units/provinces').reply(200, '[{"Code": "24", "Fu', { 'content-type': 'application/json' });
    await expect(client.listProvinces()).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'catalogue' });
  });

  it.each([
    ['a province list that is an object', '/api/units/provinces', { provinces: [] }, (c: CatalogueClient) => c.listProvinces()],
    ['a province code that is a number', '/api/units/provinces', [{ ...BAC_NINH, Code: 24 }], (c: CatalogueClient) => c.listProvinces()],
    ['an English name that is an object', '/api/units/provinces', [{ ...BAC_NINH, FullNameEn: { en: 'x' } }], (c: CatalogueClient) => c.listProvinces()],
    ['a null entry in the list', '/api/units/provinces', [null], (c: CatalogueClient) => c.listProvinces()],
    ['a province without Wards', '/api/units/provinces/24', BAC_NINH, (c: CatalogueClient) => c.getProvince('24')],
    ['a ward that is a string', '/api/units/provinces/24', { ...BAC_NINH, Wards: ['07210'] }, (c: CatalogueClient) => c.getProvince('24')],
    ['a commune list that is an object', '/api/units/communes', { items: [] }, (c: CatalogueClient) => c.getCommunes(['07210'])],
    ['an unknown unit kind', '/api/units/communes', [ward('07210', 'Quận')], (c: CatalogueClient) => c.getCommunes(['07210'])],
    ['a unit kind naming an Object.prototype member', '/api/units/communes', [ward('07210', 'toString')], (c: CatalogueClient) => c.getCommunes(['07210'])],
    ['a ProvinceCode that is a number', '/api/units/communes', [{ ...ward('07210'), ProvinceCode: 24 }], (c: CatalogueClient) => c.getCommunes(['07210'])],
    ['a commune English name that is a number', '/api/units/communes', [{ ...ward('07210'), FullNameEn: 7 }], (c: CatalogueClient) => c.getCommunes(['07210'])],
  ])('reports %s as SOURCE_BAD_RESPONSE', async (_what, path, body, call) => {
    nock(BASE).get(path).query(true).reply(200, body as nock.Body);
    await expect(call(client)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'catalogue' });
  });

  it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
    nock(BASE).get('/api/units/provinces').delay(4000).reply(200, [BAC_NINH]);
    const quick = new CatalogueClient({ url: BASE, apiKey: 'test-catalogue-key', timeoutMs: SHORT_DEADLINE_MS });
    const error = await withClient(quick, (c) => c.listProvinces()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'catalogue' });
  });

  it('reports an unreachable catalogue as SOURCE_UNAVAILABLE', async () => {
    // A port nothing listens on: a real refused connection (nock's simulated one reaches a
    // node:http client only when the socket happens to be attached in time).
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: taken } = server.address() as AddressInfo;
        server.close(() => resolve(taken));
      });
    });
    nock.enableNetConnect('127.0.0.1');
    const unreachable = new CatalogueClient({ url: `http://127.0.0.1:${port}`, apiKey: 'test-catalogue-key', timeoutMs: PATIENT_DEADLINE_MS });
    try {
      await expect(unreachable.listProvinces()).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'catalogue' });
    } finally {
      await unreachable.close();
      nock.disableNetConnect();
    }
  });

  const official = existsSync(ADMIN_UNITS_FILE);
  (official ? it : it.skip)('maps every unit of the official catalogue (../shared/data/vn-admin-units.json)', async () => {
    const units = JSON.parse(readFileSync(ADMIN_UNITS_FILE, 'utf8')) as Array<{ Code: string; Wards: unknown[] }>;
    nock(BASE).get('/api/units/provinces').reply(200, units.map(({ Wards: _wards, ...province }) => province));
    for (const unit of units) nock(BASE).get(`/api/units/provinces/${unit.Code}`).reply(200, unit);
    const provinces = await client.listProvinces();
    expect(provinces).toHaveLength(34);
    const communes = (await Promise.all(provinces.map((p) => client.getProvince(p.code)))).flatMap((p) => p?.communes ?? []);
    expect(communes).toHaveLength(3321);
    expect(new Set(communes.map((c) => c.kind))).toEqual(new Set(['COMMUNE', 'WARD', 'SPECIAL_ZONE']));
    const bacNinh = provinces.find((p) => p.code === '24');
    expect(bacNinh).toEqual({ code: '24', name: 'Tỉnh Bắc Ninh', nameEn: expect.any(String), provenance: PROVENANCE });
    expect(communes.filter((c) => c.provinceCode === '24')).toHaveLength(99);
  });
  if (!official) {
    it('notes that the official catalogue is missing', () => {
      console.warn(`Skipped the official-catalogue test: ${ADMIN_UNITS_FILE} is missing`);
    });
  }
});
