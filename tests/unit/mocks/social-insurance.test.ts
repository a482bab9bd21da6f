/** The social-insurance source over HTTP: one person per call, 404, keys, and 429 beyond 20 in flight. */
import type { RunningMocks } from '../../../mocks';
import { callJson, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let base: string;
const KEY = { 'x-bhxh-key': TEST_KEYS['social-insurance'] };

beforeAll(async () => {
  mocks = await startTestMocks();
  base = `${mocks.urls['social-insurance']}/bhxh/api/v1/nguoi-tham-gia`;
});
afterAll(() => mocks.close());

describe('GET /bhxh/api/v1/nguoi-tham-gia/{personalId}', () => {
  it('answers a participant in snake_case with yyyyMMdd dates', async () => {
    const record = [...mocks.world.insurance.values()].find((r) => r.healthCard && r.participationType === 'COMPULSORY')!;
    const { status, body } = await callJson(`${base}/${record.personalId}`, { headers: KEY });
    expect(status).toBe(200);
    expect(body).toEqual({
      ma_so_bhxh: record.insuranceCode,
      so_dinh_danh: record.personalId,
      trang_thai: expect.stringMatching(/^(DANG_THAM_GIA|TAM_DUNG|DUNG_THAM_GIA)$/),
      loai_hinh: 'BAT_BUOC',
      ngay_bat_dau: record.since.replace(/-/g, ''),
      the_bhyt: {
        ma_the: record.healthCard!.cardNumber,
        gia_tri_tu: record.healthCard!.validFrom.replace(/-/g, ''),
        gia_tri_den: record.healthCard!.validTo.replace(/-/g, ''),
        noi_dang_ky_kcb: record.healthCard!.registeredFacility,
      },
      dia_chi: { ma_xa: record.recordedCommuneCode ?? record.communeCode, chi_tiet: record.address },
      ngay_cap_nhat: record.updatedAt,
    });
    expect(body.ma_the).toBeUndefined();
  });

  it('answers the_bhyt null for participants without a card', async () => {
    const record = [...mocks.world.insurance.values()].find((r) => !r.healthCard)!;
    expect((await callJson(`${base}/${record.personalId}`, { headers: KEY })).body.the_bhyt).toBeNull();
  });

  it('answers people never enrolled with 404 KHONG_TIM_THAY, and a malformed ID with 400', async () => {
    const unenrolled = [...mocks.world.citizens.keys()].find((id) => !mocks.world.insurance.has(id))!;
    expect(await callJson(`${base}/${unenrolled}`, { headers: KEY })).toEqual({ status: 404, body: { ma_loi: 'KHONG_TIM_THAY', thong_diep: expect.any(String) } });
    const bad = await callJson(`${base}/12345`, { headers: KEY });
    expect(bad.status).toBe(400);
  });

  it('refuses a wrong key with 401', async () => {
    const [id] = mocks.world.insurance.keys();
    const { status, body } = await callJson(`${base}/${id}`, { headers: { 'x-bhxh-key': 'wrong-key-123' } });
    expect(status).toBe(401);
    expect(body.ma_loi).toEqual(expect.any(String));
  });
});

describe('the in-flight limit', () => {
  afterEach(() => mocks.setControl('social-insurance', { latencyMs: 0 }));

  it('refuses calls beyond 20 in flight for one key with 429, and serves again once they finish', async () => {
    mocks.setControl('social-insurance', { latencyMs: 300 });
    const ids = [...mocks.world.insurance.keys()].slice(0, 30);
    const answers = await Promise.all(ids.map((id) => callJson(`${base}/${id}`, { headers: KEY })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    expect(answers.find((a) => a.status === 429)!.body).toEqual({ ma_loi: 'VUOT_GIOI_HAN', thong_diep: expect.any(String) });
    mocks.setControl('social-insurance', { latencyMs: 0 });
    expect((await callJson(`${base}/${ids[0]}`, { headers: KEY })).status).toBe(200);
  });
});
