// Training against the PyTorch reference (test/fixtures/training, from test/reference/
// make_training_reference.py), in headless Chromium: LoRA gradients under GRPO, DAPO and Dr. GRPO,
// full fine-tuning gradients, a 10-step AdamW trajectory, and a PEFT adapter round trip.
// Tolerances: gradients within 1e-4 of their tensor's largest magnitude (the fp32 reference is
// within ~4e-6 of fp64), losses within 1e-5, log-probs within 1e-4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callInPage, gpuPage } from './browser.ts';
import type { Cmp, LoraReport, RecomputeReport } from './gpu/train-checks.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
beforeAll(async () => { env = await gpuPage(); }, 120_000);
afterAll(() => env?.close());

const worst = (o: Record<string, Cmp>) => Object.entries(o).sort((a, b) => b[1].err / Math.max(1e-12, b[1].scale) - a[1].err / Math.max(1e-12, a[1].scale))[0]!;
const rel = (c: Cmp) => c.err / Math.max(1e-12, c.scale);

describe('LoRA gradients vs PyTorch', () => {
  // q8 / q4: a group-wise quantized frozen base, against PyTorch on the dequantized weights
  for (const [model, weights] of [['tiny-llama', 'f32'], ['tiny-qwen2', 'f16'], ['tiny-qwen3', 'f32'], ['tiny-llama', 'q4'], ['tiny-llama', 'q8']] as const) {
    it(`${model} (${weights} base): GRPO, DAPO, Dr. GRPO`, async () => {
      const r = await callInPage<LoraReport>(env.page, '/test/gpu/train-checks.ts', 'checkLoraGradients', model, weights);
      const w = worst(r.compared);
      console.log(`${model}: ${Object.keys(r.compared).length} comparisons, worst ${w[0]} rel ${rel(w[1]).toExponential(2)}; losses ${JSON.stringify(r.losses)}`);
      for (const [name, c] of Object.entries(r.compared)) {
        if (name.includes('grad')) expect(rel(c), name).toBeLessThan(1e-4);
        else expect(c.err, name).toBeLessThan(1e-4 * Math.max(1, c.scale));
      }
      for (const [name, l] of Object.entries(r.losses)) expect(Math.abs(l.got - l.want), name).toBeLessThan(1e-5);
      for (const [name, c] of Object.entries(r.clipping)) expect(c.got, name).toEqual(c.want);
      expect(Object.keys(r.compared).filter((k) => k.includes('grad')).length).toBeGreaterThanOrEqual(3 * 28);
      if (weights === 'q4' || weights === 'q8') {
        // the engine quantizes exactly as the reference: every projection of layer 0, value for value
        expect(Object.keys(r.dequantized)).toHaveLength(7);
        for (const [name, c] of Object.entries(r.dequantized)) expect(c.err, name).toBe(0);
      }
    }, 600_000);
  }
});

describe('full fine-tuning and the optimizer vs PyTorch', () => {
  it('tiny-llama: every base gradient under GRPO', async () => {
    const r = await callInPage<{ compared: Record<string, Cmp>; loss: { got: number; want: number } }>(env.page, '/test/gpu/train-checks.ts', 'checkFullFinetune', 'tiny-llama');
    const w = worst(r.compared);
    console.log(`full fine-tuning: ${Object.keys(r.compared).length} comparisons, worst ${w[0]} rel ${rel(w[1]).toExponential(2)}`);
    expect(Math.abs(r.loss.got - r.loss.want)).toBeLessThan(1e-5);
    for (const [name, c] of Object.entries(r.compared)) expect(rel(c), name).toBeLessThan(1e-4);
    // embedding, 2 × 9 layer tensors (no biases in Llama), final norm, lm_head
    expect(Object.keys(r.compared).filter((k) => k.startsWith('grad')).length).toBe(1 + 2 * 9 + 1 + 1);
  }, 600_000);

  it('tiny-llama: 10 AdamW steps (warm-up, clipping, weight decay) follow the reference trajectory', async () => {
    const r = await callInPage<{ losses: [number, number][]; norms: [number, number][]; lrs: [number, number][]; final: Record<string, Cmp> }>(env.page, '/test/gpu/train-checks.ts', 'checkTrajectory', 'tiny-llama');
    console.log(`trajectory: losses ${r.losses.map(([g]) => g.toFixed(5)).join(' ')}`);
    expect(r.losses).toHaveLength(10);
    for (const [got, want] of r.losses) expect(Math.abs(got - want)).toBeLessThan(1e-5);
    for (const [got, want] of r.norms) expect(Math.abs(got - want) / want).toBeLessThan(1e-4);
    for (const [got, want] of r.lrs) expect(got).toBeCloseTo(want, 12);
    for (const [name, c] of Object.entries(r.final)) expect(rel(c), name).toBeLessThan(1e-4);
    expect(r.losses.at(-1)![0]).toBeLessThan(r.losses[0]![0]); // the objective improves
  }, 600_000);
});

