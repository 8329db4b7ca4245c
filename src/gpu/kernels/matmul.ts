// Linear layer in Hugging Face layout: Y[m, off + n] = Σ_k X[m, k] · W[n, k] (+ b[n])
// X: [M, K]; W: [N, K] (row-major, as stored by HF); b: [N]; Y: [M, ldY] written at column offset `off`
// (the LM head is split by vocabulary into chunks, each writing its own column range).
// Three kernels, chosen in `chooseMatmul`: skinny (few rows: decoding, the LM head), tiled64 (many
// rows: prefill), and rows (few rows with K not a multiple of 4). Measured on SwiftShader, where the
// cost per workgroup dominates, few fat workgroups win by 10–100×.
import type { Recorder } from '../device.ts';
import { scalarWeights, vec4Weights, type WeightDtype } from './weights.ts';
import { UnsupportedError } from '../../errors.ts';
import { grid1d } from './add.ts';

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

// LoRA in the epilogue (instead of a dispatch of its own): y[m, n] += scale · Σ_j t[m, j] · LB[n, j],
// with t = X·Aᵀ [M, rank] computed before and LB: [N, rank] (PEFT's lora_B). The sum runs over j in
// order, as the separate gemm did, so the result is the same.
const loraBindings = (lora: boolean) => lora ? `@group(0) @binding(4) var<storage, read> LT: array<f32>;
@group(0) @binding(5) var<storage, read> LB: array<f32>;
@group(0) @binding(6) var<uniform> p: P;
fn loraAdd(v: f32, m: u32, n: u32) -> f32 {
  var s = 0.0;
  for (var j = 0u; j < p.rank; j++) { s += LT[m * p.rank + j] * LB[n * p.rank + j]; }
  return v + p.scale * s;
}` : '@group(0) @binding(4) var<uniform> p: P;';

/** Parameters and bindings of the kernels that read X and W as vec4 (skinny, cols), M rows at a time. */
const vec4Header = (M: number, dtype: WeightDtype, lora: boolean) => `struct P { M: u32, N: u32, K: u32, hasBias: u32, ldY: u32, off: u32, m0: u32, rank: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
${vec4Weights(dtype, 1)}
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${loraBindings(lora)}
const M = ${M}u;`;

// Skinny kernel (M ≤ 8 rows, K % 4 = 0): each thread owns COLS output columns for all M rows,
// reading its W rows as vec4 while the workgroup shares X in tiles of K. Few, fat workgroups:
// on SwiftShader the per-workgroup cost dominates, on GPUs W streams once through the cache.
// 64 threads × 8 columns: the best of 7 shapes tried on SwiftShader (1.3–1.6× over 64 × 4).
const SK_WG = 64, SK_COLS = 8, SK_TK4 = 64;
export const matmulSkinnyWgsl = (M: number, dtype: WeightDtype = 'f32', lora = false, accumulate = false) => /* wgsl */ `
${vec4Header(M, dtype, lora)}
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
    for (var m = 0u; m < M; m++) {
      let y = (p.m0 + m) * p.ldY + p.off + n;
      Y[y] = ${accumulate ? 'Y[y] + ' : ''}${lora ? 'loraAdd(acc[m][c] + b, p.m0 + m, n)' : '(acc[m][c] + b)'};
    }
  }
}`;

// Columns kernel (CPU adapters, M ≤ 8, K % 4 = 0): a thread per output column, X read straight from
// memory (a CPU caches it), no workgroup memory and no barrier: on SwiftShader a workgroup runs on
// one core and each barrier switches all its invocations, so the skinny kernel's one fat workgroup
// (N ≤ 512) used one core of the machine.
const CW = 16;
export const matmulColsWgsl = (M: number, dtype: WeightDtype = 'f32', lora = false, accumulate = false) => /* wgsl */ `
${vec4Header(M, dtype, lora)}
@compute @workgroup_size(${CW})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let n = g.x + g.y * nw.x * ${CW}u;
  if (n >= p.N) { return; }
  let K4 = p.K / 4u;
  var acc: array<f32, ${M}>;
  let wbase = n * K4;
  for (var k = 0u; k < K4; k++) {
    let w = w4At(wbase + k);
    for (var m = 0u; m < M; m++) { acc[m] += dot(X[(p.m0 + m) * K4 + k], w); }
  }
  var b = 0.0;
  if (p.hasBias != 0u) { b = B[n]; }
  for (var m = 0u; m < M; m++) {
    let y = (p.m0 + m) * p.ldY + p.off + n;
    Y[y] = ${accumulate ? 'Y[y] + ' : ''}${lora ? 'loraAdd(acc[m] + b, p.m0 + m, n)' : '(acc[m] + b)'};
  }
}`;

