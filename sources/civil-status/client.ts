/**
 * Client for the civil-status source (hộ tịch điện tử, Ministry of Justice): operation
 * `LayHoSoHoTich` at `POST /HoTichService`, 1–50 personal IDs per call, ISO `YYYY-MM-DD` dates;
 * its answers checked against their schema and mapped into civil-status records. The SOAP
 * transport is soap.ts.
 */
import { isPersonalId, type Gender } from '../../lib/personal-id';
import { isIsoDate } from '../kit/dates';
import { Provenance, stampProvenance } from '../kit/provenance';
import { code, wireObject, z } from '../kit/wire';
import { CivilStatusSoapClient, escapeXml, soapEnvelope } from './soap';

/** The source answers at most this many IDs per call. */
export const CIVIL_STATUS_MAX_BATCH = 50;

export const SOAP_ACTION = '"urn:hotich:v1/LayHoSoHoTich"';

export type MaritalStatus = 'SINGLE' | 'MARRIED' | 'DIVORCED' | 'WIDOWED';
export type MarriageStatus = 'ACTIVE' | 'DIVORCED' | 'ENDED_BY_DEATH';

/** A reference to a Commune entity, resolved by the subgraph that owns communes. */
export interface CommuneRef {
  code: string;
}

/** A reference to a Citizen entity. */
export interface CitizenRef {
  personalId: string;
}

export interface BirthRecord {
  registrationNumber: string;
  registeredOn: string;
  registeredAt: CommuneRef;
  fatherName: string | null;
  motherName: string | null;
}

export interface MarriageRecord {
  registrationNumber: string;
  registeredOn: string;
  spouse: CitizenRef | null;
  spouseName: string;
  status: MarriageStatus;
  endedOn: string | null;
}

export interface DeathRecord {
  registrationNumber: string;
  dateOfDeath: string;
  registeredOn: string;
  registeredAt: CommuneRef;
}

export interface CivilStatusRecord {
  personalId: string;
  /** Name, birth date and gender as civil status records them: not in the schema, kept for comparison with population. */
  fullName: string;
  dateOfBirth: string;
  gender: Gender;
  maritalStatus: MaritalStatus;
  birth: BirthRecord | null;
  marriages: MarriageRecord[];
  death: DeathRecord | null;
  updatedAt: string;
  provenance: Provenance;
}

// Maps, not object literals: a wire value such as `constructor` must not find a prototype member.
const MARITAL_STATUS = new Map<string, MaritalStatus>([
  ['CHUA_KET_HON', 'SINGLE'],
  ['DANG_CO_VO_CHONG', 'MARRIED'],
  ['LY_HON', 'DIVORCED'],
  ['GOA', 'WIDOWED'],
]);
const MARRIAGE_STATUS = new Map<string, MarriageStatus>([
  ['HIEU_LUC', 'ACTIVE'],
  ['DA_LY_HON', 'DIVORCED'],
  ['CHAM_DUT_DO_CHET', 'ENDED_BY_DEATH'],
]);
// The contract spells it `Nu`; `Nữ` (as population writes it) is accepted too.
const GENDER = new Map<string, Gender>([
  ['Nam', 'MALE'],
  ['Nu', 'FEMALE'],
  ['Nữ', 'FEMALE'],
]);

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

/** A required text element: present and not empty. */
const text = z.string().min(1);
/** An optional text element: absent or empty is null; anything but text is an error. */
const optionalText = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value === '' ? null : value));
const date = text.refine(isIsoDate);
const registeredAt = text.regex(/^\d{5}$/).transform((code): CommuneRef => ({ code }));

const WIRE_BIRTH = z
  .object({ SoDangKy: text, NgayDangKy: date, NoiDangKy: registeredAt, HoTenCha: optionalText, HoTenMe: optionalText })
  .transform(
    (birth): BirthRecord => ({
      registrationNumber: birth.SoDangKy,
      registeredOn: birth.NgayDangKy,
      registeredAt: birth.NoiDangKy,
      fatherName: birth.HoTenCha,
      motherName: birth.HoTenMe,
    }),
  );

const WIRE_MARRIAGE = z
  .object({
    SoDangKy: text,
    NgayDangKy: date,
    SoDinhDanhVoChong: optionalText.refine((id) => id === null || isPersonalId(id)),
    HoTenVoChong: text,
    TrangThai: code(MARRIAGE_STATUS),
    NgayChamDut: optionalText.refine((day) => day === null || isIsoDate(day)),
  })
  .transform(
    (marriage): MarriageRecord => ({
      registrationNumber: marriage.SoDangKy,
      registeredOn: marriage.NgayDangKy,
      spouse: marriage.SoDinhDanhVoChong === null ? null : { personalId: marriage.SoDinhDanhVoChong },
      spouseName: marriage.HoTenVoChong,
      status: marriage.TrangThai,
      endedOn: marriage.NgayChamDut,
    }),
  );

