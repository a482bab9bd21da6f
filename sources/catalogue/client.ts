/**
 * Client for the administrative-units catalogue (danh mục đơn vị hành chính): provinces and
 * their communes, in the official catalogue's PascalCase shape. Shared by the population
 * subgraph (which owns Province and Commune) and the budget subgraph (which needs a province's
 * communes to aggregate their budgets).
 */
import { classifySuccession, FormerUnit, indexConversion, kindOfName, UnitConversion } from '../../lib/admin-units';
import { log } from '../../lib/log';
import { markServedFromCache, Provenance, stampProvenance } from '../kit/provenance';
import type { CachedBatch, SourceCache } from '../kit/source-cache';
import { SourceClient } from '../kit/source-client';
import { code, z } from '../kit/wire';
import { KeptCatalogue } from './kept-whole';

/** TOWNSHIP (thị trấn) only for units before 1 July 2025. */
export type CommuneKind = 'COMMUNE' | 'WARD' | 'SPECIAL_ZONE' | 'TOWNSHIP';

export interface ProvinceRecord {
  code: string;
  name: string;
  nameEn: string;
  provenance: Provenance;
}

export interface CommuneRecord {
  code: string;
  name: string;
  nameEn: string;
  kind: CommuneKind;
  provinceCode: string;
  provenance: Provenance;
}

export interface ProvinceWithCommunes extends ProvinceRecord {
  communes: CommuneRecord[];
}

// A Map, not an object literal: a lookup of "toString" or "constructor" must find nothing.
const KIND = new Map<string, CommuneKind>([
  ['Xã', 'COMMUNE'],
  ['Phường', 'WARD'],
  ['Đặc khu', 'SPECIAL_ZONE'],
]);

/**
 * The unit's English name: FullNameEn, else NameEn, else the Vietnamese FullName. Undefined when
 * one of them has a wrong type, so that garbage is reported rather than shown as "[object Object]".
 */
function englishName(unit: { FullNameEn?: unknown; NameEn?: unknown; FullName?: unknown }): string | undefined {
  for (const candidate of [unit.FullNameEn, unit.NameEn, unit.FullName]) {
    if (candidate === undefined || candidate === null) continue;
    return typeof candidate === 'string' ? candidate : undefined;
  }
  return undefined;
}

const UNIT_FIELDS = { Code: z.string(), FullName: z.string(), FullNameEn: z.unknown().optional(), NameEn: z.unknown().optional() };

/** A unit's names; the English one must be text where given. */
function names(unit: { Code: string; FullName: string; FullNameEn?: unknown; NameEn?: unknown }, ctx: z.RefinementCtx) {
  const nameEn = englishName(unit);
  if (nameEn === undefined) {
    ctx.addIssue({ code: 'custom', message: 'no usable English name' });
    return z.NEVER;
  }
  return { code: unit.Code, name: unit.FullName, nameEn };
}

const WIRE_UNIT = z.object(UNIT_FIELDS).transform(names);

const WIRE_COMMUNE = z
  .object({ ...UNIT_FIELDS, ProvinceCode: z.string(), AdministrativeUnitShortName: code(KIND, { nfc: true }) })
  .transform((unit, ctx) => ({ ...names(unit, ctx), provinceCode: unit.ProvinceCode, kind: unit.AdministrativeUnitShortName }));

const WIRE_LIST = z.array(z.unknown());
const WIRE_PROVINCE_WITH_WARDS = z.object({ Wards: WIRE_LIST });

const optionalText = z.string().nullish().transform((value) => (value === undefined || value === null || value.trim() === '' ? null : value.trim()));

/** An old unit, in the pre-reform catalogue's column names. */
const WIRE_FORMER_UNIT = z
  .object({
    MaPX: z.string().regex(/^\d{5}$/),
    PhuongXa: z.string().min(1),
    Cap: optionalText,
    MaQH: optionalText,
    QuanHuyen: optionalText,
    MaTP: optionalText,
    TinhThanhPho: optionalText,
  })
  .transform(
    (unit): FormerUnit => ({
      code: unit.MaPX,
      name: unit.PhuongXa.trim(),
      kind: unit.Cap ?? kindOfName(unit.PhuongXa.trim()),
      districtCode: unit.MaQH,
      districtName: unit.QuanHuyen,
      provinceCode: unit.MaTP,
      provinceName: unit.TinhThanhPho,
    }),
  );

