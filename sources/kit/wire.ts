/**
 * What the source clients check a source's answer with before mapping it: zod schemas of the wire
 * shapes, and the pieces several sources share (codes looked up in a table, dates, IDs). An answer
 * that does not fit is the source's fault, reported as SOURCE_BAD_RESPONSE by the client.
 */
import { z } from 'zod';
import { isPersonalId } from '../../lib/personal-id';
import { isIsoDate } from './dates';

export { z };

/** `read` applied to a string; a null result fails the check. */
export function textAs<T>(read: (text: string) => T | null | undefined) {
  return z.string().transform((text, ctx): T => {
    const value = read(text);
    if (value === null || value === undefined) {
      ctx.addIssue({ code: 'custom', message: 'unexpected value' });
      return z.NEVER;
    }
    return value;
  });
}

/**
 * A code looked up in `table`. A Map, not an object literal, so that a wire value such as
 * `constructor` finds nothing; `nfc` first normalises text that may arrive decomposed.
 */
export function code<T>(table: ReadonlyMap<string, T>, options: { nfc?: boolean } = {}) {
  return textAs((text) => table.get(options.nfc ? text.normalize('NFC') : text));
}

/** Text that is not blank. */
export const nonBlank = z.string().refine((text) => text.trim() !== '');
export const personalId = z.string().refine(isPersonalId);
export const communeCode = z.string().regex(/^\d{5}$/);
export const isoDate = z.string().refine(isIsoDate);
/** A JSON object (not an array, not null). */
export const wireObject = z.record(z.string(), z.unknown());
/** Absent or null is null; otherwise `schema` decides. */
export function nullable<S extends z.ZodType>(schema: S) {
  return schema.nullish().transform((value) => value ?? null);
}
