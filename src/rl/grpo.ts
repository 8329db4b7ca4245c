// Policy-gradient objectives on the CPU side of a training step: group-normalized advantages, the
// clipped-ratio surrogate with an optional k3 KL penalty, loss aggregation modes, DAPO's overlong
// reward shaping and dynamic sampling. Per token it returns the loss and ∂L/∂logprob, which the GPU
// backward (src/gpu/train-graph.ts) takes from there. All math in float64.
//
// Defaults beside TRL's GRPOTrainer and verl's DAPO recipe (GUIDE §5); Dr. GRPO (Liu et al. 2025,
// "Understanding R1-Zero-like training") is GRPO without the std normalization and the per-length
// averaging:
//   setting              here (grpo / dapo / drgrpo)   TRL                  verl / DAPO
//   ε_low / ε_high       0.2 / 0.2, 0.2 / 0.28, 0.2 / 0.2  0.2 / 0.2         0.2 / 0.28
//   KL β (k3)            0 (off)                        0                    off (0.001 when on)
//   advantage            (r − mean)/(std + 1e-4); drgrpo r − mean  same (unbiased std)  (r − mean)/(std + 1e-6)
//   aggregation          seq-mean-token-mean / token-mean / seq-mean-token-sum-norm  "dapo" token-mean  token-mean
//   dynamic sampling     off / on / off                 —                    on
//   overlong shaping     off / on (buffer 1/4 of max) / off  —               on
// β and maxNewTokens here are placeholders: the trainer's settings (src/rl/settings.ts) set them.

export type Aggregation = 'seq-mean-token-mean' | 'token-mean' | 'seq-mean-token-sum-norm';
export type AdvantageMode = 'grpo' | 'drgrpo';

export interface PolicyLossConfig {
  epsLow: number;
  epsHigh: number;
  /** KL coefficient (k3 estimator against the reference policy); 0 = off */
  beta: number;
  aggregation: Aggregation;
  advantages: AdvantageMode;
  /** ε in (r − mean)/(std + ε) */
  stdEps: number;
  /** L_max of seq-mean-token-sum-norm (Dr. GRPO): the generation's max new tokens */
  maxNewTokens: number;
}

export const GRPO_DEFAULTS: PolicyLossConfig = { epsLow: 0.2, epsHigh: 0.2, beta: 0, aggregation: 'seq-mean-token-mean', advantages: 'grpo', stdEps: 1e-4, maxNewTokens: 256 };
export const DAPO_DEFAULTS: PolicyLossConfig = { epsLow: 0.2, epsHigh: 0.28, beta: 0, aggregation: 'token-mean', advantages: 'grpo', stdEps: 1e-4, maxNewTokens: 256 };
export const DR_GRPO_DEFAULTS: PolicyLossConfig = { ...GRPO_DEFAULTS, aggregation: 'seq-mean-token-sum-norm', advantages: 'drgrpo' };

/** The loss defaults of each algorithm of src/rl/settings.ts (ALGORITHMS). */
export const LOSS_DEFAULTS: Readonly<Record<'grpo' | 'dapo' | 'drgrpo', PolicyLossConfig>> = { grpo: GRPO_DEFAULTS, dapo: DAPO_DEFAULTS, drgrpo: DR_GRPO_DEFAULTS };

/** Advantages of one group's rewards: GRPO (r − mean)/(std + ε) with the unbiased std; Dr. GRPO r − mean. */
export function groupAdvantages(rewards: readonly number[], mode: AdvantageMode, eps = 1e-4): number[] {
  const n = rewards.length;
  const mean = rewards.reduce((a, b) => a + b, 0) / n;
  if (mode === 'drgrpo') return rewards.map((r) => r - mean);
  const std = n > 1 ? Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / (n - 1)) : 0;
  return rewards.map((r) => (r - mean) / (std + eps));
}

/** Advantages over the completions that were evaluated only; the others (their code never ran:
 *  class not_evaluated) get 0, so they neither pull nor push the policy. */
