/**
 * Client for the population source (CSDL quốc gia về dân cư): JSON REST with Vietnamese field
 * names, key in `X-API-Key`, citizens and households looked up in batches of up to 100 IDs,
 * a commune's residents read page by page. Dates arrive as `dd/MM/yyyy`.
 */
import type { Gender } from '../../lib/personal-id';
import { fromDayMonthYear } from '../kit/dates';
import { SourceError } from '../kit/errors';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';
import { code, communeCode, nonBlank, nullable, personalId, textAs, wireObject, z } from '../kit/wire';

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

/** `dd/MM/yyyy` → `YYYY-MM-DD`, or null when the text is not a real calendar date. */
function calendarDate(text: string): string | null {
  const iso = fromDayMonthYear(text);
  if (!iso) return null;
  const date = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(iso) ? iso : null;
}

const relation = code(RELATION, { nfc: true });

const WIRE_CITIZEN = z.object({
  soDinhDanh: personalId,
  hoVaTen: nonBlank,
  ngaySinh: textAs(calendarDate),
  gioiTinh: code(GENDER, { nfc: true }),
  trangThai: code(LIFE_STATUS, { nfc: true }),
  tinhTrangHonNhan: code(MARITAL_STATUS, { nfc: true }),
  noiThuongTru: z.object({ maXa: communeCode, diaChiChiTiet: z.string() }),
  maHo: nullable(nonBlank),
  quanHeVoiChuHo: nullable(relation),
  ngayCapNhat: z.string(),
  // Checked on its own below, so that a bad household is reported as one.
  hoGiaDinh: z.unknown().optional(),
});

const WIRE_HOUSEHOLD = z.object({
  maHo: nonBlank,
  maXa: communeCode,
  diaChi: z.string(),
  chuHo: personalId,
  // Checked one by one below, so that a bad member is reported as one.
  thanhVien: z.array(z.unknown()),
  ngayCapNhat: z.string(),
});

const WIRE_MEMBER = z.object({ soDinhDanh: personalId, quanHeVoiChuHo: relation });

/** A batch answer: the records found, and the IDs the source does not know. */
const WIRE_BATCH = z.object({ ketQua: z.array(z.unknown()), khongTimThay: z.unknown().optional() });
const WIRE_NOT_FOUND = z.array(z.string()).nullish();

const WIRE_RESIDENTS = z.object({
  ketQua: z.array(z.unknown()),
  tongSo: z.unknown().optional(),
  conTiep: z.unknown().optional(),
  conTroTiep: z.unknown().optional(),
});
const WIRE_PAGING = z
  .object({ tongSo: z.number().int().nonnegative(), conTiep: z.boolean(), conTroTiep: nullable(nonBlank) })
  // A page that says more follow must say where they start.
  .refine((paging) => !paging.conTiep || paging.conTroTiep !== null);

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
    const wire = this.check(WIRE_RESIDENTS, this.parseJson<unknown>(response), 'a residents page without its list of citizens');
    const paging = this.check(WIRE_PAGING, wire, 'a residents page with missing or unexpected paging fields');
    const fetchedAt = new Date();
    return {
      totalCount: paging.tongSo,
      citizens: wire.ketQua.map((citizen) => this.mapCitizen(citizen, fetchedAt)),
      hasNextPage: paging.conTiep,
      endCursor: paging.conTroTiep,
    };
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
    const wire = this.check(WIRE_BATCH, this.parseJson<unknown>(response), 'a batch answer without its list of results');
    this.check(WIRE_NOT_FOUND, wire.khongTimThay, 'a list of unknown IDs that is not a list of strings');
    const fetchedAt = new Date();
    return new Map(wire.ketQua.map((record) => toEntry(record, fetchedAt)));
  }

  private mapCitizen(record: unknown, fetchedAt: Date): CitizenRecord {
    this.check(wireObject, record, 'a citizen record that is not an object');
    const wire = this.check(WIRE_CITIZEN, record, 'a citizen record with missing or unexpected fields');
    const household = wire.hoGiaDinh === undefined || wire.hoGiaDinh === null ? null : this.mapHousehold(wire.hoGiaDinh, fetchedAt);
    if (household && household.householdId !== wire.maHo) {
      throw this.badResponse('a citizen whose household record names another household');
    }
    return {
      personalId: wire.soDinhDanh,
      fullName: wire.hoVaTen,
      dateOfBirth: wire.ngaySinh,
      gender: wire.gioiTinh,
      lifeStatus: wire.trangThai,
      permanentResidence: { communeCode: wire.noiThuongTru.maXa, address: wire.noiThuongTru.diaChiChiTiet },
      householdId: wire.maHo,
      relationToHead: wire.quanHeVoiChuHo,
      maritalStatus: wire.tinhTrangHonNhan,
      updatedAt: wire.ngayCapNhat,
      household,
      provenance: stampProvenance(this.source, wire.ngayCapNhat, fetchedAt),
    };
  }

  private mapHousehold(record: unknown, fetchedAt: Date): HouseholdRecord {
    const wire = this.check(WIRE_HOUSEHOLD, record, 'a household record with missing or unexpected fields');
    const members = wire.thanhVien.map((member): HouseholdMemberRecord => {
      const checked = this.check(WIRE_MEMBER, member, 'a household member with missing or unexpected fields');
      return { personalId: checked.soDinhDanh, relationToHead: checked.quanHeVoiChuHo };
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
