// RMSNorm over the last axis: y[r, c] = x[r, c] / sqrt(mean_c x[r, :]^2 + eps) · w[c]
// x, y: [rows, C]; w: [C]; rstd: [rows] (saved for the backward pass).
// Qwen3's per-head q/k norm is the same op with rows = tokens·heads and C = head_dim.
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';

const WG = 64;
/** Bindings of the forward kernels (same buffers, same order). */
const FORWARD_BINDINGS = `struct P { rows: u32, C: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(4) var<uniform> p: P;`;
/** `subgroups`: reduce with subgroupAdd where the adapter has subgroups; else a workgroup tree. */
export const rmsnormWgsl = (subgroups: boolean) => /* wgsl */ `
${subgroups ? 'enable subgroups;' : ''}
${FORWARD_BINDINGS}
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32${subgroups ? ', @builtin(subgroup_size) sgs: u32, @builtin(subgroup_invocation_id) sgi: u32' : ''}) {
  let r = wg.x + wg.y * 65535u;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = li; c < p.C; c += ${WG}u) { let v = x[base + c]; s += v * v; }
${subgroups ? `  s = subgroupAdd(s);
  if (sgi == 0u) { part[li / sgs] = s; }
  workgroupBarrier();
  var total = 0.0;
  for (var i = 0u; i < (${WG}u + sgs - 1u) / sgs; i++) { total += part[i]; }` : `  part[li] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) {
    if (li < k) { part[li] += part[li + k]; }
    workgroupBarrier();
  }
  let total = part[0];`}
  let inv = inverseSqrt(total / f32(p.C) + p.eps);
  for (var c = li; c < p.C; c += ${WG}u) { y[base + c] = x[base + c] * inv * w[c]; }
  if (li == 0u) { rstd[r] = inv; }
}`;

/** A thread per row, serial over C, no barrier: for CPU adapters (GpuCaps.cpu). */
const ROWS_WG = 16;
export const RMSNORM_ROWS_WGSL = /* wgsl */ `
${FORWARD_BINDINGS}
@compute @workgroup_size(${ROWS_WG})
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let r = g.x + g.y * nw.x * ${ROWS_WG}u;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = 0u; c < p.C; c++) { let v = x[base + c]; s += v * v; }
  let inv = inverseSqrt(s / f32(p.C) + p.eps);
  for (var c = 0u; c < p.C; c++) { y[base + c] = x[base + c] * inv * w[c]; }
  rstd[r] = inv;
}`;

export type RmsnormKernel = 'workgroup' | 'subgroups' | 'rows';

export function rmsnorm(rec: Recorder, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, rstd: GPUBuffer, rows: number, C: number, eps: number, kernel: RmsnormKernel = rec.caps.cpu ? 'rows' : rec.caps.subgroups ? 'subgroups' : 'workgroup'): void {
  if (kernel === 'rows') {
    rec.dispatch(RMSNORM_ROWS_WGSL, 'rmsnorm_rows', [x, w, y, rstd], [rows, C, { f32: eps }], grid1d(rows, ROWS_WG));
    return;
  }
  const subgroups = kernel === 'subgroups';
  rec.dispatch(rmsnormWgsl(subgroups), `rmsnorm${subgroups ? '_subgroups' : ''}`, [x, w, y, rstd], [rows, C, { f32: eps }], [Math.min(rows, 65535), Math.ceil(rows / 65535)]);
}

export function rmsnormCpu(x: Float32Array, w: Float32Array, rows: number, C: number, eps: number): { y: Float32Array; rstd: Float32Array } {
  const y = new Float32Array(rows * C), rstd = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < C; c++) s += x[r * C + c]! ** 2;
    const inv = 1 / Math.sqrt(s / C + eps);
    rstd[r] = inv;
    for (let c = 0; c < C; c++) y[r * C + c] = x[r * C + c]! * inv * w[c]!;
  }
  return { y, rstd };
}

// ---- backward ----------------------------------------------------------------------------------
// With r = rstd[row] (saved by the forward) and gy = dy ⊙ w:
//   dx[c] = r · gy[c] − r³ / C · x[c] · Σ_c' gy[c'] x[c']
//   dw[c] += Σ_rows dy[c] · x[c] · r                      (a separate column-sum kernel)
// dx may accumulate into an existing gradient (the residual stream).
export const rmsnormBackwardWgsl = (accumulate: boolean) => /* wgsl */ `
struct P { rows: u32, C: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> rstd: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
var<workgroup> part: array<f32, ${WG}>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let r = wg.x + wg.y * 65535u;
  if (r >= p.rows) { return; }
  let base = r * p.C;
  var s = 0.0;
  for (var c = li; c < p.C; c += ${WG}u) { s += dy[base + c] * w[c] * x[base + c]; }
  part[li] = s;
  workgroupBarrier();
  for (var k = ${WG / 2}u; k > 0u; k >>= 1u) { if (li < k) { part[li] += part[li + k]; } workgroupBarrier(); }
  let inv = rstd[r];
  let coef = inv * inv * inv * part[0] / f32(p.C);
  for (var c = li; c < p.C; c += ${WG}u) {
    let g = inv * dy[base + c] * w[c] - coef * x[base + c];
    ${accumulate ? 'dx[base + c] += g;' : 'dx[base + c] = g;'}
  }
}`;

export const RMSNORM_DW_WGSL = /* wgsl */ `
struct P { rows: u32, C: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> rstd: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u) {
  let c = g.x;
  if (c >= p.C) { return; }
  var s = 0.0;
  for (var r = 0u; r < p.rows; r++) { s += dy[r * p.C + c] * x[r * p.C + c] * rstd[r]; }
  dw[c] += s;
}`;

export function rmsnormBackward(rec: Recorder, a: { x: GPUBuffer; w: GPUBuffer; rstd: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer; dw: GPUBuffer | null; rows: number; C: number; accumulate?: boolean }): void {
  rec.dispatch(rmsnormBackwardWgsl(Boolean(a.accumulate)), `rmsnorm_backward${a.accumulate ? '_acc' : ''}`, [a.x, a.w, a.rstd, a.dy, a.dx], [a.rows, a.C], [Math.min(a.rows, 65535), Math.ceil(a.rows / 65535)]);
  if (a.dw) rec.dispatch(RMSNORM_DW_WGSL, 'rmsnorm_dw', [a.x, a.rstd, a.dy, a.dw], [a.rows, a.C], [Math.ceil(a.C / 64)]);
}

export function rmsnormBackwardCpu(x: Float32Array, w: Float32Array, dy: Float32Array, rows: number, C: number, eps: number): { dx: Float32Array; dw: Float32Array } {
  const dx = new Float32Array(rows * C), dw = new Float32Array(C);
  for (let r = 0; r < rows; r++) {
    let ss = 0, dot = 0;
    for (let c = 0; c < C; c++) { ss += x[r * C + c]! ** 2; dot += dy[r * C + c]! * w[c]! * x[r * C + c]!; }
    const inv = 1 / Math.sqrt(ss / C + eps);
    for (let c = 0; c < C; c++) {
      dx[r * C + c] = inv * dy[r * C + c]! * w[c]! - (inv ** 3 / C) * x[r * C + c]! * dot;
      dw[c]! += dy[r * C + c]! * x[r * C + c]! * inv;
    }
  }
  return { dx, dw };
}
