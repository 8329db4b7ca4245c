// Causal grouped-query attention over the KV cache, for rows r = (sequence b, step t):
//   S[r, h, j] = softmax_j( q[r, h, :] · kc[b, h / g, j, :] / sqrt(D) ),  j ≤ pos[r]      (g = Hq / Hkv)
//   out[r, h, :] = Σ_j S[r, h, j] · vc[b, h / g, j, :]
// q, out: [R, Hq, D]; kc, vc: [Bmax, Hkv, maxCtx, D]; pos: [R]; S: [R·Hq, stride] (probabilities,
// kept for the backward pass); lse: [R·Hq] (log-sum-exp of the scaled scores, also for backward).
import type { Recorder } from '../device.ts';
import { UnsupportedError } from '../../errors.ts';
import { grid1d } from './add.ts';

const WG = 64;
const PARAMS = 'struct P { R: u32, T: u32, Hq: u32, Hkv: u32, D: u32, maxCtx: u32, stride: u32, scale: f32, seq0: u32 }';
// One workgroup per (row, query head): row r of sequence b, its kv head, and the keys it sees (0 … pos[r]).
const ROW_HEAD = `  let rh = wg.x + wg.y * 65535u;
  if (rh >= p.R * p.Hq) { return; }
  let r = rh / p.Hq; let h = rh % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let b = p.seq0 + r / p.T;
  let L = pos[r] + 1u;`;

/**
 * WGSL: acc[d] = Σ_{j < L} w(j) · x(j, d) for d < D, then `store` (acc, d in scope). With D < WG the
 * workgroup's threads split j into WG / D slices (a thread per (d, slice), partial sums in `red`),
 * so no thread runs the whole context alone; with D ≥ WG each thread takes columns d, d + WG, ….
 */
const weightedSum = (w: string, x: string, store: string) => `  let slices = max(1u, ${WG}u / p.D);
  let sl = li / p.D;
  for (var d0 = 0u; d0 < p.D; d0 += ${WG}u) {
    let d = d0 + li % min(p.D, ${WG}u);
    var acc = 0.0;
    if (sl < slices) {
      for (var j = sl; j < L; j += slices) { acc += ${w} * ${x}; }
    }
    workgroupBarrier();
    red[li] = acc;
    workgroupBarrier();
    if (li < min(p.D, ${WG}u) && d < p.D) {
      acc = 0.0;
      for (var s = 0u; s < slices; s++) { acc += red[s * p.D + li]; }
      ${store}
    }
  }`;

/** Bindings of both forward kernels (same buffers, same order). */
const FORWARD_BINDINGS = `${PARAMS}
@group(0) @binding(0) var<storage, read> q: array<f32>;
@group(0) @binding(1) var<storage, read> kc: array<f32>;
@group(0) @binding(2) var<storage, read> vc: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read_write> S: array<f32>;
@group(0) @binding(5) var<storage, read_write> lse: array<f32>;
@group(0) @binding(6) var<storage, read_write> out: array<f32>;
@group(0) @binding(7) var<uniform> p: P;`;

// One dispatch: scores, softmax (S and lse kept for the backward) and the weighted sum of values.
export const ATTENTION_WGSL = /* wgsl */ `
${FORWARD_BINDINGS}
var<workgroup> qs: array<f32, 256>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
${ROW_HEAD}
  for (var d = li; d < p.D; d += ${WG}u) { qs[d] = q[rh * p.D + d]; }
  workgroupBarrier();
  let kbase = (b * p.Hkv + kvh) * p.maxCtx;
  let srow = rh * p.stride;
  var m = -3.0e38;
  for (var j = li; j < L; j += ${WG}u) {
    var s = 0.0;
    let kj = (kbase + j) * p.D;
    for (var d = 0u; d < p.D; d++) { s += qs[d] * kc[kj + d]; }
    s *= p.scale;
    S[srow + j] = s;
    m = max(m, s);
  }
  red[li] = m;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) { if (li < k) { red[li] = max(red[li], red[li + k]); } workgroupBarrier(); }
  let M = red[0];
  workgroupBarrier();
  var sum = 0.0;
  for (var j = li; j < L; j += ${WG}u) { let e = exp(S[srow + j] - M); S[srow + j] = e; sum += e; }
  red[li] = sum;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) { if (li < k) { red[li] += red[li + k]; } workgroupBarrier(); }
  let total = red[0];
  for (var j = li; j < L; j += ${WG}u) { S[srow + j] = S[srow + j] / total; }
  if (li == 0u) { lse[rh] = M + log(total); }
  // the probabilities this workgroup wrote, now read by every thread of it
  storageBarrier();
  workgroupBarrier();
${weightedSum('S[srow + j]', 'vc[(kbase + j) * p.D + d]', 'out[rh * p.D + d] = acc;')}
}`;

