/**
 * The 12-digit personal identification number (mã định danh cá nhân) printed on the CCCD.
 *
 *   digits 1–3  province code of birth registration (001–096)
 *   digit  4    gender and century: 0/1 male/female born 1900–1999, 2/3 born 2000–2099
 *   digits 5–6  last two digits of the birth year
 *   digits 7–12 random
 *
 * One module serves the mock world (which mints IDs) and the subgraphs (which validate them),
 * so the two can never disagree on the rule.
 */

export type Gender = 'MALE' | 'FEMALE';

export interface DecodedPersonalId {
  provinceCode: string;
  gender: Gender;
  birthYear: number;
}

const SHAPE = /^\d{12}$/;

/** Why `value` is not a valid personalId, in plain words; `null` when it is valid. */
export function personalIdProblem(value: unknown): string | null {
  if (typeof value !== 'string') return 'a personalId must be a string of 12 digits';
  if (!SHAPE.test(value)) return 'a personalId has exactly 12 digits (0–9) and nothing else';
  const province = Number(value.slice(0, 3));
  if (province < 1 || province > 96) return 'digits 1–3 of a personalId are a province code from 001 to 096';
  if (Number(value[3]) > 3) return 'digit 4 of a personalId is 0–3 (gender and century of birth)';
  return null;
}

export function isPersonalId(value: unknown): value is string {
  return personalIdProblem(value) === null;
}

/** Reads gender and birth year out of a valid personalId. */
export function decodePersonalId(id: string): DecodedPersonalId {
  const problem = personalIdProblem(id);
  if (problem) throw new RangeError(problem);
  const centuryDigit = Number(id[3]);
  return {
    provinceCode: id.slice(0, 3),
    gender: centuryDigit % 2 === 0 ? 'MALE' : 'FEMALE',
    birthYear: (centuryDigit < 2 ? 1900 : 2000) + Number(id.slice(4, 6)),
  };
}

/** Builds a personalId; `serial` supplies the six random digits. */
export function encodePersonalId(provinceCode: number, gender: Gender, birthYear: number, serial: number): string {
  if (birthYear < 1900 || birthYear > 2099) throw new RangeError('birth year must be 1900–2099');
  if (provinceCode < 1 || provinceCode > 96) throw new RangeError('province code must be 1–96');
  const century = (birthYear >= 2000 ? 2 : 0) + (gender === 'FEMALE' ? 1 : 0);
  return (
    String(provinceCode).padStart(3, '0') +
    String(century) +
    String(birthYear % 100).padStart(2, '0') +
    String(serial % 1_000_000).padStart(6, '0')
  );
}
