// Sampling G completions of one prompt (or of several prompts at once) with the engine: each prompt
// is prefilled once and its KV cache copied to every sample's slot; then all slots decode together,
// one token per step, each at its own position.
// Returns the sampled ids and their log-probabilities under the unmodified model (temperature 1),
// which the trainer needs as old log-probabilities.

import type { Engine } from './engine.ts';
import { Rng, mixSeed } from '../problems/rng.ts';
import { UsageError } from '../errors.ts';

export interface SamplingParams {
  /** completions per prompt (G) */
  n: number;
  /** 0 → greedy (argmax) */
  temperature: number;
  /** nucleus mass kept, (0, 1]; 1 → off */
  topP: number;
  /** most likely tokens kept; 0 → off */
  topK: number;
  seed: number;
  maxNewTokens: number;
  /** token ids that end a sequence (the token is kept in the output) */
  stopTokenIds: number[];
  /** strings that end a sequence when they appear in its decoded text (needs `decode`) */
  stopStrings: string[];
  /** index of the first sample's random stream (sample i uses stream firstSample + i), so one
   *  sample can be reproduced alone */
  firstSample: number;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  n: 1, temperature: 1, topP: 1, topK: 0, seed: 0, maxNewTokens: 256, stopTokenIds: [], stopStrings: [], firstSample: 0,
};

export type FinishReason = 'stop_token' | 'stop_string' | 'length';

export interface Completion {
  ids: number[];
  /** natural-log probability of ids[i] under the model's unmodified distribution */
  logprobs: number[];
  finish: FinishReason;
  /** decoded text (cut at a stop string), when a decoder was given */
  text?: string;
}

export interface GenerateHooks {
  decode?: (ids: number[]) => string;
  /** called for every sampled token, in order per sample */
  onToken?: (sample: number, id: number, logprob: number) => void;
}

/** log Σ exp over a logits row (float64 accumulation). */
export function logSumExp(row: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < row.length; i++) if (row[i]! > m) m = row[i]!;
  let s = 0;
  for (let i = 0; i < row.length; i++) s += Math.exp(row[i]! - m);
  return m + Math.log(s);
}

/**
 * Pick a token from one logits row: temperature, then top-k, then top-p (Hugging Face's order).
 * Greedy picks the lowest index among equal maxima. Returns the id and its unmodified log-probability.
 */
export function sampleToken(row: Float32Array, p: Pick<SamplingParams, 'temperature' | 'topK' | 'topP'>, rng: Rng, lse = logSumExp(row)): { id: number; logprob: number } {
  const V = row.length;
  let id = 0;
  if (p.temperature <= 0) {
    for (let i = 1; i < V; i++) if (row[i]! > row[id]!) id = i;
    return { id, logprob: row[id]! - lse };
  }
  const t = p.temperature;
  let m = -Infinity;
  for (let i = 0; i < V; i++) m = Math.max(m, row[i]! / t);
  // Candidates: a set certain to contain the top-k / nucleus tokens, sorted by probability.
  const probs = new Float64Array(V);
  let z = 0;
  for (let i = 0; i < V; i++) { probs[i] = Math.exp(row[i]! / t - m); z += probs[i]!; }
  for (let i = 0; i < V; i++) probs[i]! /= z;
  const k = p.topK > 0 && p.topK < V ? p.topK : V;
  const nucleus = p.topP > 0 && p.topP < 1 ? p.topP : 1;
  let cand: number[];
  if (k === V && nucleus === 1) {
    cand = [];
  } else {
    // Items with probability ≥ τ hold mass ≥ topP for a small enough τ; the nucleus and top-k lie inside.
    cand = [];
    for (const tau of [1e-2, 1e-4, 1e-6, 1e-9, 0]) {
      cand = [];
      let mass = 0;
      for (let i = 0; i < V; i++) if (probs[i]! >= tau) { cand.push(i); mass += probs[i]!; }
      const massOk = nucleus === 1 || mass >= nucleus, countOk = k === V || cand.length >= k;
      if ((massOk && countOk) || tau === 0) break;
    }
    cand.sort((a, b) => probs[b]! - probs[a]! || a - b);
    cand = cand.slice(0, k);
    if (nucleus < 1) {
      let mass = 0, keep = 0;
      for (; keep < cand.length; keep++) { mass += probs[cand[keep]!]!; if (mass >= nucleus) { keep++; break; } }
      cand = cand.slice(0, Math.max(1, keep));
    }
  }
  const u = rng.next();
  if (cand.length === 0) {
    let acc = 0;
    id = V - 1;
    for (let i = 0; i < V; i++) { acc += probs[i]!; if (u < acc) { id = i; break; } }
  } else {
    let total = 0;
    for (const c of cand) total += probs[c]!;
    let acc = 0;
    id = cand[cand.length - 1]!;
    for (const c of cand) { acc += probs[c]! / total; if (u < acc) { id = c; break; } }
  }
  return { id, logprob: row[id]! - lse };
}

