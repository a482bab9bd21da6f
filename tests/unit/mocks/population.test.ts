/** The population source over HTTP: batches, households, residents paging, keys and errors. */
import { decodePersonalId } from '../../../lib/personal-id';
import type { RunningMocks } from '../../../mocks';
import { callJson, postJson, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let base: string;
const KEY = { 'x-api-key': TEST_KEYS.population };

beforeAll(async () => {
  mocks = await startTestMocks();
  base = mocks.urls.population;
});
afterAll(() => mocks.close());

function someCitizens(count: number): string[] {
  return [...mocks.world.citizens.keys()].slice(0, count);
}

describe('POST /api/v1/citizens:batchGet', () => {
  it('answers found citizens in the documented shape and lists the missing', async () => {
    const [id] = someCitizens(1);
    const { status, body } = await postJson(`${base}/api/v1/citizens:batchGet`, { soDinhDanh: [id, '001099999999'] }, KEY);
    expect(status).toBe(200);
    expect(body.khongTimThay).toEqual(['001099999999']);
    expect(body.ketQua).toHaveLength(1);
    const record = body.ketQua[0];
    const c = mocks.world.citizens.get(id)!;
    expect(record).toEqual({
      soDinhDanh: id,
      hoVaTen: expect.any(String),
      ngaySinh: expect.stringMatching(/^\d{2}\/\d{2}\/\d{4}$/),
      gioiTinh: c.gender === 'MALE' ? 'Nam' : 'Nữ',
      trangThai: expect.stringMatching(/^(CON_SONG|DA_CHET)$/),
      tinhTrangHonNhan: expect.stringMatching(/^(CHUA_KET_HON|DA_KET_HON|LY_HON|GOA)$/),
      noiThuongTru: { maXa: c.communeCode, diaChiChiTiet: c.address },
      maHo: c.householdId,
      quanHeVoiChuHo: 'CHU_HO',
      ngayCapNhat: c.updatedAt.population,
      hoGiaDinh: {
        maHo: c.householdId,
        maXa: c.communeCode,
        diaChi: expect.any(String),
        chuHo: id,
        thanhVien: mocks.world.households.get(c.householdId!)!.members.map((m) => ({ soDinhDanh: m.personalId, quanHeVoiChuHo: expect.any(String) })),
        ngayCapNhat: expect.any(String),
      },
    });
    expect(Number(record.ngaySinh.slice(6))).toBe(decodePersonalId(id).birthYear);
  });

  it('takes 100 IDs and refuses 101 with BATCH_TOO_LARGE', async () => {
    const ids = someCitizens(101);
    const ok = await postJson(`${base}/api/v1/citizens:batchGet`, { soDinhDanh: ids.slice(0, 100) }, KEY);
    expect(ok.status).toBe(200);
    expect(ok.body.ketQua).toHaveLength(100);
    const tooMany = await postJson(`${base}/api/v1/citizens:batchGet`, { soDinhDanh: ids }, KEY);
    expect(tooMany).toEqual({ status: 400, body: { maLoi: 'BATCH_TOO_LARGE', thongDiep: expect.any(String) } });
  });

  it.each([
    ['an empty list', { soDinhDanh: [] }],
    ['no list', { ids: ['001099999999'] }],
    ['numbers for IDs', { soDinhDanh: [1, 2] }],
    ['a body that is not JSON', '{"soDinhDanh": ['],
    ['null', 'null'],
  ])('answers %s with 400 BAD_REQUEST', async (_what, body) => {
    const { status, body: error } = await postJson(`${base}/api/v1/citizens:batchGet`, body, KEY);
    expect(status).toBe(400);
    expect(error.maLoi).toBe('BAD_REQUEST');
  });

  it('refuses a wrong or missing key with 401 UNAUTHORIZED', async () => {
    for (const headers of [{ 'x-api-key': 'nope-nope-nope' }, {}] as Record<string, string>[]) {
      const { status, body } = await postJson(`${base}/api/v1/citizens:batchGet`, { soDinhDanh: someCitizens(1) }, headers);
      expect(status).toBe(401);
      expect(body.maLoi).toBe('UNAUTHORIZED');
    }
  });
});

describe('POST /api/v1/households:batchGet', () => {
  it('answers households with their members', async () => {
    const household = [...mocks.world.households.values()].find((h) => h.members.length >= 3)!;
    const { status, body } = await postJson(`${base}/api/v1/households:batchGet`, { maHo: [household.householdId, 'HK9999999'] }, KEY);
    expect(status).toBe(200);
    expect(body.khongTimThay).toEqual(['HK9999999']);
    expect(body.ketQua[0]).toEqual({
      maHo: household.householdId,
      maXa: household.communeCode,
      diaChi: household.address,
      chuHo: household.headId,
      thanhVien: household.members.map((m) => ({ soDinhDanh: m.personalId, quanHeVoiChuHo: expect.any(String) })),
      ngayCapNhat: household.updatedAt,
    });
    expect(body.ketQua[0].thanhVien[0].quanHeVoiChuHo).toBe('CHU_HO');
  });
});

describe('GET /api/v1/communes/{maXa}/residents', () => {
  it('pages through every resident in personal-ID order', async () => {
    const commune = mocks.world.catalogue.communes[0].Code;
    const expected = mocks.world.index.residentsByCommune.get(commune)!;
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `limit=37${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { status, body } = await callJson(`${base}/api/v1/communes/${commune}/residents?${query}`, { headers: KEY });
      expect(status).toBe(200);
      expect(body.tongSo).toBe(expected.length);
      expect(body.ketQua.length).toBeLessThanOrEqual(37);
      seen.push(...body.ketQua.map((r: { soDinhDanh: string }) => r.soDinhDanh));
      expect(body.conTroTiep === null).toBe(!body.conTiep);
      cursor = body.conTroTiep;
    } while (cursor);
    expect(seen).toEqual(expected);
    expect([...seen].sort()).toEqual(seen);
  });

  it('answers an unknown commune with 404 and bad paging with 400', async () => {
    const unknown = await callJson(`${base}/api/v1/communes/99999/residents`, { headers: KEY });
    expect(unknown).toEqual({ status: 404, body: { maLoi: 'NOT_FOUND', thongDiep: expect.any(String) } });
    const commune = mocks.world.catalogue.communes[0].Code;
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor']) {
      const { status, body } = await callJson(`${base}/api/v1/communes/${commune}/residents?${query}`, { headers: KEY });
      expect([status, body.maLoi]).toEqual([400, 'BAD_REQUEST']);
    }
  });
});

describe('unknown paths and methods', () => {
  it('answer 404 and 405 in the population style', async () => {
    expect(await callJson(`${base}/api/v1/nothing`, { headers: KEY })).toEqual({ status: 404, body: { maLoi: 'NOT_FOUND', thongDiep: expect.any(String) } });
    const wrongMethod = await callJson(`${base}/api/v1/citizens:batchGet`, { headers: KEY });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.maLoi).toBe('BAD_REQUEST');
  });
});
