// GPU memory plan of a model: parameter counts from the config's shapes, bytes of weights, KV cache,
// activations and logits for a batch and context length, the largest single tensor (WebGPU caps one
// storage-buffer binding, often at 128 MiB, so the embedding usually has to be split by rows), and a
// printable table.

import type { ModelConfig } from '../model/config.ts';
import { LORA_TARGETS, projectionShape } from '../rl/lora.ts';
import { UsageError } from '../errors.ts';

export interface MemoryPlanOptions {
  /** Bytes per weight: 2 (F16/BF16) or 4 (F32). */
  weightBytesPerParam: 2 | 4;
  /** Bytes per cached key/value element: 2 or 4. */
  kvBytesPerValue: 2 | 4;
  /** Sequences decoded together. */
  batch: number;
  /** Context length each sequence can reach (prompt + generated). */
  contextTokens: number;
  /** Tokens processed in one forward pass (default `batch`: one decode step; larger for prefill). */
  tokensInFlight?: number;
}

export interface TensorPlan {
  name: string;
  shape: number[];
  /** How many of these tensors (e.g. `layers` for per-layer weights). */
  count: number;
  /** Bytes of one. */
  bytes: number;
}

export interface MemoryPlan {
  config: ModelConfig;
  options: Required<MemoryPlanOptions>;
  params: {
    embedding: number;
    /** One decoder layer. */
    perLayer: number;
    /** All layers. */
    layers: number;
    /** Final RMSNorm. */
    finalNorm: number;
    /** 0 when tied to the embedding. */
    lmHead: number;
    total: number;
  };
  bytes: {
    weights: number;
    kvCache: number;
    /** K and V of one token across all layers. */
    kvCachePerToken: number;
    /** f32 working buffers for one token in flight (attention scores over the full context included). */
    activationsPerToken: number;
    activations: number;
    /** f32 logits of the tokens in flight (vocab × tokens × 4). */
    logitsTile: number;
    total: number;
  };
  tensors: TensorPlan[];
  largestTensor: TensorPlan;
  largestTensorBytes: number;
}

function checkInt(v: number, name: string, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`memory plan: ${name} must be an integer ≥ ${min}, got ${v}`);
}

