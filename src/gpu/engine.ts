// The policy engine: a Hugging Face causal LM (Qwen2/Qwen2.5, Qwen3, Llama) on WebGPU.
// Weights live in GPU buffers (matrices f16 or f32, see EngineOptions.weights; the embedding / LM
// head split by vocabulary into chunks that fit the storage binding limit); every buffer is one of
// src/gpu/buffers.ts's lists. A step runs B sequences × T new tokens through every layer
// (src/gpu/layer.ts, shared with training), appending to the KV cache.

import { allocate, type Gpu, GpuCapacityError, Recorder, readBuffer, storageBuffer, writeBuffer } from './device.ts';
import { cacheBuffers, configHas, engineWorkBuffers, logitsBuffer, weightBuffers, type WeightSpec } from './buffers.ts';
import { type LayerActs, layerForward } from './layer.ts';
import { loadModelConfig, type ModelSource } from '../model/source.ts';
import type { ModelConfig } from '../model/config.ts';
import { openCheckpoint } from '../model/safetensors.ts';
import { embedding } from './kernels/embedding.ts';
import { kvCopy } from './kernels/kv-cache.ts';
import { logprob as logprobKernel, logprobTiles, type VocabChunk } from './kernels/logprob.ts';
import { gemm, matmul, type LoraEpilogue } from './kernels/matmul.ts';
import { loraA } from './kernels/lora-a.ts';
import type { LoraAdapter, LoraTarget } from '../rl/lora.ts';
import { rmsnorm } from './kernels/rmsnorm.ts';
import { ropeTable } from './kernels/rope.ts';
import { encodeWeights, type WeightBuffer, type WeightDtype } from './kernels/weights.ts';
import { UsageError } from '../errors.ts';

/** Where the engine gets weights: HF tensor names → f32 values (converted from F16/BF16 if needed). */
export interface TensorSource {
  has(name: string): boolean;
  get(name: string): Promise<Float32Array>;
  /** stored dtype ('F32', 'F16', 'BF16'), when known */
  dtype?(name: string): string | undefined;
}

export interface EngineOptions {
  /** most sequences decoded together (G) */
  maxBatch: number;
  /** longest sequence (prompt + completion), tokens */
  maxContext: number;
  /** storage of weight matrices: 'f16' halves memory (f32 accumulation either way); 'q8' / 'q4'
   *  quantize the layers' projections group-wise on load (kernels/weights.ts; the embedding / LM
   *  head f16), a frozen base for inference and LoRA. 'auto' (the default) → f16 for F16/BF16
   *  checkpoints (lossless in the normal range) and where the adapter has shader-f16; f32 for F32
   *  checkpoints otherwise */
  weights?: WeightDtype | 'auto';
}

export interface LayerWeights {
  ln1: GPUBuffer; ln2: GPUBuffer;
  wq: WeightBuffer; wk: WeightBuffer; wv: WeightBuffer; wo: WeightBuffer;
  bq: GPUBuffer | null; bk: GPUBuffer | null; bv: GPUBuffer | null; bo: GPUBuffer | null;
  qNorm: GPUBuffer | null; kNorm: GPUBuffer | null;
  wGate: WeightBuffer; wUp: WeightBuffer; wDown: WeightBuffer;
  kc: GPUBuffer; vc: GPUBuffer; // KV cache [maxBatch, Hkv, maxContext, D]
}

/** Per-layer activations read back in capture mode (tests compare them with PyTorch). */
export interface LayerCapture {
  input_norm: Float32Array; q: Float32Array; k: Float32Array; q_rope: Float32Array; k_rope: Float32Array;
  attn_out: Float32Array; hidden_after_attn: Float32Array; mlp_out: Float32Array; output: Float32Array;
}

export interface StepResult {
  /** logits of the requested rows, [rows, vocab] (row-major) */
  logits: Float32Array | null;
  rows: number;
  capture?: { embeddings: Float32Array; layers: LayerCapture[]; final_norm: Float32Array };
}

