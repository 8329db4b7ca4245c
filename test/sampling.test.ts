// Token sampling on a logits row (CPU side of generation): temperature, top-k, top-p, seeds, and the
// unmodified log-probability that is returned with every token.
import { describe, expect, it } from 'vitest';
import { logSumExp, sampleToken } from '../src/gpu/sampling.ts';
import { Rng } from '../src/problems/rng.ts';

const row = Float32Array.from([2.0, 1.0, 0.5, 0.0, -1.0, 3.0, -3.0, 0.25]);
const probs = (() => { const l = logSumExp(row); return Array.from(row, (v) => Math.exp(v - l)); })();

function freq(p: { temperature: number; topK: number; topP: number }, n = 20000, seed = 1): number[] {
  const rng = new Rng(seed), f = new Array(row.length).fill(0);
  for (let i = 0; i < n; i++) f[sampleToken(row, p, rng).id]++;
  return f.map((x) => x / n);
}

describe('sampleToken', () => {
  it('temperature 0 is argmax, with the unmodified log-probability', () => {
    const r = sampleToken(row, { temperature: 0, topK: 0, topP: 1 }, new Rng(1));
    expect(r.id).toBe(5);
    expect(r.logprob).toBeCloseTo(Math.log(probs[5]!), 6);
  });
  it('temperature 1 without filters follows the softmax', () => {
    const f = freq({ temperature: 1, topK: 0, topP: 1 });
    f.forEach((x, i) => expect(Math.abs(x - probs[i]!)).toBeLessThan(0.015));
  });
  it('top-k keeps the k most likely tokens, renormalized', () => {
    const f = freq({ temperature: 1, topK: 2, topP: 1 });
    const z = probs[5]! + probs[0]!;
    expect(f[5]).toBeCloseTo(probs[5]! / z, 1);
    expect(f[0]).toBeCloseTo(probs[0]! / z, 1);
    expect(f.reduce((a, x, i) => a + (i === 5 || i === 0 ? 0 : x), 0)).toBe(0);
  });
  it('top-p keeps the smallest set reaching the mass', () => {
    // p(5) ≈ 0.55, p(0) ≈ 0.20: topP 0.6 keeps {5, 0}; topP 0.5 keeps {5}
    expect(freq({ temperature: 1, topK: 0, topP: 0.5 }, 2000).findIndex((x) => x > 0)).toBe(5);
    const f = freq({ temperature: 1, topK: 0, topP: 0.6 }, 4000);
    expect(f.filter((x) => x > 0).length).toBe(2);
  });
  it('low temperature sharpens, high flattens; logprob stays that of temperature 1', () => {
    expect(freq({ temperature: 0.1, topK: 0, topP: 1 }, 2000)[5]).toBeGreaterThan(0.99);
    const hot = freq({ temperature: 100, topK: 0, topP: 1 });
    hot.forEach((x) => expect(Math.abs(x - 1 / row.length)).toBeLessThan(0.02));
    const r = sampleToken(row, { temperature: 100, topK: 0, topP: 1 }, new Rng(3));
    expect(r.logprob).toBeCloseTo(Math.log(probs[r.id]!), 6);
  });
  it('the same seed gives the same tokens', () => {
    const a = [new Rng(9), new Rng(9)].map((rng) => Array.from({ length: 20 }, () => sampleToken(row, { temperature: 1, topK: 0, topP: 0.9 }, rng).id));
    expect(a[0]).toEqual(a[1]);
  });
  it('samples from the full 151,936-token vocabulary within its top-k', () => {
    const big = Float32Array.from({ length: 151936 }, (_, i) => Math.sin(i) * 3);
    const top50 = new Set([...big.keys()].sort((a, b) => big[b]! - big[a]!).slice(0, 50));
    for (let i = 0; i < 10; i++) {
      const t = sampleToken(big, { temperature: 0.8, topK: 50, topP: 0.95 }, new Rng(i));
      expect(top50.has(t.id)).toBe(true);
      expect(t.logprob).toBeLessThan(0);
    }
  });
});