// The same, one thread per (row, query head) and no barrier: for CPU adapters (GpuCaps.cpu), where
// a workgroup's barriers cost more than the arithmetic. Same operations in the same order as above,
// except that the max and the sum run serially over j.
const ROWS_WG = 16;
/** Entry point of the thread-per-(row, head) kernels: rh and the same names as ROW_HEAD. */
const THREAD_ROW_HEAD = `@compute @workgroup_size(${ROWS_WG})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let rh = g.x + g.y * nw.x * ${ROWS_WG}u;
  if (rh >= p.R * p.Hq) { return; }
  let r = rh / p.Hq; let h = rh % p.Hq;
  let kvh = h / (p.Hq / p.Hkv);
  let b = p.seq0 + r / p.T;
  let L = pos[r] + 1u;`;
export const ATTENTION_ROWS_WGSL = /* wgsl */ `
${FORWARD_BINDINGS}
${THREAD_ROW_HEAD}
  let kbase = (b * p.Hkv + kvh) * p.maxCtx;
  let srow = rh * p.stride;
  let qo = rh * p.D;
  var m = -3.0e38;
  for (var j = 0u; j < L; j++) {
    var s = 0.0;
    let kj = (kbase + j) * p.D;
    for (var d = 0u; d < p.D; d++) { s += q[qo + d] * kc[kj + d]; }
    s *= p.scale;
    S[srow + j] = s;
    m = max(m, s);
  }
  var total = 0.0;
  for (var j = 0u; j < L; j++) { let e = exp(S[srow + j] - m); S[srow + j] = e; total += e; }
  for (var j = 0u; j < L; j++) { S[srow + j] = S[srow + j] / total; }
  lse[rh] = m + log(total);
  for (var d = 0u; d < p.D; d++) {
    var acc = 0.0;
    for (var j = 0u; j < L; j++) { acc += S[srow + j] * vc[(kbase + j) * p.D + d]; }
    out[qo + d] = acc;
  }
}`;

export type AttentionKernel = 'workgroup' | 'rows';

export interface AttentionArgs {
  q: GPUBuffer; kc: GPUBuffer; vc: GPUBuffer; pos: GPUBuffer; S: GPUBuffer; lse: GPUBuffer; out: GPUBuffer;
  R: number; T: number; Hq: number; Hkv: number; D: number; maxCtx: number;
  /** row stride of S (≥ the longest context of the step) */
  stride: number;
  seq0?: number;
}

/** Kernel choice: a workgroup per (row, head) on GPUs, a thread per (row, head) on CPU adapters. */
export function attention(rec: Recorder, a: AttentionArgs, kernel: AttentionKernel = rec.caps.cpu ? 'rows' : 'workgroup'): void {
  if (a.D > 256) throw new UnsupportedError(`attention: head_dim ${a.D} > 256 is not supported`);
  const params = [a.R, a.T, a.Hq, a.Hkv, a.D, a.maxCtx, a.stride, { f32: 1 / Math.sqrt(a.D) }, a.seq0 ?? 0];
  const rows = a.R * a.Hq, bufs = [a.q, a.kc, a.vc, a.pos, a.S, a.lse, a.out];
  if (kernel === 'rows') {
    rec.dispatch(ATTENTION_ROWS_WGSL, 'attention_rows', bufs, params, grid1d(rows, ROWS_WG));
    return;
  }
  const grid: [number, number] = [Math.min(rows, 65535), Math.ceil(rows / 65535)];
  rec.dispatch(ATTENTION_WGSL, 'attention', bufs, params, grid);
}

/** CPU reference over explicit per-row key/value lists: keys[r][j], values[r][j] are [Hkv·D]. */
export function attentionCpu(q: Float32Array, keys: Float32Array[][], values: Float32Array[][], Hq: number, Hkv: number, D: number): Float32Array {
  const R = keys.length, g = Hq / Hkv, scale = 1 / Math.sqrt(D);
  const out = new Float32Array(R * Hq * D);
  for (let r = 0; r < R; r++) for (let h = 0; h < Hq; h++) {
    const kvh = Math.floor(h / g), L = keys[r]!.length;
    const s = new Float64Array(L);
    let m = -Infinity;
    for (let j = 0; j < L; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += q[(r * Hq + h) * D + d]! * keys[r]![j]![kvh * D + d]!;
      s[j] = dot * scale;
      m = Math.max(m, s[j]!);
    }
    let sum = 0;
    for (let j = 0; j < L; j++) { s[j] = Math.exp(s[j]! - m); sum += s[j]!; }
    for (let d = 0; d < D; d++) {
      let acc = 0;
      for (let j = 0; j < L; j++) acc += (s[j]! / sum) * values[r]![j]![kvh * D + d]!;
      out[(r * Hq + h) * D + d] = acc;
    }
  }
  return out;
}

