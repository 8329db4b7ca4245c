// How kernels read weight matrices: f32, IEEE half floats packed two per u32 ("f16", element 2i in
// the low half), or group-wise quantized integers ("q8", "q4"). Halves are decoded with WGSL's core
// unpack2x16float, so half-precision storage works on every adapter (with or without `shader-f16`);
// accumulation is f32 in every case.
//
// Quantized layout (flat over the row-major [N, K] matrix, so a group of 32 lies within a row when
// K % 32 = 0): symmetric groups of QUANT_GROUP = 32 values, scale s = f16(absmax / qmax) (qmax 7
// for q4, 127 for q8), q = clamp(floor(w / s + 1/2), −qmax, qmax), value = q · s. Blocks of 64
// values (two groups) are self-contained words, so a kernel needs only the element index:
//   word 0: the two groups' scales as f16 (group 0 low half), then the codes q + 8 (q4, 8 per word,
//   element 8j+i in bits 4i…4i+3) or q + 128 (q8, 4 per word, byte i): q4 9 words (4.5 bits per
//   value), q8 17 words (8.5 bits). The scales are f16 on every adapter for the same reason as f16
//   weights (unpack2x16float is core WGSL): half the scale bytes of f32 with a relative error of
//   2⁻¹¹, far below the quantization step. 32 is WebLLM's q4f16_1 group (and GGML's Q4_0/Q8_0 block).

import { f16ToF32, f32ToF16 } from '../../model/safetensors.ts';

export type QuantKind = 'q8' | 'q4';
export type WeightDtype = 'f32' | 'f16' | QuantKind;

export const QUANT_GROUP = 32;
const BLOCK = 64;
const QUANT = {
  q4: { qmax: 7, bits: 4, perWord: 8, words: 9 },
  q8: { qmax: 127, bits: 8, perWord: 4, words: 17 },
} as const;

export const isQuant = (d: WeightDtype): d is QuantKind => d === 'q4' || d === 'q8';

/** 32-bit words of n values quantized as `kind`. */
export const quantWords = (n: number, kind: QuantKind): number => Math.ceil(n / BLOCK) * QUANT[kind].words;

/** Group-wise quantization of `values` (the layout above). Non-finite values are refused. */
export function quantize(values: Float32Array, kind: QuantKind): Uint32Array {
  const { qmax, bits, perWord, words } = QUANT[kind], n = values.length, out = new Uint32Array(quantWords(n, kind));
  const offset = qmax + 1;
  for (let b = 0; b * BLOCK < n; b++) {
    const base = b * words;
    for (let g = 0; g < 2; g++) {
      const i0 = b * BLOCK + g * QUANT_GROUP, i1 = Math.min(n, i0 + QUANT_GROUP);
      let absmax = 0;
      for (let i = i0; i < i1; i++) {
        const v = values[i]!;
        if (!Number.isFinite(v)) throw new RangeError(`quantize: value ${i} is ${v}`);
        absmax = Math.max(absmax, Math.abs(v));
      }
      const h = f32ToF16(absmax / qmax), s = f16ToF32(h);
      if (!Number.isFinite(s)) throw new RangeError(`quantize: the scale of values ${i0}…${i1 - 1} overflows f16 (|w| up to ${absmax})`);
      out[base] = (out[base]! | (h << (16 * g))) >>> 0;
      for (let i = i0; i < i1; i++) {
        // f32 arithmetic throughout (as the PyTorch reference's numpy): w / s, + 1/2, floor
        const q = s === 0 ? 0 : Math.max(-qmax, Math.min(qmax, Math.floor(Math.fround(Math.fround(values[i]! / s) + 0.5))));
        const j = i - b * BLOCK, w = base + 1 + Math.floor(j / perWord);
        out[w] = (out[w]! | ((q + offset) << (bits * (j % perWord)))) >>> 0;
      }
    }
  }
  return out;
}

/** The values a kernel reads from quantized words (n values): q · s in f32, exact. */
export function dequantize(words: Uint32Array, n: number, kind: QuantKind): Float32Array {
  const { qmax, bits, perWord, words: wpb } = QUANT[kind], out = new Float32Array(n), mask = (1 << bits) - 1;
  for (let i = 0; i < n; i++) {
    const b = Math.floor(i / BLOCK), j = i % BLOCK, base = b * wpb;
    const s = f16ToF32((words[base]! >>> (16 * Math.floor(j / QUANT_GROUP))) & 0xffff);
    const q = ((words[base + 1 + Math.floor(j / perWord)]! >>> (bits * (j % perWord))) & mask) - (qmax + 1);
    out[i] = q * s;
  }
  return out;
}

/** A matrix's values as stored for `dtype` (f32 as is, halves packed, or quantized words). */
export function encodeWeights(values: Float32Array, dtype: WeightDtype): Float32Array | Uint32Array {
  return dtype === 'f32' ? values : dtype === 'f16' ? packHalves(values) : quantize(values, dtype);
}

/** The values a kernel sees for `values` stored as `dtype` (CPU references). */
export function storedValues(values: Float32Array, dtype: WeightDtype): Float32Array {
  return dtype === 'f32' ? values : dtype === 'f16' ? roundToHalf(values) : dequantize(quantize(values, dtype), values.length, dtype);
}

/** WGSL: the block decode of quantized weights, given `W: array<u32>`. */
function quantFns(kind: QuantKind): string {
  const { qmax, bits, perWord, words } = QUANT[kind], off = `${qmax + 1}.0`;
  const shift = Math.log2(perWord);
  return `fn qScale(i: u32) -> f32 { return unpack2x16float(W[(i >> 6u) * ${words}u])[(i >> 5u) & 1u]; }
fn qWord(i: u32) -> u32 { return W[(i >> 6u) * ${words}u + 1u + ((i & 63u) >> ${shift}u)]; }
fn wAt(i: u32) -> f32 { return (f32((qWord(i) >> ((i & ${perWord - 1}u) * ${bits}u)) & ${(1 << bits) - 1}u) - ${off}) * qScale(i); }
fn w4At(i: u32) -> vec4f {
  let e = i * 4u;
  let w = qWord(e) >> ((e & ${perWord - 1}u) * ${bits}u);
  let q = vec4u(w, w >> ${bits}u, w >> ${2 * bits}u, w >> ${3 * bits}u) & vec4u(${(1 << bits) - 1}u);
  return (vec4f(q) - vec4f(${off})) * qScale(e);
}`;
}

/** A weight matrix on the GPU. */
export interface WeightBuffer { buf: GPUBuffer; dtype: WeightDtype }

/** WGSL: the binding `W` and `fn wAt(i) -> f32` reading element i. */
export function scalarWeights(dtype: WeightDtype, binding: number): string {
  if (isQuant(dtype)) return `@group(0) @binding(${binding}) var<storage, read> W: array<u32>;\n${quantFns(dtype)}`;
  return dtype === 'f32'
    ? `@group(0) @binding(${binding}) var<storage, read> W: array<f32>;\nfn wAt(i: u32) -> f32 { return W[i]; }`
    : `@group(0) @binding(${binding}) var<storage, read> W: array<u32>;\nfn wAt(i: u32) -> f32 { return unpack2x16float(W[i >> 1u])[i & 1u]; }`;
}

/** WGSL: the binding `W` and `fn w4At(i) -> vec4f` reading elements 4i … 4i+3. */
export function vec4Weights(dtype: WeightDtype, binding: number): string {
  if (isQuant(dtype)) return `@group(0) @binding(${binding}) var<storage, read> W: array<u32>;\n${quantFns(dtype)}`;
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
