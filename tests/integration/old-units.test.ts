/**
 * Records from before the 1 July 2025 reform, on the running stack, over the synthetic world: its
 * Bắc Ninh (24) holds units of the two old provinces, old Bắc Giang (24) and old Bắc Ninh (27),
 * that went in whole (Thọ Xương 07201 → 07210; Đông Tiến 09217 → 07282), split (Song Mai 07222
 * → 07210 + 07228; Yên Trung 09205 → 07264 + 07282), renamed (Tiến Thắng → Tam Tiến, 07264) and
 * unchanged (Đồng Kỳ, 07282). What a commune officer sees: a look-up by old code, each record's
 * unit as recorded beside today's, jurisdiction in today's units with the split rule, indicators
 * that place old registrations and report what they cannot, and reconciliation in today's units.
 */
import type { World } from '../../mocks';
import type { Citizen, LandParcel } from '../../mocks/world/types';
import { Stack, startStack } from '../../stack/stack';

const ALL = 'population:read civil-status:read land:read social-insurance:read';
const UNIT = 'recordedCode recordedName status current { code } candidates { code }';

let stack: Stack;
let world: World;

beforeAll(async () => {
  stack = await startStack({ mocks: { worldSize: 6000, worldSeed: 'old-units' } });
  world = stack.mocks.world;
}, 120_000);
afterAll(() => stack?.close());

async function as(jurisdiction: string, scope = ALL) {
  return { authorization: `Bearer ${await stack.token({ scope, jurisdiction })}` };
}

/** The current communes an old code went into, from the world's own table. */
function successorsOf(code: string): string[] {
  return [...new Set(world.catalogue.former.conversion.successors.get(code)?.map((row) => row.currentCode))];
}

function livingWith(predicate: (c: Citizen) => boolean): Citizen {
  const found = [...world.citizens.values()].find((c) => !c.death && !world.index.inconsistenciesByCitizen.has(c.personalId) && predicate(c));
  if (!found) throw new Error('the world holds no such citizen: the seed or the shares changed');
  return found;
}

function parcelWith(predicate: (p: LandParcel) => boolean): LandParcel {
  const found = [...world.parcels.values()].find(predicate);
  if (!found) throw new Error('the world holds no such parcel: the seed or the shares changed');
  return found;
}