/** A row of the conversion table: new commune, old commune, and the note saying how. */
const WIRE_CONVERSION_ROW = z
  .object({ MaXaMoi: z.string().regex(/^\d{5}$/), MaXaCu: z.string().regex(/^\d{5}$/), GhiChu: z.string().nullish() })
  .transform((row) => ({ formerCode: row.MaXaCu, currentCode: row.MaXaMoi, how: classifySuccession(row.GhiChu ?? ''), note: (row.GhiChu ?? '').trim() }));

/**
 * How long the conversion table is kept in the process: it is changed only by resolution (a few
 * times a year), and is one call of ~10,000 rows; an hour keeps a new resolution from waiting long.
 */
export const CONVERSION_TTL_MS = 60 * 60 * 1000;

/** Most communes are looked up in batches; the catalogue takes up to 200 codes per call. */
export const CATALOGUE_MAX_BATCH = 200;

export class CatalogueClient extends SourceClient {
  readonly source = 'catalogue' as const;

  protected authHeaders(): Record<string, string> {
    return { 'x-api-key': this.apiKey };
  }

  async listProvinces(): Promise<ProvinceRecord[]> {
    const wire = this.check(WIRE_LIST, this.parseJson<unknown>(await this.send({ path: '/api/units/provinces' })), 'a province list that is not an array');
    const fetchedAt = new Date();
    return wire.map((unit) => this.mapProvince(unit, fetchedAt));
  }

  /** The province and its communes, or null for an unknown code. */
  async getProvince(code: string): Promise<ProvinceWithCommunes | null> {
    const response = await this.send({ path: `/api/units/provinces/${encodeURIComponent(code)}` });
    if (response.status === 404) return null;
    const wire = this.parseJson<unknown>(response);
    const { Wards } = this.check(WIRE_PROVINCE_WITH_WARDS, wire, 'a province without its list of communes');
    const fetchedAt = new Date();
    return { ...this.mapProvince(wire, fetchedAt), communes: Wards.map((ward) => this.mapCommune(ward, fetchedAt)) };
  }

  /**
   * The communes found among `codes` (at most CATALOGUE_MAX_BATCH), by code: from the catalogue
   * kept whole while it is current, else from the source.
   */
  async getCommunes(codes: readonly string[]): Promise<Map<string, CommuneRecord>> {
    const kept = this.keptCommunes(codes);
    if (kept) return kept;
    const found = new Map<string, CommuneRecord>();
    // The catalogue takes 1–200 codes; asking for none would be refused as a bad request.
    if (codes.length === 0) return found;
    const response = await this.send({ path: '/api/units/communes', query: { codes: codes.join(',') } });
    if (response.status === 404) return found;
    const wire = this.check(WIRE_LIST, this.parseJson<unknown>(response), 'a commune list that is not an array');
    const fetchedAt = new Date();
    for (const unit of wire) {
      const commune = this.mapCommune(unit, fetchedAt);
      found.set(commune.code, commune);
    }
    return found;
  }

  private whole: KeptCatalogue<CommuneRecord> | undefined;

  /**
   * The communes found among `codes` in the catalogue kept whole, or undefined while none is
   * current. A code it lacks is not a commune of today's catalogue; each record is a copy marked
   * served from the cache, so no request changes another's.
   */
  keptCommunes(codes: readonly string[]): Map<string, CommuneRecord> | undefined {
    const whole = this.whole?.current();
    if (!whole) return undefined;
    const found = new Map<string, CommuneRecord>();
    for (const code of codes) {
      const commune = whole.get(code);
      if (!commune) continue;
      const copy = { ...commune, provenance: { ...commune.provenance } };
      markServedFromCache(copy);
      found.set(code, copy);
    }
    return found;
  }

