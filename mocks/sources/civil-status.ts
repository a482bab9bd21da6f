/**
 * Civil status (hộ tịch điện tử): SOAP 1.1 at `/HoTichService`, operation `LayHoSoHoTich`, the key
 * in the SOAP header (`ht:XacThuc/ht:KhoaTruyCap`), up to 50 IDs per call. Answers with births,
 * marriages (oldest first) and deaths, which are the legal truth. Faults follow SOAP 1.1: HTTP 500
 * with `soap:Client` for bad requests, `soap:Server` for the service's own failures.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Citizen, MaritalStatus, Marriage, MarriageStatus, World } from '../world/types';
import { checkBatch } from './params';
import { Call, ErrorKind, Reply, SourceDefinition, SourceFailure } from './service';

const SOAP_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
const HT_NS = 'urn:hotich:v1';
const MAX_BATCH = 50;
const XML = 'text/xml; charset=utf-8';

const MARITAL: Record<MaritalStatus, string> = { SINGLE: 'CHUA_KET_HON', MARRIED: 'DANG_CO_VO_CHONG', DIVORCED: 'LY_HON', WIDOWED: 'GOA' };
const MARRIAGE: Record<MarriageStatus, string> = { ACTIVE: 'HIEU_LUC', DIVORCED: 'DA_LY_HON', ENDED_BY_DEATH: 'CHAM_DUT_DO_CHET' };

export function civilStatusSource(world: World): SourceDefinition {
  return {
    name: 'civil-status',
    format: 'xml',
    // An empty body has no key (401); a body that is not a SOAP envelope is a client fault.
    presentedKey: (call) => (call.body.trim() ? readEnvelope(call).key : undefined),
    renderError: fault,
    routes: [
      {
        method: 'POST',
        path: /^\/HoTichService$/,
        operation: 'LayHoSoHoTich',
        handle: (call) => records(world, readEnvelope(call).ids),
      },
    ],
  };
}

interface Envelope {
  key: string | undefined;
  ids: string[];
}

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true, // callers may bind the namespaces to any prefix
  parseTagValue: false, // IDs keep their leading zeros
  trimValues: true,
  isArray: (name) => name === 'SoDinhDanh',
});

// The key check and the handler both need the parsed envelope; parse each request once.
const parsed = new WeakMap<Call, Envelope>();

function readEnvelope(call: Call): Envelope {
  const known = parsed.get(call);
  if (known) return known;
  const malformed = (why: string) => new SourceFailure('BAD_REQUEST', `Malformed SOAP request: ${why}`);
  // SOAP forbids DTDs; refusing them also rules out entity-expansion tricks.
  if (/<!DOCTYPE/i.test(call.body)) throw malformed('a DOCTYPE is not allowed');
  if (XMLValidator.validate(call.body) !== true) throw malformed('the body is not well-formed XML');
  const envelope = child(parser.parse(call.body), 'Envelope');
  if (!envelope) throw malformed('no soap:Envelope');
  const key = child(child(child(envelope, 'Header'), 'XacThuc'), 'KhoaTruyCap');
  const operation = child(child(envelope, 'Body'), 'LayHoSoHoTich');
  if (operation === undefined) throw malformed('the body holds no ht:LayHoSoHoTich');
  const ids = child(child(operation, 'DanhSachSoDinhDanh'), 'SoDinhDanh') ?? [];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw malformed('ht:SoDinhDanh must hold text');
  const result = { key: typeof key === 'string' ? key : undefined, ids: ids as string[] };
  parsed.set(call, result);
  return result;
}

function child(node: unknown, name: string): unknown {
  return node && typeof node === 'object' ? (node as Record<string, unknown>)[name] : undefined;
}

function records(world: World, requested: string[]): Reply {
  checkBatch(requested, MAX_BATCH, 'SoDinhDanh');
  const ids = [...new Set(requested)];
  const found = ids.map((id) => world.citizens.get(id)).filter((c): c is Citizen => c !== undefined);
  const missing = ids.filter((id) => !world.citizens.has(id));
  const notFound = missing.length ? `<ht:KhongTimThay>${missing.map((id) => el('SoDinhDanh', id)).join('')}</ht:KhongTimThay>` : '';
  return { status: 200, contentType: XML, body: envelope(`<ht:LayHoSoHoTichResponse>${found.map(hoSo).join('')}${notFound}</ht:LayHoSoHoTichResponse>`) };
}

function hoSo(c: Citizen): string {
  const birth = c.birth;
  const death = c.death;
  return [
    '<ht:HoSo>',
    el('SoDinhDanh', c.personalId),
    el('HoTen', c.fullName),
    el('NgaySinh', c.dateOfBirth),
    el('GioiTinh', c.gender === 'MALE' ? 'Nam' : 'Nu'),
    el('TinhTrangHonNhan', MARITAL[c.maritalStatus]),
    '<ht:KhaiSinh>',
    el('SoDangKy', birth.registrationNumber),
    el('NgayDangKy', birth.registeredOn),
    el('NoiDangKy', birth.registeredAt),
    el('HoTenCha', birth.fatherName),
    el('HoTenMe', birth.motherName),
    '</ht:KhaiSinh>',
    ...c.marriages.map(ketHon),
    death
      ? `<ht:KhaiTu>${el('SoDangKy', death.registrationNumber)}${el('NgayChet', death.dateOfDeath)}${el('NgayDangKy', death.registeredOn)}${el('NoiDangKy', death.registeredAt)}</ht:KhaiTu>`
      : '',
    el('NgayCapNhat', c.updatedAt.civilStatus),
    '</ht:HoSo>',
  ].join('');
}

function ketHon(m: Marriage): string {
  return [
    '<ht:KetHon>',
    el('SoDangKy', m.registrationNumber),
    el('NgayDangKy', m.registeredOn),
    el('SoDinhDanhVoChong', m.spouseId),
    el('HoTenVoChong', m.spouseName),
    el('TrangThai', MARRIAGE[m.status]),
    el('NgayChamDut', m.endedOn),
    '</ht:KetHon>',
  ].join('');
}

/** `<ht:name>text</ht:name>`, or nothing for an absent value. */
function el(name: string, value: string | null): string {
  return value === null ? '' : `<ht:${name}>${escapeXml(value)}</ht:${name}>`;
}

