/**
 * The living population: communes get roughly equal shares (with variance), filled with
 * households of 1–7 people. A household has a head, usually a spouse, and children, sometimes
 * the head's parents, or an adult child with a spouse and grandchildren; now and then a sibling
 * or another relative. Couples living together are married to each other; parents' names on
 * birth registrations are the household members' names where they live together.
 */
import type { Gender } from '../../lib/personal-id';
import { MARRIAGE_AGE, WorldBuilder } from './builder';
import { addYears, ageOn, dayOf, yearOfDay } from './dates';
import { familyOf, fullName } from './names';
import { Weighted } from './prng';
import type { Citizen, Household, RelationToHead } from './types';

const HOUSEHOLD_SIZE = new Weighted<number>([[1, 10], [2, 16], [3, 22], [4, 25], [5, 14], [6, 8], [7, 5]]);

export function populateCommunes(b: WorldBuilder, people: number): void {
  const communes = b.catalogue.communes;
  const weights = communes.map(() => 0.4 + b.rng.next() * 1.2);
  const total = weights.reduce((sum, w) => sum + w, 0);
  const quotas = weights.map((w) => Math.floor((people * w) / total));
  let short = people - quotas.reduce((sum, q) => sum + q, 0);
  for (let i = 0; short > 0; i = (i + 1) % communes.length, short--) quotas[i]++;

  communes.forEach((commune, i) => {
    for (let left = quotas[i]; left > 0; ) {
      const size = Math.min(HOUSEHOLD_SIZE.pick(b.rng), left);
      new HouseholdDraft(b, commune.Code).fill(size);
      left -= size;
    }
  });
}

const opposite = (gender: Gender): Gender => (gender === 'MALE' ? 'FEMALE' : 'MALE');

/** One household being put together: its members are added until it has its size. */
class HouseholdDraft {
  private readonly id: string;
  private readonly address: string;
  private readonly members: Citizen[] = [];

  constructor(
    private readonly b: WorldBuilder,
    private readonly communeCode: string,
  ) {
    this.id = b.nextHouseholdId();
    this.address = b.addresses.home(communeCode);
  }

  fill(size: number): void {
    const { rng } = this.b;
    const headAge = 22 + Math.floor(((rng.next() + rng.next()) / 2) * 60);
    const head = this.add('HEAD', rng.chance(0.72) ? 'MALE' : 'FEMALE', headAge);
    let spouse: Citizen | undefined;
    if (size >= 2 && rng.chance(headAge >= 72 ? 0.55 : 0.86)) {
      // Husbands are usually a little older than their wives.
      const gap = rng.int(-1, 6) * (head.gender === 'MALE' ? -1 : 1);
      spouse = this.add('SPOUSE', opposite(head.gender), Math.max(MARRIAGE_AGE[opposite(head.gender)] + 1, headAge + gap));
      this.marryCouple(head, spouse);
    }
    const [father, mother] = parentsOf(head, spouse);

    if (size - this.members.length >= 2 && headAge >= 50 && rng.chance(0.45)) {
      this.addThreeGenerations(size, father, mother);
    } else {
      if (size - this.members.length >= 1 && headAge <= 55 && rng.chance(0.25)) this.addParentsOf(head, size);
      this.addChildren(size, father, mother, head);
    }
    const household: Household = {
      householdId: this.id,
      communeCode: this.communeCode,
      address: this.address,
      headId: head.personalId,
      members: this.members.map((m) => ({ personalId: m.personalId, relationToHead: m.relationToHead! })),
      updatedAt: '',
    };
    this.b.households.set(household.householdId, household);
  }

  /** An adult child with (usually) a spouse, and their children. */
  private addThreeGenerations(size: number, father?: Citizen, mother?: Citizen): void {
    const { rng } = this.b;
    const youngest = Math.min(...[father, mother].filter(isPresent).map((p) => this.age(p)));
    const childAge = Math.max(20, youngest - rng.int(20, 30));
    const child = this.addChildOf('CHILD', rng.chance(0.7) ? 'MALE' : 'FEMALE', childAge, father, mother);
    let inLaw: Citizen | undefined;
    if (size - this.members.length >= 2 && rng.chance(0.8)) {
      // A son- or daughter-in-law: KHAC (other) in the household book.
      inLaw = this.add('OTHER', opposite(child.gender), Math.max(MARRIAGE_AGE[opposite(child.gender)] + 1, childAge + rng.int(-4, 4)));
      this.marryCouple(child, inLaw);
    }
    const [gFather, gMother] = parentsOf(child, inLaw);
    const maxAge = Math.max(0, Math.min(...[gFather, gMother].filter(isPresent).map((p) => this.age(p))) - 19);
    while (this.members.length < size) this.addChildOf('GRANDCHILD', rng.chance(0.5) ? 'MALE' : 'FEMALE', rng.int(0, maxAge), gFather, gMother);
  }

