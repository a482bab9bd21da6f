/**
 * Ground truth over HTTP, and the seeded disagreements as the two sources show them: population
 * keeps the stale value, civil status the legal one.
 */
import { INCONSISTENCY_KINDS, InconsistencyKind, RunningMocks } from '../../../mocks';
import { callJson, postJson, withControlKey, postSoap, soapBody, soapRequest, startTestMocks, TEST_KEYS } from './helpers';

let mocks: RunningMocks;
let truth: string;

beforeAll(async () => {
  mocks = await startTestMocks();
  truth = `${mocks.urls.population}/__truth`;
});
afterAll(() => mocks.close());

describe('GET /__truth/citizens/{personalId}', () => {
  it('joins every source’s record of a citizen', async () => {
    const [sample] = (await callJson(`${truth}/sample?has=household,land,insurance,marriages`, withControlKey())).body.items;
    const { status, body } = await callJson(`${truth}/citizens/${sample.personalId}`, withControlKey());
    expect(status).toBe(200);
    const c = mocks.world.citizens.get(sample.personalId)!;
    expect(body).toMatchObject({
      personalId: c.personalId,
      fullName: c.fullName,
      dateOfBirth: c.dateOfBirth,
      gender: c.gender,
      lifeStatus: 'LIVING',
      permanentResidence: { communeCode: c.communeCode, address: c.address },
      household: { householdId: c.householdId, relationToHead: c.relationToHead },
      civilStatus: { maritalStatus: c.maritalStatus, birth: c.birth, marriages: c.marriages, death: null },
      insurance: { insuranceCode: sample.insuranceCode },
      inconsistencies: [],
    });
    expect(body.landParcels.map((p: { parcelId: string }) => p.parcelId)).toEqual(sample.parcelIds);
    expect(body.landParcels[0]).toMatchObject({ share: expect.any(Number), certificateNo: expect.stringMatching(/^CS \d{6}$/) });
  });

  it('answers an unknown citizen with 404, without a key', async () => {
    expect((await callJson(`${truth}/citizens/001099999999`, withControlKey())).status).toBe(404);
  });
});

describe('GET /__truth/inconsistencies', () => {
  it('lists the seeded disagreements, by kind and up to a limit', async () => {
    const all = await callJson(`${truth}/inconsistencies?limit=100000`, withControlKey());
    expect(all.body.total).toBe(mocks.world.inconsistencies.length);
    expect(all.body.items).toEqual(mocks.world.inconsistencies);
    const names = await callJson(`${truth}/inconsistencies?kind=NAME_DIFFERS&limit=2`, withControlKey());
    expect(names.body.items).toHaveLength(2);
    expect(names.body.items.every((i: { kind: string }) => i.kind === 'NAME_DIFFERS')).toBe(true);
    expect((await callJson(`${truth}/inconsistencies?kind=NOPE`, withControlKey())).status).toBe(400);
    expect((await callJson(`${truth}/inconsistencies?limit=0`, withControlKey())).status).toBe(400);
  });
});

describe('GET /__truth/sample', () => {
  it('picks citizens of a commune with the records asked for', async () => {
    const commune = mocks.world.catalogue.communes[3].Code;
    const { body } = await callJson(`${truth}/sample?communeCode=${commune}&limit=5&has=household,land,insurance,marriages`, withControlKey());
    expect(body.items).toHaveLength(5);
    for (const s of body.items) {
      expect(s).toMatchObject({ communeCode: commune, lifeStatus: 'LIVING', inconsistencies: [] });
      expect(s.householdId).not.toBeNull();
      expect(s.parcelIds.length).toBeGreaterThan(0);
      expect(s.insuranceCode).not.toBeNull();
      expect(s.marriageCount).toBeGreaterThan(0);
    }
  });

  it('finds the dead and the inconsistent only when asked', async () => {
    const dead = (await callJson(`${truth}/sample?has=death&limit=3`, withControlKey())).body.items;
    expect(dead.map((s: { lifeStatus: string }) => s.lifeStatus)).toEqual(['DECEASED', 'DECEASED', 'DECEASED']);
    const plain = (await callJson(`${truth}/sample?limit=1000`, withControlKey())).body.items;
    expect(plain.every((s: { lifeStatus: string; inconsistencies: unknown[] }) => s.lifeStatus === 'LIVING' && s.inconsistencies.length === 0)).toBe(true);
    expect((await callJson(`${truth}/sample?has=wings`, withControlKey())).status).toBe(400);
    expect((await callJson(`${truth}/sample?communeCode=99999`, withControlKey())).status).toBe(404);
  });
});

