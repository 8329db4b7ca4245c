// One decoder layer's forward, shared by inference (Engine.step, KV cache) and training
// (TrainGraph.forward, which saves what the backward reads). Rows R = B·T, residual x [R, H]:
//   x += o(attn(rope(norm?(q(xn1))), rope(norm?(k(xn1))), v(xn1)))   xn1 = rmsnorm(x, ln1)
//   x += down(swiglu(gate(xn2), up(xn2)))                             xn2 = rmsnorm(x, ln2)
// K and V are appended to the layer's cache; LoRA is applied on every adapted projection.

import type { Recorder } from './device.ts';
import type { Engine, LayerCapture, LayerWeights } from './engine.ts';
import type { LoraTarget } from '../rl/lora.ts';
import type { WeightBuffer } from './kernels/weights.ts';
import { addInPlace } from './kernels/add.ts';
import { attention } from './kernels/attention.ts';
import { matmul, type LoraEpilogue } from './kernels/matmul.ts';
import { rmsnorm } from './kernels/rmsnorm.ts';
import { ropeQkKv } from './kernels/rope.ts';
import { swiglu } from './kernels/swiglu.ts';

/**
 * Where a layer's activations go. The engine passes shared scratch (the same buffer for xn1 and
 * xn2, for q and qPre without q/k norm, …); the training graph passes one buffer each, per layer.
 */
export interface LayerActs {
  xn1: GPUBuffer; rstd1: GPUBuffer; xn2: GPUBuffer; rstd2: GPUBuffer;  // [R, H], [R]
  /** projections before q/k norm [R, Hq·D], [R, Hkv·D] and head rstd [R·Hq], [R·Hkv] (q/k norm only) */
  qPre: GPUBuffer; kPre: GPUBuffer; rq: GPUBuffer; rk: GPUBuffer;
  /** after projection (+norm), roped in place */
  q: GPUBuffer; k: GPUBuffer; v: GPUBuffer;
  /** attention probabilities [R·Hq, stride], log-sum-exp [R·Hq], output [R, Hq·D] */
  S: GPUBuffer; lse: GPUBuffer; att: GPUBuffer;
  /** o_proj and down_proj outputs [R, H] (may be one buffer) */
  o: GPUBuffer; d: GPUBuffer;
  g: GPUBuffer; u: GPUBuffer; h: GPUBuffer;  // [R, I]
  /** LoRA's x·Aᵀ [R, r] of a projection; undefined: the projection is not adapted */
  t(target: LoraTarget): GPUBuffer | undefined;
}

/** Capture points (Engine's LayerCapture; tests compare them with PyTorch); `tap` reads `buf` ([n] f32) there. */
export type LayerTap = (point: keyof LayerCapture, buf: GPUBuffer, n: number) => Promise<void>;

export interface LayerStep {
  /** positions [R] u32, RoPE table [maxContext, D] */
  pos: GPUBuffer; ropeTab: GPUBuffer;
  R: number; T: number;
  /** first cache slot, cache length per sequence, row stride of S */
  seq0: number; maxCtx: number; stride: number;
  /** copies of the residual stream at the layer's input and after attention [R, H] (training) */
  save?: { xIn: GPUBuffer; xMid: GPUBuffer };
  tap?: LayerTap;
}

/** Y = X·Wᵀ + b, plus LoRA's s·t·Bᵀ (t = X·Aᵀ, computed before by Engine.loraInputs) in the matmul's epilogue. */
function linear(rec: Recorder, W: WeightBuffer, bias: GPUBuffer | null, X: GPUBuffer, Y: GPUBuffer, R: number, N: number, K: number, lora: LoraEpilogue | undefined, accumulate = false): void {
  matmul(rec, { X, W: W.buf, wDtype: W.dtype, bias, Y, M: R, N, K, lora, accumulate });
}

