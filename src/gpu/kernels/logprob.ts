// Log-probabilities of chosen ids under the LM head, without materializing [rows × vocab] logits:
//   logit[r, v] = x[r, :] · W[v, :];  lse[r] = log Σ_v exp(logit[r, v]);  logprob[r] = logit[r, id[r]] − lse[r]
// x: [R, H]; W: [V, H] in vocabulary chunks (rows [v0, v0 + n)); ids: [R] (u32).
// Pass 1 (per chunk): each workgroup takes VOCAB_TILE vocabulary rows of one chunk (4 per thread)
// for 8 rows r at once (W is read once per 8 rows; x streams through workgroup memory in slices of
// 64), and writes each row's tile (max, Σ exp) to part[r, tile] and, if id[r] falls in the tile,
// its logit to tgt[r]. Pass 2: per row, combine the tiles (online log-sum-exp).
import type { Recorder } from '../device.ts';
import { VOCAB_TILE, vocabTiles } from '../buffers.ts';
import { scalarWeights, type WeightDtype } from './weights.ts';
import { UnsupportedError } from '../../errors.ts';

const WG = 256, VPT = VOCAB_TILE / WG, RB = 8, KT = 64;
/** The tile kernel: logits of RB rows × VOCAB_TILE vocabulary rows, reduced to (max, Σ exp) per row. */
export const logprobTileWgsl = (dtype: WeightDtype = 'f32') => /* wgsl */ `
struct P { R: u32, H: u32, v0: u32, n: u32, tiles: u32, tile0: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read_write> part: array<f32>;
@group(0) @binding(4) var<storage, read_write> tgt: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
var<workgroup> xs: array<f32, ${RB * KT}>;   // [row][k] of the current slice
var<workgroup> rm: array<f32, ${WG}>;
var<workgroup> rs: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let tile = wg.x; let r0 = wg.y * ${RB}u;
  var acc: array<array<f32, ${RB}>, ${VPT}>;
  for (var k0 = 0u; k0 < p.H; k0 += ${KT}u) {
    let kt = min(${KT}u, p.H - k0);
    for (var i = li; i < ${RB * KT}u; i += ${WG}u) {
      let rb = i / ${KT}u; let kk = i % ${KT}u;
      var v = 0.0;
      if (r0 + rb < p.R && kk < kt) { v = x[(r0 + rb) * p.H + k0 + kk]; }
      xs[i] = v;
    }
    workgroupBarrier();
    for (var j = 0u; j < ${VPT}u; j++) {
      let local = tile * ${VOCAB_TILE}u + j * ${WG}u + li;
      if (local < p.n) {
        let w0 = local * p.H + k0;
        for (var kk = 0u; kk < kt; kk++) {
          let w = wAt(w0 + kk);
          for (var rb = 0u; rb < ${RB}u; rb++) { acc[j][rb] += xs[rb * ${KT}u + kk] * w; }
        }
      }
    }
    workgroupBarrier();
  }
  for (var rb = 0u; rb < ${RB}u; rb++) {
    let r = r0 + rb;
    var m = -3.0e38;
    for (var j = 0u; j < ${VPT}u; j++) {
      let local = tile * ${VOCAB_TILE}u + j * ${WG}u + li;
      if (local < p.n) {
        m = max(m, acc[j][rb]);
        if (r < p.R && p.v0 + local == ids[r]) { tgt[r] = acc[j][rb]; }
      }
    }
    var s = 0.0;
    for (var j = 0u; j < ${VPT}u; j++) {
      if (tile * ${VOCAB_TILE}u + j * ${WG}u + li < p.n) { s += exp(acc[j][rb] - m); }
    }
    rm[li] = m; rs[li] = s;
    workgroupBarrier();
    for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
      if (li < k) {
        let m1 = rm[li]; let m2 = rm[li + k]; let nm = max(m1, m2);
        rs[li] = rs[li] * exp(m1 - nm) + rs[li + k] * exp(m2 - nm);
        rm[li] = nm;
      }
      workgroupBarrier();
    }
    if (li == 0u && r < p.R) {
      let o = (r * p.tiles + p.tile0 + tile) * 2u;
      part[o] = rm[0]; part[o + 1u] = rs[0];
    }
    workgroupBarrier();
  }
}`;