// Characters XML 1.0 cannot carry at all, even escaped.
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g;

export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function envelope(body: string): string {
  return `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="${SOAP_NS}" xmlns:ht="${HT_NS}"><soap:Body>${body}</soap:Body></soap:Envelope>`;
}

/** HTTP status and SOAP fault code of each failure; SOAP 1.1 answers faults with 500 unless told. */
const FAULT: Record<ErrorKind, [number, 'soap:Client' | 'soap:Server']> = {
  BAD_REQUEST: [500, 'soap:Client'],
  BATCH_TOO_LARGE: [500, 'soap:Client'],
  METHOD_NOT_ALLOWED: [500, 'soap:Client'],
  PAYLOAD_TOO_LARGE: [500, 'soap:Client'],
  UNAUTHORIZED: [401, 'soap:Client'],
  NOT_FOUND: [404, 'soap:Client'],
  TOO_MANY_REQUESTS: [429, 'soap:Client'],
  INTERNAL: [500, 'soap:Server'],
  UNAVAILABLE: [503, 'soap:Server'],
};

function fault(kind: ErrorKind, message: string): Reply {
  const [status, code] = FAULT[kind];
  const detail = `<detail><ht:MaLoi>${kind}</ht:MaLoi></detail>`;
  return {
    status,
    contentType: XML,
    body: envelope(`<soap:Fault><faultcode>${code}</faultcode><faultstring>${escapeXml(message)}</faultstring>${detail}</soap:Fault>`),
  };
}