describe('commune(code) by an old code', () => {
  it('answers a retired unit with what it was and what it became; the new commune lists what it absorbed', async () => {
    const { body } = await stack.query<any>(
      `{ old: commune(code: "07201") { code name inForce retiredOn formerUnit { name districtName provinceCode provinceName split successors { commune { code name } how } } }
         now: commune(code: "07210") { code name inForce retiredOn absorbed { formerUnit { code name provinceCode } how } } }`,
      {},
      await as('24'),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.old).toMatchObject({
      code: '07201',
      inForce: false,
      retiredOn: '2025-07-01',
      formerUnit: { name: 'Phường Thọ Xương', districtName: 'Thành phố Bắc Giang', provinceCode: '24', provinceName: 'Tỉnh Bắc Giang', split: false, successors: [{ commune: { code: '07210', name: 'Phường Bắc Giang' }, how: 'WHOLE' }] },
    });
    expect(body.data.now).toMatchObject({ code: '07210', inForce: true, retiredOn: null });
    expect(body.data.now.absorbed).toEqual(
      expect.arrayContaining([
        { formerUnit: { code: '07201', name: 'Phường Thọ Xương', provinceCode: '24' }, how: 'WHOLE' },
        { formerUnit: { code: '07222', name: 'Phường Song Mai', provinceCode: '24' }, how: 'PART' },
      ]),
    );
  });

  it('tells a split, a renamed, an unchanged unit and an old unit of old Bắc Ninh (27) apart', async () => {
    const { body } = await stack.query<any>(
      `{ split: commune(code: "07222") { inForce formerUnit { split successors { commune { code } how } } }
         renamed: commune(code: "07264") { name inForce formerUnit { name successors { how } } }
         unchanged: commune(code: "07282") { name inForce formerUnit { name successors { how } } }
         oldBacNinh: commune(code: "09205") { inForce formerUnit { name provinceCode provinceName split successors { commune { code } } } } }`,
      {},
      await as('24'),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.split).toEqual({ inForce: false, formerUnit: { split: true, successors: [{ commune: { code: '07210' }, how: 'PART' }, { commune: { code: '07228' }, how: 'PART' }] } });
    expect(body.data.renamed).toEqual({ name: 'Xã Tam Tiến', inForce: true, formerUnit: { name: 'Xã Tiến Thắng', successors: [{ how: 'RENAMED' }] } });
    expect(body.data.unchanged).toEqual({ name: 'Xã Đồng Kỳ', inForce: true, formerUnit: { name: 'Xã Đồng Kỳ', successors: [{ how: 'UNCHANGED' }] } });
    expect(body.data.oldBacNinh.formerUnit).toMatchObject({ name: 'Xã Yên Trung', provinceCode: '27', provinceName: 'Tỉnh Bắc Ninh', split: true });
    expect(body.data.oldBacNinh.formerUnit.successors.map((s: any) => s.commune.code)).toEqual(['07264', '07282']);
  });

  it('keeps the same number apart by time: 00004 is Phường Ba Đình today and was Phường Trúc Bạch before', async () => {
    const { body } = await stack.query<any>(`{ commune(code: "00004") { name inForce formerUnit { name successors { commune { code } } } } }`, {}, await as('01'));
    expect(body.data.commune).toEqual({ name: 'Phường Ba Đình', inForce: true, formerUnit: { name: 'Phường Trúc Bạch', successors: [{ commune: { code: '00004' } }] } });
  });

  it('says a code neither catalogue knows is unknown', async () => {
    const { body } = await stack.query<any>(`{ commune(code: "99999") { code } }`, {}, await as('24'));
    expect(body.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
  });
});

describe('records carry the unit as recorded and today’s unit', () => {
  it('a birth registered before July 2025 names the old commune; its residence, parcel and insurance address too, where not updated', async () => {
    const citizen = livingWith(
      (c) => !!c.recordedCommuneCode && successorsOf(c.recordedCommuneCode).length === 1 && c.birth.registeredOn < '2025-07-01' && c.householdId !== null,
    );
    const { body } = await stack.query<any>(
      `query($id: ID!) { citizen(personalId: $id) {
        permanentResidence { commune { code inForce } unit { ${UNIT} } }
        civilStatus { birth { registeredOn registeredAt { code } registeredAtUnit { ${UNIT} } } } } }`,
      { id: citizen.personalId },
      await as('*'),
    );
    expect(body.errors).toBeUndefined();
    const { permanentResidence, civilStatus } = body.data.citizen;
    // The residence: population still holds the old code; today's unit is beside it, not instead.
    expect(permanentResidence.unit).toMatchObject({ recordedCode: citizen.recordedCommuneCode, status: 'RETIRED_RESOLVED', current: { code: citizen.communeCode }, candidates: [{ code: citizen.communeCode }] });
    expect(permanentResidence.commune).toEqual({ code: citizen.communeCode, inForce: true });
    // The birth: registered at the old commune, read by the old catalogue because of its date.
    const birth = citizen.birth;
    expect(civilStatus.birth.registeredAt.code).toBe(birth.registeredAt);
    expect(civilStatus.birth.registeredAtUnit.recordedCode).toBe(birth.registeredAt);
    const placed = successorsOf(birth.registeredAt);
    if (placed.length === 1) expect(civilStatus.birth.registeredAtUnit).toMatchObject({ current: { code: birth.registeredAtCurrent } });
    else expect(civilStatus.birth.registeredAtUnit).toMatchObject({ status: 'RETIRED_AMBIGUOUS', current: null });
  });

  it('a split old code is marked ambiguous with every candidate, never one of them', async () => {
    const parcel = parcelWith((p) => p.recordedCommuneCode === '07222');
    const { body } = await stack.query<any>(`query($id: ID!) { landParcel(parcelId: $id) { commune { code } unit { ${UNIT} } } }`, { id: parcel.parcelId }, await as('24'));
    expect(body.errors).toBeUndefined();
    expect(body.data.landParcel.unit).toEqual({
      recordedCode: '07222',
      recordedName: 'Phường Song Mai',
      status: 'RETIRED_AMBIGUOUS',
      current: null,
      candidates: [{ code: '07210' }, { code: '07228' }],
    });
  });

  it('an insurance address BHXH has not updated is served as recorded and placed', async () => {
    const record = [...world.insurance.values()].find((r) => r.recordedCommuneCode && successorsOf(r.recordedCommuneCode).length === 1)!;
    const { body } = await stack.query<any>(`query($id: ID!) { citizen(personalId: $id) { socialInsurance { address { address unit { ${UNIT} } } } } }`, { id: record.personalId }, await as('*'));
    expect(body.errors).toBeUndefined();
    expect(body.data.citizen.socialInsurance.address).toMatchObject({
      address: record.address,
      unit: { recordedCode: record.recordedCommuneCode, status: 'RETIRED_RESOLVED', current: { code: record.communeCode } },
    });
  });

  it('today’s codes are CURRENT, and a renamed unit read before July 2025 is resolved to its new name', async () => {
    const renamedBirth = livingWith((c) => c.birth.registeredAt === '07264' && c.birth.registeredOn < '2025-07-01');
    const { body } = await stack.query<any>(
      `query($id: ID!) { citizen(personalId: $id) { permanentResidence { unit { status } } civilStatus { birth { registeredAtUnit { recordedName status current { code name } } } } } }`,
      { id: renamedBirth.personalId },
      await as('*'),
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.citizen.civilStatus.birth.registeredAtUnit).toEqual({ recordedName: 'Xã Tiến Thắng', status: 'RETIRED_RESOLVED', current: { code: '07264', name: 'Xã Tam Tiến' } });
    if (!renamedBirth.recordedCommuneCode) expect(body.data.citizen.permanentResidence.unit.status).toBe('CURRENT');
  });
});

describe('jurisdiction in today’s units', () => {
  const READ = `query($id: ID!) { citizen(personalId: $id) { personalId fullName } }`;
  const read = async (id: string, jurisdiction: string) => (await stack.query<any>(READ, { id }, await as(jurisdiction, 'population:read'))).body;
  const readParcel = async (id: string, jurisdiction: string) =>
    (await stack.query<any>(`query($id: ID!) { landParcel(parcelId: $id) { parcelId area } }`, { id }, await as(jurisdiction, 'land:read'))).body;

  it('whole, from old Bắc Giang (24): an officer of 07210 reads a residence recorded as 07201; an officer of 07228 does not', async () => {
    const citizen = livingWith((c) => ['07201', '07207', '07213'].includes(c.recordedCommuneCode ?? ''));
    expect((await read(citizen.personalId, '07210')).data.citizen.personalId).toBe(citizen.personalId);
    const refused = await read(citizen.personalId, '07228');
    expect(refused.data?.citizen ?? null).toBeNull();
    expect(refused.errors?.[0]?.extensions?.reason).toMatch(/OUTSIDE_JURISDICTION|NOT_FOUND_OR_OUTSIDE/);
  });

  it('whole, from old Bắc Ninh (27): an officer of 07282 reads a parcel still under Đông Tiến (09217)', async () => {
    const parcel = parcelWith((p) => p.recordedCommuneCode === '09217');
    expect((await readParcel(parcel.parcelId, '07282')).data.landParcel.parcelId).toBe(parcel.parcelId);
    expect((await readParcel(parcel.parcelId, '07210')).data?.landParcel ?? null).toBeNull();
  });

  it('renamed and unchanged: the code is today’s, read as such (07264 Tam Tiến, 07282 Đồng Kỳ)', async () => {
    for (const code of ['07264', '07282']) {
      const citizen = livingWith((c) => c.communeCode === code && !c.recordedCommuneCode && c.birth.registeredAt === code && c.birth.registeredOn < '2025-07-01');
      expect((await read(citizen.personalId, code)).data.citizen.personalId).toBe(citizen.personalId);
      expect((await read(citizen.personalId, code === '07264' ? '07282' : '07264')).data?.citizen ?? null).toBeNull();
    }
  });

  it('split, the record alone: a parcel under Yên Trung (09205, old 27) is read when every part is within; an officer of one part is refused AMBIGUOUS_UNIT naming them', async () => {
    const parcel = parcelWith((p) => p.recordedCommuneCode === '09205');
    expect((await readParcel(parcel.parcelId, '24')).data.landParcel.parcelId).toBe(parcel.parcelId);
    expect((await readParcel(parcel.parcelId, '07264 07282')).data.landParcel.parcelId).toBe(parcel.parcelId);
    const refused = await readParcel(parcel.parcelId, '07264');
    expect(refused.data?.landParcel ?? null).toBeNull();
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'FORBIDDEN', reason: 'AMBIGUOUS_UNIT' } });
    expect(refused.errors![0].message).toMatch(/09205.*07264, 07282/);
  });

  it('split, settled by the person’s current residence: the household book names one part, and its officer reads; the other part’s does not', async () => {
    const citizen = livingWith((c) => c.recordedCommuneCode === '07222' && c.householdId !== null);
    const home = world.households.get(citizen.householdId!)!.communeCode;
    const other = successorsOf('07222').find((code) => code !== home)!;
    expect((await read(citizen.personalId, home)).data.citizen.personalId).toBe(citizen.personalId);
    expect((await read(citizen.personalId, other)).data?.citizen ?? null).toBeNull();
    expect((await read(citizen.personalId, '24')).data.citizen.personalId).toBe(citizen.personalId);
  });
});

