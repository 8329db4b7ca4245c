// AdamW (decoupled weight decay, torch.optim.AdamW's arithmetic) and the squared norm of gradients
// for global-norm clipping. p, g, m, v: [n].
//   g ← g·clip;  p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';

export const ADAMW_WGSL = /* wgsl */ `
struct P { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, clip: f32, bc1: f32, bc2sqrt: f32 }
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<uniform> u: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= u.n) { return; }
  let gi = g[i] * u.clip;
  var pi = p[i] * (1.0 - u.lr * u.wd);
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * gi;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * gi * gi;
  m[i] = mi; v[i] = vi;
  pi = pi - (u.lr / u.bc1) * mi / (sqrt(vi) / u.bc2sqrt + u.eps);
  p[i] = pi;
}`;

export interface AdamWHyper { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

export function adamwStep(rec: Recorder, p: GPUBuffer, g: GPUBuffer, m: GPUBuffer, v: GPUBuffer, n: number, h: AdamWHyper, step: number, clip: number): void {
  const bc1 = 1 - h.beta1 ** step, bc2sqrt = Math.sqrt(1 - h.beta2 ** step);
  rec.dispatch(ADAMW_WGSL, 'adamw', [p, g, m, v], [n, { f32: h.lr }, { f32: h.beta1 }, { f32: h.beta2 }, { f32: h.eps }, { f32: h.weightDecay }, { f32: clip }, { f32: bc1 }, { f32: bc2sqrt }], grid1d(n, 256));
}

const SQ_WG = 256, SQ_PER = 16;
export const SUMSQ_WGSL = /* wgsl */ `
struct P { n: u32, out: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> partial: array<f32>;
@group(0) @binding(2) var<uniform> u: P;
var<workgroup> red: array<f32, ${SQ_WG}>;
@compute @workgroup_size(${SQ_WG})
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) li: u32) {
  let base = wg.x * ${SQ_WG * SQ_PER}u;
  var s = 0.0;
  for (var k = 0u; k < ${SQ_PER}u; k++) {
    let i = base + k * ${SQ_WG}u + li;
    if (i < u.n) { let x = g[i]; s += x * x; }
  }
  red[li] = s;
  workgroupBarrier();
  for (var k = ${SQ_WG / 2}u; k > 0u; k >>= 1u) { if (li < k) { red[li] += red[li + k]; } workgroupBarrier(); }
  if (li == 0u) { partial[u.out + wg.x] = red[0]; }
}`;

/** Workgroups (= partial sums) the squared norm of an n-vector takes. */
export const sumsqParts = (n: number) => Math.max(1, Math.ceil(n / (SQ_WG * SQ_PER)));

/** partial[out … out + sumsqParts(n)) = partial sums of g² */
export function sumsq(rec: Recorder, g: GPUBuffer, partial: GPUBuffer, n: number, out: number): void {
  rec.dispatch(SUMSQ_WGSL, 'sumsq', [g, partial], [n, out], [sumsqParts(n)]);
}

/** CPU reference of one AdamW step on plain arrays (float64). */
export function adamwCpu(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, h: AdamWHyper, step: number, clip: number): void {
  const bc1 = 1 - h.beta1 ** step, bc2sqrt = Math.sqrt(1 - h.beta2 ** step);
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! * clip;
    p[i] = p[i]! * (1 - h.lr * h.weightDecay);
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * gi * gi;
    p[i] = p[i]! - (h.lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / bc2sqrt + h.eps);
  }
}