// Large register-tiled kernel: 16×16 threads, each 4×4 outputs → 64×64 per workgroup; X and W
// tiles are kept k-major in workgroup memory so each step reads one vec4 of X rows and one of W rows.
const LT = 64, LTK = 16;
export const matmulTiled64Wgsl = (dtype: WeightDtype = 'f32', lora = false, accumulate = false) => /* wgsl */ `
struct P { M: u32, N: u32, K: u32, hasBias: u32, ldY: u32, off: u32, m0: u32, rank: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> X: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read> B: array<f32>;
@group(0) @binding(3) var<storage, read_write> Y: array<f32>;
${loraBindings(lora)}
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
      let y = r * p.ldY + p.off + c;
      Y[y] = ${accumulate ? 'Y[y] + ' : ''}${lora ? 'loraAdd(v, r, c)' : 'v'};
    }
  }
}`;

/** LoRA's second half, added in the matmul's epilogue: t = X·Aᵀ [M, rank], B [N, rank], scale α/r. */
export interface LoraEpilogue { t: GPUBuffer; B: GPUBuffer; rank: number; scale: number }

export interface MatmulArgs {
  X: GPUBuffer; W: GPUBuffer; bias: GPUBuffer | null; Y: GPUBuffer;
  /** y += scale · t·Bᵀ in the same dispatch */
  lora?: LoraEpilogue | null;
  /** Y += X·Wᵀ (+ b, + LoRA) instead of Y = …: a residual add in the epilogue (skinny and tiled kernels) */
  accumulate?: boolean;
  /** storage of W (default f32); f16, q8 and q4 need K % 4 = 0 */
  wDtype?: WeightDtype;
  M: number; N: number; K: number;
  /** row stride of Y (default N) and column offset where this W chunk writes (default 0) */
  ldY?: number; off?: number;
}

export type MatmulKernel = 'skinny' | 'rows' | 'tiled64' | 'cols';

/** Kernel choice in one place: skinny for few rows (decode, LM head), tiled for many. */
export function chooseMatmul(M: number, K: number, dtype: WeightDtype = 'f32', accumulate = false, cpu = false): MatmulKernel {
  if (cpu && K % 4 === 0 && M <= MAXM) return 'cols';
  if (K % 4 === 0 && M <= 4 * MAXM) return 'skinny';
  if (M <= MAXM && dtype === 'f32' && !accumulate) return 'rows';
  return 'tiled64';
}

