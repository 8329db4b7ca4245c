// The EVOM loop: sample prompts → generate G completions each on the GPU → verify them in the
// worker pool while the next prompt is generated → advantages → micro-batched loss, backward,
// update → metrics. Deterministic given the seed: sampling seeds and the data order derive from
// (seed, step), so a run resumed from a checkpoint continues exactly as it would have.

import type { Engine } from '../gpu/engine.ts';
import { profilePhase } from '../gpu/device.ts';
import { generateBatch, type Completion } from '../gpu/sampling.ts';
import { evaluatedGroupAdvantages, isInformativeGroup, overlongPenalty, policyLoss, type PolicyLossConfig } from './grpo.ts';
import { AdamW, type OptimizerConfig } from './optimizer.ts';
import type { Algorithm } from './settings.ts';
import type { Answer, Outcome, OutcomeClass } from '../verifier/outcome.ts';
import { OUTCOME_CLASSES } from '../verifier/outcome.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import { promptIdsFor } from '../problems/prompt.ts';
export { promptIdsFor };
import { Rng, mixSeed } from '../problems/rng.ts';
import type { EvomTokenizer } from '../model/tokenizer.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { TrainGraph } from '../gpu/train-graph.ts';
import { executed } from '../verifier/score.ts';
import { UnsupportedError, UsageError } from '../errors.ts';

export interface TrainItem { id: string; question: string; answer: Answer }

export interface TrainerConfig {
  algo: Algorithm;
  target: string;
  tolerance: ToleranceRule;
  /** completions per prompt (G) */
  group: number;
  /** prompts per step (groups kept after dynamic sampling) */
  promptsPerStep: number;
  seed: number;
  /** the completion length cap: generation, DAPO's overlong shaping and Dr. GRPO's L_max all read this */
  maxNewTokens: number;
  temperature: number;
  topP: number;
  topK: number;
  /** the loss settings; its maxNewTokens is a copy for the record and is not read (the trainer
   *  passes cfg.maxNewTokens to the loss) */
  loss: PolicyLossConfig;
  optimizer: OptimizerConfig;
  /** policy updates per batch of rollouts (μ); old log-probs are the sampling ones */
  updatesPerBatch: number;
  /** sequences per forward/backward (gradient accumulation over micro-batches) */
  microBatch: number;
  /** drop groups whose rewards are all equal and draw more prompts (DAPO) */
  dynamicSampling: boolean;
  /** extra prompts drawn per step at most, when dynamic sampling drops groups */
  maxRefill: number;
  /** DAPO overlong shaping buffer in tokens (0 = off) */
  overlongBuffer: number;
  /** prompts decoded together in one batch (1: one prompt at a time, each verified while the next
   *  is generated; more: fewer, wider decode steps; the samples are the same either way) */
  generateTogether?: number;
  /** keep only each layer's input and recompute the layer in the backward: less memory, ~1/3 more compute, the same gradients (absent: off) */
  recompute?: boolean;
  /** quantize the frozen base's layer weights on load (absent: as the checkpoint stores them) */
  quant?: 'q8' | 'q4';
}

export interface StepMetrics {
  step: number;
  reward_mean: number; reward_std: number;
  accuracy: number; format_rate: number; exec_rate: number;
  classes: Record<OutcomeClass, number>;
  groups_used: number; groups_dropped: number;
  loss: number; kl: number; entropy: number; clip_fraction: number;
  completion_length: number;
  grad_norm: number; lr: number;
  tokens_per_s: number;
  ms: { generate: number; verify_wait: number; train: number; update: number; total: number };
}

/** A training step's phases, in order: completions generated, verified (solved), reference
 *  log-probs (with a KL term), backward passes, optimizer updates; 'save' is the host's (metrics,
 *  rollouts and the checkpoint written). */
export type StepPhase = 'generate' | 'verify' | 'reference' | 'backward' | 'update' | 'save';
/** Where a step is: its phase and k of n (completions for generate and verify, micro-batches for
 *  reference and backward, updates for update). Generation and verification overlap; verify is
 *  reported while the step waits for the solvers. */