describe('activation recomputation', () => {
  // the same kernels on the same inputs: the recomputed activations, hence the gradients, are bit-identical
  // tiny-llama: its 1,024-token vocabulary keeps the LM head cheap (tiny-qwen3's 151,936 triples the time)
  for (const [model, full] of [['tiny-llama', true]] as const) {
    it(`${model} (LoRA${full ? ' and full fine-tuning' : ''}): gradients equal those without recomputation`, async () => {
      const r = await callInPage<RecomputeReport>(env.page, '/test/gpu/train-checks.ts', 'checkRecompute', model, full);
      expect(Object.keys(r)).toEqual(full ? ['lora', 'full'] : ['lora']);
      for (const [mode, { grads, logp, ms }] of Object.entries(r)) {
        const w = worst(grads);
        console.log(`recompute ${model} ${mode}: ${Object.keys(grads).length} gradients, worst ${w[0]} rel ${rel(w[1]).toExponential(2)} (scale ${w[1].scale.toExponential(2)}); logp err ${logp.err}; ${ms} ms`);
        // LoRA: A and B × 7 projections × 2 layers; full: embedding, 2 × 9 layer tensors, final norm, lm_head
        expect(Object.keys(grads).length, mode).toBe(mode === 'lora' ? 28 : 21);
        for (const [name, c] of Object.entries(grads)) {
          expect(c.scale, name).toBeGreaterThan(0);
          expect(rel(c), name).toBeLessThanOrEqual(1e-6);
        }
        expect(logp.err, mode).toBe(0);
      }
    }, 600_000);
  }
});

describe('PEFT adapters', () => {
  for (const model of ['tiny-llama', 'tiny-qwen2']) {
    it(`${model}: a PEFT adapter applied by the engine reproduces PyTorch's merged logits; export round-trips`, async () => {
      const r = await callInPage<{ logits: Cmp; lse: Cmp; exported: Record<string, Cmp>; config: Record<string, unknown> }>(env.page, '/test/gpu/train-checks.ts', 'checkPeft', model);
      expect(r.logits.err).toBeLessThan(1e-4 * Math.max(1, r.logits.scale));
      expect(r.lse.err).toBeLessThan(1e-4 * Math.max(1, r.lse.scale));
      for (const [name, c] of Object.entries(r.exported)) expect(c.err, name).toBe(0);
      expect(r.config).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4, lora_alpha: 8, bias: 'none', fan_in_fan_out: false });
      expect(Object.keys(r.exported)[0]).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    }, 600_000);
    it(`${model}: the adapter merged into the weights (src/model/merge.ts) reproduces PyTorch's merged logits without an adapter`, async () => {
      const r = await callInPage<Record<string, { logits: Cmp; weights: Cmp; compared: number; changed: number; same: number }>>(env.page, '/test/gpu/train-checks.ts', 'checkMerged', model);
      console.log(`${model} merged: f32 err ${r.f32!.logits.err.toExponential(2)}, base dtype err ${r['base dtype']!.logits.err.toExponential(2)} (scale ${r.f32!.logits.scale.toFixed(2)}); ${r.f32!.changed} tensors changed, ${r.f32!.same} unchanged`);
      expect(r.f32!.logits.err).toBeLessThan(1e-4 * Math.max(1, r.f32!.logits.scale));
      expect(r.f32!.compared).toBe(r.f32!.changed); // every adapted weight against PyTorch's W + s·B·A
      expect(r.f32!.weights.err).toBeLessThan(1e-6 * Math.max(1, r.f32!.weights.scale));
      // rounding the merged weights to BF16/F16 costs precision, as it does in PEFT
      expect(r['base dtype']!.logits.err).toBeLessThan(5e-2 * Math.max(1, r['base dtype']!.logits.scale));
      expect(r.f32!.changed).toBeGreaterThan(0);
      expect(r.f32!.same).toBeGreaterThan(0);
    }, 600_000);
  }
});
