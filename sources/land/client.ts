/**
 * Client for the land source (CSDL đất đai): JSON REST with paging, key as
 * `Authorization: Bearer <key>`. Parcels are searched by up to 100 owner IDs or up to 100 parcel
 * IDs per query; answers come in pages of at most 200 items, which this client follows to the end.
 */
import { isIsoDate } from '../kit/dates';
import { SourceError } from '../kit/errors';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';

/** The source takes at most this many owner or parcel IDs per query. */
export const LAND_MAX_IDS = 100;
/** The largest page the source serves. */
export const LAND_PAGE_SIZE = 200;
/** More pages than this for one query means the paging fields are garbage, not a real answer. */
const MAX_PAGES = 100;

export type LandUseType = 'ONT' | 'ODT' | 'LUC' | 'CLN' | 'BHK' | 'NTS' | 'RSX' | 'TMD';
const LAND_USE_TYPES = new Set<string>(['ONT', 'ODT', 'LUC', 'CLN', 'BHK', 'NTS', 'RSX', 'TMD']);

/** One holder of a parcel, in the shape of the schema's LandOwner (plus the issue date). */
export interface LandOwnerRecord {
  citizen: { personalId: string };
  share: number;
  certificateNumber: string;
  issuedOn: string;
}

/** A parcel in the shape of the schema's LandParcel. */
export interface ParcelRecord {
  parcelId: string;
  commune: { code: string };
  mapSheet: number;
  parcelNumber: number;
  area: number;
  landUseType: LandUseType;
  address: string;
  owners: LandOwnerRecord[];
  updatedAt: string;
  provenance: Provenance;
}

interface WireHolder {
  personalId?: unknown;
  share?: unknown;
  certificateNo?: unknown;
  certificateIssuedOn?: unknown;
}

interface WireParcel {
  parcelId?: unknown;
  communeCode?: unknown;
  mapSheetNo?: unknown;
  parcelNo?: unknown;
  areaM2?: unknown;
  landUseCode?: unknown;
  address?: unknown;
  holders?: unknown;
  updatedAt?: unknown;
}

interface WirePage {
  items?: unknown;
  page?: unknown;
  totalPages?: unknown;
}

type SearchBy = 'ownerIds' | 'ids';

export class LandClient extends SourceClient {
  readonly source = 'land' as const;

  protected authHeaders(): Record<string, string> {
    return { authorization: `Bearer ${this.apiKey}` };
  }

  /** Every parcel held (alone or jointly) by any of `personalIds` (at most LAND_MAX_IDS). */
  findByOwners(personalIds: readonly string[]): Promise<ParcelRecord[]> {
    return this.search('ownerIds', personalIds);
  }

  /** The parcels found among `parcelIds` (at most LAND_MAX_IDS), by parcel ID. */
  async findByIds(parcelIds: readonly string[]): Promise<Map<string, ParcelRecord>> {
    const parcels = await this.search('ids', parcelIds);
    return new Map(parcels.map((parcel) => [parcel.parcelId, parcel]));
  }

  /** How many parcels the cadastre holds in a commune: the count of a one-item page of the commune search. */
  async countInCommune(communeCode: string): Promise<number> {
    const response = await this.send({ path: '/land/v2/parcels', query: { communeCode, page: 1, pageSize: 1 } });
    if (response.status === 404) throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', 'The land source has no parcel search at the configured URL');
    const total = this.parseJson<{ totalItems?: unknown }>(response)?.totalItems;
    if (typeof total !== 'number' || !Number.isSafeInteger(total) || total < 0) throw this.badResponse('a commune search without a usable totalItems');
    return total;
  }