export interface StepProgress { phase: StepPhase; done: number; total: number }

/** Defaults per algorithm and kind of model: from the settings table (src/rl/settings.ts). */
export { trainerDefaults } from './settings.ts';

interface Rollout { item: TrainItem; promptIds: number[]; completions: Completion[]; outcomes: Outcome[]; rewards: number[] }

/** One group of a step, for inspection: the G completions of a problem with rewards and advantages. */
export interface RolloutGroup {
  id: string; question: string; answer: Answer;
  /** false when dynamic sampling dropped the group (all rewards equal) */
  kept: boolean;
  completions: { text: string; tokens: number; reward: number; advantage: number; class: OutcomeClass; objective: number | null }[];
}

/** Data order: a permutation per epoch, from the seed. */
function itemIndex(n: number, seed: number, position: number): number {
  const epoch = Math.floor(position / n);
  const perm = new Rng(mixSeed(seed, 0x5eed, epoch)).shuffle(Array.from({ length: n }, (_, i) => i));
  return perm[position % n]!;
}

export class Trainer {
  /** steps done */
  step = 0;
  /** prompts consumed */
  position = 0;
  readonly optimizer: AdamW;
  /** the groups of the last step (kept and dropped) */
  lastRollouts: RolloutGroup[] = [];
  private readonly graph: TrainGraph;

  constructor(
    readonly engine: Engine,
    readonly pool: VerifierPool,
    readonly tokenizer: EvomTokenizer,
    readonly data: TrainItem[],
    readonly cfg: TrainerConfig,
    graph?: TrainGraph,
  ) {
    if (data.length === 0) throw new UsageError('no training data: give at least one problem with an answer');
    if (!engine.lora) throw new Error('the trainer trains LoRA adapters: attach engine.lora first');
    if (engine.lora.config.dropout > 0) throw new UnsupportedError(`LoRA dropout ${engine.lora.config.dropout} is not supported in training yet: set "lora_dropout": 0 in the adapter's adapter_config.json (PEFT applies dropout only while training, so inference is unchanged)`);
    const maxPrompt = Math.max(...data.map((d) => this.promptIds(d).length));
    const T = maxPrompt + cfg.maxNewTokens;
    this.graph = graph ?? new TrainGraph(engine, { maxRows: cfg.microBatch * T, maxT: T, recompute: cfg.recompute ?? false });
    this.optimizer = new AdamW(engine.gpu, engine.lora.params(), cfg.optimizer);
  }

  promptIds(item: TrainItem): number[] {
    return promptIdsFor(this.tokenizer, item.question, this.cfg.target);
  }

  /** G completions for each item (decoded together), and their verification, still running. */
  private async rollout(batch: { item: TrainItem; seed: number }[], on: { generated?: () => void; verified?: () => void } = {}): Promise<{ r: Omit<Rollout, 'outcomes' | 'rewards'>; verified: Promise<Outcome[]> }[]> {
    const c = this.cfg;
    const prompts = batch.map((b) => ({ promptIds: this.promptIds(b.item), seed: b.seed }));
    const stops = new Set(this.tokenizer.eosTokenIds);
    /** tokens so far per slot (prompt × G + sample): a slot ends at a stop token or the cap */
    const lengths = new Map<number, number>();
    const { generated } = on;
    const groups = await generateBatch(this.engine, prompts, {
      n: c.group, temperature: c.temperature, topP: c.topP, topK: c.topK, maxNewTokens: c.maxNewTokens,
      stopTokenIds: [...this.tokenizer.eosTokenIds],
    }, {
      decode: (ids) => this.tokenizer.decode(ids, { skipSpecialTokens: true }),
      ...(generated ? {
        onToken: (p: number, g: number, id: number) => {
          const slot = p * c.group + g, len = (lengths.get(slot) ?? 0) + 1;
          lengths.set(slot, len);
          if (stops.has(id) || len >= c.maxNewTokens) generated();
        },
      } : {}),
    });
    // verification runs in the pool's workers while the caller generates the next prompts
    return batch.map(({ item }, i) => ({
      r: { item, promptIds: prompts[i]!.promptIds, completions: groups[i]! },
      verified: this.pool.verifyAll(groups[i]!.map((comp) => ({
        completion: comp.text ?? '', target: c.target, answer: item.answer, question: item.question, config: { tolerance: c.tolerance },
      })), on.verified ? () => on.verified!() : undefined),
    }));
  }

