import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseModelConfig } from '../src/model/config.ts';
import { UsageError } from '../src/errors.ts';
import { checkMemoryPlan, checkTrainingFit, fitTrainingShape, formatBytes, formatMemoryPlan, memoryPlan, trainingMemoryPlan } from '../src/gpu/memory-plan.ts';
import { savedBuffers, sumBytes, vocabTiles } from '../src/gpu/buffers.ts';
import { LORA_TARGETS } from '../src/rl/lora.ts';
import { openCheckpoint } from '../src/model/safetensors.ts';
import { directorySource } from '../src/model/source-node.ts';

// Qwen2.5-0.5B-Instruct's config.json (as published).
const QWEN25_05B = parseModelConfig({
  architectures: ['Qwen2ForCausalLM'], bos_token_id: 151643, eos_token_id: 151645, hidden_act: 'silu',
  hidden_size: 896, intermediate_size: 4864, max_position_embeddings: 32768, max_window_layers: 21, model_type: 'qwen2',
  num_attention_heads: 14, num_hidden_layers: 24, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 1000000.0,
  sliding_window: 32768, tie_word_embeddings: true, torch_dtype: 'bfloat16', use_sliding_window: false, vocab_size: 151936,
});

describe('memoryPlan', () => {
  const plan = memoryPlan(QWEN25_05B, { weightBytesPerParam: 2, kvBytesPerValue: 2, batch: 8, contextTokens: 1024 });

  it('counts Qwen2.5-0.5B parameters: 494,032,768', () => {
    // From the shapes, by hand:
    const h = 896, ff = 4864, kv = 2 * 64, L = 24, V = 151936;
    const attn = (h * h + h) + 2 * (h * kv + kv) + h * h; // q (+bias), k, v (+bias), o
    const mlp = 3 * h * ff;
    const norms = 2 * h;
    expect(attn + mlp + norms).toBe(14_912_384);
    expect(V * h + L * (attn + mlp + norms) + h).toBe(494_032_768);

    expect(plan.params.embedding).toBe(151936 * 896);
    expect(plan.params.perLayer).toBe(14_912_384);
    expect(plan.params.lmHead).toBe(0);
    expect(plan.params.finalNorm).toBe(896);
    expect(plan.params.total).toBe(494_032_768);
    // matrices f16; norms (2 per layer + final) and q/k/v biases stay f32, as the engine stores them
    expect(plan.weightDtype).toBe('f16');
    expect(plan.bytes.weights).toBe(2 * 494_032_768 + 2 * (24 * (2 * 896 + 896 + 2 * 128) + 896));
  });

  it('sizes the KV cache, activations and logits', () => {
    expect(plan.bytes.kvCachePerToken).toBe(2 * 24 * 2 * 64 * 2); // K and V × layers × kvHeads × headDim × bytes = 12 KiB
    expect(plan.bytes.kvCache).toBe(12288 * 8 * 1024);
    expect(plan.bytes.logitsTile).toBe(4 * 151936 * 8);
    expect(plan.bytes.activationsPerToken).toBeGreaterThan(4 * (2 * 4864 + 896));
    expect(plan.bytes.activations).toBe(plan.bytes.activationsPerToken * 8);
    expect(plan.bytes.rope).toBe(1024 * 64 * 4);
    expect(plan.bytes.total).toBe(plan.bytes.weights + plan.bytes.kvCache + plan.bytes.activations + plan.bytes.logitsTile + plan.bytes.rope);
    const f32 = memoryPlan(QWEN25_05B, { weightBytesPerParam: 4, kvBytesPerValue: 4, batch: 1, contextTokens: 1, tokensInFlight: 512 });
    expect(f32.bytes.kvCachePerToken).toBe(24576);
    expect(f32.bytes.logitsTile).toBe(4 * 151936 * 512);
  });

  it('finds the largest tensor: the embedding (tied, so no lm_head)', () => {
    expect(plan.largestTensor.name).toBe('model.embed_tokens.weight');
    expect(plan.largestTensorBytes).toBe(151936 * 896 * 2);
    expect(plan.tensors.some((t) => t.name === 'lm_head.weight')).toBe(false);
    const sum = plan.tensors.reduce((a, t) => a + t.count * t.bytes, 0);
    expect(sum).toBe(plan.bytes.weights);
  });

  it('flags tensors over the binding limit with the split they need, and the budget verdict', () => {
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
    const check = checkMemoryPlan(plan, limits);
    expect(check.oversize.map((o) => o.tensor.name)).toEqual(['model.embed_tokens.weight']);
    const o = check.oversize[0]!;
    expect(o.rowsPerPart).toBe(Math.floor(128 * 2 ** 20 / (896 * 2))); // 74,898 rows
    expect(o.parts).toBe(3);
    expect(check.fits).toBeNull();

    const text = formatMemoryPlan(plan, { ...limits, budgetBytes: 2 * 2 ** 30 });
    expect(text).toContain('494,032,768');
    expect(text).toMatch(/! model\.embed_tokens\.weight \[151936 × 896\] is 259\.66 MiB > maxStorageBufferBindingSize 128\.00 MiB \(and > maxBufferSize 256\.00 MiB\): split by vocabulary rows into 3 parts of ≤ 74,898 rows/);
    expect(text).toContain('fits the budget of 2.00 GiB');
    expect(formatMemoryPlan(plan, { budgetBytes: 512 * 2 ** 20 })).toContain('does NOT fit the budget of 512.00 MiB');
    const relaxed = formatMemoryPlan(plan, { maxStorageBufferBindingSize: 2 ** 30 });
    expect(relaxed).toContain('every tensor fits the limits');
    // A long, wide KV cache in one binding is flagged too.
    const longCtx = memoryPlan(QWEN25_05B, { weightBytesPerParam: 2, kvBytesPerValue: 4, batch: 64, contextTokens: 32768 });
    expect(checkMemoryPlan(longCtx, limits).kvLayerOversize).toBe(true);
    expect(formatMemoryPlan(longCtx, limits)).toContain('KV cache of one layer');
  });

  it('handles untied Llama, Qwen3 q/k norms, and rejects bad options', () => {
    const llama = parseModelConfig({ model_type: 'llama', hidden_size: 2048, intermediate_size: 5632, num_attention_heads: 32,
      num_hidden_layers: 22, num_key_value_heads: 4, vocab_size: 32000, tie_word_embeddings: false });
    const p = memoryPlan(llama, { weightBytesPerParam: 2, kvBytesPerValue: 2, batch: 1, contextTokens: 2048 });
    expect(p.params.lmHead).toBe(32000 * 2048);
    expect(p.params.total).toBe(1_100_048_384); // TinyLlama-1.1B
    const q3 = parseModelConfig({ model_type: 'qwen3', hidden_size: 1024, head_dim: 128, intermediate_size: 3072, num_attention_heads: 16,
      num_hidden_layers: 28, num_key_value_heads: 8, vocab_size: 151936, tie_word_embeddings: true });
    expect(memoryPlan(q3, { weightBytesPerParam: 2, kvBytesPerValue: 2, batch: 1, contextTokens: 1 }).params.total).toBe(596_049_920); // Qwen3-0.6B
    expect(() => memoryPlan(llama, { weightBytesPerParam: 3 as 2, kvBytesPerValue: 2, batch: 1, contextTokens: 1 })).toThrow(UsageError);
    expect(() => memoryPlan(llama, { weightBytesPerParam: 2, kvBytesPerValue: 2, batch: 0, contextTokens: 1 })).toThrow(/batch/);
    expect(formatBytes(1536)).toBe('1.50 KiB');
  });

  const dir = new URL('./fixtures/models/', import.meta.url).pathname;
  it.runIf(existsSync(`${dir}tiny-llama/config.json`))('parameter counts equal the fixture checkpoints\' tensor sizes', async () => {
    for (const m of ['tiny-qwen2', 'tiny-qwen3', 'tiny-llama']) {
      const cfg = parseModelConfig(JSON.parse(readFileSync(`${dir}${m}/config.json`, 'utf8')));
      const ck = await openCheckpoint(directorySource(`${dir}${m}`));
      const numel = [...ck.tensors.values()].reduce((a, t) => a + t.numel, 0);
      expect(memoryPlan(cfg, { weightBytesPerParam: 2, kvBytesPerValue: 2, batch: 1, contextTokens: 1 }).params.total).toBe(numel);
    }
  });

  it('counts weights in the dtype the engine stores: f16 for an F16/BF16 checkpoint (Qwen2.5-0.5B: 0.92 GiB, not 1.84)', () => {
    const limits = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 };
    const shape = { group: 8, microBatch: 1, promptTokens: 256, maxNewTokens: 112, loraRank: 8 };
    const bf16 = checkTrainingFit(QWEN25_05B, shape, limits, 2.5 * 2 ** 30);
    expect(bf16.weightDtype).toBe('f16');
    expect(bf16.training.weights / 2 ** 30).toBeCloseTo(0.92, 2);
    expect(bf16.problems).toEqual([]); // refused before: counted as f32, the weights alone were 1.84 GiB
    expect(checkTrainingFit(QWEN25_05B, { ...shape, weights: 'f32' }, limits, 2.5 * 2 ** 30).problems.join(' ')).toMatch(/over the 2\.50 GiB budget/);
    const f32cfg = { ...QWEN25_05B, dtype: 'float32' };
    expect(checkTrainingFit(f32cfg, shape, limits, 1.5 * 2 ** 30).weightDtype).toBe('f32');
    expect(checkTrainingFit(f32cfg, shape, { ...limits, f16: true }, 1.5 * 2 ** 30).weightDtype).toBe('f16'); // the engine's 'auto' on a shader-f16 adapter
    expect(checkTrainingFit(QWEN25_05B, { ...shape, weights: 'f32' }, limits, Infinity).training.weights / 2 ** 30).toBeCloseTo(1.84, 2);
    // three embedding chunks (≤ 128 MiB each) cost the same bytes as one
    const one = memoryPlan(QWEN25_05B, { weightBytesPerParam: 2, kvBytesPerValue: 4, batch: 1, contextTokens: 1 });
    const split = memoryPlan(QWEN25_05B, { weightBytesPerParam: 2, kvBytesPerValue: 4, batch: 1, contextTokens: 1, chunkBytes: 128 * 2 ** 20 });
    expect(split.buffers.filter((b) => b.name.startsWith('model.embed_tokens.weight[')).length).toBe(3);
    expect(split.bytes.weights).toBe(one.bytes.weights);
  });

  describe('training fit and the nearest shape that fits (the Studio\'s "Use micro-batch N")', () => {
    const limits = { maxBufferSize: 256 * 2 ** 20, maxStorageBufferBindingSize: 128 * 2 ** 20 }; // WebGPU's default limits
    const GiB = 2 ** 30;
    const studio = { group: 8, microBatch: 8, promptTokens: 256, maxNewTokens: 112, loraRank: 8 }; // the Studio's defaults
    const fits = (shape: typeof studio, budget: number) => checkTrainingFit(QWEN25_05B, shape, limits, budget).problems.length === 0;

    it('checks the same plan trainingMemoryPlan gives, and names what to lower', () => {
      const f = checkTrainingFit(QWEN25_05B, studio, limits, 4 * GiB);
      const direct = trainingMemoryPlan(QWEN25_05B, { group: 8, sequenceTokens: 368, microBatch: 8, loraRank: 8, loraModules: 7, weightBytesPerParam: 2, promptTokens: 256, chunkBytes: 128 * 2 ** 20 });
      expect(f.weightDtype).toBe('f16');
      expect(f.training.buffers.reduce((a, b) => a + b.bytes, 0)).toBe(f.training.total);
      expect(f.training.total).toBe(direct.total);
      expect(f.training.total).toBeGreaterThan(4 * GiB);
      expect(f.problems).toHaveLength(1);
      expect(f.problems[0]).toMatch(/over the 4\.00 GiB budget: lower the micro-batch or max new tokens/);
      expect(checkTrainingFit(QWEN25_05B, studio, limits, 100 * GiB).problems).toEqual([]);
    });

    it('lowers the micro-batch to the largest that fits, keeping the completion length', () => {
      for (const budget of [3, 4, 6, 8].map((g) => g * GiB)) {
        const s = fitTrainingShape(QWEN25_05B, studio, limits, budget)!;
        expect(s.maxNewTokens).toBe(studio.maxNewTokens);
        expect(s.microBatch).toBeLessThan(studio.microBatch);
        expect(fits({ ...studio, microBatch: s.microBatch }, budget)).toBe(true);
        expect(fits({ ...studio, microBatch: s.microBatch + 1 }, budget)).toBe(false);
        expect(s.training).toBeLessThanOrEqual(budget);
      }
    });

    it('turns on activation recomputation before shortening completions', () => {
      const long = { ...studio, microBatch: 4, maxNewTokens: 1024 };
      // micro-batch 1 without recomputation needs 5.85 GiB; with it, 1.76 GiB
      expect(fits({ ...long, microBatch: 1 }, 3 * GiB)).toBe(false);
      expect(checkTrainingFit(QWEN25_05B, { ...long, microBatch: 1 }, limits, 3 * GiB).problems[0]).toMatch(/turn on activation recomputation/);
      const s = fitTrainingShape(QWEN25_05B, long, limits, 3 * GiB)!;
      expect(s).toMatchObject({ microBatch: 1, maxNewTokens: 1024, recompute: true });
      expect(fits({ ...long, microBatch: 1, recompute: true } as typeof studio, 3 * GiB)).toBe(true);
      // a shape that fits with a smaller micro-batch keeps recomputation off
      expect(fitTrainingShape(QWEN25_05B, studio, limits, 4 * GiB)!.recompute).toBe(false);
    });

    it('quantizes the frozen base (q8 before q4) when recomputation is not enough, keeping the completion length', () => {
      const long = { ...studio, microBatch: 4, maxNewTokens: 1024 };
      const s = fitTrainingShape(QWEN25_05B, long, limits, 1.5 * GiB)!;
      expect(s).toMatchObject({ microBatch: 1, maxNewTokens: 1024, recompute: true, quant: 'q8' });
      expect(fits({ ...long, microBatch: 1, recompute: true } as typeof studio, 1.5 * GiB)).toBe(false);
      expect(fits({ ...long, microBatch: 1, recompute: true, weights: 'q8' } as typeof studio, 1.5 * GiB)).toBe(true);
      // recomputation alone is enough at 3 GiB: the base stays as it is
      expect(fitTrainingShape(QWEN25_05B, long, limits, 3 * GiB)!.quant).toBeNull();
    });

    it('shortens completions (halving) only when micro-batch 1 with recomputation and a 4-bit base does not fit', () => {
      const long = { ...studio, microBatch: 4, maxNewTokens: 1024 };
      const s = fitTrainingShape(QWEN25_05B, long, limits, 1.2 * GiB)!;
      expect(s).toMatchObject({ microBatch: 1, recompute: true, quant: 'q4' });
      expect(s.maxNewTokens).toBeLessThan(1024);
      const fitsR = (n: number) => fits({ ...long, microBatch: 1, maxNewTokens: n, recompute: true, weights: 'q4' } as typeof studio, 1.2 * GiB);
      expect(fitsR(s.maxNewTokens)).toBe(true);
      expect(fitsR(s.maxNewTokens * 2)).toBe(false);
    });

    it('recomputation saves layers × xIn + one layer\'s set (Qwen2.5-0.5B, G 8, 256 + 512 tokens, micro-batch 1, LoRA r8 × 7)', () => {
      const o = { group: 8, sequenceTokens: 768, microBatch: 1, loraRank: 8, loraModules: 7, weightBytesPerParam: 2 as const, promptTokens: 256, chunkBytes: 128 * 2 ** 20 };
      const plain = trainingMemoryPlan(QWEN25_05B, o), re = trainingMemoryPlan(QWEN25_05B, { ...o, recompute: true });
      const R = 768, H = 896, shape = { maxRows: R, maxT: R, tiles: vocabTiles([{ n: 151936 }]), lora: { rank: 8, targets: LORA_TARGETS } };
      const layer = savedBuffers(QWEN25_05B, 0, shape), xIn = R * H * 4;
      // one layer's set, f32: xIn, xn1, xMid, xn2 [R, H]; q, att [R, 14·64]; k, v [R, 2·64]; S [R·14, T]; g, u, h [R, 4864];
      // rstd1, rstd2 [R]; rq, lse [R·14]; rk [R·2]; t [R, 8] × 7; qPre, kPre unused without q/k norm (16 B each)
      expect(sumBytes(layer)).toBe(4 * (4 * R * H + 2 * R * 896 + 2 * R * 128 + R * 14 * R + 3 * R * 4864 + 2 * R + 2 * R * 14 + R * 2 + 7 * R * 8) + 32);
      expect(plain.savedActivations).toBe(24 * sumBytes(layer));
      expect(re.savedActivations).toBe(24 * xIn + sumBytes(layer) - xIn);
      expect(re.total).toBe(plain.total - 23 * (sumBytes(layer) - xIn));
      expect(re.buffers.filter((b) => b.usage === 'saved').reduce((a, b) => a + b.bytes, 0)).toBe(re.savedActivations);
      console.log(`Qwen2.5-0.5B saved activations ${formatBytes(plain.savedActivations)} → ${formatBytes(re.savedActivations)} with recomputation; total ${formatBytes(plain.total)} → ${formatBytes(re.total)}`);
    });

    it('suggests nothing when the shape fits, or when nothing does', () => {
      expect(fitTrainingShape(QWEN25_05B, studio, limits, 100 * GiB)).toBeNull();
      // f32 weights alone are 1.84 GiB: no f32 shape fits 1.5 GiB, a q8 base does
      expect(fits({ ...studio, weights: 'f32', microBatch: 1, maxNewTokens: 32, recompute: true } as typeof studio, 1.5 * GiB)).toBe(false);
      expect(fitTrainingShape(QWEN25_05B, { ...studio, weights: 'f32' }, limits, 1.5 * GiB)!.quant).toBe('q8');
      // 0.5 GiB: not even a 4-bit base with 32-token completions
      expect(fits({ ...studio, microBatch: 1, maxNewTokens: 32, recompute: true, weights: 'q4' } as typeof studio, 0.5 * GiB)).toBe(false);
      expect(fitTrainingShape(QWEN25_05B, studio, limits, 0.5 * GiB)).toBeNull();
      // a 7B-class MLP projection exceeds one binding whatever the batch, unless quantized (129.5 MiB in f16)
      const big = parseModelConfig(JSON.parse(readFileSync(new URL('./fixtures/configs/qwen2-7b-class/config.json', import.meta.url), 'utf8')));
      expect(checkTrainingFit(big, studio, limits, 1000 * GiB).problems.join(' ')).toMatch(/tensor .*mlp.* over this adapter's/);
      expect(fitTrainingShape(big, { ...studio, weights: 'q4' }, limits, 2 * GiB)).toBeNull();
      expect(fitTrainingShape(big, studio, limits, 1000 * GiB)!.quant).toBe('q8');
    });
  });
});
