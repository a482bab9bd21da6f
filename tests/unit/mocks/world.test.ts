/** The synthetic world, in process: determinism, identifiers, families, land, insurance, budgets. */
import { createHash } from 'node:crypto';
import { decodePersonalId, personalIdProblem } from '../../../lib/personal-id';
import { generateWorld, INCONSISTENCY_KINDS, lifeStatusOf, populationView, World } from '../../../mocks/world';
import { ageOn, dayOf } from '../../../mocks/world/dates';

const OPTIONS = { size: 5000, seed: 'world-test', inconsistencyRate: 0.02 };

function digest(world: World): string {
  const hash = createHash('sha256');
  for (const part of [world.citizens, world.households, world.parcels, world.insurance]) hash.update(JSON.stringify([...part.values()]));
  hash.update(JSON.stringify([...world.budgets].map(([unit, years]) => [unit, [...years]])));
  hash.update(JSON.stringify(world.inconsistencies));
  return hash.digest('hex');
}

const world = generateWorld(OPTIONS);
const citizens = [...world.citizens.values()];
const age = (id: string) => ageOn(dayOf(world.citizens.get(id)!.dateOfBirth), dayOf(world.asOf));

/** Checks every item and lists what is wrong (far faster than an expect per item, and clearer). */
function problems<T>(items: Iterable<T>, check: (item: T) => string | false | null | undefined): string[] {
  const found: string[] = [];
  for (const item of items) {
    const problem = check(item);
    if (problem) found.push(problem);
  }
  return found.slice(0, 10);
}

describe('determinism', () => {
  it('gives the same world for the same seed and size', () => {
    expect(digest(generateWorld(OPTIONS))).toBe(digest(world));
  });

  it('gives another world for another seed', () => {
    const other = generateWorld({ ...OPTIONS, seed: 'another-seed' });
    expect(digest(other)).not.toBe(digest(world));
    expect([...other.citizens.keys()].slice(0, 20)).not.toEqual([...world.citizens.keys()].slice(0, 20));
  });

  it('has exactly the requested number of citizens', () => {
    expect(world.citizens.size).toBe(OPTIONS.size);
    expect(generateWorld({ ...OPTIONS, size: 1 }).citizens.size).toBe(1);
  });
});

describe('synthetic catalogue', () => {
  it('has three provinces including Hà Nội and Bắc Ninh, in the official shape', () => {
    expect(world.catalogue.origin).toBe('synthetic');
    expect(world.catalogue.provinces.map((p) => p.Code)).toEqual(expect.arrayContaining(['01', '24']));
    expect(world.catalogue.provinces).toHaveLength(3);
    for (const ward of world.catalogue.communes) {
      expect(ward.Code).toMatch(/^\d{5}$/);
      expect(['Xã', 'Phường', 'Đặc khu']).toContain(ward.AdministrativeUnitShortName);
      expect(ward.FullName).toBe(`${ward.AdministrativeUnitShortName} ${ward.Name}`);
    }
  });

  it('spreads people over every commune', () => {
    for (const ward of world.catalogue.communes) expect(world.index.residentsByCommune.get(ward.Code)?.length).toBeGreaterThan(100);
  });
});

