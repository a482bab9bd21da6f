/**
 * Old and new administrative units (đơn vị hành chính trước và sau 1/7/2025). Since 1 July 2025
 * there are 34 provinces and 3,321 communes; the national and sector databases kept the codes
 * their records were made with. This module holds the pure rules both the product and the mock
 * sources follow: how the conversion table's notes read, and how a code a source recorded is
 * placed in today's catalogue. It reads no file: the product learns the table from the catalogue
 * source, the mocks from their data files.
 */

/** The day the two-tier local government took effect: a code on a record made before it is an old code. */
export const REFORM_DATE = '2025-07-01';

/** How an old commune went into a new one (the conversion table's note, "Ghi chú"). */
export type SuccessionKind =
  /** Nhập toàn bộ: the whole old unit. */
  | 'WHOLE'
  /** Nhập một phần: part of it (the rest went elsewhere). */
  | 'PART'
  /** Nhập một phần diện tích: part of its area. */
  | 'PART_AREA'
  /** Nhập một phần diện tích, toàn bộ dân số: part of its area, but all of its residents. */
  | 'PART_AREA_ALL_RESIDENTS'
  /** Nhập một phần dân số: part of its residents. */
  | 'PART_RESIDENTS'
  /** Giữ nguyên: unchanged. */
  | 'UNCHANGED'
  /** Đổi tên: renamed. */
  | 'RENAMED'
  /** Đổi loại hình: type changed (e.g. xã to phường). */
  | 'TYPE_CHANGED';

export const SUCCESSION_KINDS: readonly SuccessionKind[] = [
  'WHOLE',
  'PART',
  'PART_AREA',
  'PART_AREA_ALL_RESIDENTS',
  'PART_RESIDENTS',
  'UNCHANGED',
  'RENAMED',
  'TYPE_CHANGED',
];

/**
 * Reads a note of the conversion table. The published table is typed by hand: spaces are doubled,
 * lines break inside a cell, "Nhập" is once written "Nhâp", and a few notes are sentences
 * ("Sắp xếp toàn bộ huyện … thành đặc khu …", "Phần còn lại sau khi tách …"). An empty note is a
 * whole unit, the table's default.
 */
export function classifySuccession(note: string): SuccessionKind {
  const text = note.normalize('NFC').toLowerCase().replace(/\s+/g, ' ').trim().replace(/^nhâp/, 'nhập');
  if (text === '') return 'WHOLE';
  if (text.startsWith('giữ nguyên')) return 'UNCHANGED';
  if (text.startsWith('đổi tên')) return text.includes('một phần') ? 'PART' : 'RENAMED';
  if (text.startsWith('đổi loại hình')) return 'TYPE_CHANGED';
  if (text.includes('một phần') || text.startsWith('phần còn lại')) {
    if (text.includes('diện tích') && text.includes('toàn bộ dân số')) return 'PART_AREA_ALL_RESIDENTS';
    if (text.includes('diện tích')) return 'PART_AREA';
    if (text.includes('dân số')) return 'PART_RESIDENTS';
    return 'PART';
  }
  return 'WHOLE';
}

/** A commune-level unit of the catalogue before 1 July 2025 (xã, phường, thị trấn). */
export interface FormerUnit {
  code: string;
  /** Full name with its type, e.g. `Phường Thọ Xương`. */
  name: string;
  /** `Xã`, `Phường` or `Thị trấn`. */
  kind: string;
  districtCode: string | null;
  districtName: string | null;
  /** The old 2-digit province code (old Bắc Giang `24`, old Bắc Ninh `27`). */
  provinceCode: string | null;
  provinceName: string | null;
}

/** One row of the conversion table: an old unit (or part of it) went into a new commune. */
export interface Succession {
  formerCode: string;
  currentCode: string;
  how: SuccessionKind;
  /** The note as published. */
  note: string;
}

/** The old catalogue and the conversion table, indexed both ways. */
export interface UnitConversion {
  formerUnits: ReadonlyMap<string, FormerUnit>;
  /** By old code: the new communes it went into, in table order. */
  successors: ReadonlyMap<string, readonly Succession[]>;
  /** By new code: the old units it absorbed, in table order. */
  predecessors: ReadonlyMap<string, readonly Succession[]>;
}

