/**
 * Old and new units: the conversion table's notes, the reading of a recorded code by the date of
 * its record, the split rule of jurisdiction, and (when ../shared/data is there) every old code of
 * the published table answered through the catalogue source's client.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { classifySuccession, resolveRecordedUnit } from '../../../lib/admin-units';
import { formatJurisdictionKey, judgeJurisdiction, parseJurisdictionKey, parseJurisdiction, Principal, refusalOf } from '../../../lib/principal';
import { startMocks } from '../../../mocks';
import { loadFormerCatalogue } from '../../../mocks/world/conversion';
import { generateWorld } from '../../../mocks/world';
import { CatalogueClient } from '../../../sources/catalogue/client';

const DATA = resolve(__dirname, '../../../../shared/data');
const CONVERSION = resolve(DATA, 'vn-admin-units-2025-conversion.csv');
const PRE_2025 = resolve(DATA, 'vn-admin-units-pre-2025.csv');
const CURRENT = resolve(DATA, 'vn-admin-units.json');

describe('conversion notes', () => {
  it.each([
    ['Nhập toàn bộ', 'WHOLE'],
    ['Nhập một phần', 'PART'],
    ['Nhập một  phần', 'PART'],
    ['Nhập một phần\n', 'PART'],
    ['Nhập một phần diện tích', 'PART_AREA'],
    ['Nhâp một phần diện tích', 'PART_AREA'],
    ['Nhập một phần diện tích, toàn bộ dân số', 'PART_AREA_ALL_RESIDENTS'],
    ['Giữ nguyên ', 'UNCHANGED'],
    ['Đổi tên', 'RENAMED'],
    ['Đổi loại hình', 'TYPE_CHANGED'],
    ['Đổi tên từ một phần Phường 15', 'PART'],
    ['Sắp xếp toàn bộ huyện Côn Đảo thành đặc khu Côn Đảo', 'WHOLE'],
  ])('%j reads as %s', (note, kind) => expect(classifySuccession(note)).toBe(kind));
});

describe('a recorded code, read by the catalogue in force on its date', () => {
  const former = loadFormerCatalogue({}, 'synthetic');
  const current = new Map([['07210', 'Phường Bắc Giang'], ['07228', 'Phường Đa Mai'], ['07264', 'Xã Tam Tiến'], ['07282', 'Xã Đồng Kỳ'], ['00004', 'Phường Ba Đình'], ['00008', 'Phường Ngọc Hà']]);
  const place = (code: string, on?: string) => resolveRecordedUnit(former.conversion, (c) => current.get(c), code, on);

  it('whole: Thọ Xương (07201, old Bắc Giang 24) lies in Phường Bắc Giang (07210)', () => {
    expect(place('07201', '2019-05-02')).toMatchObject({ status: 'RETIRED_RESOLVED', currentCode: '07210', recordedName: 'Phường Thọ Xương' });
    expect(place('07201')).toMatchObject({ status: 'RETIRED_RESOLVED', currentCode: '07210' });
  });
  it('split: Song Mai (07222) went partly to 07210 and partly to 07228, so the code alone is ambiguous', () => {
    expect(place('07222', '2020-01-01')).toMatchObject({ status: 'RETIRED_AMBIGUOUS', currentCode: null, candidateCodes: ['07210', '07228'] });
  });
  it('old Bắc Ninh (27): Đông Tiến whole into 07282, Yên Trung split between 07264 and 07282', () => {
    expect(place('09217', '2018-01-01')).toMatchObject({ status: 'RETIRED_RESOLVED', currentCode: '07282' });
    expect(place('09205', '2018-01-01')).toMatchObject({ status: 'RETIRED_AMBIGUOUS', candidateCodes: ['07264', '07282'] });
  });
  it('renamed: Tiến Thắng (07264) is today Xã Tam Tiến under the same code; unchanged: Đồng Kỳ stays current', () => {
    expect(place('07264', '2020-01-01')).toMatchObject({ status: 'RETIRED_RESOLVED', currentCode: '07264', recordedName: 'Xã Tiến Thắng' });
    expect(place('07282', '2020-01-01')).toMatchObject({ status: 'CURRENT', currentCode: '07282' });
  });
  it('the same number for different areas: 00004 before 1 July 2025 was Trúc Bạch, after it is Ba Đình', () => {
    expect(place('00004', '2025-06-30')).toMatchObject({ status: 'RETIRED_RESOLVED', recordedName: 'Phường Trúc Bạch', currentCode: '00004' });
    expect(place('00004', '2025-07-01')).toMatchObject({ status: 'CURRENT', recordedName: 'Phường Ba Đình' });
    expect(place('00016', '2024-01-01')).toMatchObject({ status: 'RETIRED_AMBIGUOUS', candidateCodes: ['00004', '00008'] });
  });
  it('a code neither catalogue knows is UNKNOWN', () => expect(place('99999')).toMatchObject({ status: 'UNKNOWN', candidateCodes: [] }));
});

describe('the split rule of jurisdiction', () => {
  const officer = (jurisdiction: string, extra: Partial<Principal> = {}): Principal => ({
    subject: 'o',
    clientId: 'c',
    scopes: new Set(),
    jurisdiction: parseJurisdiction(jurisdiction) as Principal['jurisdiction'],
    purpose: null,
    locationIndependent: false,
    ...extra,
  });
  const split = parseJurisdictionKey(
    formatJurisdictionKey({ provinceCode: '24', communeCode: '07222', ambiguous: { recordedCode: '07222', candidates: [{ provinceCode: '24', communeCode: '07210' }, { provinceCode: '24', communeCode: '07228' }] } }),
  )!;

  it('round-trips an ambiguous key', () => expect(split.ambiguous?.candidates.map((c) => c.communeCode)).toEqual(['07210', '07228']));
  it('allows when every candidate lies within the jurisdiction (the province, or both communes)', () => {
    expect(judgeJurisdiction(officer('24'), split)).toBe('inside');
    expect(judgeJurisdiction(officer('07210 07228'), split)).toBe('inside');
  });
  it('refuses an officer of one candidate only, with AMBIGUOUS_UNIT naming the old code and the candidates; never the first candidate', () => {
    expect(judgeJurisdiction(officer('07210'), split)).toBe('outside');
    const refusal = refusalOf(officer('07210'), split);
    expect(refusal.reason).toBe('AMBIGUOUS_UNIT');
    expect(refusal.message).toContain('07222');
    expect(refusal.message).toContain('07210, 07228');
  });
  it('is plainly outside for an officer of neither', () => expect(refusalOf(officer('01'), split).reason).toBe('OUTSIDE_JURISDICTION'));
  it('a location-independent procedure with a purpose reads it as anywhere else', () =>
    expect(judgeJurisdiction(officer('07210', { locationIndependent: true, purpose: 'P' }), split)).toBe('location-independent'));
});

describe('the synthetic world holds pre-reform codes', () => {
  const world = generateWorld({ size: 3000, seed: 'units', inconsistencyRate: 0 });
  const citizens = [...world.citizens.values()];
  it('registrations before July 2025 name an old commune and keep today’s unit beside it', () => {
    const old = citizens.filter((c) => c.birth.registeredAtCurrent);
    expect(old.length).toBeGreaterThan(0);
    for (const c of old) {
      expect(c.birth.registeredOn < '2025-07-01').toBe(true);
      expect(world.catalogue.former.conversion.successors.get(c.birth.registeredAt)?.map((s) => s.currentCode)).toContain(c.birth.registeredAtCurrent);
      expect(c.birth.registrationNumber).toContain(`-${c.birth.registeredAt}-`);
    }
  });
  it('a share of residences and parcels are not yet updated', () => {
    expect(citizens.some((c) => c.recordedCommuneCode)).toBe(true);
    expect([...world.parcels.values()].some((p) => p.recordedCommuneCode)).toBe(true);
  });
});

const withFiles = existsSync(CONVERSION) && existsSync(PRE_2025) && existsSync(CURRENT);
(withFiles ? describe : describe.skip)('the published conversion table, through the catalogue client', () => {
  let mocks: Awaited<ReturnType<typeof startMocks>>;
  let client: CatalogueClient;
  beforeAll(async () => {
    const world = generateWorld({ size: 200, seed: 'units', inconsistencyRate: 0, adminUnitsFile: CURRENT, pre2025UnitsFile: PRE_2025, conversionFile: CONVERSION });
    mocks = await startMocks({ world, ports: { population: 0, 'civil-status': 0, land: 0, 'social-insurance': 0, budget: 0, catalogue: 0 }, apiKeys: { catalogue: 'dev-catalogue-key' } as never });
    client = new CatalogueClient({ url: mocks.urls.catalogue, apiKey: 'dev-catalogue-key' });
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await mocks?.close();
  });

  it('answers every old code of the table: 10,033 old communes, 441 of them split; six current units absent', async () => {
    const conversion = await client.getUnitConversion();
    expect(conversion.successors.size).toBe(10_033);
    const split = [...conversion.successors.values()].filter((rows) => new Set(rows.map((r) => r.currentCode)).size > 1);
    expect(split).toHaveLength(441);
    const current = new Map([...mocks.world.catalogue.communeByCode].map(([code, ward]) => [code, ward.FullName]));
    for (const code of conversion.successors.keys()) {
      const placed = resolveRecordedUnit(conversion, (c) => current.get(c), code, '2025-06-30');
      expect(['RETIRED_RESOLVED', 'RETIRED_AMBIGUOUS', 'CURRENT']).toContain(placed.status);
      expect(placed.recordedName).toBeTruthy();
      expect(placed.candidateCodes.length).toBeGreaterThan(0);
    }
    expect(resolveRecordedUnit(conversion, (c) => current.get(c), '07201', '2019-01-01')).toMatchObject({ status: 'RETIRED_RESOLVED', currentCode: '07210', recordedName: 'Phường Thọ Xương' });
    expect(conversion.formerUnits.get('07201')).toMatchObject({ provinceCode: '24', districtName: 'Thành phố Bắc Giang' });
    expect(conversion.formerUnits.get('09163')).toMatchObject({ provinceCode: '27' });
    const absent = ['06978', '11948', '19742', '20333', '21548', '26732'];
    for (const code of absent) expect(conversion.predecessors.get(code) ?? []).toHaveLength(0);
  }, 60_000);
});
