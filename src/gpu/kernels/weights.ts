// How kernels read weight matrices: f32, or IEEE half floats packed two per u32 ("f16", element
// 2i in the low half), decoded with WGSL's core unpack2x16float, so half-precision storage works on
// every adapter (with or without `shader-f16`) and accumulation stays f32.

import { f16ToF32, f32ToF16 } from '../../model/safetensors.ts';

export type WeightDtype = 'f32' | 'f16';

/** A weight matrix on the GPU. */
export interface WeightBuffer { buf: GPUBuffer; dtype: WeightDtype }

/** WGSL: the binding `W` and `fn wAt(i) -> f32` reading element i. */
export function scalarWeights(dtype: WeightDtype, binding: number): string {
  return dtype === 'f32'
    ? `@group(0) @binding(${binding}) var<storage, read> W: array<f32>;\nfn wAt(i: u32) -> f32 { return W[i]; }`
    : `@group(0) @binding(${binding}) var<storage, read> W: array<u32>;\nfn wAt(i: u32) -> f32 { return unpack2x16float(W[i >> 1u])[i & 1u]; }`;
}

/** WGSL: the binding `W` and `fn w4At(i) -> vec4f` reading elements 4i … 4i+3. */
export function vec4Weights(dtype: WeightDtype, binding: number): string {
  return dtype === 'f32'
    ? `@group(0) @binding(${binding}) var<storage, read> W: array<vec4f>;\nfn w4At(i: u32) -> vec4f { return W[i]; }`
    : `@group(0) @binding(${binding}) var<storage, read> W: array<vec2<u32>>;\nfn w4At(i: u32) -> vec4f { let q = W[i]; return vec4f(unpack2x16float(q.x), unpack2x16float(q.y)); }`;
}

/** Pack f32 values as halves, two per u32 (padded to an even count). */
export function packHalves(values: Float32Array): Uint32Array {
  const out = new Uint32Array(Math.ceil(values.length / 2));
  for (let i = 0; i < values.length; i += 2) {
    out[i >> 1] = f32ToF16(values[i]!) | ((i + 1 < values.length ? f32ToF16(values[i + 1]!) : 0) << 16);
  }
  return out;
}

/** The values a kernel sees when `values` are stored as halves (for CPU references). */
export function roundToHalf(values: Float32Array): Float32Array {
  return values.map((v) => f16ToF32(f32ToF16(v)));
}
