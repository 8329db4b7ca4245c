// GPU memory plan of a model: parameter counts from the config's shapes, bytes of weights, KV cache,
// activations and logits for a batch and context length, the largest single tensor (WebGPU caps one
// storage-buffer binding, often at 128 MiB, so the embedding usually has to be split by rows), and a
// printable table. The bytes are sums of src/gpu/buffers.ts's lists: the buffers the engine and the
// training graph create.

import type { ModelConfig } from '../model/config.ts';
import { LORA_TARGETS } from '../rl/lora.ts';
import { UsageError } from '../errors.ts';
import {
  adamBuffers, type BufferSpec, cacheBuffers, engineWorkBuffers, gradBuffers, lmHeadChunks, logitsBuffer, loraBuffers, sumBytes, trainSavedBuffers,
  trainWorkBuffers, vocabTiles, weightBuffers, type WeightSpec,
} from './buffers.ts';
import { isQuant, type QuantKind, type WeightDtype } from './kernels/weights.ts';

export interface MemoryPlanOptions {
  /** Storage of weight matrices: 2 (f16, what the engine uses for F16/BF16 checkpoints) or 4 (f32). Norms and biases are f32 either way. */
  weightBytesPerParam: 2 | 4;
  /** Quantize the layers' projections group-wise (the engine's `weights: 'q8' | 'q4'`): the embedding / LM head stay f16. */
  quant?: QuantKind | null;
  /** Bytes per cached key/value element: the engine's cache is f32 (4); 2 is a what-if. */
  kvBytesPerValue: 2 | 4;
  /** Sequences decoded together. */
  batch: number;
  /** Context length each sequence can reach (prompt + generated). */
  contextTokens: number;
  /** Tokens processed in one forward pass (default `batch`: one decode step; larger for prefill). */
  tokensInFlight?: number;
  /** Largest buffer (min of maxStorageBufferBindingSize and maxBufferSize): the engine splits the embedding / LM head into chunks of at most this (default: one buffer). */
  chunkBytes?: number;
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
  /** storage of the weight matrices (f16 packs halves where K % 4 = 0) */
  weightDtype: WeightDtype;
  bytes: {
    /** as the engine stores them: matrices in weightDtype, norms and biases f32 */
    weights: number;
    kvCache: number;
    /** K and V of one token across all layers. */
    kvCachePerToken: number;
    /** f32 working buffers per token in flight (attention scores over the full context included; average over the tokens in flight). */
    activationsPerToken: number;
    activations: number;
    /** f32 logits of the tokens in flight (vocab × tokens × 4). */
    logitsTile: number;
    /** RoPE table [contextTokens, headDim] f32 */
    rope: number;
    total: number;
  };
  /** every GPU buffer the engine creates for this shape (src/gpu/buffers.ts) */
  buffers: BufferSpec[];
  tensors: TensorPlan[];
  largestTensor: TensorPlan;
  largestTensorBytes: number;
}

function checkInt(v: number, name: string, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new UsageError(`memory plan: ${name} must be an integer ≥ ${min}, got ${v}`);
}

