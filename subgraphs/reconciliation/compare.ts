/**
 * Where the population database and the legal record disagree about one person, and where the
 * household book contradicts itself. Pure functions over records the source clients mapped, so
 * the per-citizen check and the commune-wide run find exactly the same things. A finding names
 * the sources, the value on each side and when each side last changed; never a judgement of who
 * is right (civil status holds the legal record, but the officer decides).
 */
import type { UnitResolution } from '../../lib/admin-units';
import { decodePersonalId } from '../../lib/personal-id';
import type { SourceName } from '../../lib/sources';
import type { CivilStatusRecord } from '../../sources/civil-status/client';
import type { CitizenRecord, HouseholdRecord } from '../../sources/population/client';

export const DISCREPANCY_KINDS = [
  'DEATH_NOT_IN_POPULATION',
  'DEATH_NOT_IN_CIVIL_STATUS',
  'MARITAL_STATUS_DIFFERS',
  'NAME_DIFFERS',
  'BIRTH_DATE_DIFFERS',
  'PERSONAL_ID_MISMATCH',
  'NOT_IN_CIVIL_STATUS',
  'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS',
  'HOUSEHOLD_MEMBERSHIP_DIFFERS',
  'RESIDENCE_DIFFERS',
  'RETIRED_UNIT_RECORDED',
] as const;
export type DiscrepancyKind = (typeof DISCREPANCY_KINDS)[number];

/** What on a side holds the value. */
export type SideRecord = 'CITIZEN_RECORD' | 'CIVIL_STATUS_RECORD' | 'PERSONAL_ID' | 'HOUSEHOLD_MEMBERS' | 'HOUSEHOLD_RECORD' | 'UNIT_CONVERSION';

export interface FindingSide {
  source: SourceName;
  record: SideRecord;
  /** The household whose member list this side is (HOUSEHOLD_MEMBERS). */
  recordId: string | null;
  value: string | null;
  /** When that record last changed, as its source says; null for the personal ID itself. */
  updatedAt: string | null;
}

export interface Finding {
  kind: DiscrepancyKind;
  /** Whom the finding is about. */
  personalId: string;
  /** The field as the schema names it: lifeStatus, maritalStatus, fullName, dateOfBirth, gender, householdId. */
  field: string;
  sides: FindingSide[];
}

function side(source: SourceName, record: SideRecord, value: string | null, updatedAt: string | null, recordId: string | null = null): FindingSide {
  return { source, record, recordId, value, updatedAt };
}

/** Names are compared as people read them: Unicode-normalised, spaces collapsed. */
function sameName(a: string, b: string): boolean {
  const normal = (name: string) => name.normalize('NFC').trim().replace(/\s+/g, ' ');
  return normal(a) === normal(b);
}

/** One person's population record against their civil-status record (null: civil status has none). */
export function compareRecords(citizen: CitizenRecord, civil: CivilStatusRecord | null): Finding[] {
  const id = citizen.personalId;
  const population = (value: string | null) => side('population', 'CITIZEN_RECORD', value, citizen.updatedAt);
  const civilStatus = (value: string | null) => side('civil-status', 'CIVIL_STATUS_RECORD', value, civil?.updatedAt ?? null);
  const finding = (kind: DiscrepancyKind, field: string, sides: FindingSide[]): Finding => ({ kind, personalId: id, field, sides });
  const found: Finding[] = [];

  // The ID's own digits: digit 4 gives gender and century, digits 5–6 the birth year.
  const decoded = decodePersonalId(id);
  const encoded = (value: string) => side('population', 'PERSONAL_ID', value, null);
  const contradictsId = {
    gender: (gender: string) => gender !== decoded.gender,
    dateOfBirth: (date: string) => Number(date.slice(0, 4)) !== decoded.birthYear,
  };
  const idSides = (field: 'gender' | 'dateOfBirth', populationValue: string, civilValue: string | null) => [
    encoded(field === 'gender' ? decoded.gender : String(decoded.birthYear)),
    population(populationValue),
    ...(civil ? [civilStatus(civilValue)] : []),
  ];
  if (contradictsId.gender(citizen.gender) || (civil && contradictsId.gender(civil.gender))) {
    found.push(finding('PERSONAL_ID_MISMATCH', 'gender', idSides('gender', citizen.gender, civil?.gender ?? null)));
  }
  const birthYearContradicted = contradictsId.dateOfBirth(citizen.dateOfBirth) || (civil !== null && contradictsId.dateOfBirth(civil.dateOfBirth));
  if (birthYearContradicted) {
    found.push(finding('PERSONAL_ID_MISMATCH', 'dateOfBirth', idSides('dateOfBirth', citizen.dateOfBirth, civil?.dateOfBirth ?? null)));
  }

  if (!civil) {
    found.push(finding('NOT_IN_CIVIL_STATUS', 'personalId', [population(id), civilStatus(null)]));
    return found;
  }
  const civilLife = civil.death ? 'DECEASED' : 'LIVING';
  if (civilLife !== citizen.lifeStatus) {
    const kind = civilLife === 'DECEASED' ? 'DEATH_NOT_IN_POPULATION' : 'DEATH_NOT_IN_CIVIL_STATUS';
    found.push(finding(kind, 'lifeStatus', [population(citizen.lifeStatus), civilStatus(civilLife)]));
  }
  if (civil.maritalStatus !== citizen.maritalStatus) {
    found.push(finding('MARITAL_STATUS_DIFFERS', 'maritalStatus', [population(citizen.maritalStatus), civilStatus(civil.maritalStatus)]));
  }
  if (!sameName(civil.fullName, citizen.fullName)) {
    found.push(finding('NAME_DIFFERS', 'fullName', [population(citizen.fullName), civilStatus(civil.fullName)]));
  }
  // A birth year the ID contradicts is reported as such, not a second time as a differing date.
  if (!birthYearContradicted && civil.dateOfBirth !== citizen.dateOfBirth) {
    found.push(finding('BIRTH_DATE_DIFFERS', 'dateOfBirth', [population(citizen.dateOfBirth), civilStatus(civil.dateOfBirth)]));
  }
  return found;
}