describe('seeded disagreements, as the sources answer them', () => {
  /** Population's and civil status's answers for one citizen. */
  async function bothSources(id: string) {
    const population = await postJson(`${mocks.urls.population}/api/v1/citizens:batchGet`, { soDinhDanh: [id] }, { 'x-api-key': TEST_KEYS.population });
    const civil = await postSoap(mocks.urls['civil-status'], soapRequest([id]));
    return { population: population.body.ketQua[0], civil: soapBody(civil.text).LayHoSoHoTichResponse.HoSo[0] };
  }

  const toDayMonthYear = (iso: string) => iso.split('-').reverse().join('/');
  const POPULATION_MARITAL = { SINGLE: 'CHUA_KET_HON', MARRIED: 'DA_KET_HON', DIVORCED: 'LY_HON', WIDOWED: 'GOA' } as Record<string, string>;
  const CIVIL_MARITAL = { SINGLE: 'CHUA_KET_HON', MARRIED: 'DANG_CO_VO_CHONG', DIVORCED: 'LY_HON', WIDOWED: 'GOA' } as Record<string, string>;

  it.each(INCONSISTENCY_KINDS)('%s shows in the two answers', async (kind: InconsistencyKind) => {
    const { body } = await callJson(`${truth}/inconsistencies?kind=${kind}&limit=3`, withControlKey());
    expect(body.items.length).toBeGreaterThan(0);
    for (const seeded of body.items) {
      const { population, civil } = await bothSources(seeded.personalId);
      switch (kind) {
        case 'DEATH_NOT_IN_POPULATION':
          expect(population.trangThai).toBe('CON_SONG');
          expect(civil.KhaiTu.NgayChet).toEqual(expect.any(String));
          break;
        case 'MARITAL_STATUS_DIFFERS':
          expect(population.tinhTrangHonNhan).toBe(POPULATION_MARITAL[seeded.populationValue]);
          expect(civil.TinhTrangHonNhan).toBe(CIVIL_MARITAL[seeded.civilStatusValue]);
          break;
        case 'NAME_DIFFERS':
          expect(population.hoVaTen).toBe(seeded.populationValue);
          expect(civil.HoTen).toBe(seeded.civilStatusValue);
          break;
        case 'BIRTH_DATE_DIFFERS':
          expect(population.ngaySinh).toBe(toDayMonthYear(seeded.populationValue));
          expect(civil.NgaySinh).toBe(seeded.civilStatusValue);
          break;
        case 'PERSONAL_ID_MISMATCH':
          if (seeded.field === 'gender') {
            expect([population.gioiTinh, civil.GioiTinh]).toEqual(seeded.populationValue === 'MALE' ? ['Nam', 'Nu'] : ['Nữ', 'Nam']);
          } else {
            expect(population.ngaySinh).toBe(toDayMonthYear(seeded.populationValue));
            expect(civil.NgaySinh).toBe(seeded.civilStatusValue);
          }
          break;
        case 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS': {
          const second = await postJson(`${mocks.urls.population}/api/v1/households:batchGet`, { maHo: [seeded.populationValue] }, { 'x-api-key': TEST_KEYS.population });
          expect(second.body.ketQua[0].thanhVien.map((m: { soDinhDanh: string }) => m.soDinhDanh)).toContain(seeded.personalId);
          expect(population.maHo).not.toBe(seeded.populationValue);
          expect(population.hoGiaDinh.thanhVien.map((m: { soDinhDanh: string }) => m.soDinhDanh)).toContain(seeded.personalId);
          expect(seeded.civilStatusValue).toBeNull();
          break;
        }
      }
      const truthRecord = (await callJson(`${truth}/citizens/${seeded.personalId}`, withControlKey())).body;
      expect(truthRecord.inconsistencies).toEqual([{ kind, field: seeded.field, populationValue: seeded.populationValue, civilStatusValue: seeded.civilStatusValue }]);
    }
  });

  it('agree everywhere else', async () => {
    const ids = (await callJson(`${truth}/sample?limit=40`, withControlKey())).body.items.map((s: { personalId: string }) => s.personalId);
    for (const id of ids.slice(0, 40)) {
      const { population, civil } = await bothSources(id);
      expect(population.hoVaTen).toBe(civil.HoTen);
      expect(population.ngaySinh).toBe(toDayMonthYear(civil.NgaySinh));
      expect(population.trangThai).toBe(civil.KhaiTu ? 'DA_CHET' : 'CON_SONG');
    }
  });
});
