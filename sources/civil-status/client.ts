/**
 * Client for the civil-status source (hộ tịch điện tử, Ministry of Justice): operation
 * `LayHoSoHoTich` at `POST /HoTichService`, 1–50 personal IDs per call, ISO `YYYY-MM-DD` dates;
 * its answers mapped into civil-status records. The SOAP transport is soap.ts.
 */
import { isPersonalId, type Gender } from '../../lib/personal-id';
import { isIsoDate } from '../kit/dates';
import { Provenance, stampProvenance } from '../kit/provenance';
import { CivilStatusSoapClient, escapeXml, isNode, soapEnvelope, type XmlNode } from './soap';

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

const COMMUNE_CODE = /^\d{5}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;

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
    if (!isNode(result)) throw this.badResponse('a SOAP body without a LayHoSoHoTichResponse');
    return this.mapResponse(result, personalIds);
  }

  /** Every requested ID must come back exactly once, either as a HoSo or in KhongTimThay. */
  private mapResponse(result: XmlNode, personalIds: readonly string[]): Map<string, CivilStatusRecord> {
    const requested = new Set(personalIds);
    const answered = new Set<string>();
    const account = (id: string) => {
      if (!requested.has(id) || answered.has(id)) throw this.badResponse('a record for an ID it was not asked for, or twice');
      answered.add(id);
    };

    const records = new Map<string, CivilStatusRecord>();
    const fetchedAt = new Date();
    for (const hoSo of this.list(result.HoSo, 'HoSo')) {
      const record = this.mapRecord(hoSo, fetchedAt);
      account(record.personalId);
      records.set(record.personalId, record);
    }
    for (const notFound of this.list(result.KhongTimThay, 'KhongTimThay', true)) {
      const ids = notFound === '' ? [] : isNode(notFound) ? notFound.SoDinhDanh ?? [] : null;
      if (!Array.isArray(ids) || !ids.every((id): id is string => typeof id === 'string')) {
        throw this.badResponse('a KhongTimThay list with unexpected content');
      }
      ids.forEach(account);
    }
    if (answered.size !== requested.size) throw this.badResponse('no answer for some of the requested IDs');
    return records;
  }

  /** The elements of a repeated child (the parser makes it an array), each an element node. */
  private list(value: unknown, name: string, allowEmpty = false): unknown[] {
    if (value === undefined) return [];
    if (!Array.isArray(value) || (!allowEmpty && !value.every(isNode))) throw this.badResponse(`a ${name} element with unexpected content`);
    return value;
  }

  private mapRecord(hoSo: unknown, fetchedAt: Date): CivilStatusRecord {
    const node = hoSo as XmlNode;
    const personalId = this.text(node, 'SoDinhDanh', 'HoSo');
    const gender = GENDER.get(this.text(node, 'GioiTinh', 'HoSo'));
    const maritalStatus = MARITAL_STATUS.get(this.text(node, 'TinhTrangHonNhan', 'HoSo'));
    const updatedAt = this.text(node, 'NgayCapNhat', 'HoSo');
    if (!isPersonalId(personalId) || !gender || !maritalStatus || !TIMESTAMP.test(updatedAt) || Number.isNaN(Date.parse(updatedAt))) {
      throw this.badResponse('a HoSo with missing or unexpected fields');
    }
    if (node.KhaiSinh !== undefined && !isNode(node.KhaiSinh)) throw this.badResponse('a KhaiSinh element with unexpected content');
    if (node.KhaiTu !== undefined && !isNode(node.KhaiTu)) throw this.badResponse('a KhaiTu element with unexpected content');
    return {
      personalId,
      fullName: this.text(node, 'HoTen', 'HoSo'),
      dateOfBirth: this.date(node, 'NgaySinh', 'HoSo'),
      gender,
      maritalStatus,
      birth: node.KhaiSinh ? this.mapBirth(node.KhaiSinh) : null,
      marriages: this.list(node.KetHon, 'KetHon').map((ketHon) => this.mapMarriage(ketHon as XmlNode)),
      death: node.KhaiTu ? this.mapDeath(node.KhaiTu) : null,
      updatedAt,
      provenance: stampProvenance(this.source, updatedAt, fetchedAt),
    };
  }

  private mapBirth(node: XmlNode): BirthRecord {
    return {
      registrationNumber: this.text(node, 'SoDangKy', 'KhaiSinh'),
      registeredOn: this.date(node, 'NgayDangKy', 'KhaiSinh'),
      registeredAt: this.commune(node, 'KhaiSinh'),
      fatherName: this.optionalText(node, 'HoTenCha', 'KhaiSinh'),
      motherName: this.optionalText(node, 'HoTenMe', 'KhaiSinh'),
    };
  }

  private mapMarriage(node: XmlNode): MarriageRecord {
    const status = MARRIAGE_STATUS.get(this.text(node, 'TrangThai', 'KetHon'));
    const spouseId = this.optionalText(node, 'SoDinhDanhVoChong', 'KetHon');
    const endedOn = this.optionalText(node, 'NgayChamDut', 'KetHon');
    if (!status || (spouseId !== null && !isPersonalId(spouseId)) || (endedOn !== null && !isIsoDate(endedOn))) {
      throw this.badResponse('a KetHon with missing or unexpected fields');
    }
    return {
      registrationNumber: this.text(node, 'SoDangKy', 'KetHon'),
      registeredOn: this.date(node, 'NgayDangKy', 'KetHon'),
      spouse: spouseId === null ? null : { personalId: spouseId },
      spouseName: this.text(node, 'HoTenVoChong', 'KetHon'),
      status,
      endedOn,
    };
  }

  private mapDeath(node: XmlNode): DeathRecord {
    return {
      registrationNumber: this.text(node, 'SoDangKy', 'KhaiTu'),
      dateOfDeath: this.date(node, 'NgayChet', 'KhaiTu'),
      registeredOn: this.date(node, 'NgayDangKy', 'KhaiTu'),
      registeredAt: this.commune(node, 'KhaiTu'),
    };
  }

  /** A required, non-empty text element. */
  private text(node: XmlNode, name: string, parent: string): string {
    const value = node[name];
    if (typeof value !== 'string' || value === '') throw this.badResponse(`a ${parent} without a usable ${name}`);
    return value;
  }

  /** An optional text element: absent or empty is null; anything but text is an error. */
  private optionalText(node: XmlNode, name: string, parent: string): string | null {
    const value = node[name];
    if (value === undefined || value === '') return null;
    if (typeof value !== 'string') throw this.badResponse(`a ${parent} with an unusable ${name}`);
    return value;
  }

  private date(node: XmlNode, name: string, parent: string): string {
    const value = this.text(node, name, parent);
    if (!isIsoDate(value)) throw this.badResponse(`a ${parent} whose ${name} is not a YYYY-MM-DD date`);
    return value;
  }

  private commune(node: XmlNode, parent: string): CommuneRef {
    const code = this.text(node, 'NoiDangKy', parent);
    if (!COMMUNE_CODE.test(code)) throw this.badResponse(`a ${parent} whose NoiDangKy is not a 5-digit commune code`);
    return { code };
  }
}
