// Training forward and backward of the policy on WebGPU, llm.c style: the forward runs B sequences
// × T tokens (right-padded) through every layer and keeps what the backward needs in explicit
// per-layer buffers; the backward takes ∂L/∂logprob per token (computed by the loss on the CPU,
// src/rl/grpo.ts) and accumulates gradients into the LoRA adapters (or, for full fine-tuning, into
// every weight). The frozen base is the engine's own weights: no second copy.
// With `recompute`, each layer keeps only its input xIn [R, H]; the other activations live in one
// shared set that the backward refills by re-running the layer's forward (same kernels, same
// inputs: bit-identical activations, so the gradients are exactly those without recomputation).

import type { Engine, LayerWeights } from './engine.ts';
import { allocate, type Gpu, GpuCapacityError, Recorder, readBuffer, storageBuffer, writeBuffer } from './device.ts';
import { gradBuffers, trainSavedBuffers, trainWorkBuffers, type SavedKey, type TrainShape, type TrainWorkKey } from './buffers.ts';
import { layerForward, type LayerActs, type LayerStep } from './layer.ts';
import { LORA_TARGETS, type LoraTarget } from '../rl/lora.ts';
import { attentionBackward } from './kernels/attention.ts';
import { embedding, embeddingBackward, groupRowsById } from './kernels/embedding.ts';
import { gemm, matmulBackward } from './kernels/matmul.ts';
import { logitGradTile, logprob as logprobKernel, logprobBackward, logprobTiles } from './kernels/logprob.ts';
import { rmsnorm, rmsnormBackward } from './kernels/rmsnorm.ts';
import { ropeBackward } from './kernels/rope.ts';
import { swigluBackward } from './kernels/swiglu.ts';

/** Activations of one layer kept by the forward for the backward (buffers.ts savedBuffers; with recompute all but xIn are one shared set). Shapes in rows R = B·T. */
type Saved = Record<SavedKey, GPUBuffer> & {
  t: Partial<Record<LoraTarget, GPUBuffer>>;                 // LoRA x·Aᵀ [R, r]
};

/** Gradients of every base weight (full fine-tuning). */
interface BaseGrads {
  layers: { ln1: GPUBuffer; ln2: GPUBuffer; wq: GPUBuffer; wk: GPUBuffer; wv: GPUBuffer; wo: GPUBuffer; bq: GPUBuffer | null; bk: GPUBuffer | null; bv: GPUBuffer | null; bo: GPUBuffer | null; qNorm: GPUBuffer | null; kNorm: GPUBuffer | null; wGate: GPUBuffer; wUp: GPUBuffer; wDown: GPUBuffer }[];
  finalNorm: GPUBuffer; embed: GPUBuffer[]; lmHead: GPUBuffer[] | null;
}

export interface TrainForward {
  /** log-probability of targets[r] at row r (0 where mask is 0) */
  logprobs: Float32Array;
  /** log-sum-exp of each row's logits */
  lse: Float32Array;
}

export class TrainGraph {
  private readonly gpu: Gpu;
  /** per layer; with recompute every layer's entry holds its own xIn and the shared set's other buffers */
  private readonly saved: Saved[] = [];
  private rows = 0; private T = 0;
  /** rows whose logprob the last forward computed (the LM head runs on these only) */
  private scored: Uint32Array = new Uint32Array(0);
  private readonly work: Record<TrainWorkKey, GPUBuffer>;
  /** gradients of all base weights when training them (full fine-tuning), else null */
  readonly grads: BaseGrads | null;

