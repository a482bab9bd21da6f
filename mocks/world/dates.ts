/**
 * Dates in the world are whole days since 1970-01-01 while it is generated, because adding years
 * and comparing are then plain arithmetic; records store them as `YYYY-MM-DD`. The conversions
 * are Howard Hinnant's civil-calendar algorithms rather than `Date`, which made up a third of the
 * generation time. The wire formats some sources use (`dd/MM/yyyy`, `yyyyMMdd`) derive from here.
 */

import { flat } from './strings';

// Under jest every global lookup (`Math`, `Number`) goes through the test sandbox's interceptor
// and costs as much as the arithmetic around it; a module-level alias is a plain variable.
const { floor } = Math;

export type IsoDate = string;
export type Timestamp = string;

/** Day number of a proleptic Gregorian date (month 1–12; day may overflow into the next month). */
export function dayFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = floor(y / 400);
  const yoe = y - era * 400;
  const doy = floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  return era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468;
}

/** [year, month 1–12, day 1–31] of a day number. */
export function civilFromDay(dayNumber: number): [number, number, number] {
  const z = dayNumber + 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, doy - floor((153 * mp + 2) / 5) + 1];
}

export function dayOf(iso: IsoDate): number {
  return dayFromCivil(+iso.slice(0, 4), +iso.slice(5, 7), +iso.slice(8, 10));
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

// The world holds a date string per event, but only some tens of thousands of distinct days:
// each is made once, in a table indexed from 1860 (days before that are simply not cached).
const isoCache: (IsoDate | undefined)[] = new Array(100_000).fill(undefined);
const CACHE_FROM = -40_000;

export function isoOf(day: number): IsoDate {
  const slot = day - CACHE_FROM;
  const cached = slot >= 0 ? isoCache[slot] : undefined;
  if (cached !== undefined) return cached;
  const [y, m, d] = civilFromDay(day);
  const iso = flat(y, '-', pad2(m), '-', pad2(d));
  if (slot >= 0 && slot < 100_000) isoCache[slot] = iso;
  return iso;
}

export function yearOfDay(day: number): number {
  return civilFromDay(day)[0];
}

export function dayOfYearStart(year: number): number {
  return dayFromCivil(year, 1, 1);
}

/** The day `years` whole years after `day` (Feb 29 falls on Mar 1). */
export function addYears(day: number, years: number): number {
  const [y, m, d] = civilFromDay(day);
  return dayFromCivil(y + years, m, d);
}

/** Age in whole years on `onDay`. */
export function ageOn(birthDay: number, onDay: number): number {
  const [by, bm, bd] = civilFromDay(birthDay);
  const [oy, om, od] = civilFromDay(onDay);
  return oy - by - (om < bm || (om === bm && od < bd) ? 1 : 0);
}

/** `2026-05-01T08:00:00Z` for `day` plus `minutes` into it. */
export function timestampOf(day: number, minutes: number): Timestamp {
  return flat(isoOf(day), 'T', pad2(floor(minutes / 60) % 24), ':', pad2(minutes % 60), ':00Z');
}

/** `1990-03-05` → `05/03/1990` (population). */
export function toDayMonthYear(iso: IsoDate): string {
  return `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
}

/** `1990-03-05` → `19900305` (social insurance). */
export function toCompactDate(iso: IsoDate): string {
  return iso.replace(/-/g, '');
}
