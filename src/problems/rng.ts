// Small seeded PRNG (mulberry32): 32-bit state, integer-only arithmetic, so the
// same seed gives the same stream on every platform and JS engine.

/** Mix a base seed with extra integers into one uint32 (splitmix32-style finalizer). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = (h ^ (p >>> 0)) >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x21f0aaad);
    h = Math.imul(h ^ (h >>> 15), 0x735a2d97);
    h = (h ^ (h >>> 15)) >>> 0;
    h = (h + 0x9e3779b9) >>> 0;
  }
  return h;
}

export class Rng {
  private state: number; // uint32

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    if (hi < lo) throw new RangeError(`Rng.int: empty range [${lo}, ${hi}]`);
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** Uniform element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new RangeError('Rng.pick: empty array');
    return xs[this.int(0, xs.length - 1)] as T;
  }

  /** Fisher–Yates shuffle in place; returns the same array. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = xs[i] as T;
      xs[i] = xs[j] as T;
      xs[j] = tmp;
    }
    return xs;
  }

  /** k distinct elements in random order (a shuffled copy, truncated). */
  sample<T>(xs: readonly T[], k: number): T[] {
    if (k > xs.length) throw new RangeError(`Rng.sample: k=${k} > ${xs.length}`);
    return this.shuffle(xs.slice()).slice(0, k);
  }
}
