// The CPU side of the objectives: advantages, clipped surrogate with k3 KL, aggregation modes,
// DAPO's overlong shaping and dynamic sampling — against the PyTorch reference's per-token values.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { evaluatedGroupAdvantages, groupAdvantages, isInformativeGroup, overlongPenalty, policyLoss } from '../src/rl/grpo.ts';

const ref = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'training', 'tiny-llama.json'), 'utf8'));

describe('advantages', () => {
  it('GRPO normalizes by the unbiased std (+1e-4); Dr. GRPO only centers', () => {
    expect(groupAdvantages(ref.batch.rewards, 'grpo')).toEqual(ref.configs.grpo.advantages_per_completion.map((x: number) => expect.closeTo(x, 6)));
    expect(groupAdvantages(ref.batch.rewards, 'drgrpo')).toEqual(ref.configs.drgrpo.advantages_per_completion);
    expect(groupAdvantages([1, 1, 1], 'grpo')).toEqual([0, 0, 0]);
  });

  it('completions whose code never ran (not_evaluated) get advantage 0 and do not shift the others', () => {
    const rewards = [3, 0, 1, 0, 2];
    const evaluated = [true, false, true, false, true];
    const adv = evaluatedGroupAdvantages(rewards, evaluated, 'grpo');
    const alone = groupAdvantages([3, 1, 2], 'grpo');
    expect(adv).toEqual([alone[0], 0, alone[1], 0, alone[2]]);
    expect(evaluatedGroupAdvantages(rewards, evaluated, 'drgrpo')).toEqual([1, 0, -1, 0, 0]);
    expect(evaluatedGroupAdvantages([0, 0], [false, false], 'grpo')).toEqual([0, 0]);
  });
});

describe('policy loss', () => {
  for (const name of ['grpo', 'dapo', 'drgrpo'] as const) {
    it(`${name}: loss, per-token loss, ∂L/∂logp and clip counts equal PyTorch's on the same log-probs`, () => {
      const c = ref.configs[name];
      const adv = groupAdvantages(ref.batch.rewards, c.advantages);
      const out = policyLoss(ref.batch.logp.map((lp: number[], g: number) => ({ logp: lp, old: ref.batch.old_logp[g], ref: ref.batch.ref_logp[g], advantage: adv[g] })),
        { epsLow: c.eps_low, epsHigh: c.eps_high, beta: c.beta, aggregation: c.aggregation, advantages: c.advantages, stdEps: 1e-4, maxNewTokens: ref.batch.max_new_tokens });
      expect(out.loss).toBeCloseTo(c.loss, 5);
      out.perToken.flat().forEach((v, i) => expect(v).toBeCloseTo(c.per_token_loss.flat()[i], 5));
      out.dlogp.flat().forEach((v, i) => expect(v).toBeCloseTo(c.dloss_dlogp.flat()[i], 6));
      expect([out.stats.clippedLow, out.stats.clippedHigh]).toEqual([c.n_clipped_low, c.n_clipped_high]);
      expect(out.stats.tokens).toBe(c.n_tokens);
    });
  }
  it('micro-batches given the batch counts add up to the whole batch (loss and ∂L/∂logp), in every aggregation', () => {
    for (const name of ['grpo', 'dapo', 'drgrpo'] as const) {
      const c = ref.configs[name];
      const adv = groupAdvantages(ref.batch.rewards, c.advantages);
      const all = ref.batch.logp.map((lp: number[], g: number) => ({ logp: lp, old: ref.batch.old_logp[g], ref: ref.batch.ref_logp[g], advantage: adv[g] }));
      const cfg = { epsLow: c.eps_low, epsHigh: c.eps_high, beta: c.beta, aggregation: c.aggregation, advantages: c.advantages, stdEps: 1e-4, maxNewTokens: ref.batch.max_new_tokens };
      const whole = policyLoss(all, cfg);
      const norm = { sequences: all.length, tokens: whole.stats.tokens };
      const parts = [all.slice(0, 1), all.slice(1, 3), all.slice(3)].filter((p) => p.length).map((p) => policyLoss(p, cfg, norm));
      expect(parts.length).toBeGreaterThan(1);
      expect(parts.reduce((a, p) => a + p.loss, 0)).toBeCloseTo(whole.loss, 10);
      expect(parts.flatMap((p) => p.dlogp.flat())).toEqual(whole.dlogp.flat().map((v: number) => expect.closeTo(v, 12)));
    }
  });
  it('β > 0 without reference log-probs is an error', () => {
    expect(() => policyLoss([{ logp: [-1], old: [-1], advantage: 1 }], { epsLow: 0.2, epsHigh: 0.2, beta: 0.1, aggregation: 'token-mean', advantages: 'grpo', stdEps: 1e-4, maxNewTokens: 8 })).toThrow(/reference log-probabilities/);
  });
});

describe('DAPO extras', () => {
  it('overlong shaping: 0, then linear to −1 over the buffer, −1 beyond', () => {
    expect(overlongPenalty(100, 512, 128)).toBe(0);
    expect(overlongPenalty(384, 512, 128)).toBe(0);
    expect(overlongPenalty(448, 512, 128)).toBeCloseTo(-0.5);
    expect(overlongPenalty(512, 512, 128)).toBe(-1);
    expect(overlongPenalty(900, 512, 128)).toBe(-1);
  });
  it('dynamic sampling keeps only groups with different rewards', () => {
    expect(isInformativeGroup([1, 1, 1])).toBe(false);
    expect(isInformativeGroup([0, 2, 0])).toBe(true);
  });
});