export function evaluatedGroupAdvantages(rewards: readonly number[], evaluated: readonly boolean[], mode: AdvantageMode, eps = 1e-4): number[] {
  const idx = rewards.map((_, i) => i).filter((i) => evaluated[i]);
  const out = rewards.map(() => 0);
  if (idx.length === 0) return out;
  const adv = groupAdvantages(idx.map((i) => rewards[i]!), mode, eps);
  idx.forEach((i, k) => { out[i] = adv[k]!; });
  return out;
}

/** One completion's tokens: current, old (sampling) and reference log-probabilities. */
export interface CompletionTokens {
  logp: ArrayLike<number>;
  old: ArrayLike<number>;
  /** reference policy (needed when β > 0) */
  ref?: ArrayLike<number>;
  advantage: number;
}

export interface PolicyLoss {
  loss: number;
  /** ∂loss/∂logp per completion and token */
  dlogp: number[][];
  perToken: number[][];
  stats: { tokens: number; clippedLow: number; clippedHigh: number; clipFraction: number; kl: number; ratioMean: number };
}

/**
 * `norm` gives the whole batch's counts when `completions` is one micro-batch of it, so that the
 * micro-batches' losses and gradients add up to the batch's.
 */
export function policyLoss(completions: readonly CompletionTokens[], cfg: PolicyLossConfig, norm?: { sequences: number; tokens: number }): PolicyLoss {
  const tokens = completions.reduce((a, c) => a + c.logp.length, 0);
  const G = norm?.sequences ?? completions.length;
  const allTokens = norm?.tokens ?? tokens;
  let loss = 0, clippedLow = 0, clippedHigh = 0, kl = 0, ratioSum = 0;
  const dlogp: number[][] = [], perToken: number[][] = [];
  for (const c of completions) {
    const n = c.logp.length;
    const weight = cfg.aggregation === 'token-mean' ? 1 / Math.max(1, allTokens)
      : cfg.aggregation === 'seq-mean-token-mean' ? 1 / (G * Math.max(1, n))
      : 1 / (G * cfg.maxNewTokens);
    const d: number[] = [], l: number[] = [];
    for (let t = 0; t < n; t++) {
      const lp = c.logp[t]!, A = c.advantage;
      const ratio = Math.exp(lp - c.old[t]!);
      const clipped = Math.min(Math.max(ratio, 1 - cfg.epsLow), 1 + cfg.epsHigh);
      const s1 = ratio * A, s2 = clipped * A;
      // −min(s1, s2): the gradient flows through the chosen term; a clipped ratio passes none
      let grad: number;
      if (s1 <= s2) grad = -A * ratio;
      else grad = ratio === clipped ? -A * ratio : 0;
      if (s2 < s1) { if (ratio < 1 - cfg.epsLow) clippedLow++; else if (ratio > 1 + cfg.epsHigh) clippedHigh++; }
      let ell = -Math.min(s1, s2);
      if (cfg.beta > 0) {
        if (!c.ref) throw new Error('policyLoss: β > 0 needs reference log-probabilities');
        const dr = c.ref[t]! - lp;
        const k3 = Math.exp(dr) - dr - 1;
        ell += cfg.beta * k3;
        grad += cfg.beta * (1 - Math.exp(dr));
        kl += k3;
      }
      ratioSum += ratio;
      l.push(ell);
      d.push(weight * grad);
      loss += weight * ell;
    }
    dlogp.push(d);
    perToken.push(l);
  }
  return {
    loss, dlogp, perToken,
    stats: { tokens, clippedLow, clippedHigh, clipFraction: tokens ? (clippedLow + clippedHigh) / tokens : 0, kl: tokens ? kl / tokens : 0, ratioMean: tokens ? ratioSum / tokens : 0 },
  };
}

/** DAPO's overlong shaping: 0 up to L_max − buffer, then linearly down to −1 at L_max (and beyond). */
export function overlongPenalty(length: number, maxNewTokens: number, buffer: number): number {
  const start = maxNewTokens - buffer;
  if (length <= start) return 0;
  if (length >= maxNewTokens) return -1;
  return (start - length) / buffer;
}

/** DAPO's dynamic sampling: groups whose rewards are all equal carry no signal. */
export function isInformativeGroup(rewards: readonly number[]): boolean {
  return rewards.some((r) => r !== rewards[0]);
}
