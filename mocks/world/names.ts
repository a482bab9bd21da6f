/**
 * Vietnamese personal names: family name (họ), middle name (tên đệm) and given name (tên), with
 * family names weighted roughly as they occur nationally. Also the small misspellings a stale
 * population record shows against the civil-status record (a lost tone mark, a different middle
 * name), for the seeded NAME_DIFFERS inconsistency.
 */
import type { Gender } from '../../lib/personal-id';
import { Rng, Weighted } from './prng';
import { flat, Interner } from './strings';

const FAMILY = new Weighted<string>([
  ['Nguyễn', 38], ['Trần', 11], ['Lê', 9.5], ['Phạm', 7], ['Hoàng', 3], ['Huỳnh', 2.1], ['Phan', 4.5],
  ['Vũ', 2.2], ['Võ', 1.8], ['Đặng', 2.1], ['Bùi', 2], ['Đỗ', 1.4], ['Hồ', 1.3], ['Ngô', 1.3],
  ['Dương', 1], ['Lý', 0.5], ['Đinh', 0.9], ['Trịnh', 0.7], ['Đào', 0.6], ['Mai', 0.5], ['Cao', 0.5],
  ['Lương', 0.4], ['Tạ', 0.3], ['Chu', 0.3], ['Lâm', 0.3], ['Hà', 0.4], ['Tô', 0.2], ['Kiều', 0.2],
]);

// Older generations mostly carry Văn / Thị; younger ones a wider choice.
const MIDDLE_OLD: Record<Gender, Weighted<string>> = {
  MALE: new Weighted([['Văn', 60], ['Đức', 8], ['Hữu', 8], ['Đình', 7], ['Xuân', 5], ['Quang', 5], ['Công', 4], ['Bá', 3]]),
  FEMALE: new Weighted([['Thị', 75], ['Ngọc', 6], ['Thu', 5], ['Thanh', 5], ['Kim', 4], ['Hồng', 3], ['Xuân', 2]]),
};
const MIDDLE_NEW: Record<Gender, Weighted<string>> = {
  MALE: new Weighted([['Văn', 15], ['Minh', 15], ['Đức', 12], ['Quang', 10], ['Hoàng', 8], ['Gia', 8], ['Anh', 7], ['Thành', 7], ['Hữu', 6], ['Trọng', 6], ['Bảo', 6]]),
  FEMALE: new Weighted([['Thị', 25], ['Ngọc', 12], ['Thu', 8], ['Thanh', 8], ['Phương', 8], ['Minh', 8], ['Khánh', 7], ['Bảo', 6], ['Mai', 6], ['Hà', 6], ['Diệu', 6]]),
};
const MIDDLE_ALL: Record<Gender, string[]> = {
  MALE: ['Văn', 'Đức', 'Hữu', 'Đình', 'Xuân', 'Quang', 'Công', 'Minh', 'Hoàng', 'Gia', 'Anh', 'Thành', 'Trọng', 'Bảo'],
  FEMALE: ['Thị', 'Ngọc', 'Thu', 'Thanh', 'Kim', 'Hồng', 'Phương', 'Minh', 'Khánh', 'Bảo', 'Mai', 'Hà', 'Diệu'],
};

const GIVEN: Record<Gender, string[]> = {
  MALE: [
    'An', 'Bình', 'Cường', 'Dũng', 'Đức', 'Hải', 'Hùng', 'Huy', 'Khang', 'Khoa', 'Long', 'Minh', 'Nam', 'Phong',
    'Phúc', 'Quân', 'Sơn', 'Tài', 'Thắng', 'Trung', 'Tuấn', 'Việt', 'Vinh', 'Hiếu', 'Kiên', 'Lâm', 'Nghĩa',
    'Toàn', 'Thành', 'Tùng', 'Bảo', 'Đạt', 'Duy', 'Hưng', 'Quang', 'Thịnh', 'Tiến', 'Trí', 'Vũ', 'Hoàng', 'Lộc', 'Khôi',
  ],
  FEMALE: [
    'Anh', 'Chi', 'Dung', 'Hà', 'Hạnh', 'Hằng', 'Hiền', 'Hoa', 'Hồng', 'Hương', 'Huyền', 'Lan', 'Linh', 'Loan',
    'Mai', 'My', 'Nga', 'Ngọc', 'Nhung', 'Oanh', 'Phương', 'Quỳnh', 'Thảo', 'Thu', 'Thủy', 'Trang', 'Trinh',
    'Tuyết', 'Vân', 'Yến', 'Vy', 'Nhi', 'Ngân', 'Châu', 'Diệp', 'Giang', 'Hậu', 'Lệ', 'Xuân', 'Thư', 'Ánh',
  ],
};

export function familyName(rng: Rng): string {
  return FAMILY.pick(rng);
}

// Full names repeat a lot (a few tens of thousands of combinations), so equal names share a string.
const names = new Interner();

/** A full name `Họ Đệm Tên`; `family` is inherited from the father where there is one. */
export function fullName(rng: Rng, gender: Gender, birthYear: number, family: string = familyName(rng)): string {
  const middle = (birthYear < 1985 ? MIDDLE_OLD : MIDDLE_NEW)[gender].pick(rng);
  return names.get(flat(family, ' ', middle, ' ', rng.pick(GIVEN[gender])));
}

export function familyOf(name: string): string {
  return name.slice(0, name.indexOf(' '));
}

// Tone marks as combining characters after NFD: grave, acute, tilde, hook above, dot below.
const TONE_MARKS = /[\u0300\u0301\u0303\u0309\u0323]/g;
const ALL_MARKS = /[\u0300-\u036f]/g;

function withoutTones(word: string): string {
  return word.normalize('NFD').replace(TONE_MARKS, '').normalize('NFC');
}

function withoutDiacritics(word: string): string {
  return word.normalize('NFD').replace(ALL_MARKS, '').normalize('NFC').replace(/đ/g, 'd').replace(/Đ/g, 'D');
}

/**
 * The name as a stale or hand-keyed population record might hold it: one word without its tone
 * mark (or without any diacritic), or a different middle name. Always differs from `name`.
 */
export function misspell(rng: Rng, name: string, gender: Gender): string {
  const words = name.split(' ');
  if (words.length >= 3 && rng.chance(0.4)) {
    const others = MIDDLE_ALL[gender].filter((m) => m !== words[1]);
    return [words[0], rng.pick(others), ...words.slice(2)].join(' ');
  }
  const marked = words.flatMap((word, i) => (withoutDiacritics(word) !== word ? [i] : []));
  if (marked.length === 0) return `${name}h`; // no diacritic anywhere: a typo instead
  const i = rng.pick(marked);
  const toneless = withoutTones(words[i]);
  words[i] = toneless !== words[i] && rng.chance(0.6) ? toneless : withoutDiacritics(words[i]);
  return words.join(' ');
}