/** Scratch buffers for a step of up to `rows` rows (regrown when a larger step comes). */
interface Work {
  rows: number; ctx: number;
  ids: GPUBuffer; pos: GPUBuffer;
  x: GPUBuffer; xn: GPUBuffer; rstd: GPUBuffer;
  q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; qn: GPUBuffer; kn: GPUBuffer; hrstd: GPUBuffer;
  att: GPUBuffer; S: GPUBuffer; lse: GPUBuffer; o: GPUBuffer;
  g: GPUBuffer; u: GPUBuffer; h: GPUBuffer; d: GPUBuffer;
  /** LoRA's x·Aᵀ [R, r] of up to three projections sharing an input */
  lt0: GPUBuffer; lt1: GPUBuffer; lt2: GPUBuffer;
}

export class Engine {
  private work: Work | null = null;
  private logitsBuf: GPUBuffer | null = null;
  private logitsRows = 0;

  /** storage of the weight matrices actually used */
  get weightDtype(): WeightDtype { return this.embed[0]?.dtype ?? 'f32'; }
  /** storage of the layers' projections (q8 / q4 when quantized, else the embedding's) */
  get baseDtype(): WeightDtype { return this.layers[0]?.wq.dtype ?? this.weightDtype; }

  /** LoRA adapters applied in every forward (generation and training) while `loraEnabled` */
  lora: LoraAdapter | null = null;
  /** false → the base model alone (the reference policy of GRPO's KL term): no second weight copy */
  loraEnabled = true;

  /** Weights and shared buffers, for the training graph (src/gpu/train-graph.ts). */
  get internals(): { embed: VocabChunk[]; lmHead: VocabChunk[]; layers: LayerWeights[]; finalNorm: GPUBuffer; ropeTab: GPUBuffer; weights: WeightSpec[] } {
    return { embed: this.embed, lmHead: this.lmHead, layers: this.layers, finalNorm: this.finalNorm, ropeTab: this.ropeTab, weights: this.weights };
  }

  /** Y[R, out] += s · (X·Aᵀ)·Bᵀ for an adapted projection; `t` [R, r] receives X·Aᵀ. */
  /**
   * LoRA's first half for the adapted projections among `targets` that read X (one dispatch):
   * t = X·Aᵀ [R, rank] into each one's `t`; returns, by target, the epilogue that adds scale · t·Bᵀ
   * inside the projection's matmul. A target is missing: not adapted, no buffer, or adapters disabled.
   */
  loraInputs(rec: Recorder, layer: number, targets: [LoraTarget, GPUBuffer | undefined][], X: GPUBuffer, R: number): Partial<Record<LoraTarget, LoraEpilogue>> {
    const lora = this.loraEnabled ? this.lora : null, out: Partial<Record<LoraTarget, LoraEpilogue>> = {};
    if (!lora) return out;
    const mods: { A: GPUBuffer; t: GPUBuffer }[] = [];
    let K = 0;
    for (const [target, t] of targets) {
      const m = lora.get(layer, target);
      if (!m || !t) continue;
      mods.push({ A: m.A, t });
      K = m.in;
      out[target] = { t, B: m.B, rank: lora.config.rank, scale: lora.scale };
    }
    loraA(rec, X, mods, R, K, lora.config.rank);
    return out;
  }

  private constructor(
    readonly gpu: Gpu,
    readonly cfg: ModelConfig,
    readonly opts: EngineOptions,
    private readonly embed: VocabChunk[],
    private readonly lmHead: VocabChunk[],
    private readonly layers: LayerWeights[],
    private readonly finalNorm: GPUBuffer,
    private readonly ropeTab: GPUBuffer,
    /** what was uploaded (src/gpu/buffers.ts) */
    private readonly weights: WeightSpec[],
  ) {}

  /** Read config.json and the safetensors checkpoint of a model source, and upload it. */
  static async fromSource(gpu: Gpu, source: ModelSource, opts: EngineOptions): Promise<Engine> {
    const cfg = await loadModelConfig(source);
    const ckpt = await openCheckpoint(source);
    return Engine.load(gpu, cfg, { has: (n) => ckpt.tensors.has(n), get: (n) => ckpt.readFloat32(n), dtype: (n) => ckpt.tensors.get(n)?.dtype }, opts);
  }