export function matmul(rec: Recorder, a: MatmulArgs, kernel: MatmulKernel = chooseMatmul(a.M, a.K, a.wDtype, a.accumulate, rec.caps.cpu)): void {
  const dt = a.wDtype ?? 'f32';
  if (dt !== 'f32' && a.K % 4 !== 0) throw new UnsupportedError(`matmul: ${dt} weights need K % 4 = 0 (K = ${a.K})`);
  if (dt !== 'f32' && kernel === 'rows') throw new Error('matmul: the rows kernel reads f32 weights only');
  const params = [a.M, a.N, a.K, a.bias ? 1 : 0, a.ldY ?? a.N, a.off ?? 0];
  const lo = a.lora ?? null, fused = lo !== null && kernel !== 'rows';
  if (lo && (a.off ?? 0) !== 0) throw new Error('matmul: a LoRA epilogue needs the whole output (off = 0)');
  const bufs = [a.X, a.W, a.bias ?? a.W, a.Y, ...(fused ? [lo.t, lo.B] : [])];
  const loraParams = (m0: number) => [m0, lo?.rank ?? 0, { f32: lo?.scale ?? 0 }];
  const acc = Boolean(a.accumulate);
  if (acc && kernel === 'rows') throw new Error('matmul: the rows kernel cannot accumulate into Y');
  const tag = `${fused ? '_lora' : ''}${acc ? '_acc' : ''}`;
  if (kernel === 'cols') {
    if (a.K % 4 !== 0 || a.M > MAXM) throw new Error('matmul: the cols kernel needs K % 4 = 0 and at most 8 rows');
    rec.dispatch(matmulColsWgsl(a.M, dt, fused, acc), `matmul_cols_${a.M}_${dt}${tag}`, bufs, [...params, ...loraParams(0)], grid1d(a.N, CW));
  } else if (kernel === 'skinny') {
    const groups = Math.ceil(a.N / (SK_WG * SK_COLS));
    const grid: [number, number] = [Math.min(groups, 65535), Math.ceil(groups / 65535)];
    // up to 8 rows per dispatch; more rows are done in slices of 8
    for (let m0 = 0; m0 < a.M; m0 += MAXM) {
      const m = Math.min(MAXM, a.M - m0);
      rec.dispatch(matmulSkinnyWgsl(m, dt, fused, acc), `matmul_skinny_${m}_${dt}${tag}`, bufs, [...params, ...loraParams(m0)], grid);
    }
  } else if (kernel === 'rows') {
    rec.dispatch(MATMUL_ROWS_WGSL, 'matmul_rows', bufs, params, [Math.min(a.N, 65535), Math.ceil(a.N / 65535)]);
    // the rows kernel (K % 4 ≠ 0) has no epilogue: LoRA as its own dispatch
    if (lo) gemm(rec, { A: lo.t, B: lo.B, C: a.Y, I: a.M, J: a.N, K: lo.rank, aT: false, bT: true, accumulate: true, scale: lo.scale });
  } else {
    rec.dispatch(matmulTiled64Wgsl(dt, fused, acc), `matmul_tiled64_${dt}${tag}`, bufs, [...params, ...loraParams(0)], [Math.ceil(a.N / LT), Math.ceil(a.M / LT)]);
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

// ---- backward ----------------------------------------------------------------------------------
// For Y = X·Wᵀ + b with upstream dY [M, N]:  dX = dY·W [M, K],  dW = dYᵀ·X [N, K],  db = Σ_m dY [N].
// One general tiled kernel computes C (+)= s · A·B for the layouts these need:
//   A(i, k) = aT ? A[k·I + i] : A[i·K + k]      (f32)
//   B(k, j) = bT ? B[j·K + k] : B[k·J + j]      (f32, or f16 weights)
// so dX = gemm(dY, W, aT=false, bT=false) and dW = gemm(dY, X, aT=true, bT=false).

export const gemmWgsl = (aT: boolean, bT: boolean, dtype: WeightDtype, accumulate: boolean) => /* wgsl */ `
struct P { I: u32, J: u32, K: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
fn aAt(i: u32, k: u32) -> f32 { return A[${aT ? 'k * p.I + i' : 'i * p.K + k'}]; }
fn bAt(k: u32, j: u32) -> f32 { return wAt(${bT ? 'j * p.K + k' : 'k * p.J + j'}); }
var<workgroup> as_: array<vec4f, ${(LT / 4) * LTK}>;   // [k][i/4]
var<workgroup> bs_: array<vec4f, ${(LT / 4) * LTK}>;   // [k][j/4]
@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) li: u32) {
  let i0 = wg.y * ${LT}u;
  let j0 = wg.x * ${LT}u;
  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < p.K; k0 += ${LTK}u) {
    for (var e = 0u; e < 4u; e++) {
      let t = li * 4u + e;
      let r = t / ${LTK}u; let kk = t % ${LTK}u;
      let gk = k0 + kk;
      var av = 0.0;
      if (i0 + r < p.I && gk < p.K) { av = aAt(i0 + r, gk); }
      var bv = 0.0;
      if (j0 + r < p.J && gk < p.K) { bv = bAt(gk, j0 + r); }
      let slot = kk * ${LT / 4}u + r / 4u;
      as_[slot][r % 4u] = av;
      bs_[slot][r % 4u] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${LTK}u; kk++) {
      let a = as_[kk * ${LT / 4}u + lid.y];
      let b = bs_[kk * ${LT / 4}u + lid.x];
      acc[0] += a.x * b; acc[1] += a.y * b; acc[2] += a.z * b; acc[3] += a.w * b;
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let r = i0 + lid.y * 4u + i;
    if (r >= p.I) { continue; }
    for (var j = 0u; j < 4u; j++) {
      let c = j0 + lid.x * 4u + j;
      if (c >= p.J) { continue; }
      ${accumulate ? 'C[r * p.J + c] += p.scale * acc[i][j];' : 'C[r * p.J + c] = p.scale * acc[i][j];'}
    }
  }
}`;

// The same product, a thread per output and no workgroup memory: for CPU adapters (GpuCaps.cpu),
// where the tiled kernel's barriers cost more than its reuse saves, and LoRA's narrow products
// (rank-wide outputs or reductions) leave most of a 64 × 64 tile empty. Sums over k in order.
const GS_WG = 64;
export const gemmSimpleWgsl = (aT: boolean, bT: boolean, dtype: WeightDtype, accumulate: boolean) => /* wgsl */ `
struct P { I: u32, J: u32, K: u32, scale: f32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read_write> C: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(${GS_WG})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let idx = g.x + g.y * nw.x * ${GS_WG}u;
  if (idx >= p.I * p.J) { return; }
  let i = idx / p.J; let j = idx % p.J;
  var acc = 0.0;
  for (var k = 0u; k < p.K; k++) { acc += A[${aT ? 'k * p.I + i' : 'i * p.K + k'}] * wAt(${bT ? 'j * p.K + k' : 'k * p.J + j'}); }
  ${accumulate ? 'C[idx] += p.scale * acc;' : 'C[idx] = p.scale * acc;'}
}`;

export type GemmKernel = 'tiled' | 'simple';

export interface GemmArgs {
  A: GPUBuffer; B: GPUBuffer; C: GPUBuffer;
  I: number; J: number; K: number;
  aT: boolean; bT: boolean;
  bDtype?: WeightDtype;
  /** add into C instead of overwriting it (gradient accumulation) */
  accumulate?: boolean;
  scale?: number;
}

/** C[I, J] (+)= scale · A·B with the layouts above. */
export function gemm(rec: Recorder, a: GemmArgs, kernel: GemmKernel = rec.caps.cpu ? 'simple' : 'tiled'): void {
  const dt = a.bDtype ?? 'f32';
  if (kernel === 'simple') {
    rec.dispatch(gemmSimpleWgsl(a.aT, a.bT, dt, Boolean(a.accumulate)), `gemm_simple_${a.aT ? 't' : 'n'}${a.bT ? 't' : 'n'}_${dt}${a.accumulate ? '_acc' : ''}`,
      [a.A, a.B, a.C], [a.I, a.J, a.K, { f32: a.scale ?? 1 }], grid1d(a.I * a.J, GS_WG));
    return;
  }
  rec.dispatch(gemmWgsl(a.aT, a.bT, dt, Boolean(a.accumulate)), `gemm_${a.aT ? 't' : 'n'}${a.bT ? 't' : 'n'}_${dt}${a.accumulate ? '_acc' : ''}`,
    [a.A, a.B, a.C], [a.I, a.J, a.K, { f32: a.scale ?? 1 }], [Math.ceil(a.J / LT), Math.ceil(a.I / LT)]);
}

export const COLSUM_WGSL = /* wgsl */ `
struct P { M: u32, N: u32, accumulate: u32 }
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let n = g.x;
  if (n >= p.N) { return; }
  var s = 0.0;
  for (var m = 0u; m < p.M; m++) { s += A[m * p.N + n]; }
  if (p.accumulate != 0u) { out[n] += s; } else { out[n] = s; }
}`;

/** out[n] (+)= Σ_m A[m, n]   (A: [M, N]) — bias gradients. */
export function colSum(rec: Recorder, A: GPUBuffer, out: GPUBuffer, M: number, N: number, accumulate = false): void {
  rec.dispatch(COLSUM_WGSL, 'colsum', [A, out], [M, N, accumulate ? 1 : 0], [Math.ceil(N / 64)]);
}

export interface MatmulBackwardArgs {
  dY: GPUBuffer; X: GPUBuffer; W: GPUBuffer; wDtype?: WeightDtype;
  M: number; N: number; K: number;
  /** outputs (any may be null): dX [M, K] (overwritten or accumulated), dW [N, K] and db [N] (accumulated) */
  dX: GPUBuffer | null; dW: GPUBuffer | null; db: GPUBuffer | null;
  accumulateDX?: boolean;
}

export function matmulBackward(rec: Recorder, a: MatmulBackwardArgs): void {
  if (a.dX) gemm(rec, { A: a.dY, B: a.W, C: a.dX, I: a.M, J: a.K, K: a.N, aT: false, bT: false, bDtype: a.wDtype, accumulate: a.accumulateDX });
  if (a.dW) gemm(rec, { A: a.dY, B: a.X, C: a.dW, I: a.N, J: a.K, K: a.M, aT: true, bT: false, accumulate: true });
  if (a.db) colSum(rec, a.dY, a.db, a.M, a.N, true);
}

export function matmulBackwardCpu(dY: Float32Array, X: Float32Array, W: Float32Array, M: number, N: number, K: number): { dX: Float32Array; dW: Float32Array; db: Float32Array } {
  const dX = new Float32Array(M * K), dW = new Float32Array(N * K), db = new Float32Array(N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    const g = dY[m * N + n]!;
    db[n]! += g;
    for (let k = 0; k < K; k++) { dX[m * K + k]! += g * W[n * K + k]!; dW[n * K + k]! += g * X[m * K + k]!; }
  }
  return { dX, dW, db };
}