  /** One or both of the head's parents; their names go on the head's birth registration. */
  private addParentsOf(head: Citizen, size: number): void {
    const { rng } = this.b;
    const headAge = this.age(head);
    const both = size - this.members.length >= 2 && rng.chance(0.5);
    const fatherAge = headAge + rng.int(22, 32);
    // A lone surviving parent is more often the mother.
    const father = both || rng.chance(0.3) ? this.add('PARENT', 'MALE', fatherAge, familyOf(head.fullName)) : undefined;
    const mother = both || !father ? this.add('PARENT', 'FEMALE', Math.max(headAge + 19, fatherAge - rng.int(0, 5))) : undefined;
    if (father) head.birth.fatherName = father.fullName;
    if (mother) head.birth.motherName = mother.fullName;
    if (father && mother) this.marryCouple(father, mother);
  }

  private addChildren(size: number, father: Citizen | undefined, mother: Citizen | undefined, head: Citizen): void {
    const { rng } = this.b;
    const parentAges = [father, mother].filter(isPresent).map((p) => this.age(p));
    const maxAge = Math.max(0, Math.min(...parentAges) - 19);
    while (this.members.length < size) {
      const r = rng.next();
      if (r < 0.05) {
        this.add('SIBLING', rng.chance(0.5) ? 'MALE' : 'FEMALE', Math.max(10, this.age(head) + rng.int(-10, 10)), familyOf(head.fullName));
      } else if (r < 0.07) {
        this.add('OTHER', rng.chance(0.5) ? 'MALE' : 'FEMALE', rng.int(5, 70));
      } else {
        // Children grown past 40 have mostly left home.
        this.addChildOf('CHILD', rng.chance(0.52) ? 'MALE' : 'FEMALE', rng.int(0, Math.min(maxAge, 40)), father, mother);
      }
    }
  }

  private addChildOf(relation: RelationToHead, gender: Gender, age: number, father?: Citizen, mother?: Citizen): Citizen {
    const { rng } = this.b;
    // Children take the father's family name; a single mother's child takes hers.
    const family = familyOf((father ?? mother)!.fullName);
    // An absent parent is named on the registration, or (for some fathers) not at all.
    const parentYear = yearOfDay(this.b.asOfDay) - age - 28;
    return this.add(relation, gender, age, family, {
      fatherName: father?.fullName ?? (rng.chance(0.85) ? fullName(rng, 'MALE', parentYear, family) : null),
      motherName: mother?.fullName ?? fullName(rng, 'FEMALE', parentYear),
    });
  }

  private add(relation: RelationToHead, gender: Gender, age: number, family?: string, parents: { fatherName?: string | null; motherName?: string | null } = {}): Citizen {
    const citizen = this.b.addPerson({
      gender,
      birthDay: this.b.birthDayForAge(age),
      communeCode: this.communeCode,
      address: this.address,
      householdId: this.id,
      relationToHead: relation,
      family,
      ...parents,
    });
    this.members.push(citizen);
    return citizen;
  }

  /** Registered once both could legally marry, within about a decade of that. */
  private marryCouple(a: Citizen, b: Citizen): void {
    const { rng, asOfDay } = this.b;
    const earliest = Math.max(...[a, b].map((p) => addYears(dayOf(p.dateOfBirth), MARRIAGE_AGE[p.gender])));
    const latest = Math.min(asOfDay - 30, earliest + 3650);
    this.b.marry(a, b, rng.int(earliest, Math.max(earliest, latest)));
  }

  private age(citizen: Citizen): number {
    return ageOn(dayOf(citizen.dateOfBirth), this.b.asOfDay);
  }
}

function parentsOf(a: Citizen, b?: Citizen): [Citizen | undefined, Citizen | undefined] {
  const pair = [a, b].filter(isPresent);
  return [pair.find((p) => p.gender === 'MALE'), pair.find((p) => p.gender === 'FEMALE')];
}

function isPresent<T>(value: T | undefined): value is T {
  return value !== undefined;
}
