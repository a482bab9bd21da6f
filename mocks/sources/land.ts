/**
 * Land (CSDL đất đai): JSON REST, `Authorization: Bearer <key>`, parcels by holder or by parcel
 * ID (up to 100 per query), in pages of at most 200 ordered by parcel ID, or one parcel by ID.
 */
import type { LandParcel, World } from '../world/types';
import { checkBatch, intParam, listParam } from './params';
import { Call, ERROR_STATUS, header, jsonReply, SourceDefinition, SourceFailure } from './service';

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
  if ((ownerIds === null) === (ids === null)) throw new SourceFailure('BAD_REQUEST', 'Give exactly one of ids and ownerIds');
  const keys = (ownerIds ?? ids)!;
  checkBatch(keys, MAX_IDS, ownerIds ? 'owner ID' : 'parcel ID');
  const page = intParam(call, 'page', 1, Number.MAX_SAFE_INTEGER, 1);
  const pageSize = intParam(call, 'pageSize', 1, MAX_PAGE_SIZE, 50);

  const parcelIds = ownerIds ? new Set(ownerIds.flatMap((owner) => world.index.parcelsByOwner.get(owner) ?? [])) : new Set(keys);
  const matching = [...parcelIds].filter((id) => world.parcels.has(id)).sort();
  return jsonReply(200, {
    items: matching.slice((page - 1) * pageSize, page * pageSize).map((id) => parcelRecord(world.parcels.get(id)!)),
    page,
    pageSize,
    totalItems: matching.length,
    totalPages: Math.ceil(matching.length / pageSize),
  });
}

function parcelRecord(p: LandParcel) {
  return {
    parcelId: p.parcelId,
    communeCode: p.communeCode,
    mapSheetNo: p.mapSheetNo,
    parcelNo: p.parcelNo,
    areaM2: p.areaM2,
    landUseCode: p.landUseCode,
    address: p.address,
    holders: p.holders.map((h) => ({ personalId: h.personalId, share: h.share, certificateNo: h.certificateNo, certificateIssuedOn: h.certificateIssuedOn })),
    updatedAt: p.updatedAt,
  };
}