/** x += proj(X): into the residual stream in the matmul's epilogue, or (with a tap) through `out` to capture it. */
async function residual(rec: Recorder, W: WeightBuffer, bias: GPUBuffer | null, X: GPUBuffer, x: GPUBuffer, out: GPUBuffer, R: number, N: number, K: number, lora: LoraEpilogue | undefined, tap: LayerTap | undefined, point: 'attn_out' | 'mlp_out'): Promise<void> {
  if (!tap) return linear(rec, W, bias, X, x, R, N, K, lora, true);
  linear(rec, W, bias, X, out, R, N, K, lora);
  await tap(point, out, R * N);
  addInPlace(rec, x, out, R * N);
}

/** Layer `l` of rows R over residual x [R, H] (updated in place). */
export async function layerForward(rec: Recorder, e: Pick<Engine, 'cfg' | 'loraInputs'>, l: number, L: LayerWeights, x: GPUBuffer, a: LayerActs, s: LayerStep): Promise<void> {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I, rmsEps: eps } = e.cfg;
  const { R, T, tap } = s;
  if (s.save) rec.copy(x, 0, s.save.xIn, 0, R * H);
  rmsnorm(rec, x, L.ln1, a.xn1, a.rstd1, R, H, eps);
  if (tap) await tap('input_norm', a.xn1, R * H);
  const qkNorm = Boolean(L.qNorm && L.kNorm);
  const qkv = e.loraInputs(rec, l, [['q_proj', a.t('q_proj')], ['k_proj', a.t('k_proj')], ['v_proj', a.t('v_proj')]], a.xn1, R);
  linear(rec, L.wq, L.bq, a.xn1, qkNorm ? a.qPre : a.q, R, Hq * D, H, qkv.q_proj);
  linear(rec, L.wk, L.bk, a.xn1, qkNorm ? a.kPre : a.k, R, Hkv * D, H, qkv.k_proj);
  linear(rec, L.wv, L.bv, a.xn1, a.v, R, Hkv * D, H, qkv.v_proj);
  if (qkNorm) {
    rmsnorm(rec, a.qPre, L.qNorm!, a.q, a.rq, R * Hq, D, eps);
    rmsnorm(rec, a.kPre, L.kNorm!, a.k, a.rk, R * Hkv, D, eps);
  }
  if (tap) { await tap('q', a.q, R * Hq * D); await tap('k', a.k, R * Hkv * D); }
  ropeQkKv(rec, { q: a.q, k: a.k, v: a.v, pos: s.pos, table: s.ropeTab, kc: L.kc, vc: L.vc, R, T, Hq, Hkv, D, maxCtx: s.maxCtx, seq0: s.seq0 });
  if (tap) { await tap('q_rope', a.q, R * Hq * D); await tap('k_rope', a.k, R * Hkv * D); }
  attention(rec, { q: a.q, kc: L.kc, vc: L.vc, pos: s.pos, S: a.S, lse: a.lse, out: a.att, R, T, Hq, Hkv, D, maxCtx: s.maxCtx, stride: s.stride, seq0: s.seq0 });
  const o = e.loraInputs(rec, l, [['o_proj', a.t('o_proj')]], a.att, R).o_proj;
  await residual(rec, L.wo, L.bo, a.att, x, a.o, R, H, Hq * D, o, tap, 'attn_out');
  if (tap) await tap('hidden_after_attn', x, R * H);
  if (s.save) rec.copy(x, 0, s.save.xMid, 0, R * H);
  rmsnorm(rec, x, L.ln2, a.xn2, a.rstd2, R, H, eps);
  const gu = e.loraInputs(rec, l, [['gate_proj', a.t('gate_proj')], ['up_proj', a.t('up_proj')]], a.xn2, R);
  linear(rec, L.wGate, null, a.xn2, a.g, R, I, H, gu.gate_proj);
  linear(rec, L.wUp, null, a.xn2, a.u, R, I, H, gu.up_proj);
  swiglu(rec, a.g, a.u, a.h, R * I);
  const down = e.loraInputs(rec, l, [['down_proj', a.t('down_proj')]], a.h, R).down_proj;
  await residual(rec, L.wDown, null, a.h, x, a.d, R, H, I, down, tap, 'mlp_out');
  if (tap) await tap('output', x, R * H);
}