export const LOGPROB_REDUCE_WGSL = /* wgsl */ `
struct P { R: u32, tiles: u32 }
@group(0) @binding(0) var<storage, read> part: array<f32>;
@group(0) @binding(1) var<storage, read> tgt: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<storage, read_write> logprob: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let r = g.x;
  if (r >= p.R) { return; }
  var m = -3.0e38; var s = 0.0;
  for (var t = 0u; t < p.tiles; t++) {
    let o = (r * p.tiles + t) * 2u;
    let tm = part[o]; let ts = part[o + 1u];
    let nm = max(m, tm);
    s = s * exp(m - nm) + ts * exp(tm - nm);
    m = nm;
  }
  let l = m + log(s);
  lse[r] = l;
  logprob[r] = tgt[r] - l;
}`;

export interface VocabChunk { buf: GPUBuffer; v0: number; n: number; dtype?: WeightDtype }

/** Number of vocabulary tiles over all chunks (size of part's second axis). */
export function logprobTiles(chunks: VocabChunk[]): number {
  return vocabTiles(chunks);
}

export function logprob(rec: Recorder, a: { x: GPUBuffer; chunks: VocabChunk[]; ids: GPUBuffer; part: GPUBuffer; tgt: GPUBuffer; lse: GPUBuffer; out: GPUBuffer; R: number; H: number }): void {
  const tiles = logprobTiles(a.chunks);
  let tile0 = 0;
  for (const ch of a.chunks) {
    const nt = Math.ceil(ch.n / VOCAB_TILE);
    rec.dispatch(logprobTileWgsl(ch.dtype), `logprob_tile_${ch.dtype ?? 'f32'}`, [a.x, ch.buf, a.ids, a.part, a.tgt], [a.R, a.H, ch.v0, ch.n, tiles, tile0], [nt, Math.ceil(a.R / RB)]);
    tile0 += nt;
  }
  rec.dispatch(LOGPROB_REDUCE_WGSL, 'logprob_reduce', [a.part, a.tgt, a.lse, a.out], [a.R, tiles], [Math.ceil(a.R / 64)]);
}

/** log-sum-exp of a logits row, and log-probability of `id`, in float64. */
export function logprobCpu(logits: ArrayLike<number>, id: number): { lse: number; logprob: number } {
  let m = -Infinity;
  for (let i = 0; i < logits.length; i++) m = Math.max(m, logits[i]!);
  let s = 0;
  for (let i = 0; i < logits.length; i++) s += Math.exp(logits[i]! - m);
  const lse = m + Math.log(s);
  return { lse, logprob: logits[id]! - lse };
}

// ---- backward ----------------------------------------------------------------------------------
// Upstream g[r] = ∂L/∂logprob[r]. With p[r, v] = exp(x_r·W_v − lse[r]) recomputed tile by tile,
//   ∂L/∂logit[r, v] = g[r] · (1[v = id_r] − p[r, v])
//   dx[r, :] += Σ_v ∂L/∂logit[r, v] · W_v              (one workgroup per row, W streamed per chunk)
//   dW[v, :] += Σ_r ∂L/∂logit[r, v] · x_r              (full fine-tuning: logitGradTile + gemm)
const BW = 256;
export const logprobBackwardWgsl = (H: number, dtype: WeightDtype) => /* wgsl */ `
struct P { R: u32, H: u32, v0: u32, n: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
const COLS = ${Math.max(1, Math.ceil(H / BW))}u;
var<workgroup> xs: array<f32, ${Math.max(4, H)}>;
var<workgroup> coef: array<f32, ${BW}>;
@compute @workgroup_size(${BW})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = wg.x + wg.y * 65535u;
  if (r >= p.R) { return; }
  for (var k = li; k < p.H; k += ${BW}u) { xs[k] = x[r * p.H + k]; }
  workgroupBarrier();
  let gr = g[r]; let l = lse[r]; let id = ids[r];
  var acc: array<f32, ${Math.max(1, Math.ceil(H / BW))}>;
  for (var t0 = 0u; t0 < p.n; t0 += ${BW}u) {
    let v = t0 + li;
    var c = 0.0;
    if (v < p.n) {
      var s = 0.0;
      for (var k = 0u; k < p.H; k++) { s += xs[k] * wAt(v * p.H + k); }
      c = -gr * exp(s - l);
      if (p.v0 + v == id) { c += gr; }
    }
    coef[li] = c;
    workgroupBarrier();
    let m = min(${BW}u, p.n - t0);
    for (var cc = 0u; cc < COLS; cc++) {
      let col = li + cc * ${BW}u;
      if (col < p.H) {
        var s = 0.0;
        for (var t = 0u; t < m; t++) { s += coef[t] * wAt((t0 + t) * p.H + col); }
        acc[cc] += s;
      }
    }
    workgroupBarrier();
  }
  for (var cc = 0u; cc < COLS; cc++) {
    let col = li + cc * ${BW}u;
    if (col < p.H) { dx[r * p.H + col] += acc[cc]; }
  }
}`;