describe('indicators in today’s units', () => {
  const EVENTS = `civilStatusEvents(to: "2025-12", months: 36) { month births marriages deaths } civilStatusUnplaced(to: "2025-12", months: 36) { count codes }`;

  /** Acts of 2023–2025 in the world, placed as the product must place them: by the code and the date. */
  function expected(communes: string[]) {
    let placed = 0;
    const unplaced = new Map<string, number>();
    const seen = new Set<string>();
    const count = (act: { registrationNumber: string; registeredAt: string; registeredOn: string }) => {
      if (seen.has(act.registrationNumber) || !inRange(act.registeredOn)) return;
      seen.add(act.registrationNumber);
      const old = act.registeredOn < '2025-07-01' && world.catalogue.former.conversion.successors.has(act.registeredAt);
      const parts = old ? successorsOf(act.registeredAt) : [act.registeredAt];
      if (parts.length === 1 && communes.includes(parts[0])) placed++;
      else if (parts.length > 1 && parts.some((part) => communes.includes(part))) unplaced.set(act.registeredAt, (unplaced.get(act.registeredAt) ?? 0) + 1);
    };
    for (const c of world.citizens.values()) {
      count(c.birth);
      for (const m of c.marriages) count(m);
      if (c.death) count(c.death);
    }
    return { placed, unplaced };
  }
  const inRange = (day: string) => day >= '2023-01-01' && day <= '2025-12-31';
  const total = (months: { births: number; marriages: number; deaths: number }[]) => months.reduce((s, m) => s + m.births + m.marriages + m.deaths, 0);

  it('count registrations at old communes in the commune they lie in today, and report split ones as unplaced, not dropped', async () => {
    const { body } = await stack.query<any>(`{ commune(code: "07210") { indicators { ${EVENTS} } } }`, {}, await as('07210', 'civil-status:read'));
    expect(body.errors).toBeUndefined();
    const want = expected(['07210']);
    const { civilStatusEvents, civilStatusUnplaced } = body.data.commune.indicators;
    expect(civilStatusEvents).toHaveLength(36);
    expect(total(civilStatusEvents)).toBe(want.placed);
    expect(want.unplaced.size).toBeGreaterThan(0); // the world holds acts at Song Mai (07222), split
    expect(civilStatusUnplaced).toEqual({ count: [...want.unplaced.values()].reduce((a, b) => a + b, 0), codes: [...want.unplaced.keys()].sort() });
  });

  it('a province adds its communes and lists each unplaced old commune once; placed and unplaced add up to every act its units registered', async () => {
    const communes = world.catalogue.provinceByCode.get('24')!.Wards.map((w) => w.Code);
    const { body } = await stack.query<any>(`{ province(code: "24") { indicators { ${EVENTS} } } }`, {}, await as('24', 'civil-status:read'));
    expect(body.errors).toBeUndefined();
    const want = expected(communes);
    const { civilStatusEvents, civilStatusUnplaced } = body.data.province.indicators;
    expect(total(civilStatusEvents)).toBe(want.placed);
    expect(civilStatusUnplaced.codes).toEqual([...want.unplaced.keys()].sort());
    expect(civilStatusUnplaced.codes).toEqual(expect.arrayContaining(['09205']));
    // Every act of the range registered by a unit now in Bắc Ninh, whatever its code: none dropped.
    const acts = new Set<string>();
    for (const c of world.citizens.values()) {
      for (const act of [c.birth, ...c.marriages, ...(c.death ? [c.death] : [])]) {
        const today = act.registeredAtCurrent ?? act.registeredAt;
        if (inRange(act.registeredOn) && communes.includes(today)) acts.add(act.registrationNumber);
      }
    }
    expect(total(civilStatusEvents) + civilStatusUnplaced.count).toBe(acts.size);
  });
});