  /**
   * Keeps today's catalogue whole in the process (kept-whole.ts), each fetch for `ttlMs`; 0 keeps
   * nothing. Resolves once the first fetch is kept or has failed: a failure is logged, look-ups go
   * to the source code by code meanwhile, and the fetch is tried again.
   */
  async keepWhole(ttlMs: number): Promise<void> {
    if (ttlMs <= 0 || this.whole) return;
    const onFailure = (error: unknown) => log.warn('the catalogue could not be kept whole; communes are looked up one call at a time meanwhile', { error: (error as Error).message });
    this.whole = new KeptCatalogue({ ttlMs, fetch: () => this.fetchWhole(), onFailure });
    await this.whole.refresh().catch(onFailure);
  }

  /** Every commune of today's catalogue: the province list, then each province with its communes. */
  private async fetchWhole(): Promise<CommuneRecord[]> {
    const provinces = await this.listProvinces();
    const whole = await Promise.all(provinces.map((province) => this.getProvince(province.code)));
    if (whole.some((province) => province === null)) throw this.badResponse('a province list naming a province it then does not return');
    return whole.flatMap((province) => province!.communes);
  }

  private conversion: { value: Promise<UnitConversion>; until: number } | undefined;

  /**
   * The catalogue before 1 July 2025 and the conversion table, indexed both ways. Fetched whole
   * (two calls) and kept in the process for CONVERSION_TTL_MS; a failed fetch is not kept.
   */
  getUnitConversion(): Promise<UnitConversion> {
    const now = Date.now();
    if (this.conversion && this.conversion.until > now) return this.conversion.value;
    const value = this.fetchUnitConversion();
    const kept = { value, until: now + CONVERSION_TTL_MS };
    this.conversion = kept;
    value.catch(() => {
      if (this.conversion === kept) this.conversion = undefined;
    });
    return value;
  }

  private async fetchUnitConversion(): Promise<UnitConversion> {
    const [unitsResponse, rowsResponse] = await Promise.all([
      this.send({ path: '/api/units/pre-2025/communes' }),
      this.send({ path: '/api/units/conversion' }),
    ]);
    // A catalogue that predates the reform's table answers 404: no old units are known.
    const units = unitsResponse.status === 404 ? [] : this.check(WIRE_LIST, this.parseJson<unknown>(unitsResponse), 'an old-unit list that is not an array');
    const rows = rowsResponse.status === 404 ? [] : this.check(WIRE_LIST, this.parseJson<unknown>(rowsResponse), 'a conversion table that is not an array');
    return indexConversion(
      units.map((unit) => this.check(WIRE_FORMER_UNIT, unit, 'an old unit with missing or unexpected fields')),
      rows.map((row) => this.check(WIRE_CONVERSION_ROW, row, 'a conversion row with missing or unexpected fields')),
    );
  }

  // The catalogue does not say when a unit last changed: units change only by resolution.
  private mapProvince(unit: unknown, fetchedAt: Date): ProvinceRecord {
    const province = this.check(WIRE_UNIT, unit, 'a province with missing or unexpected fields');
    return { ...province, provenance: stampProvenance(this.source, null, fetchedAt) };
  }

  private mapCommune(unit: unknown, fetchedAt: Date): CommuneRecord {
    const commune = this.check(WIRE_COMMUNE, unit, 'a commune with missing or unexpected fields');
    return { ...commune, provenance: stampProvenance(this.source, null, fetchedAt) };
  }

  override async close(): Promise<void> {
    this.whole?.stop();
    await super.close();
  }
}

/**
 * A subgraph's commune look-up: the catalogue kept whole while it is current, with no cache round
 * trip in front of it (the kept catalogue is the whole, newer copy); otherwise through the source
 * cache to the source.
 */
export function communeLookup(catalogue: CatalogueClient, cache: SourceCache): CachedBatch<CommuneRecord> {
  const cached = cache.batch('commune', (codes) => catalogue.getCommunes(codes));
  return async (codes) => catalogue.keptCommunes(codes) ?? cached(codes);
}