export async function generate(engine: Engine, promptIds: number[], params: Partial<SamplingParams>, hooks: GenerateHooks = {}): Promise<Completion[]> {
  const onToken = hooks.onToken;
  const [out] = await generateBatch(engine, [{ promptIds, seed: params.seed ?? DEFAULT_SAMPLING.seed }], params, { decode: hooks.decode, onToken: onToken ? (_p, s, id, lp) => onToken(s, id, lp) : undefined });
  return out!;
}

/** One prompt of a batch, with its own seed (so each prompt's samples do not depend on the batch). */
export interface BatchPrompt { promptIds: number[]; seed: number }

/**
 * n completions for each of several prompts, decoded together: prompt i is prefilled into slot i·n
 * (its cache copied to slots i·n+1 … i·n+n−1), then every slot steps one token per engine step at
 * its own position. Prompts × n must fit the engine's maxBatch. Sample s of prompt i equals what
 * `generate` gives that prompt alone with the same seed.
 */
export async function generateBatch(engine: Engine, prompts: BatchPrompt[], params: Partial<SamplingParams>, hooks: { decode?: (ids: number[]) => string; onToken?: (prompt: number, sample: number, id: number, logprob: number) => void } = {}): Promise<Completion[][]> {
  const p: SamplingParams = { ...DEFAULT_SAMPLING, ...params };
  const V = engine.cfg.vocab;
  const n = p.n;
  if (prompts.length === 0) return [];
  if (!Number.isInteger(n) || n < 1 || n * prompts.length > engine.opts.maxBatch) throw new UsageError(`prompts × n must be 1…${engine.opts.maxBatch} (the engine's maxBatch); got ${prompts.length} × ${n}`);
  for (const [i, pr] of prompts.entries()) {
    if (pr.promptIds.length === 0) throw new UsageError(`prompt ${i} is empty`);
    if (pr.promptIds.length + p.maxNewTokens > engine.opts.maxContext) throw new UsageError(`prompt ${i} (${pr.promptIds.length} tokens) + max new tokens (${p.maxNewTokens}) exceed the context of ${engine.opts.maxContext} tokens`);
  }
  if (p.stopStrings.length > 0 && !hooks.decode) throw new Error('stop strings need a decoder');

  const slots = prompts.length * n;
  const promptOf = (k: number) => Math.floor(k / n);
  const rngs = Array.from({ length: slots }, (_, k) => new Rng(mixSeed(prompts[promptOf(k)]!.seed, p.firstSample + (k % n))));
  const out: Completion[] = Array.from({ length: slots }, () => ({ ids: [], logprobs: [], finish: 'length' as FinishReason }));
  const done = new Array<boolean>(slots).fill(false);
  const stop = new Set(p.stopTokenIds);

  const take = (k: number, row: Float32Array) => {
    const { id, logprob } = sampleToken(row, p, rngs[k]!);
    const c = out[k]!;
    c.ids.push(id);
    c.logprobs.push(logprob);
    hooks.onToken?.(promptOf(k), (k % n) + p.firstSample, id, logprob);
    if (stop.has(id)) { done[k] = true; c.finish = 'stop_token'; return; }
    if (p.stopStrings.length) {
      const text = hooks.decode!(c.ids);
      const hit = p.stopStrings.map((x) => text.indexOf(x)).filter((i) => i >= 0);
      if (hit.length) { done[k] = true; c.finish = 'stop_string'; c.text = text.slice(0, Math.min(...hit)); return; }
    }
    if (c.ids.length >= p.maxNewTokens) done[k] = true;
  };

  for (const [i, pr] of prompts.entries()) {
    const first = await engine.step({ ids: pr.promptIds, B: 1, T: pr.promptIds.length, pos0: 0, seq0: i * n, logits: 'last' });
    for (let s = 1; s < n; s++) engine.copyCache(i * n, i * n + s, pr.promptIds.length);
    const row = first.logits!.subarray(0, V);
    for (let s = 0; s < n; s++) if (p.maxNewTokens > 0) take(i * n + s, row); else done[i * n + s] = true;
  }
  for (let t = 1; t < p.maxNewTokens && done.some((d) => !d); t++) {
    // Every slot steps (finished ones too, so rows stay aligned with cache slots); their output is ignored.
    const ids = out.map((c) => c.ids[c.ids.length - 1]!);
    const pos = Array.from({ length: slots }, (_, k) => prompts[promptOf(k)]!.promptIds.length + t - 1);
    const res = await engine.step({ ids, B: slots, T: 1, pos0: pos, seq0: 0, logits: 'last' });
    for (let k = 0; k < slots; k++) if (!done[k]) take(k, res.logits!.subarray(k * V, (k + 1) * V));
  }
  if (hooks.decode) for (const c of out) c.text ??= hooks.decode(c.ids);
  return prompts.map((_, i) => out.slice(i * n, (i + 1) * n));
}