describe('personal IDs', () => {
  it('are valid, unique and agree with birth date, gender and birth province', () => {
    const wrong = problems(citizens, (c) => {
      const invalid = personalIdProblem(c.personalId);
      if (invalid) return `${c.personalId}: ${invalid}`;
      const decoded = decodePersonalId(c.personalId);
      if (decoded.gender !== c.gender) return `${c.personalId}: gender ${c.gender}`;
      if (decoded.birthYear !== Number(c.dateOfBirth.slice(0, 4))) return `${c.personalId}: born ${c.dateOfBirth}`;
      if (decoded.provinceCode !== `0${c.birthProvinceCode}`) return `${c.personalId}: birth province ${c.birthProvinceCode}`;
      if (world.catalogue.communeByCode.get(c.birth.registeredAtCurrent ?? c.birth.registeredAt)?.ProvinceCode !== c.birthProvinceCode) return `${c.personalId}: registered at ${c.birth.registeredAt}`;
    });
    expect(wrong).toEqual([]);
    expect(new Set(citizens.map((c) => c.personalId)).size).toBe(citizens.length);
  });

  it('keeps the birth year in the population view, even where the birth date is seeded wrong', () => {
    // Except where the seeded disagreement is exactly that the ID's digits contradict population.
    const contradicted = (c: { personalId: string }) => world.index.inconsistenciesByCitizen.get(c.personalId)?.[0].kind === 'PERSONAL_ID_MISMATCH';
    expect(problems(citizens, (c) => !contradicted(c) && populationView(c).dateOfBirth.slice(0, 4) !== c.dateOfBirth.slice(0, 4) && c.personalId)).toEqual([]);
  });
});