const WIRE_DEATH = z
  .object({ SoDangKy: text, NgayChet: date, NgayDangKy: date, NoiDangKy: registeredAt })
  .transform(
    (death): DeathRecord => ({
      registrationNumber: death.SoDangKy,
      dateOfDeath: death.NgayChet,
      registeredOn: death.NgayDangKy,
      registeredAt: death.NoiDangKy,
    }),
  );

/** One HoSo; KetHon repeats (the parser makes it a list), the other children occur at most once. */
const WIRE_HO_SO = z.object({
  SoDinhDanh: text.refine(isPersonalId),
  HoTen: text,
  NgaySinh: date,
  GioiTinh: code(GENDER),
  TinhTrangHonNhan: code(MARITAL_STATUS),
  NgayCapNhat: text.regex(TIMESTAMP).refine((timestamp) => !Number.isNaN(Date.parse(timestamp))),
  KhaiSinh: WIRE_BIRTH.optional(),
  KetHon: z.array(WIRE_MARRIAGE).optional(),
  KhaiTu: WIRE_DEATH.optional(),
});

const WIRE_RESULT = wireObject;
const WIRE_HO_SO_LIST = z.array(wireObject).optional();
/** Unknown IDs: an empty KhongTimThay, or one listing them. */
const WIRE_NOT_FOUND_LIST = z
  .array(z.union([z.literal('').transform((): string[] => []), z.object({ SoDinhDanh: z.array(z.string()).optional() }).transform((node) => node.SoDinhDanh ?? [])]))
  .optional();

/** The `LayHoSoHoTich` request envelope for `personalIds`, authenticated with `key`. */
export function buildEnvelope(key: string, personalIds: readonly string[]): string {
  const ids = personalIds.map((id) => `<ht:SoDinhDanh>${escapeXml(id)}</ht:SoDinhDanh>`).join('');
  return soapEnvelope(key, 'LayHoSoHoTich', `<ht:DanhSachSoDinhDanh>${ids}</ht:DanhSachSoDinhDanh>`);
}

export class CivilStatusClient extends CivilStatusSoapClient {
  /**
   * The civil-status records of `personalIds` (at most CIVIL_STATUS_MAX_BATCH), by personal ID.
   * IDs the source reports as unknown (`KhongTimThay`) are absent from the map.
   */
  async getRecords(personalIds: readonly string[]): Promise<Map<string, CivilStatusRecord>> {
    if (personalIds.length === 0) return new Map();
    if (personalIds.length > CIVIL_STATUS_MAX_BATCH) {
      throw new RangeError(`The civil-status source takes at most ${CIVIL_STATUS_MAX_BATCH} IDs per call`);
    }
    const body = await this.send(
      {
        method: 'POST',
        path: '/HoTichService',
        headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION },
        body: buildEnvelope(this.apiKey, personalIds),
        // SOAP 1.1 carries Faults on HTTP 500: read them rather than report a bare status.
        resolveStatuses: [500],
      },
      // Read inside the call, so a Server Fault is retried like any other source failure.
      (response) => this.parseSoapBody(response),
    );
    const result = body.LayHoSoHoTichResponse === '' ? {} : body.LayHoSoHoTichResponse;
    return this.mapResponse(this.check(WIRE_RESULT, result, 'a SOAP body without a LayHoSoHoTichResponse'), personalIds);
  }

  /** Every requested ID must come back exactly once, either as a HoSo or in KhongTimThay. */
  private mapResponse(result: Record<string, unknown>, personalIds: readonly string[]): Map<string, CivilStatusRecord> {
    const requested = new Set(personalIds);
    const answered = new Set<string>();
    const account = (id: string) => {
      if (!requested.has(id) || answered.has(id)) throw this.badResponse('a record for an ID it was not asked for, or twice');
      answered.add(id);
    };

    const records = new Map<string, CivilStatusRecord>();
    const fetchedAt = new Date();
    for (const hoSo of this.check(WIRE_HO_SO_LIST, result.HoSo, 'a HoSo element with unexpected content') ?? []) {
      const record = this.mapRecord(hoSo, fetchedAt);
      account(record.personalId);
      records.set(record.personalId, record);
    }
    for (const ids of this.check(WIRE_NOT_FOUND_LIST, result.KhongTimThay, 'a KhongTimThay list with unexpected content') ?? []) ids.forEach(account);
    if (answered.size !== requested.size) throw this.badResponse('no answer for some of the requested IDs');
    return records;
  }

  private mapRecord(node: unknown, fetchedAt: Date): CivilStatusRecord {
    const hoSo = this.check(WIRE_HO_SO, node, (path) => `a HoSo with an unusable ${path || 'content'}`);
    return {
      personalId: hoSo.SoDinhDanh,
      fullName: hoSo.HoTen,
      dateOfBirth: hoSo.NgaySinh,
      gender: hoSo.GioiTinh,
      maritalStatus: hoSo.TinhTrangHonNhan,
      birth: hoSo.KhaiSinh ?? null,
      marriages: hoSo.KetHon ?? [],
      death: hoSo.KhaiTu ?? null,
      updatedAt: hoSo.NgayCapNhat,
      provenance: stampProvenance(this.source, hoSo.NgayCapNhat, fetchedAt),
    };
  }
}
