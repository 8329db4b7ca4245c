// Runs in the engine page (bench/gpu-kit.ts drives it): a Qwen2.5-shaped model with random weights
// (nothing downloaded), its prefill and decode speed, and one GRPO step with LoRA (sampling G
// completions, the reference and policy forwards, the backward, AdamW), each against the adapter's
// best matmul FLOP/s and copy bandwidth measured in the same page.
import { acquireGpu, readBuffer } from '../src/gpu/device.ts';
import { Engine, type TensorSource } from '../src/gpu/engine.ts';
import { weightBuffers } from '../src/gpu/buffers.ts';
import { TrainGraph } from '../src/gpu/train-graph.ts';
import { generateBatch } from '../src/gpu/sampling.ts';
import { parseModelConfig, type ModelConfig } from '../src/model/config.ts';
import { LoraAdapter, LORA_TARGETS } from '../src/rl/lora.ts';
import { AdamW, OPTIMIZER_DEFAULTS } from '../src/rl/optimizer.ts';
import { LOSS_DEFAULTS, policyLoss } from '../src/rl/grpo.ts';
import { measureLimits, type Limits } from './engine-page.ts';

/** Published config.json fields of the Qwen2.5 Instruct models the kit imitates (tied embeddings, q/k/v bias). */
export const SHAPES = {
  'qwen2.5-0.5b': { hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_key_value_heads: 2, num_hidden_layers: 24, tie_word_embeddings: true },
  'qwen2.5-1.5b': { hidden_size: 1536, intermediate_size: 8960, num_attention_heads: 12, num_key_value_heads: 2, num_hidden_layers: 28, tie_word_embeddings: true },
  'qwen2.5-3b': { hidden_size: 2048, intermediate_size: 11008, num_attention_heads: 16, num_key_value_heads: 2, num_hidden_layers: 36, tie_word_embeddings: true },
} as const;
export type Shape = keyof typeof SHAPES;

export function shapeConfig(shape: Shape): ModelConfig {
  return parseModelConfig({
    architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_act: 'silu', vocab_size: 151936, max_position_embeddings: 32768,
    rms_norm_eps: 1e-6, rope_theta: 1000000, bos_token_id: 151643, eos_token_id: 151645, torch_dtype: 'bfloat16', ...SHAPES[shape],
  });
}

/** Random weights of the config's shapes (uniform ±0.02, norms 1), generated on request: no file. */
export function randomWeights(cfg: ModelConfig, seed = 1): TensorSource {
  const shapes = new Map(weightBuffers(cfg, { dtype: 'f32', chunkBytes: Infinity }).map((s) => [s.tensor, s.shape]));
  const hasBias = (n: string) => /self_attn\.[qkv]_proj\.bias$/.test(n);
  return {
    has: (n) => shapes.has(n) || hasBias(n),
    dtype: () => 'BF16',
    async get(name) {
      const shape = shapes.get(name) ?? (hasBias(name) ? [/q_proj/.test(name) ? cfg.heads * cfg.headDim : cfg.kvHeads * cfg.headDim] : null);
      if (!shape) throw new Error(`no tensor ${name} in a ${cfg.layers}-layer Qwen2 shape`);
      const n = shape.reduce((a, d) => a * d, 1), out = new Float32Array(n);
      if (/norm\.weight$/.test(name)) return out.fill(1);
      let x = (seed * 2654435761 + name.length * 40503) >>> 0 || 1;
      for (let i = 0; i < n; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; out[i] = ((x >>> 0) / 4294967296 - 0.5) * 0.04; }
      return out;
    },
  };
}

