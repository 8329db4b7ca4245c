// Group-wise quantization of a frozen base (src/gpu/kernels/weights.ts) on the CPU: the layout's
// sizes, the error bound each group promises, edge cases, and the plan's bytes for a quantized
// base. The kernels that read it are checked in test/kernels.test.ts; the quantizer against
// PyTorch's (value for value) and LoRA training through it in test/train.test.ts.
import { describe, expect, it } from 'vitest';
import { dequantize, quantize, quantWords, storedValues, QUANT_GROUP } from '../src/gpu/kernels/weights.ts';
import { f16ToF32, f32ToF16 } from '../src/model/safetensors.ts';
import { trainingMemoryPlan } from '../src/gpu/memory-plan.ts';
import { parseModelConfig } from '../src/model/config.ts';

function rand(n: number, seed = 3, scale = 0.05): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return ((x >>> 0) / 4294967296 - 0.5) * 2 * scale; });
}

describe('group-wise quantization', () => {
  it('packs 64 values in 9 words (q4) or 17 (q8): 4.5 and 8.5 bits per value', () => {
    expect(quantWords(64, 'q4')).toBe(9);
    expect(quantWords(64, 'q8')).toBe(17);
    expect(quantWords(65, 'q4')).toBe(18);
    expect(quantize(rand(896 * 64), 'q4').length * 32 / (896 * 64)).toBe(4.5);
  });

  for (const [kind, qmax] of [['q4', 7], ['q8', 127]] as const) {
    it(`${kind}: every value within half a step of its group's f16 scale, the group's largest exact up to the scale's rounding`, () => {
      const n = 1000, w = rand(n);
      w[70] = 0.3; // an outlier: only its own group's step grows
      const d = dequantize(quantize(w, kind), n, kind);
      for (let g = 0; g * QUANT_GROUP < n; g++) {
        const grp = w.subarray(g * QUANT_GROUP, (g + 1) * QUANT_GROUP);
        const absmax = Math.max(...Array.from(grp, Math.abs));
        const s = f16ToF32(f32ToF16(absmax / qmax));
        for (let i = g * QUANT_GROUP; i < Math.min(n, (g + 1) * QUANT_GROUP); i++) {
          expect(Math.abs(d[i]! - w[i]!), `value ${i}`).toBeLessThanOrEqual(s / 2 + 1e-7 + Math.max(0, Math.abs(w[i]!) - qmax * s));
          expect(Number.isInteger(Math.round(d[i]! / s * 1e6) / 1e6)).toBe(true);
        }
      }
      // the outlier's group has a coarser step than its neighbours
      const err = (a: number, b: number) => Math.max(...Array.from({ length: b - a }, (_, k) => Math.abs(d[a + k]! - w[a + k]!)));
      expect(err(64, 96)).toBeGreaterThan(err(0, 32));
      expect(storedValues(w, kind)).toEqual(d);
    });
  }

  it('keeps zeros, a tail shorter than a block, and refuses non-finite values', () => {
    const w = new Float32Array(70);
    w[69] = -0.5;
    const d = dequantize(quantize(w, 'q4'), 70, 'q4');
    expect(Array.from(d.subarray(0, 64)).every((v) => v === 0)).toBe(true);
    expect(d[69]).toBe(Math.fround(-7 * f16ToF32(f32ToF16(0.5 / 7)))); // the tail group's absmax: −qmax · s, s = f16(0.5 / 7)
    expect(Math.abs(d[69]! + 0.5)).toBeLessThan(0.5 * 2 ** -10);
    const bad = rand(40);
    bad[33] = NaN;
    expect(() => quantize(bad, 'q8')).toThrow(/value 33 is NaN/);
    const huge = new Float32Array(32).fill(1e9);
    expect(() => quantize(huge, 'q4')).toThrow(/overflows f16/);
  });

  it("the plan counts a 4-bit base's layers at 4.5 bits per weight and refuses one for full fine-tuning", () => {
    const cfg = parseModelConfig({ architectures: ['Qwen2ForCausalLM'], model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_attention_heads: 14, num_key_value_heads: 2, num_hidden_layers: 24, vocab_size: 151936, tie_word_embeddings: true, rms_norm_eps: 1e-6, rope_theta: 1e6, max_position_embeddings: 32768, hidden_act: 'silu' });
    const o = { group: 8, sequenceTokens: 768, microBatch: 1, loraRank: 8, loraModules: 7, weightBytesPerParam: 2 as const, promptTokens: 256 };
    const f16 = trainingMemoryPlan(cfg, o), q4 = trainingMemoryPlan(cfg, { ...o, quant: 'q4' });
    const layerMatrices = 24 * (896 * 896 * 2 + 896 * 128 * 2 + 3 * 896 * 4864);
    // only the layers' matrices shrink, from 16 to 4.5 bits
    expect(f16.weights - q4.weights).toBe(layerMatrices * 2 - layerMatrices * 4.5 / 8);
    expect(() => trainingMemoryPlan(cfg, { ...o, loraRank: 0, quant: 'q4' })).toThrow(/full fine-tuning/);
  });
});