  constructor(readonly engine: Engine, readonly opts: { maxRows: number; maxT: number; fullFinetune?: boolean; recompute?: boolean }) {
    this.gpu = engine.gpu;
    if (opts.maxT > engine.opts.maxContext) throw new GpuCapacityError(`training sequences of ${opts.maxT} tokens exceed the engine's context of ${engine.opts.maxContext}`);
    if (Math.ceil(opts.maxRows / opts.maxT) > engine.opts.maxBatch) throw new GpuCapacityError(`${opts.maxRows} rows of ${opts.maxT} tokens need ${Math.ceil(opts.maxRows / opts.maxT)} cache slots; the engine has ${engine.opts.maxBatch}`);
    const c = engine.cfg, shape = trainShape(engine, opts);
    const specs = trainSavedBuffers(c, shape), shared = specs.shared ? allocate(this.gpu, specs.shared) : {};
    for (const layer of specs.layers) {
      const all = { ...shared, ...allocate(this.gpu, layer) } as Record<SavedKey | `t.${LoraTarget}`, GPUBuffer>, t: Saved['t'] = {};
      for (const m of LORA_TARGETS) if (all[`t.${m}`]) t[m] = all[`t.${m}`];
      this.saved.push({ ...all, t });
    }
    this.work = allocate(this.gpu, trainWorkBuffers(c, shape));
    this.grads = opts.fullFinetune ? this.allocGrads() : null;
  }

  private allocGrads(): BaseGrads {
    const e = this.engine, c = e.cfg, W = e.internals;
    if (e.weightDtype !== 'f32' || e.baseDtype !== 'f32') throw new GpuCapacityError('full fine-tuning needs f32 weights (load the engine with weights: "f32"), not a quantized base');
    const g = allocate(this.gpu, gradBuffers(c, W.weights));
    return {
      layers: W.layers.map((L, l) => ({
        ln1: g[`ln1.${l}`]!, ln2: g[`ln2.${l}`]!, wq: g[`wq.${l}`]!, wk: g[`wk.${l}`]!, wv: g[`wv.${l}`]!, wo: g[`wo.${l}`]!,
        bq: L.bq ? g[`bq.${l}`]! : null, bk: L.bk ? g[`bk.${l}`]! : null, bv: L.bv ? g[`bv.${l}`]! : null, bo: L.bo ? g[`bo.${l}`]! : null,
        qNorm: L.qNorm ? g[`qNorm.${l}`]! : null, kNorm: L.kNorm ? g[`kNorm.${l}`]! : null,
        wGate: g[`wGate.${l}`]!, wUp: g[`wUp.${l}`]!, wDown: g[`wDown.${l}`]!,
      })),
      finalNorm: g.norm!,
      embed: W.embed.map((_, i) => g[`embed.${i}`]!),
      lmHead: W.lmHead === W.embed ? null : W.lmHead.map((_, i) => g[`lm_head.${i}`]!),
    };
  }