  /** Upload weights; the KV cache is sized for opts.maxBatch × opts.maxContext. Buffers: src/gpu/buffers.ts. */
  static async load(gpu: Gpu, cfg: ModelConfig, src: TensorSource, opts: EngineOptions): Promise<Engine> {
    const { hidden: H } = cfg;
    const stored = src.dtype?.('model.embed_tokens.weight');
    const auto = gpu.caps.f16 || stored === 'F16' || stored === 'BF16';
    const asked = opts.weights ?? 'auto';
    const dtype: WeightDtype = asked === 'auto' ? (auto ? 'f16' : 'f32') : asked;
    const chunkBytes = Math.min(gpu.caps.maxStorageBufferBindingSize, gpu.caps.maxBufferSize);
    const has = configHas(cfg);
    // biases by what the checkpoint holds; the LM head only if untied and present
    const specs = weightBuffers(cfg, { dtype, chunkBytes, has: (n) => (n === 'lm_head.weight' ? has(n) && src.has(n) : /_proj\.bias$/.test(n) ? src.has(n) : true) });
    const made = new Map<string, WeightBuffer>();
    let lastName = '', t: Float32Array = new Float32Array(0);
    for (const s of specs) {
      if (lastName !== s.tensor) { t = await src.get(s.tensor); lastName = s.tensor; }
      const numel = s.shape.reduce((a, d) => a * d, 1);
      if (t.length !== numel) throw new GpuCapacityError(`tensor ${s.tensor} has ${t.length} values; the config implies ${numel}`);
      const vals = s.rows ? t.subarray(s.rows.v0 * H, (s.rows.v0 + s.rows.n) * H) : t;
      made.set(s.name, { buf: storageBuffer(gpu, s.words, s.name, encodeWeights(vals, s.dtype)), dtype: s.dtype });
    }
    t = new Float32Array(0);
    const caches = allocate(gpu, cacheBuffers(cfg, opts.maxBatch, opts.maxContext));
    writeBuffer(gpu, caches.ropeTab!, ropeTable(opts.maxContext, cfg.headDim, cfg.ropeTheta));
    const chunks = (tensor: string): VocabChunk[] => specs.filter((s) => s.tensor === tensor).map((s) => ({ buf: made.get(s.name)!.buf, v0: s.rows!.v0, n: s.rows!.n, dtype: s.dtype }));
    const embed = chunks('model.embed_tokens.weight');
    const head = chunks('lm_head.weight');
    const mat = (n: string) => made.get(n)!;
    const vec = (n: string) => made.get(n)?.buf ?? null;
    const layers: LayerWeights[] = [];
    for (let l = 0; l < cfg.layers; l++) {
      const p = `model.layers.${l}.`, a = `${p}self_attn.`;
      layers.push({
        ln1: vec(`${p}input_layernorm.weight`)!, ln2: vec(`${p}post_attention_layernorm.weight`)!,
        wq: mat(`${a}q_proj.weight`), wk: mat(`${a}k_proj.weight`), wv: mat(`${a}v_proj.weight`), wo: mat(`${a}o_proj.weight`),
        bq: vec(`${a}q_proj.bias`), bk: vec(`${a}k_proj.bias`), bv: vec(`${a}v_proj.bias`), bo: vec(`${a}o_proj.bias`),
        qNorm: vec(`${a}q_norm.weight`), kNorm: vec(`${a}k_norm.weight`),
        wGate: mat(`${p}mlp.gate_proj.weight`), wUp: mat(`${p}mlp.up_proj.weight`), wDown: mat(`${p}mlp.down_proj.weight`),
        kc: caches[`kc.${l}`]!, vc: caches[`vc.${l}`]!,
      });
    }
    return new Engine(gpu, cfg, opts, embed, head.length ? head : embed, layers, vec('model.norm.weight')!, caches.ropeTab!, specs);
  }

  /**
   * Allocate now the scratch that steps of up to `rows` rows over `ctx` positions and the logits of
   * maxBatch rows will need (normally made on first use): a run that does not fit fails at its
   * start, not in the middle of a step, and the memory plan can be counted without a forward.
   */
  reserve(rows: number, ctx: number): void {
    if (ctx > this.opts.maxContext) throw new GpuCapacityError(`reserve: ${ctx} positions exceed maxContext ${this.opts.maxContext}`);
    this.ensureWork(rows, ctx);
    this.ensureLogits(this.opts.maxBatch);
  }

