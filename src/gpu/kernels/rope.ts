// Rotary position embedding (HF `rotate_half` convention), in place:
//   for i < D/2:  x[i] ← x[i]·cos − x[i+D/2]·sin,   x[i+D/2] ← x[i+D/2]·cos + x[i]·sin
// x: [R, heads, D]; pos: [R] (u32 positions); table: [maxPos, D/2, 2] = (cos, sin), computed on the
// CPU exactly as HF does in float32 (inv_freq = 1 / θ^(2i/D), angle = pos · inv_freq).
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';

// The backward pass is the inverse rotation (angle −θ): the same kernel with the sine negated.
export const ropeWgsl = (inverse: boolean) => /* wgsl */ `
struct P { R: u32, heads: u32, D: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> pos: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let half = p.D / 2u;
  let idx = g.x + g.y * nw.x * 256u;
  if (idx >= p.R * p.heads * half) { return; }
  let i = idx % half;
  let rh = idx / half;           // row · heads + head
  let r = rh / p.heads;
  let base = rh * p.D;
  let t = (pos[r] * half + i) * 2u;
  let c = table[t]; let s = ${inverse ? '-' : ''}table[t + 1u];
  let a = x[base + i]; let b = x[base + i + half];
  x[base + i] = a * c - b * s;
  x[base + i + half] = b * c + a * s;
}`;

export function rope(rec: Recorder, x: GPUBuffer, pos: GPUBuffer, table: GPUBuffer, R: number, heads: number, D: number, inverse = false): void {
  rec.dispatch(ropeWgsl(inverse), inverse ? 'rope_backward' : 'rope', [x, pos, table], [R, heads, D], grid1d((R * heads * D) / 2, 256));
}

// Rope of q and k and the append of k and v to the layer's cache, in one dispatch (each decode step
// and forward): one invocation per (row r, head h of the Hq query and Hkv key heads, pair i < D/2).
// q [R, Hq, D] and k [R, Hkv, D] are rotated in place; kc, vc: [Bmax, Hkv, maxCtx, D] as in kv-cache.ts.
export const ROPE_QK_KV_WGSL = /* wgsl */ `
struct P { R: u32, T: u32, Hq: u32, Hkv: u32, D: u32, maxCtx: u32, seq0: u32 }
@group(0) @binding(0) var<storage, read_write> q: array<f32>;
@group(0) @binding(1) var<storage, read_write> k: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<f32>;
@group(0) @binding(3) var<storage, read> pos: array<u32>;
@group(0) @binding(4) var<storage, read> table: array<f32>;
@group(0) @binding(5) var<storage, read_write> kc: array<f32>;
@group(0) @binding(6) var<storage, read_write> vc: array<f32>;
@group(0) @binding(7) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let half = p.D / 2u;
  let heads = p.Hq + p.Hkv;
  let idx = g.x + g.y * nw.x * 256u;
  if (idx >= p.R * heads * half) { return; }
  let i = idx % half;
  let h = (idx / half) % heads;
  let r = idx / (half * heads);
  let t = (pos[r] * half + i) * 2u;
  let c = table[t]; let s = table[t + 1u];
  if (h < p.Hq) {
    let base = (r * p.Hq + h) * p.D;
    let a = q[base + i]; let b = q[base + i + half];
    q[base + i] = a * c - b * s;
    q[base + i + half] = b * c + a * s;
    return;
  }
  let kh = h - p.Hq;
  let base = (r * p.Hkv + kh) * p.D;
  let a = k[base + i]; let b = k[base + i + half];
  let ka = a * c - b * s; let kb = b * c + a * s;
  k[base + i] = ka; k[base + i + half] = kb;
  let dst = ((p.seq0 + r / p.T) * p.Hkv + kh) * p.maxCtx * p.D + pos[r] * p.D;
  kc[dst + i] = ka; kc[dst + i + half] = kb;
  vc[dst + i] = v[base + i]; vc[dst + i + half] = v[base + i + half];
}`;

/** rope(q), rope(k) in place, then kc/vc[seq, :, pos[r], :] ← k, v (rows r of sequence seq0 + r / T). */
export function ropeQkKv(rec: Recorder, a: { q: GPUBuffer; k: GPUBuffer; v: GPUBuffer; pos: GPUBuffer; table: GPUBuffer; kc: GPUBuffer; vc: GPUBuffer; R: number; T: number; Hq: number; Hkv: number; D: number; maxCtx: number; seq0: number }): void {
  rec.dispatch(ROPE_QK_KV_WGSL, 'rope_qk_kv', [a.q, a.k, a.v, a.pos, a.table, a.kc, a.vc], [a.R, a.T, a.Hq, a.Hkv, a.D, a.maxCtx, a.seq0], grid1d((a.R * (a.Hq + a.Hkv) * a.D) / 2, 256));
}

/** Backward of rope, in place on the gradient: rotate by −θ. */
export function ropeBackward(rec: Recorder, dx: GPUBuffer, pos: GPUBuffer, table: GPUBuffer, R: number, heads: number, D: number): void {
  rope(rec, dx, pos, table, R, heads, D, true);
}

/** cos/sin table [maxPos, D/2, 2] in float32, as HF computes it. */
export function ropeTable(maxPos: number, D: number, theta: number): Float32Array {
  const half = D / 2;
  const t = new Float32Array(maxPos * half * 2);
  for (let i = 0; i < half; i++) {
    const invFreq = Math.fround(1 / Math.fround(theta ** Math.fround((2 * i) / D)));
    for (let p = 0; p < maxPos; p++) {
      const angle = Math.fround(p * invFreq);
      t[(p * half + i) * 2] = Math.cos(angle);
      t[(p * half + i) * 2 + 1] = Math.sin(angle);
    }
  }
  return t;
}

export function ropeCpu(x: Float32Array, pos: ArrayLike<number>, table: Float32Array, R: number, heads: number, D: number, inverse = false): void {
  const half = D / 2;
  for (let r = 0; r < R; r++) for (let h = 0; h < heads; h++) {
    const base = (r * heads + h) * D;
    for (let i = 0; i < half; i++) {
      const c = table[(pos[r]! * half + i) * 2]!, s = (inverse ? -1 : 1) * table[(pos[r]! * half + i) * 2 + 1]!;
      const a = x[base + i]!, b = x[base + i + half]!;
      x[base + i] = a * c - b * s;
      x[base + i + half] = b * c + a * s;
    }
  }
}
