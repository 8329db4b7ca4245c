// Embedding lookup: out[r, :] = E[ids[r], :]   ids: [R] (u32); E: [V, H] split by vocabulary into
// chunks of rows [v0, v0 + n) (each ≤ the storage binding limit); out: [R, H]. One dispatch per chunk.
import type { Recorder } from '../device.ts';
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

// ---- backward (full fine-tuning) ---------------------------------------------------------------
// dE[id, :] += Σ_{rows r with ids[r] = id} dx[r, :]. The rows are grouped by id on the CPU (CSR:
// uniq [U], start [U+1], rows [R]), so each (id, column) is one thread and no atomics are needed.
export const EMBEDDING_BACKWARD_WGSL = /* wgsl */ `
struct P { U: u32, H: u32, v0: u32, n: u32 }
@group(0) @binding(0) var<storage, read> uniq: array<u32>;
@group(0) @binding(1) var<storage, read> start: array<u32>;
@group(0) @binding(2) var<storage, read> rows: array<u32>;
@group(0) @binding(3) var<storage, read> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> dE: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= p.U * p.H) { return; }
  let u = i / p.H; let c = i % p.H;
  let id = uniq[u];
  if (id < p.v0 || id >= p.v0 + p.n) { return; }
  var s = 0.0;
  for (var k = start[u]; k < start[u + 1u]; k++) { s += dx[rows[k] * p.H + c]; }
  dE[(id - p.v0) * p.H + c] += s;
}`;

/** CSR grouping of row indices by token id (CPU side of the embedding backward). */
export function groupRowsById(ids: ArrayLike<number>): { uniq: Uint32Array; start: Uint32Array; rows: Uint32Array } {
  const order = Array.from({ length: ids.length }, (_, r) => r).sort((a, b) => ids[a]! - ids[b]! || a - b);
  const uniq: number[] = [], start: number[] = [];
  order.forEach((r, k) => { if (k === 0 || ids[r] !== ids[order[k - 1]!]) { uniq.push(ids[r]!); start.push(k); } });
  start.push(order.length);
  return { uniq: Uint32Array.from(uniq), start: Uint32Array.from(start), rows: Uint32Array.from(order) };
}

export function embeddingBackward(rec: Recorder, g: { uniq: GPUBuffer; start: GPUBuffer; rows: GPUBuffer; U: number }, dx: GPUBuffer, chunks: { buf: GPUBuffer; v0: number; n: number }[], H: number): void {
  for (const ch of chunks) rec.dispatch(EMBEDDING_BACKWARD_WGSL, 'embedding_backward', [g.uniq, g.start, g.rows, dx, ch.buf], [g.U, H, ch.v0, ch.n], grid1d(g.U * H, 256));
}

export function embeddingBackwardCpu(ids: ArrayLike<number>, dx: Float32Array, V: number, H: number): Float32Array {
  const dE = new Float32Array(V * H);
  for (let r = 0; r < ids.length; r++) for (let c = 0; c < H; c++) dE[ids[r]! * H + c]! += dx[r * H + c]!;
  return dE;
}
