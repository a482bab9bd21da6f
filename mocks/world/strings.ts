/**
 * Memory care for strings the world keeps by the hundred thousand. V8 stores `a + b` and template
 * literals as ropes, one 32-byte node per piece (and short intermediate pieces as copies), so
 * long-lived strings are built flat with `join`, and often-repeated ones (dates, names) are shared.
 */

/** One flat string from its pieces. */
export function flat(...pieces: (string | number)[]): string {
  return pieces.join('');
}

/** Shares equal strings: the first one seen is the one kept. */
export class Interner {
  private readonly seen = new Map<string, string>();

  get(value: string): string {
    const known = this.seen.get(value);
    if (known !== undefined) return known;
    this.seen.set(value, value);
    return value;
  }
}
