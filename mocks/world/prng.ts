/**
 * Seeded randomness for the synthetic world. Math.random cannot be seeded, and the same seed must
 * always give the same world, so: xmur3 turns the seed string into 32-bit state and sfc32 (the
 * "small fast counter" generator from PractRand) draws from it. Both are public-domain classics.
 */

/** xmur3: a string hash that yields a stream of 32-bit seeds. */
function xmur3(text: string): () => number {
  let h = 1779033703 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 3432918353);
    h = (h << 13) | (h >>> 19);
  }
  return () => {
    h = Math.imul(h ^ (h >>> 16), 2246822507);
    h = Math.imul(h ^ (h >>> 13), 3266489909);
    return (h ^= h >>> 16) >>> 0;
  };
}

// A module-level alias: under jest, every lookup of the global `Math` is slow (see dates.ts).
const { floor } = Math;

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Each part of the world draws from its own stream (`seed/people`, `seed/budget`, …), so that
   *  changing how one part is generated does not reshuffle the others. */
  constructor(seed: string) {
    const next = xmur3(seed);
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    for (let i = 0; i < 12; i++) this.next(); // warm up past the correlated first outputs
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)];
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = floor(this.next() * (i + 1));
      const swap = items[i];
      items[i] = items[j];
      items[j] = swap;
    }
    return items;
  }
}

/** A fixed table of choices with weights, drawn from in O(n) (tables here are short). */
export class Weighted<T> {
  private readonly items: T[];
  private readonly cumulative: number[];

  constructor(entries: readonly (readonly [T, number])[]) {
    this.items = entries.map(([item]) => item);
    let total = 0;
    this.cumulative = entries.map(([, weight]) => (total += weight));
    this.cumulative = this.cumulative.map((value) => value / total);
  }

  pick(rng: Rng): T {
    const r = rng.next();
    for (let i = 0; i < this.cumulative.length; i++) if (r < this.cumulative[i]) return this.items[i];
    return this.items[this.items.length - 1];
  }
}