  private ensureWork(rows: number, ctx: number): Work {
    if (this.work && this.work.rows >= rows && this.work.ctx >= ctx) return this.work;
    const old = this.work;
    // a growing context (each decode step adds a position) doubles the scratch's span, up to the
    // engine's context: reallocating every step cost a third of a decode step on SwiftShader
    const C = old && ctx > old.ctx ? Math.min(this.opts.maxContext, Math.max(ctx, 2 * old.ctx)) : Math.max(ctx, old?.ctx ?? 0);
    const R = Math.max(rows, old?.rows ?? 0);
    if (old) for (const v of Object.values(old)) if (typeof v === 'object') (v as GPUBuffer).destroy();
    this.work = { rows: R, ctx: C, ...allocate(this.gpu, engineWorkBuffers(this.cfg, R, C)) };
    return this.work;
  }

  /**
   * Run B sequences (cache slots seq0 … seq0+B−1) × T new tokens at positions pos0 … pos0+T−1
   * (pos0 is one number for all sequences, or one per sequence when their prompts differ in length).
   * `ids` is [B·T] row-major by sequence. `logits`: 'last' → one row per sequence, 'all' → every row.
   */
  async step(a: { ids: ArrayLike<number>; B: number; T: number; pos0: number | ArrayLike<number>; seq0?: number; logits: 'last' | 'all' | 'none'; capture?: boolean }): Promise<StepResult> {
    const { B, T } = a;
    const starts = typeof a.pos0 === 'number' ? new Array<number>(B).fill(a.pos0) : Array.from(a.pos0);
    if (starts.length !== B || starts.some((p) => !Number.isInteger(p) || p < 0)) throw new RangeError(`step: pos0 must be a position or one per sequence (${B}); got ${String(a.pos0)}`);
    const pos0 = Math.max(...starts);
    const seq0 = a.seq0 ?? 0;
    const cfg = this.cfg;
    const { hidden: H, rmsEps: eps } = cfg;
    const R = B * T;
    if (a.ids.length !== R) throw new Error(`step: ${a.ids.length} ids for B=${B} × T=${T}`);
    if (seq0 + B > this.opts.maxBatch) throw new GpuCapacityError(`step: sequences ${seq0}…${seq0 + B - 1} exceed maxBatch ${this.opts.maxBatch}`);
    if (pos0 + T > this.opts.maxContext) throw new GpuCapacityError(`step: positions up to ${pos0 + T} exceed maxContext ${this.opts.maxContext}`);
    for (let i = 0; i < R; i++) if (!(a.ids[i]! >= 0 && a.ids[i]! < cfg.vocab)) throw new UsageError(`token id ${a.ids[i]} is outside the vocabulary (${cfg.vocab})`);
    const ctx = pos0 + T;
    const w = this.ensureWork(R, ctx);
    writeBuffer(this.gpu, w.ids, Uint32Array.from(a.ids));
    writeBuffer(this.gpu, w.pos, Uint32Array.from({ length: R }, (_, r) => starts[Math.floor(r / T)]! + (r % T)));

    const rec = new Recorder(this.gpu);
    const cap = a.capture ? { layers: [] as LayerCapture[] } as { embeddings?: Float32Array; layers: LayerCapture[]; final_norm?: Float32Array } : null;
    const grab = async (buf: GPUBuffer, n: number) => { rec.submit(); return readBuffer(this.gpu, buf, n); };

    embedding(rec, w.ids, this.embed, w.x, R, H);
    if (cap) cap.embeddings = await grab(w.x, R * H);
    // scratch shared by every layer: one buffer for xn1 and xn2, q before and after q/k norm, …
    const acts: LayerActs = {
      xn1: w.xn, rstd1: w.rstd, xn2: w.xn, rstd2: w.rstd,
      qPre: w.q, kPre: w.k, rq: w.hrstd, rk: w.hrstd,
      q: cfg.qkNorm ? w.qn : w.q, k: cfg.qkNorm ? w.kn : w.k, v: w.v,
      S: w.S, lse: w.lse, att: w.att, o: w.o, d: w.d, g: w.g, u: w.u, h: w.h, t: (m) => (m === 'k_proj' || m === 'up_proj' ? w.lt1 : m === 'v_proj' ? w.lt2 : w.lt0),
    };
    const at = { pos: w.pos, ropeTab: this.ropeTab, R, T, seq0, maxCtx: this.opts.maxContext, stride: w.ctx };
    for (const [li, L] of this.layers.entries()) {
      const lc = cap ? ({} as LayerCapture) : null;
      await layerForward(rec, this, li, L, w.x, acts, { ...at, ...(lc ? { tap: async (p, buf, n) => { lc[p] = await grab(buf, n); } } : {}) });
      if (lc) cap!.layers.push(lc);
    }

    // Final norm and LM head on the rows asked for.
    let rows = 0;
    if (a.logits === 'last' && T > 1) {
      for (let b = 0; b < B; b++) rec.copy(w.x, (b * T + T - 1) * H, w.o, b * H, H);
      rows = B;
      rmsnorm(rec, w.o, this.finalNorm, w.xn, w.rstd, rows, H, eps);
    } else {
      rows = a.logits === 'none' ? 0 : R;
      rmsnorm(rec, w.x, this.finalNorm, w.xn, w.rstd, R, H, eps);
    }
    if (cap) cap.final_norm = await grab(w.xn, R * H);
    let logits: Float32Array | null = null;
    if (rows > 0) {
      const out = this.ensureLogits(rows);
      for (const ch of this.lmHead) matmul(rec, { X: w.xn, W: ch.buf, wDtype: ch.dtype, bias: null, Y: out, M: rows, N: ch.n, K: H, ldY: cfg.vocab, off: ch.v0 });
      rec.submit();
      logits = await readBuffer(this.gpu, out, rows * cfg.vocab);
    } else {
      rec.submit();
      await this.gpu.device.queue.onSubmittedWorkDone();
    }
    return { logits, rows, ...(cap ? { capture: cap as StepResult['capture'] } : {}) };
  }

