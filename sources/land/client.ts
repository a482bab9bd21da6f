/**
 * Client for the land source (CSDL đất đai): JSON REST with paging, key as
 * `Authorization: Bearer <key>`. Parcels are searched by up to 100 owner IDs or up to 100 parcel
 * IDs per query; answers come in pages of at most 200 items, which this client follows to the end.
 */
import { SourceError } from '../kit/errors';
import { Provenance, stampProvenance } from '../kit/provenance';
import { SourceClient } from '../kit/source-client';
import { communeCode as communeCodeText, isoDate, z } from '../kit/wire';

/** The source takes at most this many owner or parcel IDs per query. */
export const LAND_MAX_IDS = 100;
/** The largest page the source serves. */
export const LAND_PAGE_SIZE = 200;
/** More pages than this for one query means the paging fields are garbage, not a real answer. */
const MAX_PAGES = 100;

const LAND_USE_TYPES = ['ONT', 'ODT', 'LUC', 'CLN', 'BHK', 'NTS', 'RSX', 'TMD'] as const;
export type LandUseType = (typeof LAND_USE_TYPES)[number];

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

const wholeNumber = z.number().int().nonnegative();

const WIRE_HOLDER = z.object({
  personalId: z.string(),
  share: z.number().min(0).max(1),
  certificateNo: z.string(),
  certificateIssuedOn: isoDate,
});

const WIRE_PARCEL = z.object({
  parcelId: z.string().min(1),
  communeCode: communeCodeText,
  mapSheetNo: wholeNumber,
  parcelNo: wholeNumber,
  areaM2: z.number().nonnegative(),
  landUseCode: z.enum(LAND_USE_TYPES),
  address: z.string(),
  // Checked one by one below, so that a bad holder is reported as one.
  holders: z.array(z.unknown()),
  updatedAt: z.unknown().optional(),
});

const WIRE_PAGE = z.object({
  items: z.array(z.unknown()).max(LAND_PAGE_SIZE),
  page: z.unknown().optional(),
  totalPages: z.number().int().min(0).max(MAX_PAGES),
});

const WIRE_COUNT = z.object({ totalItems: z.number().int().nonnegative() });

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
    const { totalItems: total } = this.check(WIRE_COUNT, this.parseJson<unknown>(response), 'a commune search without a usable totalItems');
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
    const wire = this.check(WIRE_PAGE, this.parseJson<unknown>(response), 'a page of parcels with missing or unexpected paging fields');
    if (wire.page !== page) throw this.badResponse('a page of parcels with missing or unexpected paging fields');
    const fetchedAt = new Date();
    return { items: wire.items.map((item) => this.mapParcel(item, fetchedAt)), totalPages: wire.totalPages };
  }

  private mapParcel(item: unknown, fetchedAt: Date): ParcelRecord {
    const wire = this.check(WIRE_PARCEL, item, 'a parcel with missing or unexpected fields');
    return {
      parcelId: wire.parcelId,
      commune: { code: wire.communeCode },
      mapSheet: wire.mapSheetNo,
      parcelNumber: wire.parcelNo,
      area: wire.areaM2,
      landUseType: wire.landUseCode,
      address: wire.address,
      owners: wire.holders.map((holder) => this.mapHolder(holder)),
      updatedAt: typeof wire.updatedAt === 'string' ? wire.updatedAt : '',
      provenance: stampProvenance(this.source, typeof wire.updatedAt === 'string' && wire.updatedAt !== '' ? wire.updatedAt : null, fetchedAt),
    };
  }

  private mapHolder(item: unknown): LandOwnerRecord {
    const wire = this.check(WIRE_HOLDER, item, 'a parcel holder with missing or unexpected fields');
    return {
      citizen: { personalId: wire.personalId },
      share: wire.share,
      certificateNumber: wire.certificateNo,
      issuedOn: wire.certificateIssuedOn,
    };
  }
}