export function memoryPlan(cfg: ModelConfig, opts: MemoryPlanOptions): MemoryPlan {
  const { chunkBytes = Infinity, ...rest } = opts;
  const o: Required<MemoryPlanOptions> = { tokensInFlight: opts.batch, quant: null, ...rest, chunkBytes };
  if (o.weightBytesPerParam !== 2 && o.weightBytesPerParam !== 4) throw new UsageError('memory plan: weight bytes per parameter must be 2 or 4');
  if (o.kvBytesPerValue !== 2 && o.kvBytesPerValue !== 4) throw new UsageError('memory plan: KV cache bytes per value must be 2 or 4');
  checkInt(o.batch, 'batch', 1);
  checkInt(o.contextTokens, 'contextTokens', 1);
  checkInt(o.tokensInFlight, 'tokensInFlight', 1);

  const { hidden: h, vocab, layers } = cfg;
  if (o.quant !== null && o.quant !== 'q4' && o.quant !== 'q8') throw new UsageError(`memory plan: quantization must be q4 or q8, got ${String(o.quant)}`);
  const weightDtype: WeightDtype = o.quant ?? (o.weightBytesPerParam === 2 ? 'f16' : 'f32');
  // logical tensors (unchunked) for the table and the limit checks; per-layer ones once, × layers
  const whole = weightBuffers(cfg, { dtype: weightDtype, chunkBytes: Infinity });
  const L = 'model.layers.*.';
  const numel = (t: WeightSpec) => t.shape.reduce((a, d) => a * d, 1);
  const tensors: TensorPlan[] = whole.filter((t) => !/^model\.layers\.[1-9]/.test(t.tensor))
    .map((t) => ({ name: t.tensor.replace(/^model\.layers\.0\./, L), shape: t.shape, count: t.tensor.startsWith('model.layers.0.') ? layers : 1, bytes: t.bytes }));
  const weightSpecs = o.chunkBytes === Infinity ? whole : weightBuffers(cfg, { dtype: weightDtype, chunkBytes: o.chunkBytes });

  const embedding = vocab * h;
  const perLayer = whole.filter((t) => t.tensor.startsWith('model.layers.0.')).reduce((a, t) => a + numel(t), 0);
  const finalNorm = h;
  const lmHead = whole.some((t) => t.tensor === 'lm_head.weight') ? vocab * h : 0;
  const total = embedding + layers * perLayer + finalNorm + lmHead;

  const caches = cacheBuffers(cfg, o.batch, o.contextTokens);
  const kvCache = (sumBytes(caches.filter((b) => b.usage === 'kv-cache')) * o.kvBytesPerValue) / 4;
  const kvCachePerToken = 2 * layers * cfg.kvHeads * cfg.headDim * o.kvBytesPerValue;
  const work = engineWorkBuffers(cfg, o.tokensInFlight, o.contextTokens);
  const activations = sumBytes(work);
  const logits = logitsBuffer(cfg, Math.max(o.tokensInFlight, o.batch));
  const rope = sumBytes(caches.filter((b) => b.usage === 'rope'));
  const weights = sumBytes(weightSpecs);

  const largestTensor = tensors.reduce((a, t) => (t.bytes > a.bytes ? t : a));
  return {
    config: cfg,
    options: o,
    params: { embedding, perLayer, layers: layers * perLayer, finalNorm, lmHead, total },
    weightDtype,
    bytes: {
      weights, kvCache, kvCachePerToken, activationsPerToken: activations / o.tokensInFlight, activations, logitsTile: logits.bytes, rope,
      total: weights + kvCache + activations + logits.bytes + rope,
    },
    buffers: [...weightSpecs, ...caches, ...work, logits],
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
  line('weights', formatBytes(plan.bytes.weights), isQuant(plan.weightDtype)
    ? `layers' matrices ${plan.weightDtype} (groups of 32, f16 scales), embedding f16, norms and biases f32`
    : `matrices ${plan.weightDtype}, norms and biases f32`);
  line('KV cache', formatBytes(plan.bytes.kvCache),
    `${formatBytes(plan.bytes.kvCachePerToken)}/token × ${o.batch} seq × ${int(o.contextTokens)} tokens (${o.kvBytesPerValue} bytes/value)`);
  line('activations', formatBytes(plan.bytes.activations), `${formatBytes(plan.bytes.activationsPerToken)}/token × ${o.tokensInFlight} tokens in flight`);
  line('logits', formatBytes(plan.bytes.logitsTile), `${int(c.vocab)} × ${Math.max(o.tokensInFlight, o.batch)} × f32`);
  line('RoPE table', formatBytes(plan.bytes.rope), `${int(o.contextTokens)} × ${c.headDim} × f32`);
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
  /** storage of weight matrices (2: f16, 4: f32; full fine-tuning needs 4) */
  weightBytesPerParam: 2 | 4;
  /** group-wise quantized projections of a frozen base (LoRA only) */
  quant?: QuantKind | null;
  /** longest prompt (tokens): its prefill sizes the engine's scratch (default sequenceTokens) */
  promptTokens?: number;
  /** sequences sampled together (default group): the engine's KV cache and logits rows */
  sampleBatch?: number;
  /** largest buffer (embedding / LM head chunks; default one buffer) */
  chunkBytes?: number;
  /** activation recomputation: each layer saves only its input, one layer's set is shared (default false) */
  recompute?: boolean;
}

export interface TrainingMemoryPlan {
  /** storage of the weight matrices */
  weightDtype: WeightDtype;
  /** bytes, by part */
  weights: number; kvCache: number;
  /** the engine's scratch, RoPE table and logits while sampling */
  sampling: number;
  /** saved activations of one micro-batch for the backward pass (all layers; with recompute, layers × xIn + one shared set) */
  savedActivations: number;
  /** gradient and scratch buffers of the backward pass */
  backwardScratch: number;
  /** trainable parameters, their gradients and AdamW moments (f32) */
  trainable: number; trainableParams: number;
  total: number;
  /** the attention probabilities S [rows × heads × T] of one layer: the largest saved tensor */
  largestSaved: number;
  /** every GPU buffer: the engine's, the training graph's, the adapter's and the optimizer's (src/gpu/buffers.ts) */
  buffers: BufferSpec[];
}

/**
 * GPU memory of GRPO/DAPO training: the buffers the engine (maxBatch = max(sampleBatch, microBatch),
 * context = sequenceTokens), TrainGraph (maxRows = microBatch × sequenceTokens), the LoRA adapter and
 * AdamW create. Attention probabilities dominate the saved activations (rows × heads × T f32).
 */
export function trainingMemoryPlan(cfg: ModelConfig, o: TrainingMemoryOptions): TrainingMemoryPlan {
  const T = o.sequenceTokens, R = o.microBatch * T, full = !o.loraRank;
  const maxBatch = Math.max(o.sampleBatch ?? o.group, o.microBatch);
  if (o.quant && full) throw new UsageError('memory plan: full fine-tuning needs f32 weights, not a quantized base');
  const inf = memoryPlan(cfg, { weightBytesPerParam: o.weightBytesPerParam, quant: o.quant ?? null, kvBytesPerValue: 4, batch: maxBatch, contextTokens: T, tokensInFlight: Math.max(o.promptTokens ?? T, maxBatch), ...(o.chunkBytes ? { chunkBytes: o.chunkBytes } : {}) });
  const weightSpecs = inf.buffers.filter((b): b is WeightSpec => b.usage === 'weights');
  // the engine keeps max(rows, maxBatch) logits rows: one 'last' row per sampled sequence
  const logits = logitsBuffer(cfg, maxBatch);
  const engine = [...inf.buffers.filter((b) => b.usage !== 'logits'), logits];
  const targets = LORA_TARGETS.slice(0, o.loraModules);
  const shape = { maxRows: R, maxT: T, tiles: vocabTiles(lmHeadChunks(weightSpecs)), fullFinetune: full, recompute: o.recompute ?? false, lora: full ? null : { rank: o.loraRank, targets } };
  const sv = trainSavedBuffers(cfg, shape), saved = [...sv.layers.flat(), ...(sv.shared ?? [])];
  const scratch = trainWorkBuffers(cfg, shape);
  // LoRA: A, B, their gradients, AdamW m, v; full: base gradients, m, v (weights counted above)
  const adapter = full ? [] : loraBuffers(cfg, o.loraRank, targets);
  const params = full ? gradBuffers(cfg, weightSpecs) : adapter.filter((b) => /^[AB]\./.test(b.key));
  const trainableBufs = [...adapter, ...(full ? params : []), ...adamBuffers(params)];
  const trainableParams = full ? inf.params.total : sumWords(params);
  const at = (u: BufferSpec['usage'][]) => sumBytes(engine.filter((b) => u.includes(b.usage)));
  const plan = {
    weightDtype: inf.weightDtype, weights: at(['weights']), kvCache: at(['kv-cache']), sampling: at(['work', 'rope', 'logits']),
    savedActivations: sumBytes(saved), backwardScratch: sumBytes(scratch), trainable: sumBytes(trainableBufs), trainableParams,
    largestSaved: R * cfg.heads * T * 4,
    buffers: [...engine, ...saved, ...scratch, ...trainableBufs],
  };
  return { ...plan, total: sumBytes(plan.buffers) };
}

const sumWords = (specs: readonly BufferSpec[]) => specs.reduce((a, s) => a + s.words, 0);

/** What the Studio and CLI train: G completions per prompt, micro-batch, token lengths, LoRA rank. */
export interface TrainingShape {
  group: number; microBatch: number; promptTokens: number; maxNewTokens: number; loraRank: number;
  /** storage of weight matrices on the GPU; default as the engine's 'auto': f16 for F16/BF16 checkpoints (config's torch_dtype) or adapters with shader-f16 */
  weights?: WeightDtype;
  /** activation recomputation (TrainGraph's recompute; default false) */
  recompute?: boolean;
}

/** Verdict of one training shape against an adapter's limits and a GPU budget (bytes). */
export interface TrainingFit {
  inference: MemoryPlan;
  training: TrainingMemoryPlan;
  /** storage of weight matrices the plan assumes (as the engine will hold them) */
  weightDtype: WeightDtype;
  /** reasons it cannot run, one sentence each, saying what to lower (empty: it fits) */
  problems: string[];
}

/** The engine's 'auto' weight storage for a config: f16 for F16/BF16 checkpoints or adapters with shader-f16. */
export function engineWeightDtype(cfg: ModelConfig, adapterF16 = false): WeightDtype {
  return adapterF16 || /^(b?float16|half|bf16|f16)$/i.test(cfg.dtype ?? '') ? 'f16' : 'f32';
}

/** The plan of LoRA GRPO/DAPO training, weights as the engine holds them, checked against the adapter and budget. */
export function checkTrainingFit(cfg: ModelConfig, shape: TrainingShape, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; f16?: boolean }, budget: number): TrainingFit {
  const seq = shape.promptTokens + shape.maxNewTokens;
  const weightDtype = shape.weights ?? engineWeightDtype(cfg, limits.f16);
  const bytes = weightDtype === 'f32' ? 4 : 2, quant = isQuant(weightDtype) ? weightDtype : null, chunkBytes = Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
  const inference = memoryPlan(cfg, { weightBytesPerParam: bytes, quant, kvBytesPerValue: 4, batch: shape.group, contextTokens: seq, chunkBytes });
  const training = trainingMemoryPlan(cfg, { group: shape.group, sequenceTokens: seq, microBatch: shape.microBatch, loraRank: shape.loraRank, loraModules: 7, weightBytesPerParam: bytes, quant, promptTokens: shape.promptTokens, chunkBytes, recompute: shape.recompute ?? false });
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
  if (training.total > budget) problems.push(`training needs about ${formatBytes(training.total)} of GPU memory (${formatBytes(training.savedActivations)} of it saved activations of one micro-batch of ${shape.microBatch}), over the ${formatBytes(budget)} budget: lower the micro-batch or max new tokens${shape.recompute ? '' : ', turn on activation recomputation'}, or raise the budget if this GPU has more free memory`);
  return { inference, training, weightDtype, problems };
}

