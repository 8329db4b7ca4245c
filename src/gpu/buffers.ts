// The GPU buffers the engine and the training graph create, as a pure function of the shapes
// (config, weight dtype, batch, context, rows, LoRA rank). Engine.load / ensureWork / ensureLogits
// and TrainGraph allocate exactly these lists; the memory plan (memory-plan.ts) sums them.
// Sizes are in 32-bit words (f32 / u32 values, or two f16 packed per word) and bytes as created.

import type { ModelConfig } from '../model/config.ts';
import { LORA_TARGETS, projectionShape, type LoraTarget } from '../rl/lora.ts';
import { sumsqParts } from './kernels/adamw.ts';
import { isQuant, QUANT_GROUP, quantWords, type WeightDtype } from './kernels/weights.ts';

export type BufferUsage = 'weights' | 'kv-cache' | 'rope' | 'work' | 'logits' | 'saved' | 'scratch' | 'grads' | 'lora' | 'optimizer';

export interface BufferSpec<K extends string = string> {
  /** field of the owner's record it fills (e.g. Work's `x`) */
  key: K;
  /** GPU buffer label */
  name: string;
  usage: BufferUsage;
  /** 32-bit words */
  words: number;
  /** bytes as created (storageBuffer: at least 16, rounded up to 16) */
  bytes: number;
}

/** A weight buffer: all of HF tensor `tensor`, or its rows v0 … v0+n−1 (embedding / LM head chunks). */
export interface WeightSpec extends BufferSpec {
  usage: 'weights';
  tensor: string;
  /** of the whole tensor */
  shape: number[];
  dtype: WeightDtype;
  rows?: { v0: number; n: number };
}

/** Bytes storageBuffer creates for n words. */
export function bufferBytes(words: number): number {
  return Math.max(16, Math.ceil((words * 4) / 16) * 16);
}

export const sumBytes = (specs: readonly { bytes: number }[]): number => specs.reduce((a, s) => a + s.bytes, 0);

function spec<K extends string>(key: K, name: string, usage: BufferUsage, words: number): BufferSpec<K> {
  return { key, name, usage, words, bytes: bufferBytes(words) };
}

export interface WeightLayout {
  /** storage of matrices: 'f16' packs halves where K % 4 = 0 (else f32); 'q8'/'q4' quantize the
   *  layers' projections where K % 32 = 0 (else as f16) and keep the embedding / LM head f16;
   *  norms and biases stay f32 */
  dtype: WeightDtype;
  /** largest buffer (min of maxStorageBufferBindingSize and maxBufferSize): the embedding / LM head are split by rows to fit */
  chunkBytes: number;
  /** which optional tensors the checkpoint has (biases, lm_head); default: what the config implies */
  has?: (name: string) => boolean;
}

/** What the config implies a checkpoint holds (optional tensors only). */
export function configHas(cfg: ModelConfig): (name: string) => boolean {
  return (name) => {
    if (name === 'lm_head.weight') return !cfg.tiedEmbeddings;
    if (/\.self_attn\.o_proj\.bias$/.test(name)) return cfg.attentionOutputBias;
    if (/\.self_attn\.[qkv]_proj\.bias$/.test(name)) return cfg.attentionBias;
    return true;
  };
}

