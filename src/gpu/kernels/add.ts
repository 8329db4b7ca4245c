// Residual add, in place: x[i] += y[i]   x, y: [n]
import type { Recorder } from '../device.ts';

export const ADD_WGSL = /* wgsl */ `
struct P { n: u32 }
@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<uniform> p: P;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u) {
  let i = g.x + g.y * nw.x * 256u;
  if (i < p.n) { x[i] = x[i] + y[i]; }
}`;

export function addInPlace(rec: Recorder, x: GPUBuffer, y: GPUBuffer, n: number): void {
  rec.dispatch(ADD_WGSL, 'add', [x, y], [n], grid1d(n, 256));
}

export function addCpu(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.fround(x[i]! + y[i]!);
}

/** Workgroup grid for n threads of size wg, folded into y when x would exceed 65535. */
export function grid1d(n: number, wg: number): [number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= 65535) return [groups, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y];
}
