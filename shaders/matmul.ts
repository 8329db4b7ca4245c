// Linear layer in Hugging Face layout: Y[m, off + n] = Σ_k X[m, k] · W[n, k] (+ b[n])
// X: [M, K]; W: [N, K] (row-major, as stored by HF); b: [N]; Y: [M, ldY] written at column offset `off`
// (the LM head is split by vocabulary into chunks, each writing its own column range).
// Three kernels, chosen in `chooseMatmul`: skinny (few rows: decoding, the LM head), tiled64 (many
// rows: prefill), and rows (few rows with K not a multiple of 4). Measured on SwiftShader, where the
// cost per workgroup dominates, few fat workgroups win by 10–100×.
import type { Recorder } from '../src/gpu.ts';
import { scalarWeights, vec4Weights, type WeightDtype } from './weights.ts';

const RW = 64, MAXM = 8;
export const MATMUL_ROWS_WGSL = /* wgsl */ `
struct P { M: u32, N: u32, K: u32, hasBias: u32, ldY: u32, off: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
@group(0) @binding(1) var<storage, read> W: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> part: array<f32, ${RW * MAXM}>;
@compute @workgroup_size(${RW})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n = wg.x + wg.y * 65535u;
  if (n >= p.N) { return; }
  var acc: array<f32, ${MAXM}>;
  let wrow = n * p.K;
  for (var k = li; k < p.K; k += ${RW}u) {
    let w = W[wrow + k];
    for (var m = 0u; m < p.M; m++) { acc[m] += X[m * p.K + k] * w; }
  }
  for (var m = 0u; m < ${MAXM}u; m++) { part[m * ${RW}u + li] = acc[m]; }
  workgroupBarrier();
  for (var s = ${RW / 2}u; s > 0u; s >>= 1u) {
    if (li < s) {
      for (var m = 0u; m < ${MAXM}u; m++) { part[m * ${RW}u + li] += part[m * ${RW}u + li + s]; }
    }
    workgroupBarrier();
  }
  if (li < p.M) {
    var v = part[li * ${RW}u];
    if (p.hasBias != 0u) { v += B[n]; }
    Y[li * p.ldY + p.off + n] = v;
  }
}`;

// Skinny kernel (M ≤ 8 rows, K % 4 = 0): each thread owns COLS output columns for all M rows,
// reading its W rows as vec4 while the workgroup shares X in tiles of K. Few, fat workgroups:
// on SwiftShader the per-workgroup cost dominates, on GPUs W streams once through the cache.
// 64 threads × 8 columns: the best of 7 shapes tried on SwiftShader (1.3–1.6× over 64 × 4).
const SK_WG = 64, SK_COLS = 8, SK_TK4 = 64;
export const matmulSkinnyWgsl = (M: number, dtype: WeightDtype = 'f32') => /* wgsl */ `
struct P { M: u32, N: u32, K: u32, hasBias: u32, ldY: u32, off: u32, m0: u32 }
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
${vec4Weights(dtype, 1)}
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
const M = ${M}u;
var<workgroup> xs: array<vec4f, ${M * SK_TK4}>;
@compute @workgroup_size(${SK_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let n0 = (wg.x + wg.y * 65535u) * ${SK_WG * SK_COLS}u + li;
  let K4 = p.K / 4u;
  var acc: array<array<f32, ${SK_COLS}>, ${M}>;
  for (var k0 = 0u; k0 < K4; k0 += ${SK_TK4}u) {
    let tk = min(${SK_TK4}u, K4 - k0);
    for (var i = li; i < M * ${SK_TK4}u; i += ${SK_WG}u) {
      let m = i / ${SK_TK4}u; let kk = i % ${SK_TK4}u;
      var xv = vec4f(0.0);
      if (kk < tk) { xv = X[(p.m0 + m) * K4 + k0 + kk]; }
      xs[i] = xv;
    }
    workgroupBarrier();
    for (var c = 0u; c < ${SK_COLS}u; c++) {
      let n = n0 + c * ${SK_WG}u;
      if (n < p.N) {
        let wbase = n * K4 + k0;
        for (var kk = 0u; kk < tk; kk++) {
          let w = w4At(wbase + kk);
          for (var m = 0u; m < M; m++) { acc[m][c] += dot(xs[m * ${SK_TK4}u + kk], w); }
        }
      }
    }
    workgroupBarrier();
  }
  for (var c = 0u; c < ${SK_COLS}u; c++) {
    let n = n0 + c * ${SK_WG}u;
    if (n >= p.N) { continue; }
    var b = 0.0;
    if (p.hasBias != 0u) { b = B[n]; }
    for (var m = 0u; m < M; m++) { Y[(p.m0 + m) * p.ldY + p.off + n] = acc[m][c] + b; }
  }
}`;

