// Runs in the engine page: microbenchmarks of this adapter (best matmul FLOP/s among the engine's
// kernels, buffer-copy bandwidth) and the engine's prefill/decode speed on a model, with achieved
// FLOP/s and bytes/s as fractions of the measured limits.
import { acquireGpu, Recorder, storageBuffer, type Gpu } from '../src/gpu/device.ts';
import { matmul, type MatmulKernel } from '../src/gpu/kernels/matmul.ts';
import { Engine } from '../src/gpu/engine.ts';
import { hubSource } from '../src/model/hub.ts';
import type { ModelConfig } from '../src/model/config.ts';

async function timeIt(gpu: Gpu, f: (rec: Recorder) => void, reps: number): Promise<number> {
  const once = async () => { const r = new Recorder(gpu); f(r); r.submit(); await gpu.device.queue.onSubmittedWorkDone(); };
  await once();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await once();
  return (performance.now() - t0) / reps;
}

export interface Limits { adapter: string; matmul_gflops: number; matmul_best: string; copy_gbps: number; matmul: Record<string, number> }

export async function measureLimits(): Promise<Limits> {
  const gpu = await acquireGpu();
  const res: Record<string, number> = {};
  for (const [M, N, K, kernel] of [[512, 512, 512, 'tiled64'], [1024, 1024, 1024, 'tiled64'], [8, 16384, 1024, 'skinny'], [1, 16384, 1024, 'skinny']] as [number, number, number, MatmulKernel][]) {
    const X = storageBuffer(gpu, M * K, 'X'), W = storageBuffer(gpu, N * K, 'W'), Y = storageBuffer(gpu, M * N, 'Y');
    const ms = await timeIt(gpu, (rec) => matmul(rec, { X, W, bias: null, Y, M, N, K }, kernel), 3);
    res[`${kernel} ${M}x${N}x${K}`] = (2 * M * N * K) / ms / 1e6;
    for (const b of [X, W, Y]) b.destroy();
  }
  const n = 16 * 1048576; // 64 MiB
  const a = storageBuffer(gpu, n, 'a'), b = storageBuffer(gpu, n, 'b');
  const ms = await timeIt(gpu, (rec) => rec.copy(a, 0, b, 0, n), 5);
  const copy = (2 * n * 4) / ms / 1e6; // read + write, GB/s
  const best = Object.entries(res).sort((x, y) => y[1] - x[1])[0]!;
  const out = { adapter: gpu.caps.adapter, matmul_gflops: best[1], matmul_best: best[0], copy_gbps: copy, matmul: res };
  gpu.destroy();
  return out;
}

/** Multiply-adds ×2 of one token through the layers (projections, MLP, attention over ctx keys). */
function flopsPerToken(c: ModelConfig, ctx: number): number {
  const { hidden: H, heads: Hq, kvHeads: Hkv, headDim: D, intermediate: I } = c;
  const proj = H * (Hq * D + 2 * Hkv * D) + Hq * D * H + 3 * H * I;
  const attn = 2 * Hq * D * ctx;
  return 2 * c.layers * (proj + attn);
}

export interface EngineSpeed {
  model: string; prefill_tokens: number; weights: string;
  prefill_tok_s: Record<string, number>; decode_tok_s: Record<string, number>;
  prefill_gflops: Record<string, number>; decode_gbps: Record<string, number>;
}

export async function measureEngine(baseUrl: string, repo: string, prompt = 64, steps = 16): Promise<EngineSpeed> {
  const gpu = await acquireGpu();
  const engine = await Engine.fromSource(gpu, hubSource(repo, { baseUrl, cache: null }), { maxBatch: 8, maxContext: prompt + steps + 8 });
  const c = engine.cfg;
  const ids = Array.from({ length: prompt }, (_, i) => (i * 7919) % Math.min(c.vocab, 1000));
  const out: EngineSpeed = { model: repo, prefill_tokens: prompt, weights: engine.weightDtype, prefill_tok_s: {}, decode_tok_s: {}, prefill_gflops: {}, decode_gbps: {} };
  const layerWeights = c.layers * (c.hidden * (c.heads * c.headDim + 2 * c.kvHeads * c.headDim) + c.heads * c.headDim * c.hidden + 3 * c.hidden * c.intermediate);
  const weightBytes = (engine.weightDtype === 'f16' ? 2 : 4) * (layerWeights + c.vocab * c.hidden);
  for (const B of [1, 8]) {
    await engine.step({ ids: ids.slice(0, 8), B: 1, T: 8, pos0: 0, logits: 'last' }); // warm pipelines
    let t0 = performance.now();
    for (let b = 0; b < B; b++) await engine.step({ ids, B: 1, T: prompt, pos0: 0, seq0: b, logits: 'last' });
    const pre = (performance.now() - t0) / 1000;
    out.prefill_tok_s[`batch ${B}`] = (B * prompt) / pre;
    let flops = 0;
    for (let t = 0; t < prompt; t++) flops += flopsPerToken(c, t + 1);
    out.prefill_gflops[`batch ${B}`] = (B * (flops + 2 * c.vocab * c.hidden)) / pre / 1e9;
    t0 = performance.now();
    for (let s = 0; s < steps; s++) await engine.step({ ids: Array(B).fill(5), B, T: 1, pos0: prompt + s, logits: 'last' });
    const dec = (performance.now() - t0) / 1000;
    out.decode_tok_s[`batch ${B}`] = (B * steps) / dec;
    // bytes a decode step must read: every weight once, plus each sequence's KV cache
    const kvBytes = B * 2 * c.layers * c.kvHeads * c.headDim * 4 * (prompt + steps / 2);
    out.decode_gbps[`batch ${B}`] = (steps * (weightBytes + kvBytes)) / dec / 1e9;
  }
  engine.destroy();
  return out;
}
