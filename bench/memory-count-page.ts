// Runs in the engine page (bench/memory-count.ts drives it): the whole training setup of a
// Qwen2.5-shaped model with random weights (engine with its KV cache and scratch reserved, LoRA on
// all seven projections, the training graph, AdamW) allocated on this adapter without a step, the
// live storage-buffer bytes counted (device.createBuffer wrapped) and set beside the memory plan.
import { acquireGpu, trackStorageBuffers } from '../src/gpu/device.ts';
import { Engine } from '../src/gpu/engine.ts';
import { trainingMemoryPlan } from '../src/gpu/memory-plan.ts';
import { TrainGraph } from '../src/gpu/train-graph.ts';
import { LoraAdapter, LORA_TARGETS } from '../src/rl/lora.ts';
import { AdamW, OPTIMIZER_DEFAULTS } from '../src/rl/optimizer.ts';
import { randomWeights, shapeConfig, type Shape } from './gpu-kit-page.ts';

export interface CountOptions { shape: Shape; quant: 'q4' | 'q8' | null; recompute: boolean; group: number; promptTokens: number; newTokens: number; microBatch: number; loraRank: number }
export interface CountResult extends CountOptions { counted: number; planned: number; parts: Record<string, number>; differ: Record<string, [number, number]>; load_s: number }

export async function countTraining(o: CountOptions): Promise<CountResult> {
  const gpu = await acquireGpu();
  const live = trackStorageBuffers(gpu);
  const cfg = shapeConfig(o.shape), T = o.promptTokens + o.newTokens;
  const t0 = performance.now();
  const maxBatch = Math.max(o.group, o.microBatch);
  const e = await Engine.load(gpu, cfg, randomWeights(cfg), { maxBatch, maxContext: T, weights: o.quant ?? 'f16' });
  const load_s = (performance.now() - t0) / 1000;
  e.reserve(Math.max(o.promptTokens, maxBatch), T);
  e.lora = new LoraAdapter(gpu, cfg, { rank: o.loraRank, alpha: 2 * o.loraRank, dropout: 0, targets: [...LORA_TARGETS] }, { seed: 1 });
  const graph = new TrainGraph(e, { maxRows: o.microBatch * T, maxT: T, recompute: o.recompute });
  const opt = new AdamW(gpu, e.lora.params(), OPTIMIZER_DEFAULTS);
  await gpu.device.queue.onSubmittedWorkDone();
  gpu.check();
  const plan = trainingMemoryPlan(cfg, {
    group: o.group, sequenceTokens: T, microBatch: o.microBatch, loraRank: o.loraRank, loraModules: 7, weightBytesPerParam: 2,
    quant: o.quant, recompute: o.recompute, promptTokens: o.promptTokens, chunkBytes: Math.min(gpu.caps.maxStorageBufferBindingSize, gpu.caps.maxBufferSize),
  });
  const byLabel = live(), counted = [...byLabel.values()].reduce((a, b) => a + b, 0);
  // by label: the plan's buffers against the live ones (a label names one buffer or, like 'adam m …', several)
  const planned = new Map<string, number>();
  for (const b of plan.buffers) planned.set(b.name, (planned.get(b.name) ?? 0) + b.bytes);
  const differ: Record<string, [number, number]> = {};
  for (const k of new Set([...planned.keys(), ...byLabel.keys()])) if (planned.get(k) !== byLabel.get(k)) differ[k] = [planned.get(k) ?? 0, byLabel.get(k) ?? 0];
  void graph; void opt;
  const res = { ...o, counted, planned: plan.total, load_s, differ,
    parts: { weights: plan.weights, kvCache: plan.kvCache, sampling: plan.sampling, savedActivations: plan.savedActivations, backwardScratch: plan.backwardScratch, trainable: plan.trainable } };
  e.destroy();
  return res;
}