/**
 * The nearest shape that fits, changing first what costs no learning signal per step: the
 * micro-batch (largest ≤ the asked one), then activation recomputation (the same gradients, ~1/3
 * more compute), then a quantized frozen base (q8, then q4: the base's logits move a little), and
 * only then, at micro-batch 1, the max new tokens (halved, not below 32), which cuts completions.
 * `quant` is the base it needs (null: as asked). null when the shape already fits or nothing does.
 */
export function fitTrainingShape(cfg: ModelConfig, shape: TrainingShape, limits: { maxBufferSize: number; maxStorageBufferBindingSize: number; f16?: boolean }, budget: number): { microBatch: number; maxNewTokens: number; recompute: boolean; quant: QuantKind | null; training: number } | null {
  if (checkTrainingFit(cfg, shape, limits, budget).problems.length === 0) return null;
  const tryShape = (microBatch: number, maxNewTokens: number, recompute: boolean, quant: QuantKind | null) => {
    const f = checkTrainingFit(cfg, { ...shape, microBatch, maxNewTokens, recompute, ...(quant ? { weights: quant } : {}) }, limits, budget);
    return f.problems.length ? null : { microBatch, maxNewTokens, recompute, quant, training: f.training.total };
  };
  const asked = shape.recompute ?? false, askedQuant = shape.weights && isQuant(shape.weights) ? shape.weights : null;
  for (let mb = shape.microBatch - 1; mb >= 1; mb--) { const s = tryShape(mb, shape.maxNewTokens, asked, null); if (s) return s; }
  if (!asked) for (let mb = shape.microBatch; mb >= 1; mb--) { const s = tryShape(mb, shape.maxNewTokens, true, null); if (s) return s; }
  const quants = (['q8', 'q4'] as const).filter((q) => askedQuant !== 'q4' && q !== askedQuant);
  for (const q of quants) for (let mb = shape.microBatch; mb >= 1; mb--) { const s = tryShape(mb, shape.maxNewTokens, true, q); if (s) return s; }
  const last = askedQuant === 'q4' ? null : 'q4';
  for (let n = Math.floor(shape.maxNewTokens / 2); n >= 32; n = Math.floor(n / 2)) { const s = tryShape(1, n, true, last); if (s) return s; }
  return null;
}