export interface KitOptions { shape: Shape; prompt: number; newTokens: number; group: number; microBatch: number; decodeSteps: number; loraRank: number }
export interface KitResult {
  shape: Shape; params: number; adapter: string; weights: string; limits: Limits; load_s: number;
  prefill: { tokens: number; tok_s: number; gflops: number; of_matmul: number };
  decode: Record<string, { tok_s: number; gbps: number; of_bandwidth: number }>;
  grpo: { group: number; prompt: number; new_tokens: number; micro_batch: number; generate_s: number; forward_backward_s: number; update_s: number; step_s: number; train_tok_s: number; train_gflops: number; of_matmul: number };
}

/** Weights × 2 FLOP per token through the layers, plus attention over `ctx` keys. */
function flopsPerToken(c: ModelConfig, ctx: number): number {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = c;
  return 2 * c.layers * (H * (Hq * D + 2 * Hkv * D) + Hq * D * H + 3 * H * I + 2 * Hq * D * ctx);
}

export async function runKit(o: KitOptions): Promise<KitResult> {
  const limits = await measureLimits();
  const gpu = await acquireGpu();
  const cfg = shapeConfig(o.shape);
  const T = o.prompt + o.newTokens, B = Math.max(o.group, 8);
  let t0 = performance.now();
  const engine = await Engine.load(gpu, cfg, randomWeights(cfg), { maxBatch: B, maxContext: T + o.decodeSteps + 1 });
  const load_s = (performance.now() - t0) / 1000;
  const params = weightBuffers(cfg, { dtype: 'f32', chunkBytes: Infinity }).reduce((a, s) => a + s.shape.reduce((x, d) => x * d, 1), 0);
  const weightBytes = engine.weightDtype === 'f16' ? 2 : 4;
  const prompt = Array.from({ length: o.prompt }, (_, i) => 1000 + ((i * 7919) % 50000));

  // prefill: one sequence of the prompt (the pipelines compiled by a first, short one)
  await engine.step({ ids: prompt.slice(0, 4), B: 1, T: 4, pos0: 0, logits: 'last' });
  t0 = performance.now();
  await engine.step({ ids: prompt, B: 1, T: o.prompt, pos0: 0, logits: 'last' });
  const pre = (performance.now() - t0) / 1000;
  let flops = 2 * cfg.vocab * cfg.hidden;
  for (let t = 0; t < o.prompt; t++) flops += flopsPerToken(cfg, t + 1);
  const prefillGflops = flops / pre / 1e9;
  const prefill = { tokens: o.prompt, tok_s: o.prompt / pre, gflops: prefillGflops, of_matmul: prefillGflops / limits.matmul_gflops };

  // decode at batch 1 and 8 after the prompt: bytes = every weight once + each sequence's KV cache
  const decode: KitResult['decode'] = {};
  for (const b of [1, 8]) {
    for (let s = 1; s < b; s++) engine.copyCache(0, s, o.prompt);
    await engine.step({ ids: Array(b).fill(5), B: b, T: 1, pos0: o.prompt, logits: 'last' });
    t0 = performance.now();
    for (let s = 0; s < o.decodeSteps; s++) await engine.step({ ids: Array(b).fill(5), B: b, T: 1, pos0: o.prompt + 1 + s, logits: 'last' });
    const dec = (performance.now() - t0) / 1000;
    const bytes = o.decodeSteps * (params * weightBytes + b * 2 * cfg.layers * cfg.kvHeads * cfg.headDim * 4 * (o.prompt + o.decodeSteps / 2));
    decode[`batch ${b}`] = { tok_s: (b * o.decodeSteps) / dec, gbps: bytes / dec / 1e9, of_bandwidth: bytes / dec / 1e9 / limits.copy_gbps };
  }

  // one GRPO step with LoRA on all seven projections: sample G, reference forward (adapter off),
  // policy forward + backward per micro-batch, AdamW (random advantages: no verifier here)
  engine.lora = new LoraAdapter(gpu, cfg, { rank: o.loraRank, alpha: 2 * o.loraRank, dropout: 0, targets: [...LORA_TARGETS] }, { seed: 1 });
  const graph = new TrainGraph(engine, { maxRows: o.microBatch * T, maxT: T });
  const opt = new AdamW(gpu, engine.lora.params(), { ...OPTIMIZER_DEFAULTS, lr: 1e-5 });
  const s0 = performance.now();
  const [comps] = await generateBatch(engine, [{ promptIds: prompt, seed: 1 }], { n: o.group, temperature: 1, maxNewTokens: o.newTokens, stopTokenIds: [] });
  const generate_s = (performance.now() - s0) / 1000;
  const f0 = performance.now();
  const seqs = comps!.map((c, i) => ({ c, adv: i % 2 ? 1 : -1 }));
  const rowsOf = (mb: typeof seqs) => {
    const Tm = Math.max(...mb.map((s) => o.prompt + s.c.ids.length)), ids: number[] = [], tg: number[] = [], pos: number[][] = [];
    mb.forEach((s, b) => {
      const seq = [...prompt, ...s.c.ids];
      for (let t = 0; t < Tm; t++) { ids.push(seq[t] ?? 0); tg.push(seq[t + 1] ?? 0); }
      pos.push(s.c.ids.map((_, i) => b * Tm + o.prompt - 1 + i));
    });
    return { ids, tg, Tm, pos, scored: pos.flat().sort((a, b) => a - b) };
  };
  let trainTokens = 0, trainFlops = 0;
  const refs: number[][] = [];
  engine.loraEnabled = false;
  for (let i = 0; i < seqs.length; i += o.microBatch) {
    const mb = seqs.slice(i, i + o.microBatch), r = rowsOf(mb);
    const lp = (await graph.forward(r.ids, r.tg, mb.length, r.Tm, r.scored)).logprobs;
    refs.push(...r.pos.map((ps) => ps.map((p) => lp[p]!)));
  }
  engine.loraEnabled = true;
  graph.zeroGrad();
  for (let i = 0; i < seqs.length; i += o.microBatch) {
    const mb = seqs.slice(i, i + o.microBatch), r = rowsOf(mb);
    const lp = (await graph.forward(r.ids, r.tg, mb.length, r.Tm, r.scored)).logprobs;
    const pl = policyLoss(mb.map((s, k) => ({ logp: r.pos[k]!.map((p) => lp[p]!), old: s.c.logprobs, ref: refs[i + k], advantage: s.adv })), { ...LOSS_DEFAULTS.grpo, beta: 0.04, maxNewTokens: o.newTokens });
    const g = new Float32Array(mb.length * r.Tm);
    r.pos.forEach((ps, k) => ps.forEach((p, t) => { g[p] = pl.dlogp[k]![t]!; }));
    await graph.backward(g);
    trainTokens += mb.reduce((a, s) => a + o.prompt + s.c.ids.length, 0);
    // reference and policy forwards, and a backward of about one forward (dX through the frozen base)
    for (const s of mb) for (let t = 0; t < o.prompt + s.c.ids.length; t++) trainFlops += 3 * flopsPerToken(cfg, t + 1);
  }
  const forward_backward_s = (performance.now() - f0) / 1000;
  const u0 = performance.now();
  await opt.update();
  await readBuffer(gpu, engine.lora.params()[0]!.buf, 1);
  const update_s = (performance.now() - u0) / 1000;
  const step_s = (performance.now() - s0) / 1000;
  const trainGflops = trainFlops / forward_backward_s / 1e9;
  const result: KitResult = {
    shape: o.shape, params, adapter: gpu.caps.adapter, weights: engine.weightDtype, limits, load_s, prefill, decode,
    grpo: { group: o.group, prompt: o.prompt, new_tokens: o.newTokens, micro_batch: o.microBatch, generate_s, forward_backward_s, update_s, step_s,
      train_tok_s: trainTokens / forward_backward_s, train_gflops: trainGflops, of_matmul: trainGflops / limits.matmul_gflops },
  };
  engine.destroy();
  return result;
}