// ---- backward (training: B sequences × T tokens from position 0, keys are the step's own rows) ---
// With P = S (saved probabilities), dP[j] = dO·v_j, dS[j] = P[j](dP[j] − Σ_j' P[j']dP[j']):
//   dq[r, h] = scale · Σ_j dS[j] k_j
//   dk[j, g] = scale · Σ_{rows i ≥ j, heads h of group g} dS[i, h, j] q[i, h]
//   dv[j, g] = Σ_{rows i ≥ j, heads h of group g} P[i, h, j] dO[i, h]
// Pass 1 (per query row and head) writes dS over S's layout into dSbuf and dq; pass 2 (per key row
// and kv head) sums over the query rows that see it. No atomics.
/** Bindings of both pass-1 kernels (same buffers, same order). */
const BACKWARD_Q_BINDINGS = `${PARAMS}
@group(0) @binding(0) var<storage, read> dO: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> kc: array<f32>;
@group(0) @binding(3) var<storage, read> vc: array<f32>;
@group(0) @binding(4) var<storage, read> pos: array<u32>;
@group(0) @binding(5) var<storage, read_write> dS: array<f32>;
@group(0) @binding(6) var<storage, read_write> dq: array<f32>;
@group(0) @binding(7) var<uniform> p: P;`;

export const ATTN_BACKWARD_Q_WGSL = /* wgsl */ `
${BACKWARD_Q_BINDINGS}
var<workgroup> dos: array<f32, 256>;
var<workgroup> red: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
${ROW_HEAD}
  for (var d = li; d < p.D; d += ${WG}u) { dos[d] = dO[rh * p.D + d]; }
  workgroupBarrier();
  let base = (b * p.Hkv + kvh) * p.maxCtx;
  let srow = rh * p.stride;
  var part = 0.0;
  for (var j = li; j < L; j += ${WG}u) {
    var dp = 0.0;
    let vj = (base + j) * p.D;
    for (var d = 0u; d < p.D; d++) { dp += dos[d] * vc[vj + d]; }
    dS[srow + j] = dp;
    part += S[srow + j] * dp;
  }
  red[li] = part;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) { if (li < k) { red[li] += red[li + k]; } workgroupBarrier(); }
  let delta = red[0];
  for (var j = li; j < L; j += ${WG}u) { dS[srow + j] = S[srow + j] * (dS[srow + j] - delta); }
  storageBarrier();
  workgroupBarrier();
${weightedSum('dS[srow + j]', 'kc[(base + j) * p.D + d]', 'dq[rh * p.D + d] = p.scale * acc;')}
}`;

export const ATTN_BACKWARD_KV_WGSL = /* wgsl */ `
${PARAMS}
@group(0) @binding(0) var<storage, read> dO: array<f32>;
@group(0) @binding(1) var<storage, read> S: array<f32>;
@group(0) @binding(2) var<storage, read> dS: array<f32>;
@group(0) @binding(3) var<storage, read> q: array<f32>;
@group(0) @binding(4) var<storage, read_write> dk: array<f32>;
@group(0) @binding(5) var<storage, read_write> dv: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  // one workgroup per (key row r_j = b·T + j, kv head g); j is also the key's position
  let idx = wg.x + wg.y * 65535u;
  if (idx >= p.R * p.Hkv) { return; }
  let rj = idx / p.Hkv; let g = idx % p.Hkv;
  let b = rj / p.T; let j = rj % p.T;
  let group = p.Hq / p.Hkv;
  for (var d = li; d < p.D; d += ${WG}u) {
    var ak = 0.0; var av = 0.0;
    for (var t = j; t < p.T; t++) {
      let ri = b * p.T + t;
      for (var hh = 0u; hh < group; hh++) {
        let rh = ri * p.Hq + g * group + hh;
        let s = rh * p.stride + j;
        ak += dS[s] * q[rh * p.D + d];
        av += S[s] * dO[rh * p.D + d];
      }
    }
    dk[(rj * p.Hkv + g) * p.D + d] = p.scale * ak;
    dv[(rj * p.Hkv + g) * p.D + d] = av;
  }
}`;

export interface AttentionBackwardArgs extends Omit<AttentionArgs, 'out' | 'lse'> {
  dO: GPUBuffer; dS: GPUBuffer;
  /** outputs: dq [R, Hq, D]; dk, dv [R, Hkv, D] (rows of the step, as k and v were) */
  dq: GPUBuffer; dk: GPUBuffer; dv: GPUBuffer;
}

