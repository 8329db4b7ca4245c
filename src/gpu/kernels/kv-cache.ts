// Append keys and values to the cache of one layer:
//   kc[b, h, pos[r], :] ← k[r, h, :],  vc likewise,  for rows r = (b, t) of the step
// k, v: [R, Hkv, D]; pos: [R]; kc, vc: [Bmax, Hkv, maxCtx, D]; rows r belong to sequence r / T.
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';

export const KV_WRITE_WGSL = /* wgsl */ `
struct P { R: u32, T: u32, Hkv: u32, D: u32, maxCtx: u32, seq0: u32 }
@group(0) @binding(0) var<storage, read> k: array<f32>;
@group(0) @binding(1) var<storage, read> v: array<f32>;
@group(0) @binding(2) var<storage, read> pos: array<u32>;
@group(0) @binding(3) var<storage, read_write> kc: array<f32>;
@group(0) @binding(4) var<storage, read_write> vc: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= p.R * p.Hkv * p.D) { return; }
  let d = i % p.D;
  let h = (i / p.D) % p.Hkv;
  let r = i / (p.D * p.Hkv);
  let b = p.seq0 + r / p.T;
  let dst = ((b * p.Hkv + h) * p.maxCtx + pos[r]) * p.D + d;
  kc[dst] = k[i];
  vc[dst] = v[i];
}`;

export function kvWrite(rec: Recorder, k: GPUBuffer, v: GPUBuffer, pos: GPUBuffer, kc: GPUBuffer, vc: GPUBuffer,
  a: { R: number; T: number; Hkv: number; D: number; maxCtx: number; seq0?: number }): void {
  rec.dispatch(KV_WRITE_WGSL, 'kv_write', [k, v, pos, kc, vc], [a.R, a.T, a.Hkv, a.D, a.maxCtx, a.seq0 ?? 0], grid1d(a.R * a.Hkv * a.D, 256));
}

// Copy positions [0, n) of cache slot `from` to slot `to` (a prompt shared by G samples):
//   kc[to, h, j, :] ← kc[from, h, j, :], vc likewise, for j < n.
// (WebGPU forbids copyBufferToBuffer within one buffer, hence a kernel.)
export const KV_COPY_WGSL = /* wgsl */ `
struct P { src_seq: u32, dst_seq: u32, n: u32, Hkv: u32, D: u32, maxCtx: u32 }
@group(0) @binding(0) var<storage, read_write> kc: array<f32>;
@group(0) @binding(1) var<storage, read_write> vc: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i >= p.Hkv * p.n * p.D) { return; }
  let d = i % p.D;
  let j = (i / p.D) % p.n;
  let h = i / (p.D * p.n);
  let src = ((p.src_seq * p.Hkv + h) * p.maxCtx + j) * p.D + d;
  let dst = ((p.dst_seq * p.Hkv + h) * p.maxCtx + j) * p.D + d;
  kc[dst] = kc[src];
  vc[dst] = vc[src];
}`;

export function kvCopy(rec: Recorder, kc: GPUBuffer, vc: GPUBuffer, a: { from: number; to: number; n: number; Hkv: number; D: number; maxCtx: number }): void {
  rec.dispatch(KV_COPY_WGSL, 'kv_copy', [kc, vc], [a.from, a.to, a.n, a.Hkv, a.D, a.maxCtx], grid1d(a.Hkv * a.n * a.D, 256));
}
