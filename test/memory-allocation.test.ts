// The memory plan against real allocations: for each tiny model, the engine and the training graph
// are created on WebGPU (SwiftShader in headless Chromium) and the bytes of the storage buffers
// alive are compared with src/gpu/memory-plan.ts's figures for the same shapes (within 2 %).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callInPage, gpuPage } from './browser.ts';
import type { AllocationReport, PlanPart } from './gpu/memory-checks.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
beforeAll(async () => { env = await gpuPage(); }, 120_000);
afterAll(() => env?.close());

const rel = (p: PlanPart) => Math.abs(p.planned - p.actual) / p.actual;
const MODELS: [string, string, 'f32' | 'f16' | 'q4', ('q4' | 'auto')?][] = [
  ['/test/fixtures/models/tiny-llama/', 'tiny-llama', 'f16'], // F16 checkpoint: f16 on the GPU ('auto')
  ['/test/fixtures/models/tiny-qwen2/', 'tiny-qwen2', 'f16'], // BF16
  ['/test/fixtures/models/tiny-qwen3/', 'tiny-qwen3', 'f32'], // F32
  ['/models/evom-tiny/', 'evom-tiny', 'f32'],
  ['/test/fixtures/models/tiny-llama/', 'tiny-llama', 'q4', 'q4'], // a 4-bit base: projections q4, embedding f16
];

describe('memory plan vs the GPU buffers actually created', () => {
  for (const [base, name, dtype, weights = 'auto'] of MODELS) {
    it(`${name}${weights === 'auto' ? '' : ` (${weights})`}: engine (loaded, after a prefill) and training graph within 2 %`, async () => {
      const r = await callInPage<AllocationReport>(env.page, '/test/gpu/memory-checks.ts', 'checkAllocation', base, name, weights);
      console.log(`${name} (${r.weightDtype}): loaded ${r.loaded.actual} B (plan ${r.loaded.planned}, as f32 ${r.loadedAsF32}); inference ${r.inference.actual} (plan ${r.inference.planned}); training ${r.training.actual} (plan ${r.training.planned})${r.full ? `; full fine-tuning ${r.full.actual} (plan ${r.full.planned})` : ''}${r.recompute ? `; LoRA with recomputation ${r.recompute.actual} (plan ${r.recompute.planned})` : ''}`);
      expect(r.weightDtype).toBe(dtype);
      expect(r.diff).toEqual({});
      for (const part of ['loaded', 'inference', 'training', 'full', 'recompute'] as const) if (r[part]) expect(rel(r[part]!), part).toBeLessThan(0.02);
      // recomputation keeps each layer's input and one shared set: less than every layer's set
      if (name === 'tiny-llama') expect(r.recompute!.planned).toBeLessThan(r.training.planned);
      // counting f16 weights as f32 (the plan before this test) misses by far more than 2 %
      if (dtype !== 'f32') expect(Math.abs(r.loadedAsF32 - r.loaded.actual) / r.loaded.actual).toBeGreaterThan(0.3);
    }, 600_000);
  }
});
