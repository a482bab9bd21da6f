/**
 * The catalogue before 1 July 2025 and the conversion table between old and new communes, as the
 * catalogue source serves them (GET /api/units/pre-2025/communes, GET /api/units/conversion).
 *
 * With files: the National Statistics Office's pre-reform catalogue (`vn-admin-units-pre-2025.csv`:
 * one header line, then province, district, commune and type per line) and its conversion table
 * (`vn-admin-units-2025-conversion.csv`: two header lines, a line holding only a province's name
 * in capitals before each province, then one line per (new commune, old commune) pair, cells that
 * break across lines, notes typed by hand). Without files: a small synthetic table over the
 * synthetic catalogue (synthetic-conversion.ts).
 */
import { readFileSync } from 'node:fs';
import {
  classifySuccession,
  FormerUnit,
  indexConversion,
  kindOfName,
  nameAndCode,
  Succession,
  UnitConversion,
} from '../../lib/admin-units';
import { ConfigError } from '../../lib/config';
import { ConversionRow, SYNTHETIC_CONVERSION } from './synthetic-conversion';

export type { ConversionRow };

/** An old unit as the catalogue source serves it, in the pre-reform catalogue's column names. */
export interface FormerUnitRow {
  MaPX: string;
  PhuongXa: string;
  Cap: string;
  MaQH: string | null;
  QuanHuyen: string | null;
  MaTP: string | null;
  TinhThanhPho: string | null;
}

export interface FormerCatalogue {
  origin: 'file' | 'synthetic' | 'none';
  /** Served as they are. */
  formerUnitRows: FormerUnitRow[];
  conversionRows: ConversionRow[];
  /** The same, indexed with the rules the product uses (for seeding and the truth). */
  conversion: UnitConversion;
}

export interface FormerCatalogueFiles {
  pre2025UnitsFile?: string;
  conversionFile?: string;
}

/** RFC 4180 CSV: quoted cells may hold commas, doubled quotes and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (quoted) {
      if (ch === '"') {
        if (body[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && body[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) {
    row.push(cell);
    rows.push(row);
  }
  return rows;
}

const clean = (text: string | undefined) => (text ?? '').replace(/\s+/g, ' ').trim();

/** The conversion table's data lines: a 5-digit new code in the third cell (headers and province separators have none). */
export function parseConversionTable(text: string): { rows: ConversionRow[]; formerUnits: FormerUnit[] } {
  const rows: ConversionRow[] = [];
  const formerUnits: FormerUnit[] = [];
  for (const cells of parseCsv(text)) {
    const newCode = clean(cells[2]);
    if (!/^\d{5}$/.test(newCode)) continue;
    const oldCode = clean(cells[4]);
    // A whole district made a special zone has no old commune; a foreshore area has no code.
    if (!/^\d{5}$/.test(oldCode)) continue;
    const oldName = clean(cells[3]);
    rows.push({ MaXaMoi: newCode, TenXaMoi: clean(cells[1]), MaXaCu: oldCode, TenXaCu: oldName, GhiChu: clean(cells[5]) });
    const district = nameAndCode(clean(cells[6]));
    const province = nameAndCode(clean(cells[7]));
    formerUnits.push({
      code: oldCode,
      name: oldName,
      kind: kindOfName(oldName),
      districtCode: district.code,
      districtName: district.name || null,
      provinceCode: province.code,
      provinceName: province.name ? (/^(Tỉnh|Thành phố) /.test(province.name) ? province.name : `Tỉnh ${province.name}`) : null,
    });
  }
  return { rows, formerUnits };
}

/** The pre-reform catalogue: `Tỉnh Thành Phố, Mã TP, Quận Huyện, Mã QH, Phường Xã, Mã PX, Cấp, Tên Tiếng Anh`. */
export function parsePre2025Catalogue(text: string): FormerUnit[] {
  const units: FormerUnit[] = [];
  for (const cells of parseCsv(text).slice(1)) {
    const code = clean(cells[5]);
    if (!/^\d{5}$/.test(code)) continue; // a district without communes (an island district)
    units.push({
      code,
      name: clean(cells[4]),
      kind: clean(cells[6]) || kindOfName(clean(cells[4])),
      districtCode: clean(cells[3]) || null,
      districtName: clean(cells[2]) || null,
      provinceCode: clean(cells[1]) || null,
      provinceName: clean(cells[0]) || null,
    });
  }
  return units;
}

function rowOf(unit: FormerUnit): FormerUnitRow {
  return {
    MaPX: unit.code,
    PhuongXa: unit.name,
    Cap: unit.kind,
    MaQH: unit.districtCode,
    QuanHuyen: unit.districtName,
    MaTP: unit.provinceCode,
    TinhThanhPho: unit.provinceName,
  };
}

export function successionOf(row: ConversionRow): Succession {
  return { formerCode: row.MaXaCu, currentCode: row.MaXaMoi, how: classifySuccession(row.GhiChu), note: row.GhiChu };
}

function build(origin: FormerCatalogue['origin'], catalogueUnits: FormerUnit[], tableUnits: FormerUnit[], rows: ConversionRow[]): FormerCatalogue {
  // The catalogue's own lines first; the table names a few units changed after the catalogue's date.
  const byCode = new Map<string, FormerUnit>();
  for (const unit of [...catalogueUnits, ...tableUnits]) if (!byCode.has(unit.code)) byCode.set(unit.code, unit);
  const units = [...byCode.values()];
  return { origin, formerUnitRows: units.map(rowOf), conversionRows: rows, conversion: indexConversion(units, rows.map(successionOf)) };
}

/**
 * Reads both files when given; with neither and no official catalogue, the synthetic table; with
 * the official catalogue but no conversion files, no old units at all (the synthetic table names
 * synthetic communes only).
 */
export function loadFormerCatalogue(files: FormerCatalogueFiles, currentOrigin: 'file' | 'synthetic'): FormerCatalogue {
  if (!files.conversionFile) {
    if (currentOrigin === 'synthetic') {
      const { rows, formerUnits } = SYNTHETIC_CONVERSION;
      return build('synthetic', [], formerUnits, rows);
    }
    return build('none', [], [], []);
  }
  const read = (variable: string, path: string): string => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new ConfigError([`${variable}=${JSON.stringify(path)}: cannot read the file (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
    }
  };
  const table = parseConversionTable(read('ADMIN_UNITS_CONVERSION_FILE', files.conversionFile));
  if (table.rows.length === 0) throw new ConfigError([`ADMIN_UNITS_CONVERSION_FILE=${JSON.stringify(files.conversionFile)}: no conversion rows found`]);
  const catalogueUnits = files.pre2025UnitsFile ? parsePre2025Catalogue(read('ADMIN_UNITS_PRE_2025_FILE', files.pre2025UnitsFile)) : [];
  return build('file', catalogueUnits, table.formerUnits, table.rows);
}