export function indexConversion(formerUnits: Iterable<FormerUnit>, rows: Iterable<Succession>): UnitConversion {
  const units = new Map<string, FormerUnit>();
  for (const unit of formerUnits) if (!units.has(unit.code)) units.set(unit.code, unit);
  const successors = new Map<string, Succession[]>();
  const predecessors = new Map<string, Succession[]>();
  const seen = new Set<string>();
  for (const row of rows) {
    const pair = `${row.formerCode}>${row.currentCode}`;
    if (seen.has(pair)) continue;
    seen.add(pair);
    push(successors, row.formerCode, row);
    push(predecessors, row.currentCode, row);
  }
  return { formerUnits: units, successors, predecessors };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

export const EMPTY_CONVERSION: UnitConversion = { formerUnits: new Map(), successors: new Map(), predecessors: new Map() };

/**
 * How a recorded code stands today:
 * - `CURRENT`: a unit of today's catalogue (or an old unit that went on unchanged, same code);
 * - `RETIRED_RESOLVED`: an old unit that lies, all of it, in one new commune;
 * - `RETIRED_AMBIGUOUS`: an old unit split between two or more new communes: the code alone does
 *   not say which one the record lies in;
 * - `UNKNOWN`: a code neither catalogue places.
 */
export type UnitStatus = 'CURRENT' | 'RETIRED_RESOLVED' | 'RETIRED_AMBIGUOUS' | 'UNKNOWN';

export interface UnitResolution {
  recordedCode: string;
  /** The name the code had in the catalogue it was read by (old name for an old code). */
  recordedName: string | null;
  status: UnitStatus;
  /** The one current commune it lies in; null when ambiguous or unknown. */
  currentCode: string | null;
  /** Ambiguous: every current commune the old unit went into (table order); otherwise the current one, or none. */
  candidateCodes: string[];
  /** The old unit the code was read as, when it was read by the old catalogue. */
  former: FormerUnit | null;
}

/**
 * Places a code a source recorded. `recordedOn` is the record's date when it has one: a code on a
 * record made before 1 July 2025 is read in the old catalogue (an old code and a new code can be
 * the same number for different areas); from that day on, or undated, in today's catalogue first,
 * then the old one (a source that still stores a retired unit).
 */
export function resolveRecordedUnit(
  conversion: UnitConversion,
  currentName: (code: string) => string | null | undefined,
  recordedCode: string,
  recordedOn?: string | null,
): UnitResolution {
  const old = recordedOn !== undefined && recordedOn !== null && recordedOn < REFORM_DATE;
  const name = currentName(recordedCode) ?? null;
  const former = conversion.formerUnits.get(recordedCode) ?? null;
  const successors = conversion.successors.get(recordedCode);
  if (!old && name !== null) return current(recordedCode, name);
  if (successors && successors.length > 0) {
    const codes = [...new Set(successors.map((s) => s.currentCode))];
    const recordedName = former?.name ?? null;
    if (codes.length === 1) {
      const unchanged = codes[0] === recordedCode && successors.every((s) => s.how === 'UNCHANGED');
      return { recordedCode, recordedName, status: unchanged ? 'CURRENT' : 'RETIRED_RESOLVED', currentCode: codes[0], candidateCodes: codes, former };
    }
    return { recordedCode, recordedName, status: 'RETIRED_AMBIGUOUS', currentCode: null, candidateCodes: codes, former };
  }
  // An old record naming a code the old catalogue does not know, but today's does (a unit made later).
  if (name !== null) return current(recordedCode, name);
  return { recordedCode, recordedName: former?.name ?? null, status: 'UNKNOWN', currentCode: null, candidateCodes: [], former };
}

function current(code: string, name: string): UnitResolution {
  return { recordedCode: code, recordedName: name, status: 'CURRENT', currentCode: code, candidateCodes: [code], former: null };
}

/** Parses `Tỉnh Bắc Giang (24)` / `Quận Ba Đình (001)` into a name and a code. */
export function nameAndCode(text: string): { name: string; code: string | null } {
  const match = /^(.*?)\s*\((\d+)\)\s*$/.exec(text.trim());
  return match ? { name: match[1].trim(), code: match[2] } : { name: text.trim(), code: null };
}

/** The unit type a full name starts with: `Xã`, `Phường`, `Thị trấn` (or `Đặc khu`). */
export function kindOfName(name: string): string {
  for (const kind of ['Thị trấn', 'Phường', 'Đặc khu', 'Xã']) if (name.startsWith(kind)) return kind;
  return 'Xã';
}
