import { acquireGpu, Recorder, storageBuffer } from '../../src/gpu.ts';
import { matmul } from '../../shaders/matmul.ts';
export async function probe() {
  const gpu = await acquireGpu();
  const out: Record<string, string> = {};
  for (const [M, N, K] of [[1, 151936, 64], [23, 151936, 64], [1, 8192, 896], [64, 4864, 896], [256, 256, 256], [512, 512, 512]]) {
    const X = storageBuffer(gpu, M * K, 'X'), W = storageBuffer(gpu, N * K, 'W'), Y = storageBuffer(gpu, M * N, 'Y');
    for (const kernel of ['skinny', 'rows', 'tiled64'] as const) {
      if (kernel === 'skinny' && M > 32) continue;
      if (kernel === 'rows' && (N > 10000 || M > 8)) continue;
      if (kernel.startsWith('tiled') && N > 10000 && M < 8) continue;
      const run = async () => { const r = new Recorder(gpu); matmul(r, { X, W, bias: null, Y, M, N, K }, kernel); r.submit(); await gpu.device.queue.onSubmittedWorkDone(); };
      await run();
      const t = performance.now(); await run(); const ms = performance.now() - t;
      out[`${kernel} ${M}x${N}x${K}`] = `${ms.toFixed(1)} ms, ${((2 * M * N * K) / ms / 1e6).toFixed(3)} GFLOP/s`;
    }
  }
  gpu.destroy();
  return out;
}