/** dx[r, :] += the LM head's contribution (dx must hold the rest of the gradient, or zeros). */
export function logprobBackward(rec: Recorder, a: { x: GPUBuffer; chunks: VocabChunk[]; ids: GPUBuffer; lse: GPUBuffer; g: GPUBuffer; dx: GPUBuffer; R: number; H: number }): void {
  if (a.H > 4096) throw new UnsupportedError(`logprob backward: hidden size ${a.H} > 4096 is not supported`);
  for (const ch of a.chunks) {
    const dt = ch.dtype ?? 'f32';
    rec.dispatch(logprobBackwardWgsl(a.H, dt), `logprob_backward_${dt}`, [a.x, ch.buf, a.ids, a.lse, a.g, a.dx], [a.R, a.H, ch.v0, ch.n], [Math.min(a.R, 65535), Math.ceil(a.R / 65535)]);
  }
}

/** ∂L/∂logits for rows × a vocabulary tile [v0, v0 + n): out [R, n] (full fine-tuning of the head). */
export const LOGIT_GRAD_TILE_WGSL = /* wgsl */ `
struct P { R: u32, H: u32, v0: u32, n: u32, w0: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> ids: array<u32>;
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> g: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let v = gid.x; let r = gid.y;
  if (v >= p.n || r >= p.R) { return; }
  var s = 0.0;
  for (var k = 0u; k < p.H; k++) { s += x[r * p.H + k] * W[(p.w0 + v) * p.H + k]; }
  var c = -g[r] * exp(s - lse[r]);
  if (p.v0 + v == ids[r]) { c += g[r]; }
  out[r * p.n + v] = c;
}`;

export function logprobBackwardCpu(x: Float32Array, W: Float32Array, ids: ArrayLike<number>, g: ArrayLike<number>, R: number, V: number, H: number): { dx: Float32Array; dW: Float32Array } {
  const dx = new Float32Array(R * H), dW = new Float32Array(V * H);
  for (let r = 0; r < R; r++) {
    const logits = new Float64Array(V);
    for (let v = 0; v < V; v++) { let s = 0; for (let k = 0; k < H; k++) s += x[r * H + k]! * W[v * H + k]!; logits[v] = s; }
    const { lse } = logprobCpu(logits, ids[r]!);
    for (let v = 0; v < V; v++) {
      const c = g[r]! * ((v === ids[r] ? 1 : 0) - Math.exp(logits[v]! - lse));
      for (let k = 0; k < H; k++) { dx[r * H + k]! += c * W[v * H + k]!; dW[v * H + k]! += c * x[r * H + k]!; }
    }
  }
  return { dx, dW };
}

/** out[R, n] = ∂L/∂logits for vocabulary rows [v0, v0 + n) of an f32 chunk starting at chunk row w0. */
export function logitGradTile(rec: Recorder, a: { x: GPUBuffer; W: GPUBuffer; ids: GPUBuffer; lse: GPUBuffer; g: GPUBuffer; out: GPUBuffer; R: number; H: number; v0: number; n: number; w0: number }): void {
  rec.dispatch(LOGIT_GRAD_TILE_WGSL, 'logit_grad_tile', [a.x, a.W, a.ids, a.lse, a.g, a.out], [a.R, a.H, a.v0, a.n, a.w0], [Math.ceil(a.n / 64), a.R]);
}
