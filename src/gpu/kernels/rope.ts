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
