// The policy engine: a Hugging Face causal LM (Qwen2/Qwen2.5, Qwen3, Llama) on WebGPU.
// Weights live in GPU buffers (f32; the embedding / LM head split by vocabulary into chunks that
// fit the storage binding limit). A step runs B sequences × T new tokens through every layer,
// appending to the KV cache; the forward keeps what a backward pass needs (normalization rstd,
// attention probabilities and log-sum-exp) in explicit buffers.

import { type Gpu, GpuCapacityError, Recorder, readBuffer, storageBuffer, writeBuffer } from './device.ts';
import { loadModelConfig, type ModelSource } from '../model/source.ts';
import type { ModelConfig } from '../model/config.ts';
import { openCheckpoint } from '../model/safetensors.ts';
import { addInPlace } from './kernels/add.ts';
import { attention } from './kernels/attention.ts';
import { embedding } from './kernels/embedding.ts';
import { kvCopy, kvWrite } from './kernels/kv-cache.ts';
import { logprob as logprobKernel, logprobTiles, type VocabChunk } from './kernels/logprob.ts';
import { gemm, matmul } from './kernels/matmul.ts';
import type { LoraAdapter, LoraTarget } from '../rl/lora.ts';
import { rmsnorm } from './kernels/rmsnorm.ts';
import { rope, ropeTable } from './kernels/rope.ts';
import { swiglu } from './kernels/swiglu.ts';
import { packHalves, type WeightBuffer, type WeightDtype } from './kernels/weights.ts';
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
  /** storage of weight matrices: 'f16' halves memory (f32 accumulation either way). 'auto' (the
   *  default) → f16 for F16/BF16 checkpoints (lossless in the normal range) and where the adapter
   *  has shader-f16; f32 for F32 checkpoints otherwise */
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
  /** LoRA's x·Aᵀ [R, r] */
  lt: GPUBuffer;
}

export class Engine {
  private work: Work | null = null;
  private logitsBuf: GPUBuffer | null = null;
  private logitsRows = 0;

  /** storage of the weight matrices actually used */
  get weightDtype(): WeightDtype { return this.embed[0]?.dtype ?? 'f32'; }

  /** LoRA adapters applied in every forward (generation and training) while `loraEnabled` */
  lora: LoraAdapter | null = null;
  /** false → the base model alone (the reference policy of GRPO's KL term): no second weight copy */
  loraEnabled = true;

  /** Weights and shared buffers, for the training graph (src/gpu/train-graph.ts). */
  get internals(): { embed: VocabChunk[]; lmHead: VocabChunk[]; layers: LayerWeights[]; finalNorm: GPUBuffer; ropeTab: GPUBuffer } {
    return { embed: this.embed, lmHead: this.lmHead, layers: this.layers, finalNorm: this.finalNorm, ropeTab: this.ropeTab };
  }

  /** Y[R, out] += s · (X·Aᵀ)·Bᵀ for an adapted projection; `t` [R, r] receives X·Aᵀ. */
  applyLora(rec: Recorder, layer: number, target: LoraTarget, X: GPUBuffer, Y: GPUBuffer, t: GPUBuffer, R: number): void {
    const m = this.loraEnabled ? this.lora?.get(layer, target) : undefined;
    if (!m || !this.lora) return;
    const r = this.lora.config.rank;
    matmul(rec, { X, W: m.A, bias: null, Y: t, M: R, N: r, K: m.in });
    gemm(rec, { A: t, B: m.B, C: Y, I: R, J: m.out, K: r, aT: false, bT: true, accumulate: true, scale: this.lora.scale });
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
  ) {}

  /** Read config.json and the safetensors checkpoint of a model source, and upload it. */
  static async fromSource(gpu: Gpu, source: ModelSource, opts: EngineOptions): Promise<Engine> {
    const cfg = await loadModelConfig(source);
    const ckpt = await openCheckpoint(source);
    return Engine.load(gpu, cfg, { has: (n) => ckpt.tensors.has(n), get: (n) => ckpt.readFloat32(n), dtype: (n) => ckpt.tensors.get(n)?.dtype }, opts);
  }