/**
 * Where a person lives, read in today's units on both sides: the person's record against the
 * household book entry of the household that lists them. Only a different place is a
 * disagreement (RESIDENCE_DIFFERS): an old code and the new code of the commune that absorbed it
 * agree, and a split old commune agrees with any of its parts. A record that still names a
 * retired commune is a finding of its own (RETIRED_UNIT_RECORDED), with today's unit beside it.
 */
export function residenceFindings(citizen: CitizenRecord, household: HouseholdRecord | null, placed: (code: string) => UnitResolution | undefined): Finding[] {
  const found: Finding[] = [];
  const recorded = citizen.permanentResidence.communeCode;
  const own = placed(recorded);
  const recordSide = side('population', 'CITIZEN_RECORD', recorded, citizen.updatedAt);
  if (own && (own.status === 'RETIRED_RESOLVED' || own.status === 'RETIRED_AMBIGUOUS')) {
    found.push({ kind: 'RETIRED_UNIT_RECORDED', personalId: citizen.personalId, field: 'residence', sides: [recordSide, side('catalogue', 'UNIT_CONVERSION', own.candidateCodes.join(' '), null)] });
  }
  const listed = household && household.members.some((member) => member.personalId === citizen.personalId);
  const book = listed ? placed(household.communeCode) : undefined;
  if (own && book && own.candidateCodes.length > 0 && book.candidateCodes.length > 0 && !own.candidateCodes.some((code) => book.candidateCodes.includes(code))) {
    found.push({
      kind: 'RESIDENCE_DIFFERS',
      personalId: citizen.personalId,
      field: 'residence',
      sides: [recordSide, side('population', 'HOUSEHOLD_RECORD', household!.communeCode, household!.updatedAt, household!.householdId)],
    });
  }
  return found;
}

/**
 * Contradictions of the household book among `households`, for the people listed in them and for
 * `registered` (people whose own record names one of them): someone listed by two households, or
 * listed by a household their record does not name (or not listed by the one it names). Every
 * household a listed person's record names must be among `households` for the answer to be whole.
 */
export function householdFindings(
  households: readonly HouseholdRecord[],
  registered: readonly CitizenRecord[],
  recordOf: (personalId: string) => CitizenRecord | null | undefined,
): Finding[] {
  const byId = new Map(households.map((household) => [household.householdId, household]));
  const listings = new Map<string, HouseholdRecord[]>();
  for (const household of households) {
    for (const member of household.members) {
      const list = listings.get(member.personalId);
      if (list) list.push(household);
      else listings.set(member.personalId, [household]);
    }
  }
  const found: Finding[] = [];
  const listingSide = (household: HouseholdRecord) => side('population', 'HOUSEHOLD_MEMBERS', household.householdId, household.updatedAt, household.householdId);
  for (const [personalId, listedIn] of listings) {
    const record = recordOf(personalId);
    const recordSide = side('population', 'CITIZEN_RECORD', record?.householdId ?? null, record?.updatedAt ?? null);
    if (listedIn.length >= 2) {
      found.push({ kind: 'HOUSEHOLD_MEMBER_IN_TWO_HOUSEHOLDS', personalId, field: 'householdId', sides: [recordSide, ...listedIn.map(listingSide)] });
    } else if (record && record.householdId !== listedIn[0].householdId) {
      found.push({ kind: 'HOUSEHOLD_MEMBERSHIP_DIFFERS', personalId, field: 'householdId', sides: [recordSide, listingSide(listedIn[0])] });
    }
  }
  for (const citizen of registered) {
    const named = citizen.householdId ? byId.get(citizen.householdId) : undefined;
    if (named && !listings.has(citizen.personalId)) {
      found.push({
        kind: 'HOUSEHOLD_MEMBERSHIP_DIFFERS',
        personalId: citizen.personalId,
        field: 'householdId',
        sides: [side('population', 'CITIZEN_RECORD', citizen.householdId, citizen.updatedAt), side('population', 'HOUSEHOLD_MEMBERS', null, named.updatedAt, named.householdId)],
      });
    }
  }
  return found;
}

const KIND_RANK = new Map<string, number>(DISCREPANCY_KINDS.map((kind, i) => [kind, i]));

/** A finding's place in the stable order (by person, then kind, then field), as one comparable string. */
export function findingOrderKey(finding: Finding): string {
  return `${finding.personalId}|${String(KIND_RANK.get(finding.kind)).padStart(2, '0')}|${finding.field}`;
}

/** Findings in the stable order. */
export function sortFindings<T extends Finding>(findings: T[]): T[] {
  const keyed = findings.map((finding) => [findingOrderKey(finding), finding] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return keyed.map(([, finding]) => finding);
}