  /** One training step; `onProgress` hears its phases (StepProgress). */
  async trainStep(onProgress?: (p: StepProgress) => void): Promise<StepMetrics> {
    const t0 = performance.now();
    const c = this.cfg;
    const step = this.step + 1;
    let genMs = 0, waitMs = 0, dropped = 0, genTokens = 0, draws = 0;
    /** completions generated and verified so far; verify is reported while the step waits for it */
    let generatedCount = 0, verifiedCount = 0, waiting = false;
    const planned = () => c.group * Math.max(c.promptsPerStep, draws);
    const report = onProgress ? {
      generated: () => { generatedCount++; if (!waiting) onProgress({ phase: 'generate', done: generatedCount, total: planned() }); },
      verified: () => { verifiedCount++; if (waiting) onProgress({ phase: 'verify', done: verifiedCount, total: generatedCount }); },
    } : {};
    onProgress?.({ phase: 'generate', done: 0, total: planned() });
    const kept: Rollout[] = [], all: Rollout[] = [];
    const limit = c.promptsPerStep + (c.dynamicSampling ? c.maxRefill : 0);
    const inflight: Promise<Rollout>[] = [];
    const draw = async (n: number) => {
      const batch = Array.from({ length: n }, () => {
        const item = this.data[itemIndex(this.data.length, c.seed, this.position)]!;
        const seed = mixSeed(c.seed, step, draws);
        this.position++; draws++;
        return { item, seed };
      });
      const g0 = performance.now();
      profilePhase('generate');
      const rolled = await this.rollout(batch, report);
      genMs += performance.now() - g0;
      for (const { r, verified } of rolled) {
        genTokens += r.completions.reduce((a, x) => a + x.ids.length, 0);
        inflight.push(verified.then((outcomes) => ({
          ...r, outcomes,
          rewards: outcomes.map((o, i) => o.reward + (c.overlongBuffer > 0 ? overlongPenalty(r.completions[i]!.ids.length, c.maxNewTokens, c.overlongBuffer) : 0)),
        })));
      }
    };
    // Generation of prompt k+1 overlaps verification of prompt k; dynamic sampling draws more
    // prompts when groups carry no signal, up to the refill budget.
    while (kept.length < c.promptsPerStep && draws < limit) {
      const n = Math.min(c.promptsPerStep - kept.length, limit - draws);
      const together = Math.max(1, c.generateTogether ?? 1);
      for (let k = 0; k < n; k += together) await draw(Math.min(together, n - k));
      const w0 = performance.now();
      waiting = true;
      onProgress?.({ phase: 'verify', done: verifiedCount, total: generatedCount });
      const done = await Promise.all(inflight.splice(0));
      waiting = false;
      waitMs += performance.now() - w0;
      for (const d of done) {
        all.push(d);
        if (c.dynamicSampling && !isInformativeGroup(d.rewards.filter((_, i) => d.outcomes[i]!.class !== 'not_evaluated'))) dropped++;
        else if (kept.length < c.promptsPerStep) kept.push(d);
      }
    }

    // Training on the kept groups: every completion is one sequence (prompt + completion).
    const tr0 = performance.now();
    profilePhase('train');
    const seqs = kept.flatMap((ro) => {
      const adv = evaluatedGroupAdvantages(ro.rewards, ro.outcomes.map((o) => o.class !== 'not_evaluated'), c.loss.advantages, c.loss.stdEps);
      return ro.completions.map((comp, g) => ({ prompt: ro.promptIds, comp, adv: adv[g]! }));
    }).filter((s) => s.comp.ids.length > 0);
    const norm = { sequences: seqs.length, tokens: seqs.reduce((a, s) => a + s.comp.ids.length, 0) };
    // the one completion cap (Dr. GRPO's L_max): cfg.maxNewTokens, not a second copy in cfg.loss
    const lossCfg: PolicyLossConfig = { ...c.loss, maxNewTokens: c.maxNewTokens };
    let loss = 0, kl = 0, clipped = 0, ratioTokens = 0, gradNorm = 0, lr = 0, updMs = 0;
    const refLogp: number[][] = [];
    const microBatches = Math.ceil(seqs.length / c.microBatch);
    if (c.loss.beta > 0 && seqs.length) {
      this.engine.loraEnabled = false;
      for (let i = 0; i < seqs.length; i += c.microBatch) {
        onProgress?.({ phase: 'reference', done: i / c.microBatch, total: microBatches });
        refLogp.push(...await this.logps(seqs.slice(i, i + c.microBatch)));
      }
      this.engine.loraEnabled = true;
    }
    let backwardDone = 0;
    for (let u = 0; u < c.updatesPerBatch && seqs.length; u++) {
      this.graph.zeroGrad();
      loss = 0; kl = 0; clipped = 0; ratioTokens = 0;
      for (let i = 0; i < seqs.length; i += c.microBatch) {
        onProgress?.({ phase: 'backward', done: backwardDone++, total: microBatches * c.updatesPerBatch });
        const mb = seqs.slice(i, i + c.microBatch);
        const { rows, logp } = await this.forward(mb);
        const pl = policyLoss(mb.map((s, k) => ({ logp: logp[k]!, old: s.comp.logprobs, ref: refLogp[i + k], advantage: s.adv })), lossCfg, norm);
        loss += pl.loss;
        kl += pl.stats.kl * pl.stats.tokens;
        clipped += pl.stats.clippedLow + pl.stats.clippedHigh;
        ratioTokens += pl.stats.tokens;
        const g = new Float32Array(rows.total);
        rows.positions.forEach((rs, k) => rs.forEach((r, t) => { g[r] = pl.dlogp[k]![t]!; }));
        await this.graph.backward(g);
      }
      const u0 = performance.now();
      onProgress?.({ phase: 'update', done: u, total: c.updatesPerBatch });
      profilePhase('update');
      ({ gradNorm, lr } = await this.optimizer.update());
      updMs += performance.now() - u0;
    }
    const trainMs = performance.now() - tr0 - updMs;

    this.step = step;
    this.lastRollouts = all.map((ro) => {
      const adv = evaluatedGroupAdvantages(ro.rewards, ro.outcomes.map((o) => o.class !== 'not_evaluated'), c.loss.advantages, c.loss.stdEps);
      return {
        id: ro.item.id, question: ro.item.question, answer: ro.item.answer, kept: kept.includes(ro),
        completions: ro.completions.map((comp, g) => ({ text: comp.text ?? '', tokens: comp.ids.length, reward: ro.rewards[g]!, advantage: adv[g]!, class: ro.outcomes[g]!.class, objective: ro.outcomes[g]!.objective })),
      };
    });
    const classes = Object.fromEntries(OUTCOME_CLASSES.map((k) => [k, 0])) as Record<OutcomeClass, number>;
    for (const o of all.flatMap((r) => r.outcomes)) classes[o.class]++;
    // the rates are over the completions that were evaluated; classes.not_evaluated counts the rest
    const outs = all.flatMap((r) => r.outcomes).filter((o) => o.class !== 'not_evaluated');
    const rewards = all.flatMap((r) => r.rewards.filter((_, i) => r.outcomes[i]!.class !== 'not_evaluated'));
    const mean = rewards.reduce((a, b) => a + b, 0) / Math.max(1, rewards.length);
    const lens = all.flatMap((r) => r.completions.map((x) => x.ids.length));
    const lps = all.flatMap((r) => r.completions.flatMap((x) => x.logprobs));
    return {
      step,
      reward_mean: mean,
      reward_std: Math.sqrt(rewards.reduce((a, r) => a + (r - mean) ** 2, 0) / Math.max(1, rewards.length)),
      accuracy: outs.filter((o) => o.correct).length / Math.max(1, outs.length),
      format_rate: outs.filter((o) => o.class !== 'format_error').length / Math.max(1, outs.length),
      exec_rate: outs.filter((o) => executed(o.class)).length / Math.max(1, outs.length),
      classes, groups_used: kept.length, groups_dropped: dropped,
      loss, kl: ratioTokens ? kl / ratioTokens : 0,
      // Monte-Carlo estimate of the policy's entropy at temperature 1: mean −log p of the sampled tokens
      entropy: lps.length ? -lps.reduce((a, b) => a + b, 0) / lps.length : 0,
      clip_fraction: ratioTokens ? clipped / ratioTokens : 0,
      completion_length: lens.reduce((a, b) => a + b, 0) / Math.max(1, lens.length),
      grad_norm: gradNorm, lr,
      tokens_per_s: genMs > 0 ? genTokens / (genMs / 1000) : 0,
      ms: { generate: genMs, verify_wait: waitMs, train: trainMs, update: updMs, total: performance.now() - t0 },
    };
  }