// Pass 1 with a thread per (query row, head) and no barrier (CPU adapters, as ATTENTION_ROWS_WGSL).
export const ATTN_BACKWARD_Q_ROWS_WGSL = /* wgsl */ `
${BACKWARD_Q_BINDINGS}
${THREAD_ROW_HEAD}
  let base = (b * p.Hkv + kvh) * p.maxCtx;
  let srow = rh * p.stride;
  let qo = rh * p.D;
  var delta = 0.0;
  for (var j = 0u; j < L; j++) {
    var dp = 0.0;
    let vj = (base + j) * p.D;
    for (var d = 0u; d < p.D; d++) { dp += dO[qo + d] * vc[vj + d]; }
    dS[srow + j] = dp;
    delta += S[srow + j] * dp;
  }
  for (var j = 0u; j < L; j++) { dS[srow + j] = S[srow + j] * (dS[srow + j] - delta); }
  for (var d = 0u; d < p.D; d++) {
    var acc = 0.0;
    for (var j = 0u; j < L; j++) { acc += dS[srow + j] * kc[(base + j) * p.D + d]; }
    dq[qo + d] = p.scale * acc;
  }
}`;

/** Backward of a training step's attention (positions 0 … T−1 of each sequence, seq0 = 0). */
export function attentionBackward(rec: Recorder, a: AttentionBackwardArgs, kernel: AttentionKernel = rec.caps.cpu ? 'rows' : 'workgroup'): void {
  if (a.D > 256) throw new UnsupportedError(`attention backward: head_dim ${a.D} > 256 is not supported`);
  const params = [a.R, a.T, a.Hq, a.Hkv, a.D, a.maxCtx, a.stride, { f32: 1 / Math.sqrt(a.D) }, a.seq0 ?? 0];
  const rows = a.R * a.Hq, krows = a.R * a.Hkv, qBufs = [a.dO, a.S, a.kc, a.vc, a.pos, a.dS, a.dq];
  if (kernel === 'rows') rec.dispatch(ATTN_BACKWARD_Q_ROWS_WGSL, 'attention_backward_q_rows', qBufs, params, grid1d(rows, ROWS_WG));
  else rec.dispatch(ATTN_BACKWARD_Q_WGSL, 'attention_backward_q', qBufs, params, [Math.min(rows, 65535), Math.ceil(rows / 65535)]);
  rec.dispatch(ATTN_BACKWARD_KV_WGSL, 'attention_backward_kv', [a.dO, a.S, a.dS, a.q, a.dk, a.dv], params, [Math.min(krows, 65535), Math.ceil(krows / 65535)]);
}

/** CPU reference: one sequence of T rows (q [T, Hq, D], k and v [T, Hkv, D]), causal. */
export function attentionBackwardCpu(q: Float32Array, k: Float32Array, v: Float32Array, dO: Float32Array, T: number, Hq: number, Hkv: number, D: number): { dq: Float32Array; dk: Float32Array; dv: Float32Array } {
  const g = Hq / Hkv, scale = 1 / Math.sqrt(D);
  const dq = new Float32Array(T * Hq * D), dk = new Float32Array(T * Hkv * D), dv = new Float32Array(T * Hkv * D);
  for (let t = 0; t < T; t++) for (let h = 0; h < Hq; h++) {
    const kv = Math.floor(h / g), L = t + 1, qo = (t * Hq + h) * D;
    const s = new Float64Array(L);
    let m = -Infinity;
    for (let j = 0; j < L; j++) { let dot = 0; for (let d = 0; d < D; d++) dot += q[qo + d]! * k[(j * Hkv + kv) * D + d]!; s[j] = dot * scale; m = Math.max(m, s[j]!); }
    let z = 0;
    for (let j = 0; j < L; j++) { s[j] = Math.exp(s[j]! - m); z += s[j]!; }
    for (let j = 0; j < L; j++) s[j]! /= z;
    const dp = new Float64Array(L);
    let delta = 0;
    for (let j = 0; j < L; j++) { let dot = 0; for (let d = 0; d < D; d++) dot += dO[qo + d]! * v[(j * Hkv + kv) * D + d]!; dp[j] = dot; delta += s[j]! * dot; }
    for (let j = 0; j < L; j++) {
      const ds = s[j]! * (dp[j]! - delta);
      for (let d = 0; d < D; d++) {
        dq[qo + d]! += scale * ds * k[(j * Hkv + kv) * D + d]!;
        dk[(j * Hkv + kv) * D + d]! += scale * ds * q[qo + d]!;
        dv[(j * Hkv + kv) * D + d]! += s[j]! * dO[qo + d]!;
      }
    }
  }
  return { dq, dk, dv };
}