/** Weight buffers in upload order: embedding chunks, LM head chunks (untied), layers, final norm. */
export function weightBuffers(cfg: ModelConfig, o: WeightLayout): WeightSpec[] {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I, vocab: V } = cfg;
  const has = o.has ?? configHas(cfg);
  const out: WeightSpec[] = [];
  const vec = (tensor: string, n: number) => out.push({ key: tensor, name: tensor, usage: 'weights', tensor, shape: [n], dtype: 'f32', words: n, bytes: bufferBytes(n) });
  const halves = o.dtype !== 'f32';
  // a layer's matrix [rows, K]; f16 needs K % 4 = 0 (vec4 reads), quantized K % 32 = 0 (whole groups in a row)
  const mat = (tensor: string, rows: number, K: number) => {
    const dtype: WeightDtype = isQuant(o.dtype) && K % QUANT_GROUP === 0 ? o.dtype : halves && K % 4 === 0 ? 'f16' : 'f32';
    const words = isQuant(dtype) ? quantWords(rows * K, dtype) : dtype === 'f16' ? (rows * K) / 2 : rows * K;
    out.push({ key: tensor, name: tensor, usage: 'weights', tensor, shape: [rows, K], dtype, words, bytes: bufferBytes(words) });
  };
  const chunks = (tensor: string) => {
    const half = halves && H % 4 === 0;
    const rowsPer = Math.max(1, Math.floor(o.chunkBytes / (H * (half ? 2 : 4))));
    for (let v0 = 0; v0 < V; v0 += rowsPer) {
      const n = Math.min(rowsPer, V - v0), words = half ? (n * H) / 2 : n * H, name = `${tensor}[${v0}:${v0 + n}]`;
      out.push({ key: name, name, usage: 'weights', tensor, shape: [V, H], dtype: half ? 'f16' : 'f32', rows: { v0, n }, words, bytes: bufferBytes(words) });
    }
  };
  chunks('model.embed_tokens.weight');
  if (!cfg.tiedEmbeddings && has('lm_head.weight')) chunks('lm_head.weight');
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}.`;
    vec(`${p}input_layernorm.weight`, H);
    vec(`${p}post_attention_layernorm.weight`, H);
    mat(`${p}self_attn.q_proj.weight`, Hq * D, H);
    mat(`${p}self_attn.k_proj.weight`, Hkv * D, H);
    mat(`${p}self_attn.v_proj.weight`, Hkv * D, H);
    mat(`${p}self_attn.o_proj.weight`, H, Hq * D);
    for (const [t, n] of [['q', Hq * D], ['k', Hkv * D], ['v', Hkv * D], ['o', H]] as const) if (has(`${p}self_attn.${t}_proj.bias`)) vec(`${p}self_attn.${t}_proj.bias`, n);
    if (cfg.qkNorm) { vec(`${p}self_attn.q_norm.weight`, D); vec(`${p}self_attn.k_norm.weight`, D); }
    mat(`${p}mlp.gate_proj.weight`, I, H);
    mat(`${p}mlp.up_proj.weight`, I, H);
    mat(`${p}mlp.down_proj.weight`, H, I);
  }
  vec('model.norm.weight', H);
  return out;
}

/** KV cache [maxBatch, Hkv, maxContext, D] f32 per layer (K and V), and the RoPE table [maxContext, D]. */
export function cacheBuffers(cfg: ModelConfig, maxBatch: number, maxContext: number): BufferSpec[] {
  const n = maxBatch * cfg.kvHeads * maxContext * cfg.headDim;
  const out: BufferSpec[] = [];
  for (let l = 0; l < cfg.layers; l++) out.push(spec(`kc.${l}`, `kcache.${l}`, 'kv-cache', n), spec(`vc.${l}`, `vcache.${l}`, 'kv-cache', n));
  out.push(spec('ropeTab', 'rope table', 'rope', maxContext * cfg.headDim));
  return out;
}

export type EngineWorkKey = 'ids' | 'pos' | 'x' | 'xn' | 'rstd' | 'q' | 'k' | 'v' | 'qn' | 'kn' | 'hrstd' | 'att' | 'S' | 'lse' | 'o' | 'g' | 'u' | 'h' | 'd' | 'lt0' | 'lt1' | 'lt2';

/** Most LoRA rank the engine's scratch x·Aᵀ [R, r] holds. */
export const MAX_LORA_RANK = 64;

/** The engine's scratch for a step of R rows whose attention spans up to C positions. */
export function engineWorkBuffers(cfg: ModelConfig, R: number, C: number): BufferSpec<EngineWorkKey>[] {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
  const w = (key: EngineWorkKey, name: string, n: number) => spec(key, name, 'work', n);
  return [
    w('ids', 'ids', R), w('pos', 'pos', R),
    w('x', 'x', R * H), w('xn', 'xn', R * H), w('rstd', 'rstd', R),
    w('q', 'q', R * Hq * D), w('k', 'k', R * Hkv * D), w('v', 'v', R * Hkv * D),
    w('qn', 'qn', R * Hq * D), w('kn', 'kn', R * Hkv * D), w('hrstd', 'head rstd', R * Hq),
    w('att', 'att', R * Hq * D), w('S', 'scores', R * Hq * C), w('lse', 'attn lse', R * Hq), w('o', 'o', R * H),
    w('g', 'gate', R * I), w('u', 'up', R * I), w('h', 'h', R * I), w('d', 'down', R * H),
    // LoRA's x·Aᵀ of up to three projections reading one input (q, k, v), computed in one dispatch
    w('lt0', 'lora t 0', R * MAX_LORA_RANK), w('lt1', 'lora t 1', R * MAX_LORA_RANK), w('lt2', 'lora t 2', R * MAX_LORA_RANK),
  ];
}

/** Logits of `rows` rows [rows, vocab] f32 (the engine keeps at least maxBatch rows). */
export function logitsBuffer(cfg: ModelConfig, rows: number): BufferSpec<'logits'> {
  return spec('logits', 'logits', 'logits', rows * cfg.vocab);
}

export type SavedKey = 'xIn' | 'rstd1' | 'xn1' | 'qPre' | 'kPre' | 'rq' | 'rk' | 'q' | 'k' | 'v' | 'S' | 'lse' | 'att' | 'xMid' | 'rstd2' | 'xn2' | 'g' | 'u' | 'h';
export type TrainWorkKey = 'ids' | 'pos' | 'tgt' | 'x' | 'xFinal' | 'rstdF' | 'xnF' | 'lse' | 'lp' | 'sRows' | 'xS' | 'tgtS' | 'dxS' | 'part' | 'tlogit' | 'scratch'
  | 'dx' | 'dxn' | 'dbig' | 'dI1' | 'dI2' | 'dq' | 'dk' | 'dv' | 'dS' | 'dt' | 'g' | 'tile';
export type GradKey = 'ln1' | 'ln2' | 'wq' | 'wk' | 'wv' | 'wo' | 'bq' | 'bk' | 'bv' | 'bo' | 'qNorm' | 'kNorm' | 'wGate' | 'wUp' | 'wDown';

export interface TrainShape {
  /** rows of one micro-batch (B·T) and tokens per sequence */
  maxRows: number; maxT: number;
  /** LoRA rank and adapted projections (each layer), or null */
  lora: { rank: number; targets: readonly LoraTarget[] } | null;
  /** VOCAB_TILE-row tiles of the LM head (logprobTiles of its chunks) */
  tiles: number;
  fullFinetune?: boolean;
  /** keep only each layer's input and recompute the layer in the backward (trainSavedBuffers) */
  recompute?: boolean;
}

/** Vocabulary rows per workgroup of the logprob kernel (src/gpu/kernels/logprob.ts: 256 threads × 4). */
export const VOCAB_TILE = 1024;
export const vocabTiles = (chunks: readonly { n: number }[]): number => chunks.reduce((a, c) => a + Math.ceil(c.n / VOCAB_TILE), 0);

/** LM head chunks (rows) of a weight list: the embedding's when tied. */
export function lmHeadChunks(specs: readonly WeightSpec[]): { n: number }[] {
  const head = specs.filter((s) => s.tensor === 'lm_head.weight');
  return (head.length ? head : specs.filter((s) => s.tensor === 'model.embed_tokens.weight')).map((s) => s.rows!);
}

/** Activations one layer saves for the backward (R = maxRows rows); `t.<target>` is LoRA's x·Aᵀ [R, r]. */
export function savedBuffers(cfg: ModelConfig, layer: number, o: TrainShape): BufferSpec<SavedKey | `t.${LoraTarget}`>[] {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
  const R = o.maxRows, T = o.maxT;
  const s = <K extends SavedKey | `t.${LoraTarget}`>(key: K, name: string, n: number) => spec(key, name, 'saved', Math.max(1, n));
  const out: BufferSpec<SavedKey | `t.${LoraTarget}`>[] = [
    s('xIn', 'xIn', R * H), s('rstd1', 'rstd1', R), s('xn1', 'xn1', R * H),
    s('qPre', 'qPre', cfg.qkNorm ? R * Hq * D : 1), s('kPre', 'kPre', cfg.qkNorm ? R * Hkv * D : 1), s('rq', 'rq', R * Hq), s('rk', 'rk', R * Hkv),
    s('q', 'q', R * Hq * D), s('k', 'k', R * Hkv * D), s('v', 'v', R * Hkv * D),
    s('S', 'S', R * Hq * T), s('lse', 'attn lse', R * Hq),
    s('att', 'att', R * Hq * D), s('xMid', 'xMid', R * H), s('rstd2', 'rstd2', R), s('xn2', 'xn2', R * H),
    s('g', 'g', R * I), s('u', 'u', R * I), s('h', 'h', R * I),
  ];
  for (const t of LORA_TARGETS) if (o.lora?.targets.includes(t)) out.push(s(`t.${t}`, `t ${layer}.${t}`, R * o.lora.rank));
  return out;
}

/**
 * Saved activations of the whole training graph. Without recompute: savedBuffers of every layer
 * (`shared` null). With recompute: per layer only xIn [R, H] (`xIn <l>`), and one set of the other
 * saved buffers (`shared …`, no xIn) that the forward and each layer's recomputation in the backward overwrite.
 */
export function trainSavedBuffers(cfg: ModelConfig, o: TrainShape): { layers: BufferSpec<SavedKey | `t.${LoraTarget}`>[][]; shared: BufferSpec<SavedKey | `t.${LoraTarget}`>[] | null } {
  if (!o.recompute) return { layers: Array.from({ length: cfg.layers }, (_, l) => savedBuffers(cfg, l, o)), shared: null };
  const one = savedBuffers(cfg, 0, o);
  const xIn = one.find((b) => b.key === 'xIn')!;
  return {
    layers: Array.from({ length: cfg.layers }, (_, l) => [{ ...xIn, name: `xIn ${l}` }]),
    shared: one.filter((b) => b.key !== 'xIn').map((b) => ({ ...b, name: `shared ${b.key.startsWith('t.') ? b.key : b.name}` })),
  };
}

/** The training graph's forward/backward scratch (not per layer). */
export function trainWorkBuffers(cfg: ModelConfig, o: TrainShape): BufferSpec<TrainWorkKey>[] {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
  const R = o.maxRows, T = o.maxT, r = o.lora?.rank ?? 1, big = Math.max(H, Hq * D, I);
  const b = (key: TrainWorkKey, name: string, n: number) => spec(key, name, 'scratch', Math.max(1, n));
  return [
    b('ids', 'ids', R), b('pos', 'pos', R), b('tgt', 'targets', R), b('x', 'x', R * H), b('xFinal', 'xFinal', R * H), b('rstdF', 'rstdF', R), b('xnF', 'xnF', R * H),
    b('lse', 'lse', R), b('lp', 'logprobs', R), b('sRows', 'scored rows', R), b('xS', 'scored xnF', R * H), b('tgtS', 'scored targets', R), b('dxS', 'scored dxnF', R * H),
    b('part', 'logprob partials', R * o.tiles * 2), b('tlogit', 'target logits', R), b('scratch', 'scratch', R * big),
    b('dx', 'dx', R * H), b('dxn', 'dxn', R * H), b('dbig', 'dbig', R * big), b('dI1', 'dg', R * I), b('dI2', 'du', R * I),
    b('dq', 'dq', R * Hq * D), b('dk', 'dk', R * Hkv * D), b('dv', 'dv', R * Hkv * D), b('dS', 'dS', R * Hq * T), b('dt', 'lora dt', R * r), b('g', 'dlogp', R),
    b('tile', 'logit grad tile', o.fullFinetune ? R * 4096 : 1),
  ];
}

/** Gradients of every base weight in f32 (full fine-tuning); keys `<field>.<layer>`, `norm`, `embed.<i>`, `lm_head.<i>`. */
export function gradBuffers(cfg: ModelConfig, weights: readonly WeightSpec[]): BufferSpec[] {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
  const has = (t: string) => weights.some((w) => w.tensor === t);
  const g = (key: string, name: string, n: number) => spec(key, `grad ${name}`, 'grads', n);
  const out: BufferSpec[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    const p = `model.layers.${l}.self_attn.`;
    out.push(g(`ln1.${l}`, `ln1.${l}`, H), g(`ln2.${l}`, `ln2.${l}`, H), g(`wq.${l}`, `wq.${l}`, Hq * D * H), g(`wk.${l}`, `wk.${l}`, Hkv * D * H), g(`wv.${l}`, `wv.${l}`, Hkv * D * H), g(`wo.${l}`, `wo.${l}`, H * Hq * D));
    for (const [k, t, n] of [['bq', 'q', Hq * D], ['bk', 'k', Hkv * D], ['bv', 'v', Hkv * D], ['bo', 'o', H]] as const) if (has(`${p}${t}_proj.bias`)) out.push(g(`${k}.${l}`, `${k}.${l}`, n));
    if (cfg.qkNorm) out.push(g(`qNorm.${l}`, `qn.${l}`, D), g(`kNorm.${l}`, `kn.${l}`, D));
    out.push(g(`wGate.${l}`, `gate.${l}`, I * H), g(`wUp.${l}`, `up.${l}`, I * H), g(`wDown.${l}`, `down.${l}`, H * I));
  }
  out.push(g('norm', 'norm', H));
  weights.filter((w) => w.tensor === 'model.embed_tokens.weight').forEach((w, i) => out.push(g(`embed.${i}`, `embed[${w.rows!.v0}]`, w.rows!.n * H)));
  weights.filter((w) => w.tensor === 'lm_head.weight').forEach((w, i) => out.push(g(`lm_head.${i}`, `lm_head[${w.rows!.v0}]`, w.rows!.n * H)));
  return out;
}

/** AdamW's moments m, v [n] of each parameter and the gradient-norm partials (src/rl/optimizer.ts). */
export function adamBuffers(params: readonly BufferSpec[]): BufferSpec[] {
  const out = params.flatMap((p) => [spec(`m.${p.key}`, `adam m ${p.name}`, 'optimizer', p.words), spec(`v.${p.key}`, `adam v ${p.name}`, 'optimizer', p.words)]);
  return [...out, spec('partial', 'grad norm partials', 'optimizer', params.reduce((a, p) => a + sumsqParts(p.words), 0))];
}

/** LoRA adapter buffers (src/rl/lora.ts): A [r, in], B [out, r] and their gradients, every layer. */
export function loraBuffers(cfg: ModelConfig, rank: number, targets: readonly LoraTarget[]): BufferSpec[] {
  const out: BufferSpec[] = [];
  for (let l = 0; l < cfg.layers; l++) {
    for (const t of LORA_TARGETS.filter((x) => targets.includes(x))) {
      const p = projectionShape(cfg, t), nA = rank * p.in, nB = p.out * rank;
      out.push(spec(`A.${l}.${t}`, `lora_A ${l}.${t}`, 'lora', nA), spec(`B.${l}.${t}`, `lora_B ${l}.${t}`, 'lora', nB),
        spec(`dA.${l}.${t}`, `grad lora_A ${l}.${t}`, 'lora', nA), spec(`dB.${l}.${t}`, `grad lora_B ${l}.${t}`, 'lora', nB));
    }
  }
  return out;
}