// Large register-tiled kernel: 16×16 threads, each 4×4 outputs → 64×64 per workgroup; X and W
// tiles are kept k-major in workgroup memory so each step reads one vec4 of X rows and one of W rows.
const LT = 64, LTK = 16;
export const matmulTiled64Wgsl = (dtype: WeightDtype = 'f32') => /* wgsl */ `
struct P { M: u32, N: u32, K: u32, hasBias: u32, ldY: u32, off: u32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
var<workgroup> xs: array<vec4f, ${(LT / 4) * LTK}>;   // [k][row/4]
var<workgroup> ws: array<vec4f, ${(LT / 4) * LTK}>;   // [k][col/4]
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * ${LT}u;
  let col0 = wg.x * ${LT}u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += ${LTK}u) {
    // 256 threads load 64 rows × 16 k of X and of W: 4 values each, stored transposed.
    for (var e = 0u; e < 4u; e++) {
      let i = li * 4u + e;              // 0..1023
      let r = i / ${LTK}u; let kk = i % ${LTK}u;
      let gk = k0 + kk;
      var xv = 0.0;
      if (row0 + r < p.M && gk < p.K) { xv = X[(row0 + r) * p.K + gk]; }
      var wv = 0.0;
      if (col0 + r < p.N && gk < p.K) { wv = wAt((col0 + r) * p.K + gk); }
      let slot = kk * ${LT / 4}u + r / 4u;
      xs[slot][r % 4u] = xv;
      ws[slot][r % 4u] = wv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${LTK}u; kk++) {
      let a = xs[kk * ${LT / 4}u + lid.y];
      let b = ws[kk * ${LT / 4}u + lid.x];
      acc[0] += a.x * b; acc[1] += a.y * b; acc[2] += a.z * b; acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = row0 + lid.y * 4u + i;
    if (r >= p.M) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = col0 + lid.x * 4u + j;
      if (c >= p.N) { continue; }
      var v = acc[i][j];
      if (p.hasBias != 0u) { v += B[c]; }
      Y[r * p.ldY + p.off + c] = v;
    }
  }
}`;

export interface MatmulArgs {
  X: GPUBuffer; W: GPUBuffer; bias: GPUBuffer | null; Y: GPUBuffer;
  /** storage of W (default f32); f16 needs K % 4 = 0 */
  wDtype?: WeightDtype;
  M: number; N: number; K: number;
  /** row stride of Y (default N) and column offset where this W chunk writes (default 0) */
  ldY?: number; off?: number;
}

export type MatmulKernel = 'skinny' | 'rows' | 'tiled64';

/** Kernel choice in one place: skinny for few rows (decode, LM head), tiled for many. */
export function chooseMatmul(M: number, K: number, dtype: WeightDtype = 'f32'): MatmulKernel {
  if (K % 4 === 0 && M <= 4 * MAXM) return 'skinny';
  if (M <= MAXM && dtype === 'f32') return 'rows';
  return 'tiled64';
}

export function matmul(rec: Recorder, a: MatmulArgs, kernel: MatmulKernel = chooseMatmul(a.M, a.K, a.wDtype)): void {
  const dt = a.wDtype ?? 'f32';
  if (dt === 'f16' && a.K % 4 !== 0) throw new Error(`matmul: f16 weights need K % 4 = 0 (K = ${a.K})`);
  if (dt === 'f16' && kernel === 'rows') throw new Error('matmul: the rows kernel reads f32 weights only');
  const params = [a.M, a.N, a.K, a.bias ? 1 : 0, a.ldY ?? a.N, a.off ?? 0];
  const bufs = [a.X, a.W, a.bias ?? a.W, a.Y];
  if (kernel === 'skinny') {
    const groups = Math.ceil(a.N / (SK_WG * SK_COLS));
    const grid: [number, number] = [Math.min(groups, 65535), Math.ceil(groups / 65535)];
    // up to 8 rows per dispatch; more rows are done in slices of 8
    for (let m0 = 0; m0 < a.M; m0 += MAXM) {
      const m = Math.min(MAXM, a.M - m0);
      rec.dispatch(matmulSkinnyWgsl(m, dt), `matmul_skinny_${m}_${dt}`, bufs, [...params, m0], grid);
    }
  } else if (kernel === 'rows') {
    rec.dispatch(MATMUL_ROWS_WGSL, 'matmul_rows', bufs, params, [Math.min(a.N, 65535), Math.ceil(a.N / 65535)]);
  } else {
    rec.dispatch(matmulTiled64Wgsl(dt), `matmul_tiled64_${dt}`, bufs, params, [Math.ceil(a.N / LT), Math.ceil(a.M / LT)]);
  }
}

export function matmulCpu(X: Float32Array, W: Float32Array, b: Float32Array | null, M: number, N: number, K: number): Float32Array {
  const Y = new Float32Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let s = b ? b[n]! : 0;
      for (let k = 0; k < K; k++) s += X[m * K + k]! * W[n * K + k]!;
      Y[m * N + n] = s;
    }
  }
  return Y;
}
