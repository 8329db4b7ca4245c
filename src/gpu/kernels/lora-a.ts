// LoRA's first half for the adapted projections that read the same input (q, k, v read xn1; gate
// and up read xn2), in one dispatch:  t_i[m, j] = Σ_k X[m, k] · A_i[j, k]
// X: [M, K]; A_i: [rank, K] (PEFT's lora_A); t_i: [M, rank]. One thread per (m, i, j); K % 4 = 0 is
// read as vec4. The second half (scale · t_i·B_iᵀ) is the projection matmul's epilogue (matmul.ts).
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';
import { matmul } from './matmul.ts';

export const loraAWgsl = (n: number) => /* wgsl */ `
struct P { M: u32, K: u32, rank: u32 }
@group(0) @binding(0) var<storage, read> X: array<vec4f>;
${Array.from({ length: n }, (_, i) => `@group(0) @binding(${1 + i}) var<storage, read> A${i}: array<vec4f>;
@group(0) @binding(${1 + n + i}) var<storage, read_write> t${i}: array<f32>;`).join('\n')}
@group(0) @binding(${1 + 2 * n}) var<uniform> p: P;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let idx = g.x + g.y * nw.x * 64u;
  if (idx >= p.M * ${n}u * p.rank) { return; }
  let j = idx % p.rank;
  let i = (idx / p.rank) % ${n}u;
  let m = idx / (p.rank * ${n}u);
  let K4 = p.K / 4u;
  var s = 0.0;
${Array.from({ length: n }, (_, i) => `  if (i == ${i}u) {
    for (var k = 0u; k < K4; k++) { s += dot(X[m * K4 + k], A${i}[j * K4 + k]); }
    t${i}[m * p.rank + j] = s;
  }`).join('\n')}
}`;

/** t_i = X·A_iᵀ for up to 3 adapters of one input X [M, K]; K not a multiple of 4 falls back to matmul. */
export function loraA(rec: Recorder, X: GPUBuffer, mods: { A: GPUBuffer; t: GPUBuffer }[], M: number, K: number, rank: number): void {
  if (mods.length === 0) return;
  if (mods.length > 3) throw new Error('loraA: at most 3 adapters share an input');
  if (K % 4 !== 0) {
    for (const m of mods) matmul(rec, { X, W: m.A, bias: null, Y: m.t, M, N: rank, K });
    return;
  }
  const n = mods.length;
  rec.dispatch(loraAWgsl(n), `lora_a_${n}`, [X, ...mods.map((m) => m.A), ...mods.map((m) => m.t)], [M, K, rank], grid1d(M * n * rank, 64));
}