  /** All pages of one query: the first tells how many there are, the rest are fetched together. */
  private async search(by: SearchBy, values: readonly string[]): Promise<ParcelRecord[]> {
    if (values.length === 0) return [];
    if (values.length > LAND_MAX_IDS) throw new RangeError(`The land source takes at most ${LAND_MAX_IDS} IDs per query`);
    const first = await this.fetchPage(by, values, 1);
    const pageNumbers = Array.from({ length: Math.max(0, first.totalPages - 1) }, (_, i) => i + 2);
    const rest = await Promise.all(pageNumbers.map((page) => this.fetchPage(by, values, page)));
    // Keyed by ID, so a parcel repeated across pages (data changing while we page) counts once.
    const parcels = new Map<string, ParcelRecord>();
    for (const page of [first, ...rest]) for (const parcel of page.items) parcels.set(parcel.parcelId, parcel);
    return [...parcels.values()];
  }

  private async fetchPage(by: SearchBy, values: readonly string[], page: number): Promise<{ items: ParcelRecord[]; totalPages: number }> {
    const response = await this.send({
      path: '/land/v2/parcels',
      query: { [by]: values.join(','), page, pageSize: LAND_PAGE_SIZE },
    });
    // A search that matches nothing is an empty page; a 404 here means the endpoint itself is
    // missing (a wrong base URL), which must not pass for "holds no land".
    if (response.status === 404) throw new SourceError(this.source, 'SOURCE_UNAVAILABLE', 'The land source has no parcel search at the configured URL');
    const wire = this.parseJson<WirePage>(response);
    const totalPages = wire?.totalPages;
    if (
      !Array.isArray(wire?.items) ||
      wire.items.length > LAND_PAGE_SIZE ||
      wire.page !== page ||
      typeof totalPages !== 'number' ||
      !Number.isInteger(totalPages) ||
      totalPages < 0 ||
      totalPages > MAX_PAGES
    ) {
      throw this.badResponse('a page of parcels with missing or unexpected paging fields');
    }
    const fetchedAt = new Date();
    return { items: wire.items.map((item: WireParcel) => this.mapParcel(item, fetchedAt)), totalPages };
  }

  private mapParcel(wire: WireParcel, fetchedAt: Date): ParcelRecord {
    const landUseType = typeof wire?.landUseCode === 'string' && LAND_USE_TYPES.has(wire.landUseCode) ? (wire.landUseCode as LandUseType) : null;
    if (
      typeof wire?.parcelId !== 'string' ||
      wire.parcelId === '' ||
      typeof wire.communeCode !== 'string' ||
      !/^\d{5}$/.test(wire.communeCode) ||
      !isWholeNumber(wire.mapSheetNo) ||
      !isWholeNumber(wire.parcelNo) ||
      typeof wire.areaM2 !== 'number' ||
      !Number.isFinite(wire.areaM2) ||
      wire.areaM2 < 0 ||
      !landUseType ||
      typeof wire.address !== 'string' ||
      !Array.isArray(wire.holders)
    ) {
      throw this.badResponse('a parcel with missing or unexpected fields');
    }
    return {
      parcelId: wire.parcelId,
      commune: { code: wire.communeCode },
      mapSheet: wire.mapSheetNo,
      parcelNumber: wire.parcelNo,
      area: wire.areaM2,
      landUseType,
      address: wire.address,
      owners: wire.holders.map((holder: WireHolder) => this.mapHolder(holder)),
      updatedAt: typeof wire.updatedAt === 'string' ? wire.updatedAt : '',
      provenance: stampProvenance(this.source, typeof wire.updatedAt === 'string' && wire.updatedAt !== '' ? wire.updatedAt : null, fetchedAt),
    };
  }

  private mapHolder(wire: WireHolder): LandOwnerRecord {
    if (
      typeof wire?.personalId !== 'string' ||
      typeof wire.share !== 'number' ||
      !(wire.share >= 0 && wire.share <= 1) ||
      typeof wire.certificateNo !== 'string' ||
      !isIsoDate(wire.certificateIssuedOn)
    ) {
      throw this.badResponse('a parcel holder with missing or unexpected fields');
    }
    return {
      citizen: { personalId: wire.personalId },
      share: wire.share,
      certificateNumber: wire.certificateNo,
      issuedOn: wire.certificateIssuedOn,
    };
  }
}

function isWholeNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
