// src/verifier/stats.ts: Wilson intervals against published values, the design effect of several
// samples per item, the paired bootstrap (strata kept apart) and the minimum detectable effect.
import { describe, expect, it } from 'vitest';
import { accuracyOf, formatAccuracy, formatDifference, pairedDifference, pairItems, tallyByItem, wilson, Z95 } from '../src/verifier/stats.ts';

describe('wilson', () => {
  // Newcombe (1998), Statistics in Medicine 17:857–872, table II, method 3 (score, no continuity correction)
  it.each([[81, 263, 0.2553, 0.3662], [15, 148, 0.0624, 0.1605], [0, 20, 0, 0.1611], [1, 29, 0.0061, 0.1718]])('%i of %i: [%f, %f]', (k, n, lo, hi) => {
    const [a, b] = wilson(k / n, n);
    expect(a).toBeCloseTo(lo, 4);
    expect(b).toBeCloseTo(hi, 4);
  });
  it('no draws: the whole range', () => expect(wilson(0.5, 0)).toEqual([0, 1]));
});

describe('accuracyOf', () => {
  it('one sample per item is Wilson over the items', () => {
    const t = [...Array(40)].map((_, i) => ({ ok: i < 25 ? 1 : 0, n: 1 }));
    const a = accuracyOf(t);
    expect(a).toMatchObject({ value: 25 / 40, items: 40, samples: 40, effective_n: 40 });
    expect(a.ci95).toEqual(wilson(25 / 40, 40));
  });
  it('samples of an item all alike count as one draw; independent-looking ones as many', () => {
    // 20 items, 4 samples each, every item all right or all wrong: the interval of 20 draws
    const alike = accuracyOf([...Array(20)].map((_, i) => ({ ok: i < 10 ? 4 : 0, n: 4 })));
    expect(alike.effective_n).toBe(20);
    expect(alike.ci95).toEqual(wilson(0.5, 20));
    // every item 2 of 4: no spread between items, so the samples count in full (clamped at 80)
    const spread = accuracyOf([...Array(20)].map(() => ({ ok: 2, n: 4 })));
    expect(spread.effective_n).toBe(80);
    expect(spread.ci95[1] - spread.ci95[0]).toBeLessThan(alike.ci95[1] - alike.ci95[0]);
    // items without a scored sample are not items
    expect(accuracyOf([{ ok: 0, n: 0 }, { ok: 1, n: 1 }]).items).toBe(1);
  });
  it('tallies per item from results: unscored and not-evaluated samples left out', () => {
    const r = (id: string, cls: string, correct: boolean, scored = true) => ({ id, scored, outcome: { class: cls, correct } });
    const t = tallyByItem([r('a', 'correct', true), r('a', 'wrong_answer', false), r('b', 'not_evaluated', false), r('c', 'correct', true, false)]);
    expect([...t.entries()]).toEqual([['a', { ok: 1, n: 2 }]]);
  });
});

describe('pairedDifference', () => {
  it('a constant difference has a point interval', () => {
    const d = pairedDifference([{ before: [0, 0, 1, 0], after: [1, 1, 1, 1] }]);
    expect(d.value).toBeCloseTo(0.75, 12);
    const same = pairedDifference([{ before: [0, 1, 0.5], after: [0.25, 1.25, 0.75] }]);
    expect(same.ci95[0]).toBeCloseTo(0.25, 12);
    expect(same.ci95[1]).toBeCloseTo(0.25, 12);
  });
  it('matches the normal interval on a large sample, and is reproducible', () => {
    // 400 items: 60 improve, 20 get worse, the rest stay
    const before = [...Array(400)].map((_, i) => (i < 60 ? 0 : i < 80 ? 1 : i % 2));
    const after = before.map((b, i) => (i < 60 ? 1 : i < 80 ? 0 : b));
    const d = pairedDifference([{ before, after }]);
    const diffs = after.map((a, i) => a - before[i]!);
    const mean = diffs.reduce((a, x) => a + x, 0) / 400;
    const sd = Math.sqrt(diffs.reduce((a, x) => a + (x - mean) ** 2, 0) / 399);
    expect(d.value).toBeCloseTo(0.1, 12);
    expect(d.ci95[0]).toBeCloseTo(mean - Z95 * sd / 20, 2);
    expect(d.ci95[1]).toBeCloseTo(mean + Z95 * sd / 20, 2);
    expect(pairedDifference([{ before, after }])).toEqual(d);
    expect(d.mde).toBeCloseTo((Z95 + 0.8416212335729143) * sd / 20, 6);
  });
  it('pools strata without mixing their items', () => {
    // stratum 1 always gains 1, stratum 2 never changes: resampled apart, the pooled gain is exactly 0.5
    const d = pairedDifference([{ before: [0, 0, 0, 0], after: [1, 1, 1, 1] }, { before: [1, 0, 1, 0], after: [1, 0, 1, 0] }]);
    expect(d).toMatchObject({ value: 0.5, ci95: [0.5, 0.5], n: 8 });
    expect(() => pairedDifference([{ before: [0], after: [] }])).toThrow(/stratum 0 has 1 items before and 0 after/);
  });
  it('pairs the items scored in both evaluations', () => {
    const before = new Map([['a', { ok: 1, n: 2 }], ['b', { ok: 0, n: 1 }], ['c', { ok: 1, n: 1 }]]);
    const after = new Map([['b', { ok: 1, n: 1 }], ['a', { ok: 2, n: 2 }]]);
    expect(pairItems(before, after)).toEqual({ ids: ['a', 'b'], before: [0.5, 0], after: [1, 1] });
  });
  it('formats', () => {
    expect(formatAccuracy({ value: 0.625, ci95: [0.47, 0.758], items: 40, samples: 160 })).toBe('62.5 % [47.0, 75.8], n = 40 × 4 samples');
    expect(formatDifference({ value: -0.05, ci95: [-0.15, 0.05], n: 40, mde: 0.2 })).toBe('−5.0 points [−15.0, +5.0], n = 40 paired, detectable ≥ 20.0');
  });
});
