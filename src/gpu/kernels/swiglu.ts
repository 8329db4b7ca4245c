// SwiGLU activation: h[i] = silu(g[i]) · u[i], silu(z) = z / (1 + e^-z)   g, u, h: [rows, I]
import type { Recorder } from '../device.ts';
import { grid1d } from './add.ts';

export const SWIGLU_WGSL = /* wgsl */ `
struct P { n: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read_write> h: array<f32>;
@group(0) @binding(3) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= p.n) { return; }
  let z = g[i];
  h[i] = z / (1.0 + exp(-z)) * u[i];
}`;

export function swiglu(rec: Recorder, g: GPUBuffer, u: GPUBuffer, h: GPUBuffer, n: number): void {
  rec.dispatch(SWIGLU_WGSL, 'swiglu', [g, u, h], [n], grid1d(n, 256));
}

export function swigluCpu(g: Float32Array, u: Float32Array): Float32Array {
  const h = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) h[i] = (g[i]! / (1 + Math.exp(-g[i]!))) * u[i]!;
  return h;
}

// ---- backward ----------------------------------------------------------------------------------
// h = silu(g)·u:  dg = dh · u · σ(g)(1 + g(1 − σ(g))),  du = dh · silu(g)
export const SWIGLU_BACKWARD_WGSL = /* wgsl */ `
struct P { n: u32 }
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read> u: array<f32>;
@group(0) @binding(2) var<storage, read> dh: array<f32>;
@group(0) @binding(3) var<storage, read_write> dg: array<f32>;
@group(0) @binding(4) var<storage, read_write> du: array<f32>;
@group(0) @binding(5) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = gid.x + gid.y * nw.x * 256u;
  if (i >= p.n) { return; }
  let z = g[i];
  let s = 1.0 / (1.0 + exp(-z));
  dg[i] = dh[i] * u[i] * s * (1.0 + z * (1.0 - s));
  du[i] = dh[i] * z * s;
}`;

export function swigluBackward(rec: Recorder, g: GPUBuffer, u: GPUBuffer, dh: GPUBuffer, dg: GPUBuffer, du: GPUBuffer, n: number): void {
  rec.dispatch(SWIGLU_BACKWARD_WGSL, 'swiglu_backward', [g, u, dh, dg, du], [n], grid1d(n, 256));
}

export function swigluBackwardCpu(g: Float32Array, u: Float32Array, dh: Float32Array): { dg: Float32Array; du: Float32Array } {
  const dg = new Float32Array(g.length), du = new Float32Array(g.length);
  for (let i = 0; i < g.length; i++) {
    const s = 1 / (1 + Math.exp(-g[i]!));
    dg[i] = dh[i]! * u[i]! * s * (1 + g[i]! * (1 - s));
    du[i] = dh[i]! * g[i]! * s;
  }
  return { dg, du };
}
