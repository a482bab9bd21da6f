/**
 * Client for the population source (CSDL quốc gia về dân cư): JSON REST with Vietnamese field
 * names, key in `X-API-Key`, citizens and households looked up in batches of up to 100 IDs,
 * a commune's residents read page by page. Dates arrive as `dd/MM/yyyy`.
 */
import type { Gender } from '../../lib/personal-id';
import { isPersonalId } from '../../lib/personal-id';
import { fromDayMonthYear } from '../kit/dates';
import { SourceError } from '../kit/errors';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';

/** The population source takes up to 100 citizen or household IDs per call. */
export const POPULATION_MAX_BATCH = 100;

export type LifeStatus = 'LIVING' | 'DECEASED';
/** The same values as the civil-status subgraph's MaritalStatus, so the two can be compared. */
export type MaritalStatus = 'SINGLE' | 'MARRIED' | 'DIVORCED' | 'WIDOWED';
export type RelationToHead = 'HEAD' | 'SPOUSE' | 'CHILD' | 'PARENT' | 'GRANDCHILD' | 'SIBLING' | 'OTHER';

export interface ResidenceRecord {
  communeCode: string;
  address: string;
}

export interface CitizenRecord {
  personalId: string;
  fullName: string;
  dateOfBirth: string;
  gender: Gender;
  lifeStatus: LifeStatus;
  permanentResidence: ResidenceRecord;
  householdId: string | null;
  relationToHead: RelationToHead | null;
  /**
   * Marital status as the population database records it. Not in the schema: civil status holds
   * the legal record, and reconciling the two is a later step.
   */
  maritalStatus: MaritalStatus;
  /** When the population database last changed the record (ISO 8601), for reconciliation. */
  updatedAt: string;
  /** The household, when the source sends it along with the citizen (`hoGiaDinh`). */
  household: HouseholdRecord | null;
  provenance: Provenance;
}

export interface HouseholdMemberRecord {
  personalId: string;
  relationToHead: RelationToHead;
}

export interface HouseholdRecord {
  householdId: string;
  communeCode: string;
  address: string;
  headId: string;
  members: HouseholdMemberRecord[];
  updatedAt: string;
  provenance: Provenance;
}

export interface ResidentsPage {
  totalCount: number;
  citizens: CitizenRecord[];
  hasNextPage: boolean;
  /** The source's cursor for the next page, passed through untouched. */
  endCursor: string | null;
}

// Maps, not object literals: a lookup of "toString" or "constructor" must find nothing.
const GENDER = new Map<string, Gender>([
  ['Nam', 'MALE'],
  ['Nữ', 'FEMALE'],
]);
const LIFE_STATUS = new Map<string, LifeStatus>([
  ['CON_SONG', 'LIVING'],
  ['DA_CHET', 'DECEASED'],
]);
const MARITAL_STATUS = new Map<string, MaritalStatus>([
  ['CHUA_KET_HON', 'SINGLE'],
  ['DA_KET_HON', 'MARRIED'],
  ['LY_HON', 'DIVORCED'],
  ['GOA', 'WIDOWED'],
]);
const RELATION = new Map<string, RelationToHead>([
  ['CHU_HO', 'HEAD'],
  ['VO_CHONG', 'SPOUSE'],
  ['CON', 'CHILD'],
  ['CHA_ME', 'PARENT'],
  ['CHAU', 'GRANDCHILD'],
  ['ANH_CHI_EM', 'SIBLING'],
  ['KHAC', 'OTHER'],
]);

type Wire = Record<string, unknown>;

function isObject(value: unknown): value is Wire {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== '';
}

function isCommuneCode(value: unknown): value is string {
  return typeof value === 'string' && /^\d{5}$/.test(value);
}

/** Looks a wire code up in `table`; undefined for anything that is not one of its keys. */
function lookup<T>(table: ReadonlyMap<string, T>, value: unknown): T | undefined {
  return typeof value === 'string' ? table.get(value.normalize('NFC')) : undefined;
}

/** `dd/MM/yyyy` → `YYYY-MM-DD`, or null when the text is not a real calendar date. */
function calendarDate(value: unknown): string | null {
  const iso = typeof value === 'string' ? fromDayMonthYear(value) : null;
  if (!iso) return null;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso) ? iso : null;
}

/** A value that may be absent: undefined/null → null, otherwise `check` decides (undefined = invalid). */
function optional<T>(value: unknown, check: (value: unknown) => T | undefined): T | null | undefined {
  return value === undefined || value === null ? null : check(value);
}

export class PopulationClient extends SourceClient {
  readonly source = 'population' as const;

  protected authHeaders(): Record<string, string> {
    return { 'x-api-key': this.apiKey };
  }

  /** The citizens found among `personalIds` (at most POPULATION_MAX_BATCH), by personal ID. */
  getCitizens(personalIds: readonly string[]): Promise<Map<string, CitizenRecord>> {
    return this.batchGet('/api/v1/citizens:batchGet', 'soDinhDanh', personalIds, (wire, fetchedAt) => {
      const citizen = this.mapCitizen(wire, fetchedAt);
      return [citizen.personalId, citizen];
    });
  }

  /** The households found among `householdIds` (at most POPULATION_MAX_BATCH), by household ID. */
  getHouseholds(householdIds: readonly string[]): Promise<Map<string, HouseholdRecord>> {
    return this.batchGet('/api/v1/households:batchGet', 'maHo', householdIds, (wire, fetchedAt) => {
      const household = this.mapHousehold(wire, fetchedAt);
      return [household.householdId, household];
    });
  }

