// Statistics of evaluations: a 95 % interval for every accuracy, paired differences with a bootstrap
// interval, and the smallest effect an experiment of that size can detect. Accuracies are shares in
// [0, 1]; an item evaluated with several samples counts its share of correct samples, and intervals
// account for the samples of one item being alike (they are not independent draws).

/** A 95 % interval [low, high], in the unit of its value (shares in [0, 1] for accuracies). */
export type Interval = [number, number];

/** z for a two-sided 95 % interval and for 80 % power. */
export const Z95 = 1.959963984540054;
const Z80 = 0.8416212335729143;

/** Bootstrap resamples of a paired difference (percentile interval; 1/√B ≈ 1.3 % Monte Carlo error). */
export const BOOTSTRAP_RESAMPLES = 6000;

/** Wilson score interval of a proportion p over n draws (n may be an effective, non-integer size). */
export function wilson(p: number, n: number, z = Z95): Interval {
  if (!(n > 0)) return [0, 1];
  const q = Math.min(1, Math.max(0, p));
  const z2 = z * z, den = 1 + z2 / n;
  const centre = (q + z2 / (2 * n)) / den;
  const half = (z / den) * Math.sqrt(q * (1 - q) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

/** One item's samples: how many were correct out of how many scored. */
export interface ItemTally { ok: number; n: number }

export interface Accuracy {
  /** share of correct samples, items weighted by their samples */
  value: number;
  ci95: Interval;
  /** items with at least one scored sample */
  items: number;
  /** scored samples */
  samples: number;
  /** effective number of independent draws behind the interval: samples / design effect, in [items, samples] */
  effective_n: number;
}

/**
 * Accuracy over items with several samples each: Wilson's interval at the effective size
 * samples / deff, where deff (Kish's design effect) = m̄ · Var(item shares) / (p(1 − p)) compares the
 * spread of the item shares with that of independent samples; clamped so that n_eff lies between
 * the number of items (samples of an item all alike) and the number of samples (all independent).
 */
export function accuracyOf(tallies: readonly ItemTally[]): Accuracy {
  const used = tallies.filter((t) => t.n > 0);
  const items = used.length, samples = used.reduce((a, t) => a + t.n, 0);
  if (!samples) return { value: 0, ci95: [0, 1], items: 0, samples: 0, effective_n: 0 };
  const p = used.reduce((a, t) => a + t.ok, 0) / samples;
  let nEff = items;
  if (samples > items && p > 0 && p < 1) {
    const m = samples / items;
    const shares = used.map((t) => t.ok / t.n);
    const mean = shares.reduce((a, x) => a + x, 0) / items;
    const variance = shares.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, items - 1);
    const deff = (m * variance) / (p * (1 - p));
    nEff = Math.min(samples, Math.max(items, samples / Math.max(deff, 1e-9)));
  } else if (samples > items) {
    nEff = items; // every sample right (or wrong): no spread to learn from; the cautious size
  }
  return { value: p, ci95: wilson(p, nEff), items, samples, effective_n: nEff };
}

/** Deterministic uniform generator in [0, 1) (mulberry32): the same seed gives the same interval. */
export function seededUniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One stratum of a paired comparison (an evaluation set, e.g. one seed's): per item, before and after. */
export interface PairedStratum { before: readonly number[]; after: readonly number[] }

export interface PairedDifference {
  /** mean of after − before over all items of all strata (shares: 0.1 = 10 points) */
  value: number;
  /** percentile bootstrap interval, items resampled within each stratum */
  ci95: Interval;
  /** paired items */
  n: number;
  /** the smallest true difference this design detects with 80 % power at the 5 % level (two-sided) */
  mde: number;
}

/**
 * Paired difference after − before on the same items (same sampling seeds). Each stratum's items
 * are resampled with replacement, strata apart, so that pooling seeds keeps each seed's items.
 */
export function pairedDifference(strata: readonly PairedStratum[], o: { resamples?: number; seed?: number } = {}): PairedDifference {
  const diffs = strata.map((s, k) => {
    if (s.before.length !== s.after.length) throw new Error(`pairedDifference: stratum ${k} has ${s.before.length} items before and ${s.after.length} after`);
    return s.before.map((b, i) => s.after[i]! - b);
  });
  const n = diffs.reduce((a, d) => a + d.length, 0);
  if (!n) return { value: 0, ci95: [0, 0], n: 0, mde: 1 };
  const sum = (d: readonly number[]) => d.reduce((a, x) => a + x, 0);
  const value = diffs.reduce((a, d) => a + sum(d), 0) / n;
  const B = o.resamples ?? BOOTSTRAP_RESAMPLES;
  const rand = seededUniform(o.seed ?? 20261207);
  const means = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    let total = 0;
    for (const d of diffs) for (let i = 0; i < d.length; i++) total += d[Math.floor(rand() * d.length)]!;
    means[b] = total / n;
  }
  means.sort();
  const at = (q: number) => means[Math.min(B - 1, Math.max(0, Math.round(q * (B - 1))))]!;
  // the spread of the differences within strata; with none observed, that of two independent
  // evaluations at the pooled accuracy (a conservative planning value)
  const centred = diffs.flatMap((d) => { const m = sum(d) / Math.max(1, d.length); return d.map((x) => (x - m) ** 2); });
  let sd = Math.sqrt(sum(centred) / Math.max(1, n - strata.length));
  if (!(sd > 0)) {
    const all = strata.flatMap((s) => [...s.before, ...s.after]);
    const p = sum(all) / Math.max(1, all.length);
    sd = Math.sqrt(Math.max(2 * p * (1 - p), 1 / n));
  }
  return { value, ci95: [at(0.025), at(0.975)], n, mde: Math.min(1, (Z95 + Z80) * sd / Math.sqrt(n)) };
}

/** Item id → tally of its scored samples (those with a verdict), from per-sample results. */
export function tallyByItem(results: readonly { id: string; scored: boolean; outcome: { class: string; correct: boolean } | null }[]): Map<string, ItemTally> {
  const by = new Map<string, ItemTally>();
  for (const r of results) {
    if (!r.scored || !r.outcome || r.outcome.class === 'not_evaluated') continue;
    const t = by.get(r.id) ?? { ok: 0, n: 0 };
    t.n++;
    if (r.outcome.correct) t.ok++;
    by.set(r.id, t);
  }
  return by;
}

/** The items scored in both evaluations, as shares of correct samples, in the same order. */
export function pairItems(before: ReadonlyMap<string, ItemTally>, after: ReadonlyMap<string, ItemTally>): PairedStratum & { ids: string[] } {
  const ids = [...before.keys()].filter((id) => (after.get(id)?.n ?? 0) > 0 && before.get(id)!.n > 0);
  return { ids, before: ids.map((id) => before.get(id)!.ok / before.get(id)!.n), after: ids.map((id) => after.get(id)!.ok / after.get(id)!.n) };
}

const pts = (x: number) => (100 * x).toFixed(1);

/** "62.5 % [47.0, 75.8], n = 40" (n items; "× 4 samples" when there are several per item). */
export function formatAccuracy(a: { value: number; ci95: Interval; items: number; samples?: number }): string {
  const per = a.samples && a.items && a.samples > a.items ? ` × ${+(a.samples / a.items).toFixed(1)} samples` : '';
  return `${pts(a.value)} % [${pts(a.ci95[0])}, ${pts(a.ci95[1])}], n = ${a.items}${per}`;
}

/** "+10.0 points [2.5, 17.5], n = 40 paired, detectable ≥ 9.1" */
export function formatDifference(d: PairedDifference): string {
  const sign = (x: number) => (x > 0 ? '+' : x < 0 ? '−' : '±') + pts(Math.abs(x));
  return `${sign(d.value)} points [${sign(d.ci95[0])}, ${sign(d.ci95[1])}], n = ${d.n} paired, detectable ≥ ${pts(d.mde)}`;
}

/** A training step's accuracy on its samples (outcome counts per class): "93.8 % [71.7, 98.9] of 16" (Wilson). */
export function stepAccuracy(m: { accuracy: number; classes: Record<string, number> }): string {
  const n = Object.entries(m.classes).reduce((a, [k, v]) => a + (k === 'not_evaluated' ? 0 : v), 0);
  const [lo, hi] = wilson(m.accuracy, n);
  return `${pts(m.accuracy)} % [${pts(lo)}, ${pts(hi)}] of ${n}`;
}
