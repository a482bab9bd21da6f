/**
 * Catalogue (danh mục đơn vị hành chính): JSON REST in the official catalogue's own field names,
 * `X-API-Key`. Provinces with or without their communes, communes one by one or up to 200 at once.
 * The world keeps exactly the fields served (see world/catalogue.ts), so records go out as they are.
 */
import type { AdminProvince } from '../world/admin-units';
import type { World } from '../world/types';
import { checkBatch, listParam } from './params';
import { ERROR_STATUS, header, jsonReply, Route, SourceDefinition, SourceFailure } from './contract';

const MAX_CODES = 200;

export function catalogueSource(world: World): SourceDefinition {
  const { provinceByCode, communeByCode, provinces } = world.catalogue;
  const route = (path: RegExp, operation: string, handle: Route['handle']): Route => ({ method: 'GET', path, operation, handle });
  return {
    name: 'catalogue',
    format: 'json',
    presentedKey: (call) => header(call, 'x-api-key'),
    renderError: (kind, message) => jsonReply(ERROR_STATUS[kind], { message }),
    routes: [
      route(/^\/api\/units\/provinces$/, 'provinces:list', () => jsonReply(200, provinces.map(provinceSummary))),
      route(/^\/api\/units\/provinces\/(?<code>[^/]+)$/, 'provinces:get', (call) => {
        const province = provinceByCode.get(call.params.code);
        if (!province) throw new SourceFailure('NOT_FOUND', `No province with code ${call.params.code}`);
        return jsonReply(200, province);
      }),
      route(/^\/api\/units\/communes\/(?<code>[^/]+)$/, 'communes:get', (call) => {
        const commune = communeByCode.get(call.params.code);
        if (!commune) throw new SourceFailure('NOT_FOUND', `No commune with code ${call.params.code}`);
        return jsonReply(200, commune);
      }),
      // The units before 1 July 2025 and the conversion table: small, stable, fetched whole.
      route(/^\/api\/units\/pre-2025\/communes$/, 'former-communes:list', () => jsonReply(200, world.catalogue.former.formerUnitRows)),
      route(/^\/api\/units\/conversion$/, 'conversion:list', () => jsonReply(200, world.catalogue.former.conversionRows)),
      route(/^\/api\/units\/communes$/, 'communes:list', (call) => {
        const codes = listParam(call, 'codes') ?? [];
        checkBatch(codes, MAX_CODES, 'commune code');
        return jsonReply(200, codes.flatMap((code) => communeByCode.get(code) ?? []));
      }),
    ],
  };
}

/** A province without its communes. */
function provinceSummary({ Wards: _wards, ...summary }: AdminProvince): Omit<AdminProvince, 'Wards'> {
  return summary;
}