  /** Base weights and their gradients, by HF name (full fine-tuning). */
  baseParams(): { name: string; buf: GPUBuffer; grad: GPUBuffer; n: number }[] {
    const g = this.grads;
    if (!g) return [];
    const W = this.engine.internals, c = this.engine.cfg, H = c.hidden;
    const out: { name: string; buf: GPUBuffer; grad: GPUBuffer; n: number }[] = [];
    const add = (name: string, buf: GPUBuffer | null, grad: GPUBuffer | null, n: number) => { if (buf && grad) out.push({ name, buf, grad, n }); };
    W.embed.forEach((ch, i) => add(`model.embed_tokens.weight[${ch.v0}:${ch.v0 + ch.n}]`, ch.buf, g.embed[i]!, ch.n * H));
    W.layers.forEach((L, l) => {
      const p = `model.layers.${l}.`, G = g.layers[l]!, { heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = c;
      add(`${p}input_layernorm.weight`, L.ln1, G.ln1, H);
      add(`${p}self_attn.q_proj.weight`, L.wq.buf, G.wq, Hq * D * H);
      add(`${p}self_attn.k_proj.weight`, L.wk.buf, G.wk, Hkv * D * H);
      add(`${p}self_attn.v_proj.weight`, L.wv.buf, G.wv, Hkv * D * H);
      add(`${p}self_attn.o_proj.weight`, L.wo.buf, G.wo, H * Hq * D);
      add(`${p}self_attn.q_proj.bias`, L.bq, G.bq, Hq * D);
      add(`${p}self_attn.k_proj.bias`, L.bk, G.bk, Hkv * D);
      add(`${p}self_attn.v_proj.bias`, L.bv, G.bv, Hkv * D);
      add(`${p}self_attn.o_proj.bias`, L.bo, G.bo, H);
      add(`${p}self_attn.q_norm.weight`, L.qNorm, G.qNorm, D);
      add(`${p}self_attn.k_norm.weight`, L.kNorm, G.kNorm, D);
      add(`${p}post_attention_layernorm.weight`, L.ln2, G.ln2, H);
      add(`${p}mlp.gate_proj.weight`, L.wGate.buf, G.wGate, I * H);
      add(`${p}mlp.up_proj.weight`, L.wUp.buf, G.wUp, I * H);
      add(`${p}mlp.down_proj.weight`, L.wDown.buf, G.wDown, H * I);
    });
    add('model.norm.weight', W.finalNorm, g.finalNorm, H);
    W.lmHead.forEach((ch, i) => { if (g.lmHead) add(`lm_head.weight[${ch.v0}:${ch.v0 + ch.n}]`, ch.buf, g.lmHead[i]!, ch.n * H); });
    return out;
  }

  zeroGrad(): void {
    this.engine.lora?.zeroGrad();
    for (const p of this.baseParams()) writeBuffer(this.gpu, p.grad, new Float32Array(p.n));
  }

  /**
   * Forward of B right-padded sequences of T tokens; returns logprob of targets[r] at every row
   * (or, given `scored`, at those rows only, 0 elsewhere: the LM head, by far the largest matmul
   * for a big vocabulary, then runs on the scored rows alone). ids, targets: [B·T].
   */
  async forward(ids: ArrayLike<number>, targets: ArrayLike<number>, B: number, T: number, scored?: ArrayLike<number>): Promise<TrainForward> {
    const e = this.engine, c = e.cfg, W = e.internals, R = B * T;
    if (R > this.opts.maxRows || T > this.opts.maxT) throw new GpuCapacityError(`batch ${B} × ${T} exceeds the training graph (${this.opts.maxRows} rows, ${this.opts.maxT} tokens)`);
    for (const arr of [ids, targets]) for (let i = 0; i < R; i++) if (!(arr[i]! >= 0 && arr[i]! < c.vocab)) throw new RangeError(`token id ${arr[i]} is outside the vocabulary (${c.vocab})`);
    const rowsS = scored ? Uint32Array.from(scored) : Uint32Array.from({ length: R }, (_, r) => r);
    for (let k = 0; k < rowsS.length; k++) if (rowsS[k]! >= R || (k > 0 && rowsS[k]! <= rowsS[k - 1]!)) throw new RangeError(`scored rows must be increasing and below ${R}`);
    this.rows = R; this.T = T; this.scored = rowsS;
    const S = rowsS.length;
    const { hidden: H, rmsEps: eps } = c;
    const w = this.work;
    writeBuffer(this.gpu, w.ids, Uint32Array.from(ids));
    writeBuffer(this.gpu, w.tgt, Uint32Array.from(targets));
    writeBuffer(this.gpu, w.sRows, rowsS);
    writeBuffer(this.gpu, w.tgtS, Uint32Array.from(rowsS, (r) => targets[r]!));
    writeBuffer(this.gpu, w.pos, Uint32Array.from({ length: R }, (_, r) => r % T));
    const rec = new Recorder(this.gpu);
    embedding(rec, w.ids, W.embed, w.x, R, H);
    for (const [l, L] of W.layers.entries()) {
      const s = this.saved[l]!;
      await layerForward(rec, e, l, L, w.x, this.acts(s), this.layerStep(s));
    }
    rec.copy(w.x, 0, w.xFinal, 0, R * H);
    rmsnorm(rec, w.xFinal, W.finalNorm, w.xnF, w.rstdF, R, H, eps);
    // gather the scored rows of the final hidden states: xS [S, H]
    embedding(rec, w.sRows, [{ buf: w.xnF, v0: 0, n: R }], w.xS, S, H);
    if (S > 0) logprobKernel(rec, { x: w.xS, chunks: W.lmHead, ids: w.tgtS, part: w.part, tgt: w.tlogit, lse: w.lse, out: w.lp, R: S, H });
    rec.submit();
    const lpS = S ? await readBuffer(this.gpu, w.lp, S) : new Float32Array(0), lseS = S ? await readBuffer(this.gpu, w.lse, S) : new Float32Array(0);
    const logprobs = new Float32Array(R), lse = new Float32Array(R);
    rowsS.forEach((r, k) => { logprobs[r] = lpS[k]!; lse[r] = lseS[k]!; });
    return { logprobs, lse };
  }

  /** Where layerForward writes a layer's activations: its saved set (o_proj / down_proj outputs to scratch). */
  private acts(s: Saved): LayerActs {
    return { ...s, o: this.work.scratch, d: this.work.scratch, t: (m) => s.t[m] };
  }

  /** layerForward's step for the last forward's rows, saving xIn and xMid into `s`. */
  private layerStep(s: Saved): LayerStep {
    const w = this.work, T = this.T;
    return { pos: w.pos, ropeTab: this.engine.internals.ropeTab, R: this.rows, T, seq0: 0, maxCtx: this.engine.opts.maxContext, stride: T, save: { xIn: s.xIn, xMid: s.xMid } };
  }

  /** Backward of a linear layer: dX (overwritten or accumulated), LoRA grads, base grads (full FT). */
  private linearBackward(rec: Recorder, l: number, target: LoraTarget, Wt: LayerWeights['wq'], dY: GPUBuffer, X: GPUBuffer, dX: GPUBuffer, R: number, N: number, K: number, s: Saved, accumulate: boolean, gW: GPUBuffer | null, gb: GPUBuffer | null): void {
    matmulBackward(rec, { dY, X, W: Wt.buf, wDtype: Wt.dtype, M: R, N, K, dX, dW: gW, db: gb, accumulateDX: accumulate });
    const lora = this.engine.lora, m = lora?.get(l, target), t = s.t[target];
    if (!lora || !m || !t || !this.engine.loraEnabled) return;
    const r = lora.config.rank, sc = lora.scale;
    // dB += s·dYᵀ·t;  dt = s·dY·B;  dA += dtᵀ·X;  dX += dt·A
    gemm(rec, { A: dY, B: t, C: m.dB, I: N, J: r, K: R, aT: true, bT: false, accumulate: true, scale: sc });
    gemm(rec, { A: dY, B: m.B, C: this.work.dt, I: R, J: r, K: N, aT: false, bT: false, scale: sc });
    gemm(rec, { A: this.work.dt, B: X, C: m.dA, I: r, J: K, K: R, aT: true, bT: false, accumulate: true });
    gemm(rec, { A: this.work.dt, B: m.A, C: dX, I: R, J: K, K: r, aT: false, bT: false, accumulate: true });
  }

  /**
   * Backward from ∂L/∂logprob per row (0 for unscored rows) of the last forward; gradients are
   * accumulated (call zeroGrad() before a new step, not between micro-batches).
   */
  async backward(dlogp: ArrayLike<number>): Promise<void> {
    const e = this.engine, c = e.cfg, W = e.internals, R = this.rows, T = this.T, G = this.grads;
    if (dlogp.length !== R) throw new RangeError(`backward: ${dlogp.length} gradients for ${R} rows`);
    const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = c;
    const w = this.work;
    const rowsS = this.scored, S = rowsS.length, temp: GPUBuffer[] = [];
    for (let r = 0, k = 0; r < R; r++) {
      if (k < S && rowsS[k] === r) k++;
      else if (dlogp[r] !== 0) throw new RangeError(`backward: row ${r} has a gradient but its logprob was not computed (not in scored rows)`);
    }
    writeBuffer(this.gpu, w.g, Float32Array.from(rowsS, (r) => dlogp[r]!));
    const rec = new Recorder(this.gpu);
    // LM head on the scored rows, scattered back into dxnF [R, H]; then the final norm
    writeBuffer(this.gpu, w.dxn, new Float32Array(R * H));
    if (S > 0) {
      writeBuffer(this.gpu, w.dxS, new Float32Array(S * H));
      logprobBackward(rec, { x: w.xS, chunks: W.lmHead, ids: w.tgtS, lse: w.lse, g: w.g, dx: w.dxS, R: S, H });
      const grp = groupRowsById(rowsS);
      const gb = { uniq: storageBuffer(this.gpu, S, 'uniq', grp.uniq), start: storageBuffer(this.gpu, S + 1, 'start', grp.start), rows: storageBuffer(this.gpu, S, 'rows', grp.rows), U: S };
      temp.push(gb.uniq, gb.start, gb.rows);
      embeddingBackward(rec, gb, w.dxS, [{ buf: w.dxn, v0: 0, n: R }], H);
      if (G) this.lmHeadGrad(rec, G);
    }
    rmsnormBackward(rec, { x: w.xFinal, w: W.finalNorm, rstd: w.rstdF, dy: w.dxn, dx: w.dx, dw: G?.finalNorm ?? null, rows: R, C: H });
    for (let l = c.layers - 1; l >= 0; l--) {
      const L = W.layers[l]!, s = this.saved[l]!, GL = G?.layers[l];
      // recompute: refill the shared set with layer l's activations from xIn[l] (residual in w.x, which
      // the backward does not read; the K/V cache rows are rewritten with the same values). The last
      // layer's are still there from the forward.
      if (this.opts.recompute && l < c.layers - 1) {
        rec.copy(s.xIn, 0, w.x, 0, R * H);
        await layerForward(rec, e, l, L, w.x, this.acts(s), this.layerStep(s));
      }
      // MLP: x_out = xMid + down(swiglu(gate(xn2), up(xn2)))
      this.linearBackward(rec, l, 'down_proj', L.wDown, w.dx, s.h, w.dbig, R, H, I, s, false, GL?.wDown ?? null, null);
      swigluBackward(rec, s.g, s.u, w.dbig, w.dI1, w.dI2, R * I);
      this.linearBackward(rec, l, 'gate_proj', L.wGate, w.dI1, s.xn2, w.dxn, R, I, H, s, false, GL?.wGate ?? null, null);
      this.linearBackward(rec, l, 'up_proj', L.wUp, w.dI2, s.xn2, w.dxn, R, I, H, s, true, GL?.wUp ?? null, null);
      rmsnormBackward(rec, { x: s.xMid, w: L.ln2, rstd: s.rstd2, dy: w.dxn, dx: w.dx, dw: GL?.ln2 ?? null, rows: R, C: H, accumulate: true });
      // attention: xMid = xIn + o(attn(rope(norm?(q(xn1))), …))
      this.linearBackward(rec, l, 'o_proj', L.wo, w.dx, s.att, w.dbig, R, H, Hq * D, s, false, GL?.wo ?? null, GL?.bo ?? null);
      attentionBackward(rec, { q: s.q, kc: L.kc, vc: L.vc, pos: w.pos, S: s.S, dO: w.dbig, dS: w.dS, dq: w.dq, dk: w.dk, dv: w.dv, R, T, Hq, Hkv, D, maxCtx: e.opts.maxContext, stride: T });
      ropeBackward(rec, w.dq, w.pos, W.ropeTab, R, Hq, D);
      ropeBackward(rec, w.dk, w.pos, W.ropeTab, R, Hkv, D);
      let dqPre = w.dq, dkPre = w.dk;
      if (L.qNorm && L.kNorm) {
        rmsnormBackward(rec, { x: s.qPre, w: L.qNorm, rstd: s.rq, dy: w.dq, dx: w.dbig, dw: GL?.qNorm ?? null, rows: R * Hq, C: D });
        rmsnormBackward(rec, { x: s.kPre, w: L.kNorm, rstd: s.rk, dy: w.dk, dx: w.dI1, dw: GL?.kNorm ?? null, rows: R * Hkv, C: D });
        dqPre = w.dbig; dkPre = w.dI1;
      }
      this.linearBackward(rec, l, 'q_proj', L.wq, dqPre, s.xn1, w.dxn, R, Hq * D, H, s, false, GL?.wq ?? null, GL?.bq ?? null);
      this.linearBackward(rec, l, 'k_proj', L.wk, dkPre, s.xn1, w.dxn, R, Hkv * D, H, s, true, GL?.wk ?? null, GL?.bk ?? null);
      this.linearBackward(rec, l, 'v_proj', L.wv, w.dv, s.xn1, w.dxn, R, Hkv * D, H, s, true, GL?.wv ?? null, GL?.bv ?? null);
      rmsnormBackward(rec, { x: s.xIn, w: L.ln1, rstd: s.rstd1, dy: w.dxn, dx: w.dx, dw: GL?.ln1 ?? null, rows: R, C: H, accumulate: true });
    }
    if (G) {
      const ids = await readIds(this.gpu, w.ids, R);
      const grp = groupRowsById(ids);
      const gb = { uniq: storageBuffer(this.gpu, grp.uniq.length, 'uniq', grp.uniq), start: storageBuffer(this.gpu, grp.start.length, 'start', grp.start), rows: storageBuffer(this.gpu, grp.rows.length, 'rows', grp.rows), U: grp.uniq.length };
      temp.push(gb.uniq, gb.start, gb.rows);
      embeddingBackward(rec, gb, w.dx, W.embed.map((ch, i) => ({ buf: G.embed[i]!, v0: ch.v0, n: ch.n })), H);
    }
    rec.submit();
    await this.gpu.device.queue.onSubmittedWorkDone();
    for (const b of temp) b.destroy();
    this.gpu.check();
  }

  /** Full fine-tuning: ∂L/∂W of the LM head (tied → into the embedding's gradient), tile by tile. */
  private lmHeadGrad(rec: Recorder, G: BaseGrads): void {
    const W = this.engine.internals, R = this.scored.length, H = this.engine.cfg.hidden, w = this.work;
    const targets = G.lmHead ?? G.embed;
    W.lmHead.forEach((ch, i) => {
      for (let t0 = 0; t0 < ch.n; t0 += 4096) {
        const n = Math.min(4096, ch.n - t0);
        logitGradTile(rec, { x: w.xS, W: ch.buf, ids: w.tgtS, lse: w.lse, g: w.g, out: w.tile, R, H, v0: ch.v0 + t0, n, w0: t0 });
        if (t0 === 0 && n === ch.n) {
          gemm(rec, { A: w.tile, B: w.xS, C: targets[i]!, I: n, J: H, K: R, aT: true, bT: false, accumulate: true });
        } else {
          throw new GpuCapacityError('full fine-tuning of an LM head chunk larger than 4096 rows is not supported');
        }
      }
    });
  }
}

/** The graph's shape for buffers.ts: rows, tokens, the engine's LoRA and LM head tiles. */
function trainShape(engine: Engine, opts: TrainGraph['opts']): TrainShape {
  const lora = engine.lora;
  return {
    maxRows: opts.maxRows, maxT: opts.maxT, tiles: logprobTiles(engine.internals.lmHead), fullFinetune: opts.fullFinetune ?? false, recompute: opts.recompute ?? false,
    lora: lora ? { rank: lora.config.rank, targets: LORA_TARGETS.filter((t) => lora.modules.some((m) => m.target === t)) } : null,
  };
}

async function readIds(gpu: Gpu, buf: GPUBuffer, n: number): Promise<Uint32Array> {
  const f = await readBuffer(gpu, buf, n);
  return new Uint32Array(f.buffer, f.byteOffset, n);
}