describe('households', () => {
  it('have 1–7 members, the head first, each member pointing back', () => {
    const seen = new Set<string>();
    // A seeded HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS is a second, stale listing: the one rule it breaks.
    const doubleListed = new Set(world.inconsistencies.filter((i) => i.kind === 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS').map((i) => `${i.populationValue}/${i.personalId}`));
    const wrongHouseholds = problems(world.households.values(), (h) => {
      if (!/^HK\d{7}$/.test(h.householdId)) return `${h.householdId}: bad ID`;
      if (h.members.length < 1 || h.members.length > 7) return `${h.householdId}: ${h.members.length} members`;
      if (h.members[0].personalId !== h.headId || h.members.filter((m) => m.relationToHead === 'HEAD').length !== 1) return `${h.householdId}: head`;
      if (age(h.headId) < 18) return `${h.householdId}: head is a minor`;
      for (const m of h.members) {
        if (doubleListed.has(`${h.householdId}/${m.personalId}`)) continue;
        if (seen.has(m.personalId)) return `${m.personalId} is in two households`;
        seen.add(m.personalId);
        const c = world.citizens.get(m.personalId)!;
        if (c.householdId !== h.householdId || c.relationToHead !== m.relationToHead) return `${m.personalId} does not point back to ${h.householdId}`;
        if (c.communeCode !== h.communeCode || c.address !== h.address) return `${m.personalId} lives elsewhere`;
      }
    });
    expect(wrongHouseholds).toEqual([]);
    // Everyone registered in a household is listed in it; only the registered dead are not.
    const wrongCitizens = problems(citizens, (c) => {
      if (seen.has(c.personalId) !== (c.householdId !== null)) return `${c.personalId} is not listed in ${c.householdId}`;
      if (c.householdId === null && populationView(c).lifeStatus !== 'DECEASED') return `${c.personalId} has no household`;
    });
    expect(wrongCitizens).toEqual([]);
  });

  it('show the expected family relations', () => {
    const relations = new Set(citizens.map((c) => c.relationToHead));
    for (const r of ['HEAD', 'SPOUSE', 'CHILD', 'PARENT', 'GRANDCHILD', 'SIBLING', 'OTHER']) expect(relations).toContain(r);
  });

  it('name living parents on their children’s birth registrations', () => {
    const wrong = problems(world.households.values(), (h) => {
      const head = world.citizens.get(h.headId)!;
      const spouse = h.members.find((m) => m.relationToHead === 'SPOUSE');
      if (!spouse) return null;
      const mother = head.gender === 'FEMALE' ? head : world.citizens.get(spouse.personalId)!;
      const children = h.members.filter((m) => m.relationToHead === 'CHILD').map((m) => world.citizens.get(m.personalId)!);
      return children.find((child) => child.birth.motherName !== mother.fullName)?.personalId;
    });
    expect(wrong).toEqual([]);
  });
});

describe('marriages and deaths', () => {
  it('are recorded on both spouses alike, oldest first, after the legal age', () => {
    const wrong = problems(citizens, (c) => {
      const dates = c.marriages.map((m) => m.registeredOn);
      if ([...dates].sort().join() !== dates.join()) return `${c.personalId}: marriages out of order`;
      for (const m of c.marriages) {
        const where = `${c.personalId} ${m.registrationNumber}`;
        if (!/^KH-\d{5}-\d{4}-\d{6}$/.test(m.registrationNumber)) return `${where}: number`;
        if (ageOn(dayOf(c.dateOfBirth), dayOf(m.registeredOn)) < (c.gender === 'MALE' ? 20 : 18)) return `${where}: under age`;
        if (m.endedOn && m.endedOn <= m.registeredOn) return `${where}: ended before it began`;
        if (!m.spouseId) continue;
        const spouse = world.citizens.get(m.spouseId)!;
        const back = spouse.marriages.find((x) => x.registrationNumber === m.registrationNumber);
        if (spouse.gender === c.gender) return `${where}: same gender`;
        if (!back || back.spouseId !== c.personalId || back.spouseName !== c.fullName) return `${where}: spouse's record differs`;
        if (back.status !== m.status || back.registeredOn !== m.registeredOn || back.endedOn !== m.endedOn) return `${where}: spouse's record differs`;
        if (m.status === 'ACTIVE' && spouse.householdId !== c.householdId) return `${where}: married couple apart`;
      }
    });
    expect(wrong).toEqual([]);
  });

  it('agree with each person’s marital status', () => {
    const wrong = problems(citizens, (c) => {
      const last = c.marriages[c.marriages.length - 1];
      const says = `${c.personalId} (${c.maritalStatus})`;
      // The dead keep the status they died in.
      if (c.death && last?.status === 'ENDED_BY_DEATH' && last.endedOn === c.death.dateOfDeath) return c.maritalStatus !== 'MARRIED' && says;
      switch (c.maritalStatus) {
        case 'MARRIED':
          return !c.marriages.some((m) => m.status === 'ACTIVE') && says;
        case 'WIDOWED':
          if (last?.status !== 'ENDED_BY_DEATH') return says;
          return last.spouseId !== null && world.citizens.get(last.spouseId)!.death?.dateOfDeath !== last.endedOn && `${says}: spouse alive`;
        case 'DIVORCED':
          return last?.status !== 'DIVORCED' && says;
        case 'SINGLE':
          return c.marriages.length > 0 && says;
      }
    });
    expect(wrong).toEqual([]);
    const statuses = new Set(citizens.map((c) => c.maritalStatus));
    expect([...statuses].sort()).toEqual(['DIVORCED', 'MARRIED', 'SINGLE', 'WIDOWED']);
  });

  it('pairs some divorced and widowed people with exes and late spouses of the world', () => {
    const ended = citizens.flatMap((c) => c.marriages.filter((m) => m.status !== 'ACTIVE'));
    expect(ended.some((m) => m.status === 'DIVORCED' && m.spouseId)).toBe(true);
    expect(ended.some((m) => m.status === 'ENDED_BY_DEATH' && m.spouseId)).toBe(true);
    expect(ended.some((m) => m.spouseId === null)).toBe(true);
  });

  it('has about 0.7% deceased, each with a death registered after birth', () => {
    const dead = citizens.filter((c) => c.death);
    expect(dead.length / citizens.length).toBeGreaterThan(0.005);
    expect(dead.length / citizens.length).toBeLessThan(0.01);
    for (const c of dead) {
      expect(c.death!.dateOfDeath > c.dateOfBirth).toBe(true);
      expect(c.death!.registeredOn >= c.death!.dateOfDeath).toBe(true);
      expect(c.death!.registeredOn <= world.asOf).toBe(true);
      expect(c.death!.registrationNumber).toMatch(/^KT-\d{5}-\d{4}-\d{6}$/);
    }
    // Population knows of most deaths.
    expect(dead.filter((c) => populationView(c).lifeStatus === 'DECEASED').length).toBeGreaterThan(dead.length / 2);
  });
});

describe('land', () => {
  const parcels = [...world.parcels.values()];

  it('is held by about 40% of households, 1–3 parcels each', () => {
    const holding = new Set(parcels.map((p) => world.citizens.get(p.holders[0].personalId)!.householdId));
    expect(holding.size / world.households.size).toBeGreaterThan(0.33);
    expect(holding.size / world.households.size).toBeLessThan(0.47);
  });

  it('has shares summing to 1, one certificate per parcel, and living holders', () => {
    const wrong = problems(parcels, (p) => {
      if (p.parcelId !== `TD-${p.communeCode}-${String(p.mapSheetNo).padStart(3, '0')}-${String(p.parcelNo).padStart(5, '0')}`) return `${p.parcelId}: ID`;
      if (p.holders.reduce((sum, h) => sum + h.share, 0) !== 1) return `${p.parcelId}: shares`;
      if (new Set(p.holders.map((h) => h.certificateNo)).size !== 1 || !/^CS \d{6}$/.test(p.holders[0].certificateNo)) return `${p.parcelId}: certificate`;
      if (!['ONT', 'ODT', 'LUC', 'CLN', 'BHK', 'NTS', 'RSX', 'TMD'].includes(p.landUseCode)) return `${p.parcelId}: use`;
      for (const h of p.holders) {
        if (lifeStatusOf(world.citizens.get(h.personalId)!) !== 'LIVING') return `${p.parcelId}: dead holder`;
        if (!world.index.parcelsByOwner.get(h.personalId)?.includes(p.parcelId)) return `${p.parcelId}: not indexed`;
      }
    });
    expect(wrong).toEqual([]);
    expect(parcels.some((p) => p.holders.length === 2)).toBe(true);
    expect(new Set(parcels.map((p) => p.holders[0].certificateNo)).size).toBe(parcels.length);
  });
});

describe('insurance', () => {
  const records = [...world.insurance.values()];

  it('has 10-digit codes and 15-character cards', () => {
    const wrong = problems(records, (r) => {
      if (!/^\d{10}$/.test(r.insuranceCode)) return `${r.personalId}: code ${r.insuranceCode}`;
      const card = r.healthCard;
      if (card && (!/^[A-Z]{2}\d{13}$/.test(card.cardNumber) || !card.cardNumber.endsWith(r.insuranceCode))) return `${r.personalId}: card ${card.cardNumber}`;
      if (card && card.validFrom > card.validTo) return `${r.personalId}: card validity`;
    });
    expect(wrong).toEqual([]);
    expect(new Set(records.map((r) => r.insuranceCode)).size).toBe(records.length);
  });

  it('covers about 60% of working-age adults with contributions, most others with health cards only', () => {
    const working = citizens.filter((c) => !c.death && age(c.personalId) >= 18 && age(c.personalId) <= 60);
    const contributing = working.filter((c) => {
      const r = world.insurance.get(c.personalId);
      return r?.status === 'ACTIVE' && r.participationType !== 'HEALTH_ONLY';
    });
    expect(contributing.length / working.length).toBeGreaterThan(0.5);
    expect(contributing.length / working.length).toBeLessThan(0.7);
    expect(records.filter((r) => r.participationType === 'HEALTH_ONLY').length).toBeGreaterThan(records.length / 4);
  });

  it('leaves some people unenrolled and some cards expired', () => {
    expect(world.insurance.size).toBeLessThan(citizens.length * 0.97);
    expect(records.some((r) => r.healthCard && r.healthCard.validTo < world.asOf)).toBe(true);
    expect(records.some((r) => r.healthCard && r.healthCard.validTo >= world.asOf)).toBe(true);
  });
});

describe('budgets', () => {
  it('cover every commune and province for 2025 and 2026', () => {
    const units = [...world.catalogue.provinces.map((p) => p.Code), ...world.catalogue.communes.map((c) => c.Code)];
    const wrong = problems(units.flatMap((unit) => [2025, 2026].map((year) => [unit, year] as const)), ([unit, year]) => {
      const lines = world.budgets.get(unit)?.get(year);
      if (!lines) return `${unit} ${year}: no budget`;
      if (lines.filter((l) => l.section === 'REVENUE').length !== 19 || lines.filter((l) => l.section === 'EXPENDITURE').length !== 10) return `${unit} ${year}: lines`;
      for (const l of lines) {
        if (!Number.isSafeInteger(l.estimateVnd) || !Number.isSafeInteger(l.actualVnd)) return `${unit} ${year} ${l.itemCode}: not whole đồng`;
        if (year === 2026 ? l.actualVnd >= l.estimateVnd : l.actualVnd / l.estimateVnd < 0.8) return `${unit} ${year} ${l.itemCode}: actual ${l.actualVnd} of ${l.estimateVnd}`;
      }
    });
    expect(wrong).toEqual([]);
  });
});

describe('inconsistencies', () => {
  it('touch about the requested share of citizens, one each, of every kind', () => {
    expect(world.inconsistencies.length).toBe(Math.round(OPTIONS.size * OPTIONS.inconsistencyRate));
    expect(new Set(world.inconsistencies.map((i) => i.personalId)).size).toBe(world.inconsistencies.length);
    for (const kind of INCONSISTENCY_KINDS) expect(world.inconsistencies.filter((i) => i.kind === kind).length).toBeGreaterThan(0);
  });

  it('leave population with the stale value and civil status with the truth', () => {
    const wrong = problems(world.inconsistencies.filter((i) => i.civilStatusValue !== null), (i) => {
      const c = world.citizens.get(i.personalId)!;
      const view = populationView(c) as unknown as Record<string, string>;
      const truth = { ...c, lifeStatus: lifeStatusOf(c) } as unknown as Record<string, string>;
      if (view[i.field] !== i.populationValue || truth[i.field] !== i.civilStatusValue || i.populationValue === i.civilStatusValue) return `${i.personalId}: ${i.kind}`;
      if (c.updatedAt.population >= c.updatedAt.civilStatus) return `${i.personalId}: population updated after civil status`;
    });
    expect(wrong).toEqual([]);
    const stale = problems(citizens, (c) => c.populationStale !== null && !world.index.inconsistenciesByCitizen.has(c.personalId) && c.personalId);
    expect(stale).toEqual([]);
  });

  it('contradict the personal ID only in population: the ID agrees with civil status, not with population', () => {
    const wrong = problems(world.inconsistencies.filter((i) => i.kind === 'PERSONAL_ID_MISMATCH'), (i) => {
      const c = world.citizens.get(i.personalId)!;
      const decoded = decodePersonalId(c.personalId);
      const view = populationView(c);
      const agreesWithId = view.gender === decoded.gender && Number(view.dateOfBirth.slice(0, 4)) === decoded.birthYear;
      return (agreesWithId || !c.householdId || c.death) && i.personalId;
    });
    expect(wrong).toEqual([]);
  });

  it('list someone in a second household of their commune while their own record names the first', () => {
    const wrong = problems(world.inconsistencies.filter((i) => i.kind === 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS'), (i) => {
      const c = world.citizens.get(i.personalId)!;
      const second = world.households.get(i.populationValue)!;
      const own = world.households.get(c.householdId!)!;
      const listings = [...world.households.values()].filter((h) => h.members.some((m) => m.personalId === c.personalId));
      if (listings.length !== 2 || !own.members.some((m) => m.personalId === c.personalId)) return `${i.personalId}: listed ${listings.length} times`;
      return (second.householdId === own.householdId || second.communeCode !== c.communeCode || second.members.length > 7) && i.personalId;
    });
    expect(wrong).toEqual([]);
  });

  it('can be switched off', () => {
    expect(generateWorld({ ...OPTIONS, size: 500, inconsistencyRate: 0 }).inconsistencies).toHaveLength(0);
  });
});