  /** Upload weights; the KV cache is sized for opts.maxBatch × opts.maxContext. */
  static async load(gpu: Gpu, cfg: ModelConfig, src: TensorSource, opts: EngineOptions): Promise<Engine> {
    const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = cfg;
    const up = async (name: string, expect: number) => {
      const t = await src.get(name);
      if (t.length !== expect) throw new GpuCapacityError(`tensor ${name} has ${t.length} values; the config implies ${expect}`);
      return storageBuffer(gpu, t.length, name, t);
    };
    const maybe = async (name: string, expect: number) => (src.has(name) ? up(name, expect) : null);
    const stored = src.dtype?.('model.embed_tokens.weight');
    const auto = gpu.caps.f16 || stored === 'F16' || stored === 'BF16';
    const dtype: WeightDtype = opts.weights === 'f16' || ((opts.weights ?? 'auto') === 'auto' && auto) ? 'f16' : 'f32';
    // a matrix [rows, K] in the chosen storage (f16 needs K % 4 = 0; otherwise it stays f32)
    const mat = async (name: string, rows: number, K: number): Promise<WeightBuffer> => {
      const t = await src.get(name);
      if (t.length !== rows * K) throw new GpuCapacityError(`tensor ${name} has ${t.length} values; the config implies ${rows * K}`);
      if (dtype === 'f16' && K % 4 === 0) return { buf: storageBuffer(gpu, t.length / 2, name, packHalves(t)), dtype: 'f16' };
      return { buf: storageBuffer(gpu, t.length, name, t), dtype: 'f32' };
    };
    const chunksOf = async (name: string): Promise<VocabChunk[]> => {
      const t = await src.get(name);
      if (t.length !== cfg.vocab * H) throw new GpuCapacityError(`tensor ${name} has ${t.length} values; expected vocab × hidden = ${cfg.vocab * H}`);
      const half = dtype === 'f16' && H % 4 === 0;
      const limit = Math.min(gpu.caps.maxStorageBufferBindingSize, gpu.caps.maxBufferSize);
      const rowsPer = Math.max(1, Math.floor(limit / (H * (half ? 2 : 4))));
      const out: VocabChunk[] = [];
      for (let v0 = 0; v0 < cfg.vocab; v0 += rowsPer) {
        const n = Math.min(rowsPer, cfg.vocab - v0);
        const rows = t.subarray(v0 * H, (v0 + n) * H), label = `${name}[${v0}:${v0 + n}]`;
        out.push(half
          ? { buf: storageBuffer(gpu, (n * H) / 2, label, packHalves(rows)), v0, n, dtype: 'f16' }
          : { buf: storageBuffer(gpu, n * H, label, rows), v0, n, dtype: 'f32' });
      }
      return out;
    };
    const embed = await chunksOf('model.embed_tokens.weight');
    const lmHead = cfg.tiedEmbeddings || !src.has('lm_head.weight') ? embed : await chunksOf('lm_head.weight');
    const cacheFloats = opts.maxBatch * Hkv * opts.maxContext * D;
    const layers: LayerWeights[] = [];
    for (let l = 0; l < cfg.layers; l++) {
      const p = `model.layers.${l}.`;
      layers.push({
        ln1: await up(`${p}input_layernorm.weight`, H),
        ln2: await up(`${p}post_attention_layernorm.weight`, H),
        wq: await mat(`${p}self_attn.q_proj.weight`, Hq * D, H),
        wk: await mat(`${p}self_attn.k_proj.weight`, Hkv * D, H),
        wv: await mat(`${p}self_attn.v_proj.weight`, Hkv * D, H),
        wo: await mat(`${p}self_attn.o_proj.weight`, H, Hq * D),
        bq: await maybe(`${p}self_attn.q_proj.bias`, Hq * D),
        bk: await maybe(`${p}self_attn.k_proj.bias`, Hkv * D),
        bv: await maybe(`${p}self_attn.v_proj.bias`, Hkv * D),
        bo: await maybe(`${p}self_attn.o_proj.bias`, H),
        qNorm: cfg.qkNorm ? await up(`${p}self_attn.q_norm.weight`, D) : null,
        kNorm: cfg.qkNorm ? await up(`${p}self_attn.k_norm.weight`, D) : null,
        wGate: await mat(`${p}mlp.gate_proj.weight`, I, H),
        wUp: await mat(`${p}mlp.up_proj.weight`, I, H),
        wDown: await mat(`${p}mlp.down_proj.weight`, H, I),
        kc: storageBuffer(gpu, cacheFloats, `kcache.${l}`),
        vc: storageBuffer(gpu, cacheFloats, `vcache.${l}`),
      });
    }
    const finalNorm = await up('model.norm.weight', H);
    const ropeTab = storageBuffer(gpu, opts.maxContext * D, 'rope table', ropeTable(opts.maxContext, D, cfg.ropeTheta));
    return new Engine(gpu, cfg, opts, embed, lmHead, layers, finalNorm, ropeTab);
  }

