import nock from '../../support/nock';
import { SourceError } from '../../../sources/kit/errors';
import { PopulationClient } from '../../../sources/population/client';
import { clientPerTest, SHORT_DEADLINE_MS, withClient } from './fixtures/client-per-test';
import { citizenWire, householdWire, ID, MAPPED_HOUSEHOLD, pid, POP, POP_KEY, populationClient } from './fixtures/population';

let population: PopulationClient;

beforeAll(() => nock.disableNetConnect());
afterAll(() => nock.enableNetConnect());
clientPerTest(populationClient, (opened) => (population = opened));

// ---------------------------------------------------------------------------------------------

describe('population source client', () => {
  it('posts the IDs with the key and maps a realistic record to the schema shape', async () => {
    nock(POP, { reqheaders: { 'x-api-key': POP_KEY, 'content-type': 'application/json' } })
      .post('/api/v1/citizens:batchGet', { soDinhDanh: [ID, '024300000001', '024190099999'] })
      .reply(200, {
        ketQua: [
          citizenWire(ID, { hoGiaDinh: householdWire('HK0000123', { thanhVien: [{ soDinhDanh: ID, quanHeVoiChuHo: 'CHU_HO' }] }) }),
          citizenWire('024300000001', {
            hoVaTen: 'Nguyễn Thị Bình',
            ngaySinh: '29/02/2000',
            gioiTinh: 'Nữ',
            trangThai: 'DA_CHET',
            tinhTrangHonNhan: 'CHUA_KET_HON',
            quanHeVoiChuHo: 'CON',
          }),
        ],
        khongTimThay: ['024190099999'],
      });
    const found = await population.getCitizens([ID, '024300000001', '024190099999']);
    expect(found.get(ID)).toEqual({
      personalId: ID,
      fullName: 'Nguyễn Văn An',
      dateOfBirth: '1990-03-05',
      gender: 'MALE',
      lifeStatus: 'LIVING',
      permanentResidence: { communeCode: '07210', address: 'Số 12, thôn Đông' },
      householdId: 'HK0000123',
      relationToHead: 'HEAD',
      maritalStatus: 'MARRIED',
      updatedAt: '2026-05-01T08:00:00Z',
      household: { ...MAPPED_HOUSEHOLD, members: [{ personalId: ID, relationToHead: 'HEAD' }] },
      provenance: { source: 'population', producedAt: '2026-05-01T08:00:00Z', fetchedAt: expect.any(String), cached: false, stale: false },
    });
    expect(found.get('024300000001')).toMatchObject({ household: null });
    expect(found.get('024300000001')).toMatchObject({
      dateOfBirth: '2000-02-29',
      gender: 'FEMALE',
      lifeStatus: 'DECEASED',
      maritalStatus: 'SINGLE',
      relationToHead: 'CHILD',
    });
    expect(found.has('024190099999')).toBe(false);
  });

  it('refuses a citizen whose embedded household names another household', async () => {
    nock(POP)
      .post('/api/v1/citizens:batchGet')
      .reply(200, { ketQua: [citizenWire(ID, { hoGiaDinh: { ...householdWire('HK9999999') } })], khongTimThay: [] });
    await expect(population.getCitizens([ID])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
  });

  it('maps every relation, marital status and the NFD spelling of Nữ', async () => {
    const relations = ['CHU_HO', 'VO_CHONG', 'CON', 'CHA_ME', 'CHAU', 'ANH_CHI_EM', 'KHAC'];
    const marital = ['CHUA_KET_HON', 'DA_KET_HON', 'LY_HON', 'GOA'];
    nock(POP)
      .post('/api/v1/citizens:batchGet')
      .reply(200, {
        ketQua: relations.map((relation, i) =>
          citizenWire(pid(i), { quanHeVoiChuHo: relation, tinhTrangHonNhan: marital[i % 4], gioiTinh: 'Nữ'.normalize('NFD') }),
        ),
        khongTimThay: [],
      });
    const found = await population.getCitizens(relations.map((_, i) => pid(i)));
    expect(relations.map((_, i) => found.get(pid(i))?.relationToHead)).toEqual(['HEAD', 'SPOUSE', 'CHILD', 'PARENT', 'GRANDCHILD', 'SIBLING', 'OTHER']);
    expect(relations.slice(0, 4).map((_, i) => found.get(pid(i))?.maritalStatus)).toEqual(['SINGLE', 'MARRIED', 'DIVORCED', 'WIDOWED']);
    expect(found.get(pid(0))?.gender).toBe('FEMALE');
  });

  it('accepts a citizen without a household', async () => {
    nock(POP)
      .post('/api/v1/citizens:batchGet')
      .reply(200, { ketQua: [citizenWire(ID, { maHo: null, quanHeVoiChuHo: undefined })], khongTimThay: [] });
    expect((await population.getCitizens([ID])).get(ID)).toMatchObject({ householdId: null, relationToHead: null });
  });

  it('posts household IDs and maps households with their members', async () => {
    nock(POP, { reqheaders: { 'x-api-key': POP_KEY } })
      .post('/api/v1/households:batchGet', { maHo: ['HK0000123', 'HK9999999'] })
      .reply(200, { ketQua: [householdWire()], khongTimThay: ['HK9999999'] });
    const found = await population.getHouseholds(['HK0000123', 'HK9999999']);
    expect(found.get('HK0000123')).toEqual(MAPPED_HOUSEHOLD);
    expect(found.has('HK9999999')).toBe(false);
  });

  it('reads a page of residents, passing limit and cursor through', async () => {
    nock(POP, { reqheaders: { 'x-api-key': POP_KEY } })
      .get('/api/v1/communes/07210/residents')
      .query({ limit: '2', cursor: 'opaque/+cursor==' })
      .reply(200, { tongSo: 123, ketQua: [citizenWire(), citizenWire('024300000001')], conTiep: true, conTroTiep: 'next-cursor' });
    const page = await population.getResidents('07210', 2, 'opaque/+cursor==');
    expect(page).toMatchObject({ totalCount: 123, hasNextPage: true, endCursor: 'next-cursor' });
    expect(page?.citizens.map((c) => c.personalId)).toEqual([ID, '024300000001']);
  });

  it('sends no cursor for the first page and accepts a last page without one', async () => {
    nock(POP)
      .get('/api/v1/communes/07210/residents')
      .query({ limit: '20' })
      .reply(200, { tongSo: 1, ketQua: [citizenWire()], conTiep: false, conTroTiep: null });
    await expect(population.getResidents('07210', 20)).resolves.toMatchObject({ hasNextPage: false, endCursor: null });
  });

  it('returns null for the residents of a commune the source does not know', async () => {
    nock(POP).get('/api/v1/communes/99999/residents').query(true).reply(404, { maLoi: 'NOT_FOUND', thongDiep: 'x' });
    await expect(population.getResidents('99999', 20)).resolves.toBeNull();
  });

  describe.each([
    ['citizens:batchGet', (c: PopulationClient) => c.getCitizens([ID])],
    ['households:batchGet', (c: PopulationClient) => c.getHouseholds(['HK0000123'])],
    ['residents', (c: PopulationClient) => c.getResidents('07210', 20)],
  ])('%s', (operation, call) => {
    const intercept = () =>
      operation === 'residents'
        ? nock(POP).get('/api/v1/communes/07210/residents').query(true)
        : nock(POP).post(`/api/v1/${operation}`);

    it.each([
      [400, 'BAD_REQUEST', 'SOURCE_BAD_RESPONSE'],
      [401, 'UNAUTHORIZED', 'SOURCE_UNAVAILABLE'],
      [500, 'INTERNAL', 'SOURCE_UNAVAILABLE'],
      [503, 'UNAVAILABLE', 'SOURCE_UNAVAILABLE'],
    ])('maps HTTP %i (%s) to %s naming the source', async (status, maLoi, code) => {
      intercept().reply(status, { maLoi, thongDiep: 'x' });
      await expect(call(population)).rejects.toMatchObject({ code, source: 'population' });
    });

    it('reports a body that is not JSON as SOURCE_BAD_RESPONSE', async () => {
      intercept().reply(200, '{"ketQua": [{"soDinhDanh": "0241', { 'content-type': 'application/json' });
      await expect(call(population)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
    });

    it('gives up after the timeout with SOURCE_TIMEOUT', async () => {
      intercept().delay(4000).reply(200, {});
      const error = await withClient(populationClient(SHORT_DEADLINE_MS), (quick) => call(quick) as Promise<unknown>).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SourceError);
      expect(error).toMatchObject({ code: 'SOURCE_TIMEOUT', source: 'population' });
    });
  });

  it('reports a 404 from a batch endpoint as SOURCE_UNAVAILABLE (unknown IDs come in khongTimThay)', async () => {
    nock(POP).post('/api/v1/citizens:batchGet').reply(404, { maLoi: 'NOT_FOUND', thongDiep: 'x' });
    await expect(population.getCitizens([ID])).rejects.toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'population' });
  });

  it.each([
    ['ketQua missing', { khongTimThay: [] }],
    ['ketQua an object', { ketQua: { soDinhDanh: ID } }],
    ['khongTimThay of numbers', { ketQua: [citizenWire()], khongTimThay: [24190012345] }],
    ['a null record', { ketQua: [null] }],
    ['soDinhDanh a number', { ketQua: [citizenWire(ID, { soDinhDanh: 24190012345 })] }],
    ['soDinhDanh not a personal ID', { ketQua: [citizenWire(ID, { soDinhDanh: '999999999999' })] }],
    ['hoVaTen missing', { ketQua: [citizenWire(ID, { hoVaTen: undefined })] }],
    ['ngaySinh in ISO form', { ketQua: [citizenWire(ID, { ngaySinh: '1990-03-05' })] }],
    ['ngaySinh not a calendar date', { ketQua: [citizenWire(ID, { ngaySinh: '31/02/1990' })] }],
    ['ngaySinh a number', { ketQua: [citizenWire(ID, { ngaySinh: 5031990 })] }],
    ['gioiTinh unknown', { ketQua: [citizenWire(ID, { gioiTinh: 'Nu' })] }],
    ['trangThai an Object.prototype member', { ketQua: [citizenWire(ID, { trangThai: 'toString' })] }],
    ['tinhTrangHonNhan unknown', { ketQua: [citizenWire(ID, { tinhTrangHonNhan: 'DANG_CO_VO_CHONG' })] }],
    ['noiThuongTru a string', { ketQua: [citizenWire(ID, { noiThuongTru: '07210' })] }],
    ['maXa a number', { ketQua: [citizenWire(ID, { noiThuongTru: { maXa: 7210, diaChiChiTiet: 'x' } })] }],
    ['maHo a number', { ketQua: [citizenWire(ID, { maHo: 123 })] }],
    ['quanHeVoiChuHo unknown', { ketQua: [citizenWire(ID, { quanHeVoiChuHo: 'constructor' })] }],
    ['ngayCapNhat missing', { ketQua: [citizenWire(ID, { ngayCapNhat: undefined })] }],
  ])('reports a citizens answer with %s as SOURCE_BAD_RESPONSE', async (_what, body) => {
    nock(POP).post('/api/v1/citizens:batchGet').reply(200, body);
    await expect(population.getCitizens([ID])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
  });

  it.each([
    ['chuHo a number', householdWire('HK0000123', { chuHo: 24190012345 })],
    ['thanhVien an object', householdWire('HK0000123', { thanhVien: { soDinhDanh: ID } })],
    ['a member with an unknown relation', householdWire('HK0000123', { thanhVien: [{ soDinhDanh: ID, quanHeVoiChuHo: 'BAN' }] })],
    ['a member without an ID', householdWire('HK0000123', { thanhVien: [{ quanHeVoiChuHo: 'CHU_HO' }] })],
    ['maXa of four digits', householdWire('HK0000123', { maXa: '7210' })],
    ['diaChi null', householdWire('HK0000123', { diaChi: null })],
  ])('reports a household with %s as SOURCE_BAD_RESPONSE', async (_what, household) => {
    nock(POP).post('/api/v1/households:batchGet').reply(200, { ketQua: [household], khongTimThay: [] });
    await expect(population.getHouseholds(['HK0000123'])).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
  });

  it.each([
    ['tongSo a string', { tongSo: '1', ketQua: [], conTiep: false }],
    ['tongSo negative', { tongSo: -1, ketQua: [], conTiep: false }],
    ['conTiep a string', { tongSo: 1, ketQua: [], conTiep: 'false' }],
    ['a next page without a cursor', { tongSo: 30, ketQua: [], conTiep: true, conTroTiep: null }],
    ['a cursor that is a number', { tongSo: 30, ketQua: [], conTiep: true, conTroTiep: 20 }],
    ['a bad resident', { tongSo: 1, ketQua: [citizenWire(ID, { gioiTinh: 1 })], conTiep: false }],
  ])('reports a residents page with %s as SOURCE_BAD_RESPONSE', async (_what, body) => {
    nock(POP).get('/api/v1/communes/07210/residents').query(true).reply(200, body);
    await expect(population.getResidents('07210', 20)).rejects.toMatchObject({ code: 'SOURCE_BAD_RESPONSE', source: 'population' });
  });
});
