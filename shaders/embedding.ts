// Embedding lookup: out[r, :] = E[ids[r], :]   ids: [R] (u32); E: [V, H] split by vocabulary into
// chunks of rows [v0, v0 + n) (each ≤ the storage binding limit); out: [R, H]. One dispatch per chunk.
import type { Recorder } from '../src/gpu.ts';
import { grid1d } from './add.ts';
import { scalarWeights, type WeightDtype } from './weights.ts';

export const embeddingWgsl = (dtype: WeightDtype) => /* wgsl */ `
struct P { R: u32, H: u32, v0: u32, n: u32 }
@group(0) @binding(0) var<storage, read> ids: array<u32>;
${scalarWeights(dtype, 1)}
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= p.R * p.H) { return; }
  let r = i / p.H; let c = i % p.H;
  let id = ids[r];
  if (id >= p.v0 && id < p.v0 + p.n) { out[i] = wAt((id - p.v0) * p.H + c); }
}`;

export function embedding(rec: Recorder, ids: GPUBuffer, chunks: { buf: GPUBuffer; v0: number; n: number; dtype?: WeightDtype }[], out: GPUBuffer, R: number, H: number): void {
  for (const ch of chunks) rec.dispatch(embeddingWgsl(ch.dtype ?? 'f32'), `embedding_${ch.dtype ?? 'f32'}`, [ids, ch.buf, out], [R, H, ch.v0, ch.n], grid1d(R * H, 256));
}

export function embeddingCpu(ids: ArrayLike<number>, E: Float32Array, H: number): Float32Array {
  const out = new Float32Array(ids.length * H);
  for (let r = 0; r < ids.length; r++) out.set(E.subarray(ids[r]! * H, (ids[r]! + 1) * H), r * H);
  return out;
}