export function memoryPlan(cfg: ModelConfig, opts: MemoryPlanOptions): MemoryPlan {
  const o: Required<MemoryPlanOptions> = { tokensInFlight: opts.batch, ...opts };
  if (o.weightBytesPerParam !== 2 && o.weightBytesPerParam !== 4) throw new UsageError('memory plan: weight bytes per parameter must be 2 or 4');
  if (o.kvBytesPerValue !== 2 && o.kvBytesPerValue !== 4) throw new UsageError('memory plan: KV cache bytes per value must be 2 or 4');
  checkInt(o.batch, 'batch', 1);
  checkInt(o.contextTokens, 'contextTokens', 1);
  checkInt(o.tokensInFlight, 'tokensInFlight', 1);

  const { hidden: h, heads, kvHeads, headDim: hd, intermediate: ff, vocab, layers } = cfg;
  const q = heads * hd;
  const kv = kvHeads * hd;
  const w = o.weightBytesPerParam;
  const tensors: TensorPlan[] = [];
  const add = (name: string, shape: number[], count = 1) => {
    tensors.push({ name, shape, count, bytes: shape.reduce((a, d) => a * d, 1) * w });
  };
  add('model.embed_tokens.weight', [vocab, h]);
  const L = 'model.layers.*.';
  add(`${L}input_layernorm.weight`, [h], layers);
  add(`${L}self_attn.q_proj.weight`, [q, h], layers);
  add(`${L}self_attn.k_proj.weight`, [kv, h], layers);
  add(`${L}self_attn.v_proj.weight`, [kv, h], layers);
  if (cfg.attentionBias) {
    add(`${L}self_attn.q_proj.bias`, [q], layers);
    add(`${L}self_attn.k_proj.bias`, [kv], layers);
    add(`${L}self_attn.v_proj.bias`, [kv], layers);
  }
  if (cfg.qkNorm) {
    add(`${L}self_attn.q_norm.weight`, [hd], layers);
    add(`${L}self_attn.k_norm.weight`, [hd], layers);
  }
  add(`${L}self_attn.o_proj.weight`, [h, q], layers);
  if (cfg.attentionOutputBias) add(`${L}self_attn.o_proj.bias`, [h], layers);
  add(`${L}post_attention_layernorm.weight`, [h], layers);
  add(`${L}mlp.gate_proj.weight`, [ff, h], layers);
  add(`${L}mlp.up_proj.weight`, [ff, h], layers);
  add(`${L}mlp.down_proj.weight`, [h, ff], layers);
  add('model.norm.weight', [h]);
  if (!cfg.tiedEmbeddings) add('lm_head.weight', [vocab, h]);

  const numel = (t: TensorPlan) => t.bytes / w;
  const embedding = vocab * h;
  const perLayer = tensors.filter((t) => t.name.startsWith(L)).reduce((a, t) => a + numel(t), 0);
  const finalNorm = h;
  const lmHead = cfg.tiedEmbeddings ? 0 : vocab * h;
  const total = embedding + layers * perLayer + finalNorm + lmHead;

  const kvCachePerToken = 2 * layers * kvHeads * hd * o.kvBytesPerValue;
  const kvCache = kvCachePerToken * o.batch * o.contextTokens;
  // residual, normed input, q, k, v, attention output, MLP gate, up (activated in place), MLP output;
  // plus the attention scores of one query row over the whole context, per head.
  const activationsPerToken = 4 * (2 * h + q + 2 * kv + q + 2 * ff + h) + 4 * heads * o.contextTokens;
  const activations = activationsPerToken * o.tokensInFlight;
  const logitsTile = 4 * vocab * o.tokensInFlight;
  const weights = total * w;

  const largestTensor = tensors.reduce((a, t) => (t.bytes > a.bytes ? t : a));
  return {
    config: cfg,
    options: o,
    params: { embedding, perLayer, layers: layers * perLayer, finalNorm, lmHead, total },
    bytes: {
      weights, kvCache, kvCachePerToken, activationsPerToken, activations, logitsTile,
      total: weights + kvCache + activations + logitsTile,
    },
    tensors,
    largestTensor,
    largestTensorBytes: largestTensor.bytes,
  };
}

export interface MemoryLimits {
  /** GPUSupportedLimits.maxBufferSize */
  maxBufferSize?: number;
  /** GPUSupportedLimits.maxStorageBufferBindingSize */
  maxStorageBufferBindingSize?: number;
  /** Memory the plan must fit in (e.g. an estimate of free GPU memory). */
  budgetBytes?: number;
}

export interface OversizeTensor {
  tensor: TensorPlan;
  limit: 'maxStorageBufferBindingSize' | 'maxBufferSize';
  limitBytes: number;
  /** Largest number of rows (first dimension) per part that fits the limit, and the parts needed. */
  rowsPerPart: number;
  parts: number;
}

export interface MemoryCheck {
  oversize: OversizeTensor[];
  /** The KV cache of one layer (K or V, all sequences) exceeds the binding limit. */
  kvLayerOversize: boolean;
  kvLayerBytes: number;
  /** null when no budget was given. */
  fits: boolean | null;
}

/** Which tensors exceed the buffer/binding limits (they must be split by rows) and whether the total fits. */
export function checkMemoryPlan(plan: MemoryPlan, limits: MemoryLimits = {}): MemoryCheck {
  const oversize: OversizeTensor[] = [];
  const bind = limits.maxStorageBufferBindingSize;
  const buf = limits.maxBufferSize;
  for (const t of plan.tensors) {
    const [limit, limitBytes] = bind !== undefined && t.bytes > bind ? ['maxStorageBufferBindingSize', bind] as const
      : buf !== undefined && t.bytes > buf ? ['maxBufferSize', buf] as const : [null, 0] as const;
    if (!limit) continue;
    const rowBytes = t.bytes / t.shape[0]!;
    const rowsPerPart = Math.floor(Math.min(limitBytes, buf ?? Infinity) / rowBytes);
    oversize.push({ tensor: t, limit, limitBytes, rowsPerPart, parts: rowsPerPart > 0 ? Math.ceil(t.shape[0]! / rowsPerPart) : Infinity });
  }
  const c = plan.config;
  const kvLayerBytes = plan.options.batch * plan.options.contextTokens * c.kvHeads * c.headDim * plan.options.kvBytesPerValue;
  return {
    oversize,
    kvLayerBytes,
    kvLayerOversize: bind !== undefined && kvLayerBytes > bind,
    fits: limits.budgetBytes === undefined ? null : plan.bytes.total <= limits.budgetBytes,
  };
}

