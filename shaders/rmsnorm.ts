// RMSNorm over the last axis: y[r, c] = x[r, c] / sqrt(mean_c x[r, :]^2 + eps) · w[c]
// x, y: [rows, C]; w: [C]; rstd: [rows] (saved for the backward pass).
// Qwen3's per-head q/k norm is the same op with rows = tokens·heads and C = head_dim.
import type { Recorder } from '../src/gpu.ts';

const WG = 64;
/** `subgroups`: reduce with subgroupAdd where the adapter has subgroups; else a workgroup tree. */
export const rmsnormWgsl = (subgroups: boolean) => /* wgsl */ `
${subgroups ? 'enable subgroups;' : ''}
struct P { rows: u32, C: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(4) var<uniform> p: P;
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

export function rmsnorm(rec: Recorder, x: GPUBuffer, w: GPUBuffer, y: GPUBuffer, rstd: GPUBuffer, rows: number, C: number, eps: number, subgroups = rec.caps.subgroups): void {
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
