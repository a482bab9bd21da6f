/**
 * Land (CSDL đất đai): JSON REST, `Authorization: Bearer <key>`, parcels by holder or by parcel
 * ID (up to 100 per query) or by commune, in pages of at most 200 ordered by parcel ID, or one
 * parcel by ID.
 */
import type { LandParcel, World } from '../world/types';
import { checkBatch, intParam, listParam } from './params';
import { Call, ERROR_STATUS, header, jsonReply, SourceDefinition, SourceFailure } from './contract';

const MAX_IDS = 100;
const MAX_PAGE_SIZE = 200;

export function landSource(world: World): SourceDefinition {
  return {
    name: 'land',
    format: 'json',
    presentedKey: (call) => /^Bearer\s+(.+)$/i.exec(header(call, 'authorization') ?? '')?.[1]?.trim(),
    renderError: (kind, message) => jsonReply(ERROR_STATUS[kind], { error: { code: kind, message } }),
    routes: [
      { method: 'GET', path: /^\/land\/v2\/parcels$/, operation: 'parcels:list', handle: (call) => parcelPage(world, call) },
      {
        method: 'GET',
        path: /^\/land\/v2\/parcels\/(?<parcelId>[^/]+)$/,
        operation: 'parcels:get',
        handle: (call) => {
          const parcel = world.parcels.get(call.params.parcelId);
          if (!parcel) throw new SourceFailure('NOT_FOUND', `No parcel ${call.params.parcelId}`);
          return jsonReply(200, parcelRecord(parcel));
        },
      },
    ],
  };
}

function parcelPage(world: World, call: Call) {
  const ownerIds = listParam(call, 'ownerIds');
  const ids = listParam(call, 'ids');
  const communeCode = call.query.get('communeCode');
  if ([ownerIds, ids, communeCode].filter((given) => given !== null).length !== 1) {
    throw new SourceFailure('BAD_REQUEST', 'Give exactly one of ids, ownerIds and communeCode');
  }
  if (communeCode !== null && !/^\d{5}$/.test(communeCode)) throw new SourceFailure('BAD_REQUEST', 'communeCode must be a 5-digit commune code');
  if (ownerIds ?? ids) checkBatch((ownerIds ?? ids)!, MAX_IDS, ownerIds ? 'owner ID' : 'parcel ID');
  const page = intParam(call, 'page', 1, Number.MAX_SAFE_INTEGER, 1);
  const pageSize = intParam(call, 'pageSize', 1, MAX_PAGE_SIZE, 50);

  const matching = communeCode !== null ? parcelsOfCommune(world, communeCode) : parcelsByKeys(world, ownerIds, ids);
  return jsonReply(200, {
    items: matching.slice((page - 1) * pageSize, page * pageSize).map((id) => parcelRecord(world.parcels.get(id)!)),
    page,
    pageSize,
    totalItems: matching.length,
    totalPages: Math.ceil(matching.length / pageSize),
  });
}

function parcelsByKeys(world: World, ownerIds: string[] | null, ids: string[] | null): string[] {
  const parcelIds = ownerIds ? new Set(ownerIds.flatMap((owner) => world.index.parcelsByOwner.get(owner) ?? [])) : new Set(ids);
  return [...parcelIds].filter((id) => world.parcels.has(id)).sort();
}

// A commune's parcels, sorted, listed once per world: the cadastre is searched by unit all day.
const parcelsByCommune = new WeakMap<World, Map<string, string[]>>();

function parcelsOfCommune(world: World, communeCode: string): string[] {
  let index = parcelsByCommune.get(world);
  if (!index) {
    index = new Map();
    for (const parcel of world.parcels.values()) {
      const list = index.get(parcel.communeCode);
      if (list) list.push(parcel.parcelId);
      else index.set(parcel.communeCode, [parcel.parcelId]);
    }
    for (const list of index.values()) list.sort();
    parcelsByCommune.set(world, index);
  }
  return index.get(communeCode) ?? [];
}

function parcelRecord(p: LandParcel) {
  return {
    parcelId: p.parcelId,
    communeCode: p.recordedCommuneCode ?? p.communeCode,
    mapSheetNo: p.mapSheetNo,
    parcelNo: p.parcelNo,
    areaM2: p.areaM2,
    landUseCode: p.landUseCode,
    address: p.address,
    holders: p.holders.map((h) => ({ personalId: h.personalId, share: h.share, certificateNo: h.certificateNo, certificateIssuedOn: h.certificateIssuedOn })),
    updatedAt: p.updatedAt,
  };
}
