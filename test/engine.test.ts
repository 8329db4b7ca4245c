// The WGSL engine on tiny random checkpoints against PyTorch (committed fixtures), in headless
// Chromium (WebGPU on SwiftShader). Tolerances: activations and logits within 1e-4 · max(1, |ref|)
// absolute (f32 on both sides; the reference itself is within ~3e-6 of an fp64 run), log-probs 1e-4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callInPage, gpuPage } from './browser.ts';
import type { EngineReport } from './gpu/engine-checks.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
beforeAll(async () => { env = await gpuPage(); }, 120_000);
afterAll(() => env?.close());

const MODELS = ['tiny-llama', 'tiny-qwen2', 'tiny-qwen3'];

describe('engine vs PyTorch reference', () => {
  for (const model of MODELS) {
    it(`${model}: every layer, logits, greedy continuation, teacher-forced log-probs`, async () => {
      expect(existsSync(join(import.meta.dirname, 'fixtures', 'reference', `${model}.json`)), `fixture for ${model}`).toBe(true);
      const r = await callInPage<EngineReport>(env.page, '/test/gpu/engine-checks.ts', 'checkEngine', model);
      const worst = Object.entries(r.compared).sort((a, b) => b[1].err / Math.max(1, b[1].scale) - a[1].err / Math.max(1, a[1].scale))[0]!;
      console.log(`${model} on ${r.adapter}: ${Object.keys(r.compared).length} comparisons, worst ${worst[0]} ${worst[1].err.toExponential(2)} (scale ${worst[1].scale.toFixed(2)}); cached vs full ${r.cachedVsFull.err.toExponential(2)}; batched vs single ${r.batchedVsSingle.err.toExponential(2)}; ${r.seconds.toFixed(1)} s`);
      for (const [name, c] of Object.entries(r.compared)) expect(c.err, name).toBeLessThanOrEqual(1e-4 * Math.max(1, c.scale));
      expect(r.greedyEqual).toEqual({ A: true, B: true });
      expect(r.cachedVsFull.idsEqual).toBe(true);
      expect(r.cachedVsFull.err).toBeLessThan(1e-4);
      expect(r.batchedVsSingle.idsEqual).toBe(true);
      expect(r.batchedVsSingle.err).toBeLessThan(1e-5);
    }, 600_000);
  }
});