  private ensureLogits(rows: number): GPUBuffer {
    if (this.logitsBuf && this.logitsRows >= rows) return this.logitsBuf;
    this.logitsBuf?.destroy();
    this.logitsRows = Math.max(rows, this.opts.maxBatch);
    this.logitsBuf = allocate(this.gpu, [logitsBuffer(this.cfg, this.logitsRows)]).logits;
    return this.logitsBuf;
  }

  /**
   * Log-probabilities of `targets[i]` after `ids[0..i]` for one sequence (teacher forcing), with the
   * log-softmax computed over vocabulary tiles on the GPU ([T × vocab] logits never exist).
   */
  async logprobs(ids: ArrayLike<number>, targets: ArrayLike<number>, seq = 0): Promise<{ logprobs: Float32Array; lse: Float32Array }> {
    const T = ids.length;
    await this.step({ ids, B: 1, T, pos0: 0, seq0: seq, logits: 'none' });
    const w = this.work!;
    const H = this.cfg.hidden;
    const tiles = logprobTiles(this.lmHead);
    const part = storageBuffer(this.gpu, T * tiles * 2, 'logprob partials');
    const tgt = storageBuffer(this.gpu, T, 'target logits');
    const lse = storageBuffer(this.gpu, T, 'lse');
    const out = storageBuffer(this.gpu, T, 'logprobs');
    const tid = storageBuffer(this.gpu, T, 'target ids', Uint32Array.from(targets));
    const rec = new Recorder(this.gpu);
    logprobKernel(rec, { x: w.xn, chunks: this.lmHead, ids: tid, part, tgt, lse, out, R: T, H });
    rec.submit();
    const res = { logprobs: await readBuffer(this.gpu, out, T), lse: await readBuffer(this.gpu, lse, T) };
    for (const b of [part, tgt, lse, out, tid]) b.destroy();
    return res;
  }

  /** Copy the cache of positions [0, n) of sequence `from` into sequence `to` (prompt shared by G samples). */
  copyCache(from: number, to: number, n: number): void {
    const rec = new Recorder(this.gpu);
    for (const L of this.layers) kvCopy(rec, L.kc, L.vc, { from, to, n, Hkv: this.cfg.kvHeads, D: this.cfg.headDim, maxCtx: this.opts.maxContext });
    rec.submit();
  }

  destroy(): void {
    this.work = null;
    this.gpu.destroy();
  }
}