  private ensureWork(rows: number, ctx: number): Work {
    if (this.work && this.work.rows >= rows && this.work.ctx >= ctx) return this.work;
    const old = this.work;
    const R = Math.max(rows, old?.rows ?? 0), C = Math.max(ctx, old?.ctx ?? 0);
    const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = this.cfg;
    const b = (n: number, label: string) => storageBuffer(this.gpu, n, label);
    if (old) for (const v of Object.values(old)) if (typeof v === 'object') (v as GPUBuffer).destroy();
    this.work = {
      rows: R, ctx: C,
      ids: b(R, 'ids'), pos: b(R, 'pos'),
      x: b(R * H, 'x'), xn: b(R * H, 'xn'), rstd: b(R, 'rstd'),
      q: b(R * Hq * D, 'q'), k: b(R * Hkv * D, 'k'), v: b(R * Hkv * D, 'v'),
      qn: b(R * Hq * D, 'qn'), kn: b(R * Hkv * D, 'kn'), hrstd: b(R * Hq, 'head rstd'),
      att: b(R * Hq * D, 'att'), S: b(R * Hq * C, 'scores'), lse: b(R * Hq, 'attn lse'), o: b(R * H, 'o'),
      g: b(R * I, 'gate'), u: b(R * I, 'up'), h: b(R * I, 'h'), d: b(R * H, 'down'),
      lt: b(R * 64, 'lora t'),
    };
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
    const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I, rmsEps: eps } = cfg;
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
    for (const [li, L] of this.layers.entries()) {
      rmsnorm(rec, w.x, L.ln1, w.xn, w.rstd, R, H, eps);
      const lc = cap ? ({} as LayerCapture) : null;
      if (lc) lc.input_norm = await grab(w.xn, R * H);
      matmul(rec, { X: w.xn, W: L.wq.buf, wDtype: L.wq.dtype, bias: L.bq, Y: w.q, M: R, N: Hq * D, K: H });
      matmul(rec, { X: w.xn, W: L.wk.buf, wDtype: L.wk.dtype, bias: L.bk, Y: w.k, M: R, N: Hkv * D, K: H });
      matmul(rec, { X: w.xn, W: L.wv.buf, wDtype: L.wv.dtype, bias: L.bv, Y: w.v, M: R, N: Hkv * D, K: H });
      this.applyLora(rec, li, 'q_proj', w.xn, w.q, w.lt, R);
      this.applyLora(rec, li, 'k_proj', w.xn, w.k, w.lt, R);
      this.applyLora(rec, li, 'v_proj', w.xn, w.v, w.lt, R);
      let q = w.q, k = w.k;
      if (L.qNorm && L.kNorm) {
        rmsnorm(rec, w.q, L.qNorm, w.qn, w.hrstd, R * Hq, D, eps);
        rmsnorm(rec, w.k, L.kNorm, w.kn, w.hrstd, R * Hkv, D, eps);
        q = w.qn; k = w.kn;
      }
      if (lc) { lc.q = await grab(q, R * Hq * D); lc.k = await grab(k, R * Hkv * D); }
      rope(rec, q, w.pos, this.ropeTab, R, Hq, D);
      rope(rec, k, w.pos, this.ropeTab, R, Hkv, D);
      if (lc) { lc.q_rope = await grab(q, R * Hq * D); lc.k_rope = await grab(k, R * Hkv * D); }
      kvWrite(rec, k, w.v, w.pos, L.kc, L.vc, { R, T, Hkv, D, maxCtx: this.opts.maxContext, seq0 });
      attention(rec, { q, kc: L.kc, vc: L.vc, pos: w.pos, S: w.S, lse: w.lse, out: w.att, R, T, Hq, Hkv, D, maxCtx: this.opts.maxContext, stride: w.ctx, seq0 });
      matmul(rec, { X: w.att, W: L.wo.buf, wDtype: L.wo.dtype, bias: L.bo, Y: w.o, M: R, N: H, K: Hq * D });
      this.applyLora(rec, li, 'o_proj', w.att, w.o, w.lt, R);
      if (lc) lc.attn_out = await grab(w.o, R * H);
      addInPlace(rec, w.x, w.o, R * H);
      if (lc) lc.hidden_after_attn = await grab(w.x, R * H);
      rmsnorm(rec, w.x, L.ln2, w.xn, w.rstd, R, H, eps);
      matmul(rec, { X: w.xn, W: L.wGate.buf, wDtype: L.wGate.dtype, bias: null, Y: w.g, M: R, N: I, K: H });
      matmul(rec, { X: w.xn, W: L.wUp.buf, wDtype: L.wUp.dtype, bias: null, Y: w.u, M: R, N: I, K: H });
      this.applyLora(rec, li, 'gate_proj', w.xn, w.g, w.lt, R);
      this.applyLora(rec, li, 'up_proj', w.xn, w.u, w.lt, R);
      swiglu(rec, w.g, w.u, w.h, R * I);
      matmul(rec, { X: w.h, W: L.wDown.buf, wDtype: L.wDown.dtype, bias: null, Y: w.d, M: R, N: H, K: I });
      this.applyLora(rec, li, 'down_proj', w.h, w.d, w.lt, R);
      if (lc) lc.mlp_out = await grab(w.d, R * H);
      addInPlace(rec, w.x, w.d, R * H);
      if (lc) { lc.output = await grab(w.x, R * H); cap!.layers.push(lc); }
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
    this.logitsBuf = storageBuffer(this.gpu, this.logitsRows * this.cfg.vocab, 'logits');
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
