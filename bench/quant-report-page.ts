// Runs in the engine page (bench/quant-report.ts drives it): the same prompts through one model
// loaded three times, f16 and group-wise q8 / q4 projections (src/gpu/kernels/weights.ts), and the
// logits compared at every prompt position: max and mean |Δ| against f16, and whether the greedy
// next token (argmax) agrees, at the last position of each prompt and over all positions.
import { acquireGpu } from '../src/gpu/device.ts';
import { Engine, type TensorSource } from '../src/gpu/engine.ts';
import { loadModelConfig, urlSource } from '../src/model/source.ts';
import { openCheckpoint } from '../src/model/safetensors.ts';
import type { ModelConfig } from '../src/model/config.ts';
import { randomWeights, shapeConfig, type Shape } from './gpu-kit-page.ts';

export interface QuantRow { kind: 'q8' | 'q4'; max_abs: number; mean_abs: number; logit_scale: number; greedy_last: number; greedy_all: number; prompts: number; positions: number }
export interface QuantReport { model: string; vocab: number; weights_bytes: Record<string, number>; rows: QuantRow[]; load_s: number; run_s: number }

/** `model`: a Qwen2.5 shape name (random weights) or a model folder URL on this server. */
export async function quantReport(model: string, prompts: number, promptTokens: number, batch: number): Promise<QuantReport> {
  const t0 = performance.now();
  let cfg: ModelConfig, src: TensorSource;
  if (model.startsWith('qwen2.5-')) { cfg = shapeConfig(model as Shape); src = randomWeights(cfg); }
  else {
    const source = urlSource(model);
    cfg = await loadModelConfig(source);
    const ckpt = await openCheckpoint(source);
    src = { has: (n) => ckpt.tensors.has(n), get: (n) => ckpt.readFloat32(n), dtype: (n) => ckpt.tensors.get(n)?.dtype };
  }
  const kinds = ['f16', 'q8', 'q4'] as const;
  const engines: Engine[] = [];
  for (const weights of kinds) engines.push(await Engine.load(await acquireGpu(), cfg, src, { maxBatch: batch, maxContext: promptTokens, weights }));
  const load_s = (performance.now() - t0) / 1000;
  const V = cfg.vocab;
  // prompts of random ids (a fixed generator) below the vocabulary's special tokens
  let x = 12345;
  const rand = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return (x >>> 0) / 4294967296; };
  const idRange = Math.min(V, 151643);
  const acc = kinds.slice(1).map(() => ({ max: 0, sum: 0, n: 0, last: 0, all: 0 }));
  let scale = 0, positions = 0;
  const t1 = performance.now();
  for (let p0 = 0; p0 < prompts; p0 += batch) {
    const B = Math.min(batch, prompts - p0), T = promptTokens;
    const ids = Array.from({ length: B * T }, () => Math.floor(rand() * idRange));
    const logits: Float32Array[] = [];
    for (const e of engines) logits.push((await e.step({ ids, B, T, pos0: 0, logits: 'all' })).logits!);
    const argmax = (l: Float32Array, r: number) => { let b = 0, v = -Infinity; for (let i = 0; i < V; i++) if (l[r * V + i]! > v) { v = l[r * V + i]!; b = i; } return b; };
    for (let r = 0; r < B * T; r++) {
      const ref = argmax(logits[0]!, r);
      for (let i = r * V; i < (r + 1) * V; i++) scale = Math.max(scale, Math.abs(logits[0]![i]!));
      acc.forEach((a, k) => {
        const l = logits[k + 1]!;
        for (let i = r * V; i < (r + 1) * V; i++) { const d = Math.abs(l[i]! - logits[0]![i]!); a.max = Math.max(a.max, d); a.sum += d; a.n++; }
        const same = argmax(l, r) === ref ? 1 : 0;
        a.all += same;
        if (r % T === T - 1) a.last += same;
      });
    }
    positions += B * T;
  }
  const weights_bytes: Record<string, number> = {};
  engines.forEach((e, i) => { weights_bytes[kinds[i]!] = e.internals.weights.reduce((a, s) => a + s.bytes, 0); });
  for (const e of engines) e.destroy();
  return {
    model, vocab: V, weights_bytes, load_s, run_s: (performance.now() - t1) / 1000,
    rows: acc.map((a, k) => ({ kind: kinds[k + 1] as 'q8' | 'q4', max_abs: a.max, mean_abs: a.sum / a.n, logit_scale: scale, greedy_last: a.last / prompts, greedy_all: a.all / positions, prompts, positions })),
  };
}
