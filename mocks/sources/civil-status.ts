/**
 * Civil status (hộ tịch điện tử): SOAP 1.1 at `/HoTichService`, operation `LayHoSoHoTich`, the key
 * in the SOAP header (`ht:XacThuc/ht:KhoaTruyCap`), up to 50 IDs per call. Answers with births,
 * marriages (oldest first) and deaths, which are the legal truth. Faults follow SOAP 1.1: HTTP 500
 * with `soap:Client` for bad requests, `soap:Server` for the service's own failures.
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Citizen, MaritalStatus, Marriage, MarriageStatus, World } from '../world/types';
import { checkBatch } from './params';
import { Call, ErrorKind, Reply, SourceDefinition, SourceFailure } from './contract';

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
        handle: (call) => records(world, idsOf(readEnvelope(call).operation)),
      },
      {
        method: 'POST',
        path: /^\/ThongKeHoTichService$/,
        operation: 'ThongKeDangKyHoTich',
        handle: (call) => registrationStatistics(world, readEnvelope(call).operation),
      },
    ],
  };
}

interface Envelope {
  key: string | undefined;
  /** The body's operation element (`ht:LayHoSoHoTich`, or `ht:ThongKeDangKyHoTich` at its own endpoint). */
  operation: unknown;
}

/** Each endpoint serves one operation, recognised by its body element. */
function operationAt(path: string): string {
  return path === '/ThongKeHoTichService' ? 'ThongKeDangKyHoTich' : 'LayHoSoHoTich';
}

const malformed = (why: string) => new SourceFailure('BAD_REQUEST', `Malformed SOAP request: ${why}`);

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
  // SOAP forbids DTDs; refusing them also rules out entity-expansion tricks.
  if (/<!DOCTYPE/i.test(call.body)) throw malformed('a DOCTYPE is not allowed');
  if (XMLValidator.validate(call.body) !== true) throw malformed('the body is not well-formed XML');
  const envelope = child(parser.parse(call.body), 'Envelope');
  if (!envelope) throw malformed('no soap:Envelope');
  const key = child(child(child(envelope, 'Header'), 'XacThuc'), 'KhoaTruyCap');
  const name = operationAt(call.path);
  const operation = child(child(envelope, 'Body'), name);
  if (operation === undefined) throw malformed(`the body holds no ht:${name}`);
  const result = { key: typeof key === 'string' ? key : undefined, operation };
  parsed.set(call, result);
  return result;
}

function idsOf(operation: unknown): string[] {
  const ids = child(child(operation, 'DanhSachSoDinhDanh'), 'SoDinhDanh') ?? [];
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) throw malformed('ht:SoDinhDanh must hold text');
  return ids as string[];
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

/** At most this many months per statistics request (three years). */
const MAX_MONTHS = 36;
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/**
 * `ThongKeDangKyHoTich`: how many births, marriages and deaths a commune registered in each month
 * of a range, as in the civil-status system's periodic statistical reports. Every month of the
 * range is listed, with zeros where nothing was registered.
 */
function registrationStatistics(world: World, operation: unknown): Reply {
  const [commune, from, to] = ['MaXa', 'TuThang', 'DenThang'].map((name) => child(operation, name));
  if (typeof commune !== 'string' || !/^\d{5}$/.test(commune)) throw malformed('ht:MaXa must be a 5-digit commune code');
  if (typeof from !== 'string' || typeof to !== 'string' || !MONTH.test(from) || !MONTH.test(to) || from > to) {
    throw malformed('ht:TuThang and ht:DenThang must be months (YYYY-MM), the first not after the second');
  }
  const months = monthsBetween(from, to);
  if (months.length > MAX_MONTHS) throw malformed(`at most ${MAX_MONTHS} months per request`);
  // The register keeps acts under the unit that registered them: an old code answers for its months.
  if (!world.catalogue.communeByCode.has(commune) && !world.catalogue.former.conversion.successors.has(commune)) {
    throw new SourceFailure('NOT_FOUND', `No commune with code ${commune}`);
  }
  const counts = registrationsByMonth(world).get(commune);
  const rows = months.map((month) => {
    const [births, marriages, deaths] = counts?.get(month) ?? [0, 0, 0];
    return `<ht:Thang>${el('Ky', month)}${el('KhaiSinh', String(births))}${el('KetHon', String(marriages))}${el('KhaiTu', String(deaths))}</ht:Thang>`;
  });
  const body = `<ht:ThongKeDangKyHoTichResponse>${el('MaXa', commune)}${rows.join('')}${el('NgayLapBaoCao', `${world.asOf}T00:00:00Z`)}</ht:ThongKeDangKyHoTichResponse>`;
  return { status: 200, contentType: XML, body: envelope(body) };
}

function monthsBetween(from: string, to: string): string[] {
  const months: string[] = [];
  let [year, month] = from.split('-').map(Number);
  for (let current = from; current <= to && months.length <= MAX_MONTHS; ) {
    months.push(current);
    month = month === 12 ? 1 : month + 1;
    if (month === 1) year++;
    current = `${year}-${String(month).padStart(2, '0')}`;
  }
  return months;
}

type MonthCounts = [births: number, marriages: number, deaths: number];

// Counted once per world: commune → month → registrations there. A marriage between two people
// of the world is on both records under one number, and counts once.
const registrationIndex = new WeakMap<World, Map<string, Map<string, MonthCounts>>>();

function registrationsByMonth(world: World): Map<string, Map<string, MonthCounts>> {
  const known = registrationIndex.get(world);
  if (known) return known;
  const index = new Map<string, Map<string, MonthCounts>>();
  const add = (commune: string, day: string, which: 0 | 1 | 2) => {
    let months = index.get(commune);
    if (!months) index.set(commune, (months = new Map()));
    const month = day.slice(0, 7);
    let counts = months.get(month);
    if (!counts) months.set(month, (counts = [0, 0, 0]));
    counts[which]++;
  };
  const marriages = new Set<string>();
  for (const c of world.citizens.values()) {
    add(c.birth.registeredAt, c.birth.registeredOn, 0);
    for (const m of c.marriages) {
      if (marriages.has(m.registrationNumber)) continue;
      marriages.add(m.registrationNumber);
      add(m.registeredAt, m.registeredOn, 1);
    }
    if (c.death) add(c.death.registeredAt, c.death.registeredOn, 2);
  }
  registrationIndex.set(world, index);
  return index;
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
