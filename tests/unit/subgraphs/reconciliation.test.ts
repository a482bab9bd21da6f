/**
 * The comparisons behind reconciliation, on hand-made records: the kinds the mock world never
 * seeds (a death only population knows, a person civil status lacks, a household that does not
 * list its registered member), the personal ID's digits, and names that differ only in spelling
 * of the same Unicode.
 */
import type { CivilStatusRecord } from '../../../sources/civil-status/client';
import { stampProvenance } from '../../../sources/kit/provenance';
import type { CitizenRecord, HouseholdRecord } from '../../../sources/population/client';
import { compareRecords, findingOrderKey, householdFindings, sortFindings } from '../../../subgraphs/reconciliation/compare';

const ID = '024090012345'; // digit 4: male, born 1900–1999; digits 5–6: 1990
const T_POP = '2025-01-01T08:00:00Z';
const T_CIVIL = '2026-01-01T08:00:00Z';

function citizen(overrides: Partial<CitizenRecord> = {}): CitizenRecord {
  return {
    personalId: ID,
    fullName: 'Nguyễn Văn An',
    dateOfBirth: '1990-03-05',
    gender: 'MALE',
    lifeStatus: 'LIVING',
    permanentResidence: { communeCode: '07210', address: 'Thôn Đông' },
    householdId: 'HK1',
    relationToHead: 'HEAD',
    maritalStatus: 'MARRIED',
    updatedAt: T_POP,
    household: null,
    provenance: stampProvenance('population', T_POP),
    ...overrides,
  };
}

function civil(overrides: Partial<CivilStatusRecord> = {}): CivilStatusRecord {
  return {
    personalId: ID,
    fullName: 'Nguyễn Văn An',
    dateOfBirth: '1990-03-05',
    gender: 'MALE',
    maritalStatus: 'MARRIED',
    birth: null,
    marriages: [],
    death: null,
    updatedAt: T_CIVIL,
    provenance: stampProvenance('civil-status', T_CIVIL),
    ...overrides,
  };
}

function household(householdId: string, members: string[]): HouseholdRecord {
  return {
    householdId,
    communeCode: '07210',
    address: 'Thôn Đông',
    headId: members[0],
    members: members.map((personalId, i) => ({ personalId, relationToHead: i === 0 ? 'HEAD' : 'CHILD' })),
    updatedAt: T_POP,
    provenance: stampProvenance('population', T_POP),
  };
}

describe('one person’s two records', () => {
  it('finds nothing when they agree, whatever the Unicode form or spacing of the name', () => {
    expect(compareRecords(citizen(), civil({ fullName: ' Nguyễn  Văn An'.normalize('NFD') }))).toEqual([]);
  });

  it('reports a death only population knows, with each side’s value and update time', () => {
    expect(compareRecords(citizen({ lifeStatus: 'DECEASED' }), civil())).toEqual([
      {
        kind: 'DEATH_NOT_IN_CIVIL_STATUS',
        personalId: ID,
        field: 'lifeStatus',
        sides: [
          { source: 'population', record: 'CITIZEN_RECORD', recordId: null, value: 'DECEASED', updatedAt: T_POP },
          { source: 'civil-status', record: 'CIVIL_STATUS_RECORD', recordId: null, value: 'LIVING', updatedAt: T_CIVIL },
        ],
      },
    ]);
  });

  it('reports a person civil status has no record of', () => {
    expect(compareRecords(citizen(), null).map((f) => [f.kind, f.sides[1].value, f.sides[1].updatedAt])).toEqual([['NOT_IN_CIVIL_STATUS', null, null]]);
  });

  it('reports a birth year the ID contradicts once, as the ID’s, not again as a differing date', () => {
    const found = compareRecords(citizen({ dateOfBirth: '1993-03-05' }), civil());
    expect(found.map((f) => [f.kind, f.field, f.sides.map((s) => s.value)])).toEqual([['PERSONAL_ID_MISMATCH', 'dateOfBirth', ['1990', '1993-03-05', '1990-03-05']]]);
  });

  it('reports a gender the ID’s digit 4 contradicts, even when it is civil status that holds it', () => {
    const found = compareRecords(citizen(), civil({ gender: 'FEMALE' }));
    expect(found.map((f) => [f.kind, f.field, f.sides.map((s) => `${s.record}=${s.value}`)])).toEqual([
      ['PERSONAL_ID_MISMATCH', 'gender', ['PERSONAL_ID=MALE', 'CITIZEN_RECORD=MALE', 'CIVIL_STATUS_RECORD=FEMALE']],
    ]);
  });

  it('reports several disagreements about one person, each on its own', () => {
    const found = compareRecords(citizen({ maritalStatus: 'SINGLE', fullName: 'Nguyễn Văn Ân' }), civil({ dateOfBirth: '1990-05-03' }));
    expect(found.map((f) => f.kind)).toEqual(['MARITAL_STATUS_DIFFERS', 'NAME_DIFFERS', 'BIRTH_DATE_DIFFERS']);
  });
});

describe('the household book', () => {
  const records = new Map([
    ['024190000001', citizen({ personalId: '024190000001', householdId: 'HK1' })],
    ['024190000002', citizen({ personalId: '024190000002', householdId: 'HK1' })],
    ['024190000003', citizen({ personalId: '024190000003', householdId: 'HK2' })],
  ]);

  it('finds a person two households list, naming their own record and both lists', () => {
    const found = householdFindings([household('HK1', ['024190000001', '024190000002']), household('HK2', ['024190000003', '024190000002'])], [], (id) => records.get(id));
    expect(found.map((f) => [f.kind, f.personalId, f.sides.map((s) => `${s.record}:${s.recordId ?? s.value}`)])).toEqual([
      ['HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS', '024190000002', ['CITIZEN_RECORD:HK1', 'HOUSEHOLD_MEMBERS:HK1', 'HOUSEHOLD_MEMBERS:HK2']],
    ]);
  });

  it('finds a listing the person’s record does not name, and a record whose household does not list them', () => {
    const found = householdFindings([household('HK1', ['024190000001', '024190000003']), household('HK2', ['024190000003'].slice(1))], [records.get('024190000002')!], (id) => records.get(id));
    expect(sortFindings(found).map((f) => [f.kind, f.personalId])).toEqual([
      ['HOUSEHOLD_MEMBERSHIP_DIFFERS', '024190000002'], // HK1 names no such member
      ['HOUSEHOLD_MEMBERSHIP_DIFFERS', '024190000003'], // listed by HK1, registered in HK2
    ]);
  });

  it('orders findings by person, then kind, so a cursor can resume after any of them', () => {
    const found = sortFindings([...compareRecords(citizen({ fullName: 'X' }), civil({ maritalStatus: 'SINGLE' }))]);
    expect(found.map((f) => f.kind)).toEqual(['MARITAL_STATUS_DIFFERS', 'NAME_DIFFERS']);
    expect(findingOrderKey(found[0]) < findingOrderKey(found[1])).toBe(true);
  });
});
