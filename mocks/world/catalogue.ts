/**
 * The administrative-unit catalogue the world is laid over: the official file when a path is
 * given (34 provinces, 3,321 communes), otherwise a small synthetic one. Only the fields the
 * catalogue source serves are kept, in the official file's own names.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../lib/config';
import type { AdminProvince, AdminWard } from './admin-units';
import { FormerCatalogue, FormerCatalogueFiles, loadFormerCatalogue } from './conversion';
import { SYNTHETIC_PROVINCES } from './synthetic-catalogue';

export interface Catalogue {
  /** Where the units came from: the official file, or the built-in synthetic catalogue. */
  origin: 'file' | 'synthetic';
  provinces: AdminProvince[];
  provinceByCode: Map<string, AdminProvince>;
  communeByCode: Map<string, AdminWard>;
  /** Every commune, in catalogue order. */
  communes: AdminWard[];
  /** The units before 1 July 2025 and the conversion table (conversion.ts). */
  former: FormerCatalogue;
}

const text = z.string().min(1);
const names = { Name: text, NameEn: text, FullName: text, FullNameEn: text };
const provinceCode = z.string().regex(/^\d{2}$/, 'a province code has 2 digits');
const wardSchema = z.object({
  Code: z.string().regex(/^\d{5}$/, 'a commune code has 5 digits'),
  ...names,
  ProvinceCode: provinceCode,
  AdministrativeUnitShortName: z.enum(['Xã', 'Phường', 'Đặc khu']),
});
const provinceSchema = z.object({
  Code: provinceCode,
  ...names,
  AdministrativeUnitShortName: z.enum(['Tỉnh', 'Thành phố']),
  Wards: z.array(wardSchema).min(1),
});
const fileSchema = z.array(provinceSchema).min(1);

/** Reads the official catalogue; a missing or malformed file is a configuration error. */
export function loadCatalogue(adminUnitsFile?: string, formerFiles: FormerCatalogueFiles = {}): Catalogue {
  if (!adminUnitsFile) return indexCatalogue('synthetic', SYNTHETIC_PROVINCES, formerFiles);
  const fail = (problem: string): never => {
    throw new ConfigError([`ADMIN_UNITS_FILE=${JSON.stringify(adminUnitsFile)}: ${problem}`]);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(adminUnitsFile, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return fail(code ? `cannot read the file (${code})` : 'the file is not valid JSON');
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(`not the official catalogue's shape at [${issue.path.join('.')}]: ${issue.message}`);
  }
  // zod strips the fields not named in the schema, which keeps the world lean.
  return indexCatalogue('file', parsed.data, formerFiles);
}

function indexCatalogue(origin: Catalogue['origin'], provinces: AdminProvince[], formerFiles: FormerCatalogueFiles): Catalogue {
  const provinceByCode = new Map(provinces.map((p) => [p.Code, p]));
  const communes = provinces.flatMap((p) => p.Wards);
  const former = loadFormerCatalogue(formerFiles, origin);
  return { origin, provinces, provinceByCode, communeByCode: new Map(communes.map((c) => [c.Code, c])), communes, former };
}