  /** Right-padded rows of a micro-batch: ids, next-token targets, and each completion token's row. */
  private rowsOf(mb: { prompt: number[]; comp: Completion }[]): { ids: number[]; targets: number[]; B: number; T: number; total: number; positions: number[][] } {
    const T = Math.max(...mb.map((s) => s.prompt.length + s.comp.ids.length));
    const ids: number[] = [], targets: number[] = [], positions: number[][] = [];
    mb.forEach((s, b) => {
      const seq = [...s.prompt, ...s.comp.ids];
      for (let t = 0; t < T; t++) { ids.push(seq[t] ?? 0); targets.push(seq[t + 1] ?? 0); }
      positions.push(s.comp.ids.map((_, i) => b * T + s.prompt.length - 1 + i));
    });
    return { ids, targets, B: mb.length, T, total: mb.length * T, positions };
  }

  private async forward(mb: { prompt: number[]; comp: Completion }[]): Promise<{ rows: ReturnType<Trainer['rowsOf']>; logp: number[][] }> {
    const rows = this.rowsOf(mb);
    const scored = rows.positions.flat().sort((a, b) => a - b);
    const lp = (await this.graph.forward(rows.ids, rows.targets, rows.B, rows.T, scored)).logprobs;
    return { rows, logp: rows.positions.map((rs) => rs.map((r) => lp[r]!)) };
  }

  private async logps(mb: { prompt: number[]; comp: Completion }[]): Promise<number[][]> {
    return (await this.forward(mb)).logp;
  }

  /** Everything needed to continue exactly: adapter, optimizer moments, step and data position. */
  async checkpoint(): Promise<TrainerCheckpoint> {
    const lora = this.engine.lora!;
    const adapter = await lora.exportPeft('policy');
    return { step: this.step, position: this.position, adapter, optimizer: await this.optimizer.state() };
  }

  /** Continue from a checkpoint whose adapter the engine already holds (the engine host attaches it). */
  resumeFrom(cp: TrainerCheckpoint): void {
    this.optimizer.restore(cp.optimizer);
    this.step = cp.step;
    this.position = cp.position;
  }
}

export interface TrainerCheckpoint {
  step: number;
  position: number;
  adapter: { 'adapter_config.json': string; 'adapter_model.safetensors': Uint8Array };
  optimizer: { step: number; m: Float32Array[]; v: Float32Array[] };
}