describe('reconciliation in today’s units', () => {
  const FINDING = 'kind personalId field sides { source record recordId value }';
  const SCOPES = 'population:read civil-status:read reconciliation:read';

  it('a residence under the old code of the same place is no disagreement, but the retired unit on record is a finding of its own', async () => {
    const residents = world.index.residentsByCommune.get('07210')!.map((id) => world.citizens.get(id)!);
    const stale = residents.filter((c) => c.recordedCommuneCode);
    expect(stale.length).toBeGreaterThan(0);
    const { body } = await stack.query<any>(
      `{ commune(code: "07210") { discrepancies(first: 200, kinds: [RETIRED_UNIT_RECORDED, RESIDENCE_DIFFERS]) { totalCount nodes { ${FINDING} } } } }`,
      {},
      await as('*', SCOPES),
    );
    expect(body.errors).toBeUndefined();
    const report = body.data.commune.discrepancies;
    expect(report.nodes.filter((f: any) => f.kind === 'RESIDENCE_DIFFERS')).toEqual([]);
    expect(report.nodes.map((f: any) => f.personalId).sort()).toEqual(stale.map((c) => c.personalId).sort());
    const one = report.nodes.find((f: any) => f.personalId === stale[0].personalId);
    expect(one.sides).toEqual([
      { source: 'POPULATION', record: 'CITIZEN_RECORD', recordId: null, value: stale[0].recordedCommuneCode },
      { source: 'CATALOGUE', record: 'UNIT_CONVERSION', recordId: null, value: successorsOf(stale[0].recordedCommuneCode!).join(' ') },
    ]);
  });

  it('finds the residence that disagrees once both sides are in today’s units', async () => {
    // The person's record names Đông Tiến (09217, old Bắc Ninh 27, now in Đồng Kỳ 07282); the household book names 07210.
    const citizen = livingWith((c) => c.communeCode === '07210' && !c.recordedCommuneCode && c.householdId !== null && world.households.get(c.householdId)!.communeCode === '07210');
    citizen.recordedCommuneCode = '09217';
    const { body } = await stack.query<any>(`query($id: ID!) { citizen(personalId: $id) { discrepancies { ${FINDING} } } }`, { id: citizen.personalId }, await as('*', SCOPES));
    expect(body.errors).toBeUndefined();
    const own = body.data.citizen.discrepancies.filter((f: any) => f.personalId === citizen.personalId);
    expect(own.map((f: any) => f.kind).sort()).toEqual(['RESIDENCE_DIFFERS', 'RETIRED_UNIT_RECORDED']);
    expect(own.find((f: any) => f.kind === 'RESIDENCE_DIFFERS').sides).toEqual([
      { source: 'POPULATION', record: 'CITIZEN_RECORD', recordId: null, value: '09217' },
      { source: 'POPULATION', record: 'HOUSEHOLD_RECORD', recordId: citizen.householdId, value: '07210' },
    ]);
  });
});