  /** One page of a commune's permanent residents (ordered by personal ID), or null for an unknown commune. */
  async getResidents(communeCode: string, limit: number, cursor?: string | null): Promise<ResidentsPage | null> {
    const response = await this.send({
      path: `/api/v1/communes/${encodeURIComponent(communeCode)}/residents`,
      query: { limit, cursor: cursor ?? undefined },
    });
    if (response.status === 404) return null;
    const wire = this.parseJson<unknown>(response);
    if (!isObject(wire) || !Array.isArray(wire.ketQua)) throw this.badResponse('a residents page without its list of citizens');
    const { tongSo, conTiep, conTroTiep } = wire;
    const endCursor = optional(conTroTiep, (value) => (isText(value) ? value : undefined));
    if (
      typeof tongSo !== 'number' ||
      !Number.isSafeInteger(tongSo) ||
      tongSo < 0 ||
      typeof conTiep !== 'boolean' ||
      endCursor === undefined ||
      (conTiep && endCursor === null)
    ) {
      throw this.badResponse('a residents page with missing or unexpected paging fields');
    }
    const fetchedAt = new Date();
    return { totalCount: tongSo, citizens: wire.ketQua.map((citizen) => this.mapCitizen(citizen, fetchedAt)), hasNextPage: conTiep, endCursor };
  }

  /**
   * Posts one batch lookup and maps each record of its `ketQua` list to a [key, record] entry;
   * IDs the source lacks (listed in `khongTimThay`) are simply absent from the result.
   */
  private async batchGet<T>(
    path: string,
    idsField: string,
    ids: readonly string[],
    toEntry: (wire: unknown, fetchedAt: Date) => [string, T],
  ): Promise<Map<string, T>> {
    const response = await this.send({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ [idsField]: ids }),
    });
    // The batch endpoints report unknown IDs in `khongTimThay`; a 404 means the endpoint itself is missing.
    if (response.status === 404) {
      throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', `The ${this.source} source answered HTTP 404`, 404);
    }
    const wire = this.parseJson<unknown>(response);
    if (!isObject(wire) || !Array.isArray(wire.ketQua)) throw this.badResponse('a batch answer without its list of results');
    const notFound = wire.khongTimThay;
    if (notFound !== undefined && notFound !== null && !(Array.isArray(notFound) && notFound.every((id) => typeof id === 'string'))) {
      throw this.badResponse('a list of unknown IDs that is not a list of strings');
    }
    const fetchedAt = new Date();
    return new Map(wire.ketQua.map((record) => toEntry(record, fetchedAt)));
  }

  private mapCitizen(wire: unknown, fetchedAt: Date): CitizenRecord {
    if (!isObject(wire)) throw this.badResponse('a citizen record that is not an object');
    const residence = wire.noiThuongTru;
    const dateOfBirth = calendarDate(wire.ngaySinh);
    const gender = lookup(GENDER, wire.gioiTinh);
    const lifeStatus = lookup(LIFE_STATUS, wire.trangThai);
    const maritalStatus = lookup(MARITAL_STATUS, wire.tinhTrangHonNhan);
    const householdId = optional(wire.maHo, (value) => (isText(value) ? value : undefined));
    const relationToHead = optional(wire.quanHeVoiChuHo, (value) => lookup(RELATION, value));
    if (
      !isPersonalId(wire.soDinhDanh) ||
      !isText(wire.hoVaTen) ||
      !dateOfBirth ||
      !gender ||
      !lifeStatus ||
      !maritalStatus ||
      !isObject(residence) ||
      !isCommuneCode(residence.maXa) ||
      typeof residence.diaChiChiTiet !== 'string' ||
      householdId === undefined ||
      relationToHead === undefined ||
      typeof wire.ngayCapNhat !== 'string'
    ) {
      throw this.badResponse('a citizen record with missing or unexpected fields');
    }
    const household = optional(wire.hoGiaDinh, (value) => this.mapHousehold(value, fetchedAt));
    if (household && household.householdId !== householdId) {
      throw this.badResponse('a citizen whose household record names another household');
    }
    return {
      personalId: wire.soDinhDanh,
      fullName: wire.hoVaTen,
      dateOfBirth,
      gender,
      lifeStatus,
      permanentResidence: { communeCode: residence.maXa, address: residence.diaChiChiTiet },
      householdId,
      relationToHead,
      maritalStatus,
      updatedAt: wire.ngayCapNhat,
      household: household ?? null,
      provenance: stampProvenance(this.source, wire.ngayCapNhat, fetchedAt),
    };
  }

  private mapHousehold(wire: unknown, fetchedAt: Date): HouseholdRecord {
    if (
      !isObject(wire) ||
      !isText(wire.maHo) ||
      !isCommuneCode(wire.maXa) ||
      typeof wire.diaChi !== 'string' ||
      !isPersonalId(wire.chuHo) ||
      !Array.isArray(wire.thanhVien) ||
      typeof wire.ngayCapNhat !== 'string'
    ) {
      throw this.badResponse('a household record with missing or unexpected fields');
    }
    const members = wire.thanhVien.map((member: unknown): HouseholdMemberRecord => {
      const relationToHead = isObject(member) ? lookup(RELATION, member.quanHeVoiChuHo) : undefined;
      if (!isObject(member) || !isPersonalId(member.soDinhDanh) || !relationToHead) {
        throw this.badResponse('a household member with missing or unexpected fields');
      }
      return { personalId: member.soDinhDanh, relationToHead };
    });
    return {
      householdId: wire.maHo,
      communeCode: wire.maXa,
      address: wire.diaChi,
      headId: wire.chuHo,
      members,
      updatedAt: wire.ngayCapNhat,
      provenance: stampProvenance(this.source, wire.ngayCapNhat, fetchedAt),
    };
  }
}
