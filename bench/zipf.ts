/**
 * Zipf-distributed picks: item k (1-based popularity rank) is drawn with probability ∝ 1/k^s, so a
 * few citizens are asked about often and most rarely, as at a real desk. Which item holds which
 * rank is a seeded shuffle, so popularity is not tied to the order of the world's lists.
 */
export type Random = () => number;

/** A small seeded generator (mulberry32): the same seed gives the same sequence of draws. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}

export function zipfSampler<T>(items: readonly T[], exponent: number, seed: number): () => T {
  const random = seededRandom(seed);
  const ranked = shuffled(items, random);
  const cumulative = new Float64Array(ranked.length);
  let total = 0;
  for (let k = 0; k < ranked.length; k++) {
    total += 1 / Math.pow(k + 1, exponent);
    cumulative[k] = total;
  }
  return () => {
    const target = random() * total;
    let low = 0;
    let high = cumulative.length - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle] < target) low = middle + 1;
      else high = middle;
    }
    return ranked[low];
  };
}

/** Each item once, in a seeded random order, then again: for runs that must miss every cache. */
export function eachOnce<T>(items: readonly T[], seed: number): () => T {
  const order = shuffled(items, seededRandom(seed));
  let next = 0;
  return () => order[next++ % order.length];
}
