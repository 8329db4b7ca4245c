// The WGSL engine on tiny random checkpoints against PyTorch (committed fixtures), in headless
// Chromium (WebGPU on SwiftShader). Tolerances: activations and logits within 1e-4 · max(1, |ref|)
// absolute (f32 accumulation on both sides; the fp32 reference is within ~1e-6 · max|logit| of an
// fp64 run, test/reference/README.md), log-probs 1e-4.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callInPage, gpuPage } from './browser.ts';
import type { EngineReport } from './gpu/engine-checks.ts';

let env: Awaited<ReturnType<typeof gpuPage>>;
beforeAll(async () => { env = await gpuPage(); }, 120_000);
afterAll(() => env?.close());

// [checkpoint, weight storage on the GPU]; f16 storage of F16/BF16 checkpoints is exact, so the same tolerances hold.
const CASES: [string, 'f32' | 'f16'][] = [['tiny-llama', 'f32'], ['tiny-qwen2', 'f32'], ['tiny-qwen3', 'f32'], ['tiny-llama', 'f16'], ['tiny-qwen2', 'f16']];

describe('engine vs PyTorch reference', () => {
  for (const [model, weights] of CASES) {
    it(`${model} (${weights} weights): every layer, logits, greedy continuation, teacher-forced log-probs`, async () => {
      expect(existsSync(join(import.meta.dirname, 'fixtures', 'reference', `${model}.json`)), `fixture for ${model}`).toBe(true);
      const r = await callInPage<EngineReport>(env.page, '/test/gpu/engine-checks.ts', 'checkEngine', model, weights);
      const worst = Object.entries(r.compared).sort((a, b) => b[1].err / Math.max(1, b[1].scale) - a[1].err / Math.max(1, a[1].scale))[0]!;
      console.log(`${model} (${weights}) on ${r.adapter}: ${Object.keys(r.compared).length} comparisons, worst ${worst[0]} ${worst[1].err.toExponential(2)} (scale ${worst[1].scale.toFixed(2)}); cached vs full ${r.cachedVsFull.err.toExponential(2)}; batched vs single ${r.batchedVsSingle.err.toExponential(2)}; ${r.seconds.toFixed(1)} s`);
      for (const [name, c] of Object.entries(r.compared)) expect(c.err, name).toBeLessThanOrEqual(1e-4 * Math.max(1, c.scale));
      expect(r.greedyEqual).toEqual({ A: true, B: true });
      expect(r.cachedVsFull.idsEqual).toBe(true);
      expect(r.cachedVsFull.err).toBeLessThan(1e-4);
      expect(r.batchedVsSingle.idsEqual).toBe(true);
      expect(r.batchedVsSingle.err).toBeLessThan(1e-5);
      expect(r.multiPrompt.lengths[0]).not.toBe(r.multiPrompt.lengths[1]);
      expect(r.multiPrompt.idsEqual).toBe(true);
      expect(r.multiPrompt.err).toBeLessThan(1e-4);
      expect(r.stops).toEqual({ token: true, string: true, streamed: true });
    }, 600_000);
  }
});

describe('engine errors', () => {
  it('a model that cannot fit gives a typed error naming the buffer', async () => {
    const r = await callInPage<{ name: string; message: string }>(env.page, '/test/gpu/engine-checks.ts', 'checkCapacityError', 'tiny-llama');
    expect(r.name).toBe('GpuCapacityError');
    expect(r.message).toMatch(/buffer "kcache\.0" needs \d+ bytes; this adapter's maxBufferSize is \d+/);
  }, 120_000);

  it('out of GPU memory and a lost device are typed errors; a read in flight when the device is lost fails instead of hanging', async () => {
    const r = await callInPage<Record<string, string>>(env.page, '/test/gpu/engine-checks.ts', 'checkDeviceLoss');
    expect(r.oom).toBe('GpuOutOfMemoryError: the GPU ran out of memory (allocation of 1 TiB failed)');
    expect(r.before).toBe('2');
    const lost = 'GpuDeviceLostError: the GPU device was lost (destroyed: Device was destroyed)';
    expect(r).toMatchObject({ inFlight: lost, after: lost, check: lost, idle: lost, lost: 'destroyed' });
  }, 60_000);

  it('no WebGPU, or no adapter, is a typed error saying what to do', async () => {
    const { acquireGpu, GpuUnavailableError } = await import('../src/gpu/device.ts');
    await expect(acquireGpu(undefined)).rejects.toBeInstanceOf(GpuUnavailableError);
    await expect(acquireGpu(undefined)).rejects.toThrow(/WebGPU is not available here/);
    const noAdapter = { requestAdapter: async () => null } as unknown as GPU;
    await expect(acquireGpu(noAdapter)).rejects.toThrow(/no GPU adapter was found/);
  });
});
