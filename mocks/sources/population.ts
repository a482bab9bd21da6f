/**
 * Population (CSDL quốc gia về dân cư): JSON REST with Vietnamese field names, `X-API-Key`,
 * batches of up to 100 IDs, residents by commune with a cursor. It answers with its own view of
 * a citizen, stale where a disagreement with civil status is seeded. Also serves ground truth.
 */
import { toDayMonthYear } from '../world/dates';
import type { Citizen, Household, MaritalStatus, RelationToHead, World } from '../world/types';
import { populationView } from '../world/views';
import { checkBatch, intParam, jsonBody } from './params';
import { Call, ERROR_STATUS, ErrorKind, header, jsonReply, SourceDefinition, SourceFailure } from './contract';
import { truthRoutes } from './truth';

const ERROR_CODE: Record<ErrorKind, string> = {
  BAD_REQUEST: 'BAD_REQUEST',
  BATCH_TOO_LARGE: 'BATCH_TOO_LARGE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'BAD_REQUEST',
  PAYLOAD_TOO_LARGE: 'BAD_REQUEST',
  TOO_MANY_REQUESTS: 'UNAVAILABLE',
  INTERNAL: 'INTERNAL',
  UNAVAILABLE: 'UNAVAILABLE',
};

export const MARITAL_CODE: Record<MaritalStatus, string> = { SINGLE: 'CHUA_KET_HON', MARRIED: 'DA_KET_HON', DIVORCED: 'LY_HON', WIDOWED: 'GOA' };
export const RELATION_CODE: Record<RelationToHead, string> = {
  HEAD: 'CHU_HO',
  SPOUSE: 'VO_CHONG',
  CHILD: 'CON',
  PARENT: 'CHA_ME',
  GRANDCHILD: 'CHAU',
  SIBLING: 'ANH_CHI_EM',
  OTHER: 'KHAC',
};

const MAX_BATCH = 100;

export function populationSource(world: World): SourceDefinition {
  return {
    name: 'population',
    format: 'json',
    presentedKey: (call) => header(call, 'x-api-key'),
    renderError: (kind, message) => jsonReply(ERROR_STATUS[kind], { maLoi: ERROR_CODE[kind], thongDiep: message }),
    routes: [
      {
        method: 'POST',
        path: /^\/api\/v1\/citizens:batchGet$/,
        operation: 'citizens:batchGet',
        // A batch lookup answers with each citizen's household alongside, as the national
        // database's citizen lookup does, so a dossier needs no second call for it.
        handle: (call) => batchReply(idBatch(call, 'soDinhDanh'), (id) => world.citizens.get(id), (c) => citizenWithHousehold(world, c)),
      },
      {
        method: 'POST',
        path: /^\/api\/v1\/households:batchGet$/,
        operation: 'households:batchGet',
        handle: (call) => batchReply(idBatch(call, 'maHo'), (id) => world.households.get(id), householdRecord),
      },
      {
        method: 'GET',
        path: /^\/api\/v1\/communes\/(?<maXa>[^/]+)\/residents$/,
        operation: 'communes:residents',
        handle: (call) => residentsPage(world, call),
      },
    ],
    openRoutes: truthRoutes(world),
  };
}

function idBatch(call: Call, field: string): string[] {
  const body = jsonBody(call) as Record<string, unknown> | null;
  const ids = body && typeof body === 'object' ? body[field] : undefined;
  if (!Array.isArray(ids) || !ids.every((id) => typeof id === 'string')) {
    throw new SourceFailure('BAD_REQUEST', `The body must be {"${field}": ["…", …]}`);
  }
  checkBatch(ids, MAX_BATCH, field);
  return [...new Set(ids as string[])];
}

function batchReply<T>(ids: string[], find: (id: string) => T | undefined, format: (item: T) => unknown) {
  const found: unknown[] = [];
  const missing: string[] = [];
  for (const id of ids) {
    const item = find(id);
    if (item) found.push(format(item));
    else missing.push(id);
  }
  return jsonReply(200, { ketQua: found, khongTimThay: missing });
}

function citizenRecord(c: Citizen) {
  const view = populationView(c);
  return {
    soDinhDanh: c.personalId,
    hoVaTen: view.fullName,
    ngaySinh: toDayMonthYear(view.dateOfBirth),
    gioiTinh: view.gender === 'MALE' ? 'Nam' : 'Nữ',
    trangThai: view.lifeStatus === 'LIVING' ? 'CON_SONG' : 'DA_CHET',
    tinhTrangHonNhan: MARITAL_CODE[view.maritalStatus],
    noiThuongTru: { maXa: c.recordedCommuneCode ?? c.communeCode, diaChiChiTiet: c.address },
    // The registered dead are struck off their household: both are null for them.
    maHo: c.householdId,
    quanHeVoiChuHo: c.relationToHead ? RELATION_CODE[c.relationToHead] : null,
    ngayCapNhat: c.updatedAt.population,
  };
}

function citizenWithHousehold(world: World, c: Citizen) {
  const household = c.householdId ? world.households.get(c.householdId) : undefined;
  return { ...citizenRecord(c), hoGiaDinh: household ? householdRecord(household) : null };
}

function householdRecord(h: Household) {
  return {
    maHo: h.householdId,
    maXa: h.communeCode,
    diaChi: h.address,
    chuHo: h.headId,
    thanhVien: h.members.map((m) => ({ soDinhDanh: m.personalId, quanHeVoiChuHo: RELATION_CODE[m.relationToHead] })),
    ngayCapNhat: h.updatedAt,
  };
}

/** Residents ordered by personal ID; the cursor is the last ID of the page, opaque to callers. */
function residentsPage(world: World, call: Call) {
  const limit = intParam(call, 'limit', 1, 100, 20);
  const cursor = call.query.get('cursor');
  let after = '';
  if (cursor) {
    after = Buffer.from(cursor, 'base64url').toString('utf8');
    if (!/^\d{12}$/.test(after)) throw new SourceFailure('BAD_REQUEST', 'The cursor is not one this service issued');
  }
  const commune = call.params.maXa;
  if (!world.catalogue.communeByCode.has(commune)) throw new SourceFailure('NOT_FOUND', `No commune with code ${commune}`);
  const ids = world.index.residentsByCommune.get(commune) ?? [];
  const start = after ? firstAfter(ids, after) : 0;
  const page = ids.slice(start, start + limit);
  const more = start + limit < ids.length;
  return jsonReply(200, {
    tongSo: ids.length,
    ketQua: page.map((id) => citizenRecord(world.citizens.get(id)!)),
    conTiep: more,
    conTroTiep: more ? Buffer.from(page[page.length - 1]).toString('base64url') : null,
  });
}

/** Index of the first ID greater than `after` in a sorted list. */
function firstAfter(ids: string[], after: string): number {
  let [lo, hi] = [0, ids.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ids[mid] <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