/** Bytes as MiB/GiB with two decimals (binary units, as GPU limits are). */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(2)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(2)} KiB`;
  return `${n} B`;
}

const int = (n: number) => n.toLocaleString('en-US');

/** A human-readable table of the plan, with warnings for tensors over the limits and the budget verdict. */
export function formatMemoryPlan(plan: MemoryPlan, limits: MemoryLimits = {}): string {
  const c = plan.config;
  const o = plan.options;
  const rows: [string, string, string][] = [];
  const line = (a: string, b: string, d = '') => rows.push([a, b, d]);
  line('parameters', int(plan.params.total),
    `embedding ${int(plan.params.embedding)}, ${c.layers} layers × ${int(plan.params.perLayer)}, final norm ${int(plan.params.finalNorm)}, lm_head ${c.tiedEmbeddings ? 'tied' : int(plan.params.lmHead)}`);
  line('weights', formatBytes(plan.bytes.weights), `${o.weightBytesPerParam} bytes/param`);
  line('KV cache', formatBytes(plan.bytes.kvCache),
    `${formatBytes(plan.bytes.kvCachePerToken)}/token × ${o.batch} seq × ${int(o.contextTokens)} tokens (${o.kvBytesPerValue} bytes/value)`);
  line('activations', formatBytes(plan.bytes.activations), `${formatBytes(plan.bytes.activationsPerToken)}/token × ${o.tokensInFlight} tokens in flight`);
  line('logits', formatBytes(plan.bytes.logitsTile), `${int(c.vocab)} × ${o.tokensInFlight} × f32`);
  line('total', formatBytes(plan.bytes.total), '');
  line('largest tensor', formatBytes(plan.largestTensorBytes), `${plan.largestTensor.name} [${plan.largestTensor.shape.join(' × ')}]`);
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  const out = [`memory plan: ${c.arch}, hidden ${c.hidden}, ${c.layers} layers, ${c.heads}/${c.kvHeads} heads × ${c.headDim}, vocab ${int(c.vocab)}`];
  for (const [a, b, d] of rows) out.push(`  ${a.padEnd(w0)}  ${b.padStart(w1)}${d ? `  ${d}` : ''}`);

  const check = checkMemoryPlan(plan, limits);
  if (limits.maxStorageBufferBindingSize !== undefined || limits.maxBufferSize !== undefined) {
    const lim = [
      limits.maxStorageBufferBindingSize !== undefined ? `maxStorageBufferBindingSize ${formatBytes(limits.maxStorageBufferBindingSize)}` : '',
      limits.maxBufferSize !== undefined ? `maxBufferSize ${formatBytes(limits.maxBufferSize)}` : '',
    ].filter(Boolean).join(', ');
    if (check.oversize.length === 0 && !check.kvLayerOversize) out.push(`  every tensor fits the limits (${lim})`);
    for (const t of check.oversize) {
      const alsoBuf = t.limit === 'maxStorageBufferBindingSize' && limits.maxBufferSize !== undefined && t.tensor.bytes > limits.maxBufferSize
        ? ` (and > maxBufferSize ${formatBytes(limits.maxBufferSize)})` : '';
      out.push(`  ! ${t.tensor.name} [${t.tensor.shape.join(' × ')}] is ${formatBytes(t.tensor.bytes)} > ${t.limit} ${formatBytes(t.limitBytes)}${alsoBuf}: `
        + `split by ${/embed_tokens|lm_head/.test(t.tensor.name) ? 'vocabulary rows' : 'rows'} into ${t.parts} parts of ≤ ${int(t.rowsPerPart)} rows`);
    }
    if (check.kvLayerOversize) {
      out.push(`  ! KV cache of one layer (K or V) is ${formatBytes(check.kvLayerBytes)} > maxStorageBufferBindingSize: split by sequence`);
    }
  }
  if (check.fits !== null) {
    out.push(check.fits
      ? `  fits the budget of ${formatBytes(limits.budgetBytes!)} (${formatBytes(limits.budgetBytes! - plan.bytes.total)} to spare)`
      : `  ! does NOT fit the budget of ${formatBytes(limits.budgetBytes!)} (${formatBytes(plan.bytes.total - limits.budgetBytes!)} over)`);
  }
  return out.join('\n');
}

export interface TrainingMemoryOptions {
  /** completions per prompt (G): the engine's KV cache holds G sequences while sampling */
  group: number;
  /** longest prompt + max new tokens (tokens) */
  sequenceTokens: number;
  /** sequences per forward/backward (micro-batch) */
  microBatch: number;
  /** LoRA rank (0: full fine-tuning) */
  loraRank: number;
  /** adapted projections per layer (7: q, k, v, o, gate, up, down) */
  loraModules: number;
  weightBytesPerParam: 2 | 4;
}

export interface TrainingMemoryPlan {
  /** bytes, by part */
  weights: number; kvCache: number; sampling: number;
  /** saved activations of one micro-batch for the backward pass (all layers) */
  savedActivations: number;
  /** gradient and scratch buffers of the backward pass */
  backwardScratch: number;
  /** trainable parameters, their gradients and AdamW moments (f32) */
  trainable: number; trainableParams: number;
  total: number;
  /** the attention probabilities S [rows × heads × T] of one layer: the largest saved tensor */
  largestSaved: number;
}

/**
 * GPU memory of GRPO/DAPO training, mirroring what the engine and TrainGraph allocate: base
 * weights, the KV cache of G sampled sequences, per-layer saved activations of one micro-batch
 * (attention probabilities dominate: rows × heads × T f32), backward scratch, and the trainable
 * parameters with gradient and two AdamW moments in f32.
 */
export function trainingMemoryPlan(cfg: ModelConfig, o: TrainingMemoryOptions): TrainingMemoryPlan {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I, layers: Lc, vocab: V } = cfg;
  const T = o.sequenceTokens, R = o.microBatch * T, r = Math.max(1, o.loraRank), f = 4;
  const inf = memoryPlan(cfg, { weightBytesPerParam: o.weightBytesPerParam, kvBytesPerValue: 4, batch: Math.max(o.group, o.microBatch), contextTokens: T });
  const qk = cfg.qkNorm ? Hq * D + Hkv * D : 0;
  const perRowLayer = 2 * H + 1 + qk + Hq + Hkv + Hq * D + 2 * Hkv * D + Hq * T + Hq + Hq * D + H + 1 + H + 3 * I + (o.loraRank ? o.loraModules * r : 0);
  const big = Math.max(H, Hq * D, I);
  const tiles = Math.ceil(V / 256);
  const perRowGlobal = 3 + 3 * H + 4 + 2 * H + 1 + 2 * tiles + 1 + big + 2 * H + big + 2 * I + Hq * D + 2 * Hkv * D + Hq * T + r + 1;
  const saved = R * perRowLayer * Lc * f;
  const scratch = R * perRowGlobal * f + (o.loraRank ? 0 : R * 4096 * f);
  const loraParams = Lc * LORA_TARGETS.slice(0, o.loraModules).reduce((a, t) => { const p = projectionShape(cfg, t); return a + r * (p.in + p.out); }, 0);
  const trainableParams = o.loraRank ? loraParams : inf.params.total;
  const trainable = trainableParams * f * (o.loraRank ? 4 : 3); // LoRA: weights, grad, m, v; full: grad, m, v (weights counted above)
  const sampling = Math.max(o.group, o.microBatch) * V * f; // logits of one decode step
  const total = inf.bytes.weights + inf.bytes.kvCache + sampling + saved + scratch + trainable;
  return { weights: inf.bytes.weights, kvCache: inf.bytes.kvCache, sampling, savedActivations: saved, backwardScratch: scratch, trainable, trainableParams, total, largestSaved: R * Hq * T * f };
}

/** What the Studio and CLI train: G completions per prompt, micro-batch, token lengths, LoRA rank. */
export interface TrainingShape { group: number; microBatch: number; promptTokens: number; maxNewTokens: number; loraRank: number }

/** Verdict of one training shape against an adapter's limits and a GPU budget (bytes). */
export interface TrainingFit {
  inference: MemoryPlan;
  training: TrainingMemoryPlan;
  /** reasons it cannot run, one sentence each, saying what to lower (empty: it fits) */
  problems: string[];
}

/** The plan of LoRA GRPO/DAPO training (f32 weights, as the engine holds them) checked against the adapter and budget. */
export function checkTrainingFit(cfg: ModelConfig, shape: TrainingShape, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }, budget: number): TrainingFit {
  const seq = shape.promptTokens + shape.maxNewTokens;
  const inference = memoryPlan(cfg, { weightBytesPerParam: 4, kvBytesPerValue: 4, batch: shape.group, contextTokens: seq });
  const training = trainingMemoryPlan(cfg, { group: shape.group, sequenceTokens: seq, microBatch: shape.microBatch, loraRank: shape.loraRank, loraModules: 7, weightBytesPerParam: 4 });
  const check = checkMemoryPlan(inference, limits);
  const problems: string[] = [];
  for (const o of check.oversize) {
    // the engine splits the embedding / LM head by vocabulary; other tensors must fit one binding
    if (/embed_tokens|lm_head/.test(o.tensor.name) && o.rowsPerPart > 0) continue;
    problems.push(`tensor ${o.tensor.name} needs ${formatBytes(o.tensor.bytes)}, over this adapter's ${o.limit} of ${formatBytes(o.limitBytes)}`);
  }
  const bind = limits.maxStorageBufferBindingSize;
  if (check.kvLayerOversize) problems.push(`one layer's KV cache (${formatBytes(check.kvLayerBytes)}) is over this adapter's maxStorageBufferBindingSize of ${formatBytes(bind)}: lower the group size or max new tokens`);
  if (training.largestSaved > bind) problems.push(`training saves attention probabilities of ${formatBytes(training.largestSaved)} per layer, over this adapter's maxStorageBufferBindingSize of ${formatBytes(bind)}: lower the micro-batch or max new tokens`);
  if (training.total > budget) problems.push(`training needs about ${formatBytes(training.total)} of GPU memory (${formatBytes(training.savedActivations)} of it saved activations of one micro-batch of ${shape.microBatch}), over the ${formatBytes(budget)} budget: lower the micro-batch or max new tokens, or raise the budget if this GPU has more free memory`);
  return { inference, training, problems };
}

/**
 * The nearest shape that fits, changing only what costs no learning signal per step: first the
 * micro-batch (largest ≤ the asked one), then at micro-batch 1 the max new tokens (halved, not
 * below 32). null when the shape already fits or nothing does (e.g. the weights alone exceed the budget).
 */
export function fitTrainingShape(cfg: ModelConfig, shape: TrainingShape, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }, budget: number): { microBatch: number; maxNewTokens: number; training: number } | null {
  if (checkTrainingFit(cfg, shape, limits, budget).problems.length === 0) return null;
  for (let mb = shape.microBatch - 1; mb >= 1; mb--) {
    const f = checkTrainingFit(cfg, { ...shape, microBatch: mb }, limits, budget);
    if (!f.problems.length) return { microBatch: mb, maxNewTokens: shape.maxNewTokens, training: f.training.total };
  }
  for (let n = Math.floor(shape.maxNewTokens / 2); n >= 32; n = Math.floor(n / 2)) {
    const f = checkTrainingFit(cfg, { ...shape, microBatch: 1, maxNewTokens: n }, limits, budget);
    if (!f.problems.length) return { microBatch: 1, maxNewTokens: n, training: f.training.total };
  }
  return null;
}
