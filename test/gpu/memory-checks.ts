// Runs in the Chromium page: allocates the engine and the training graph for a tiny model and
// returns the bytes of the storage buffers actually alive (device.createBuffer wrapped) next to
// the memory plan's figures for the same shapes (src/gpu/memory-plan.ts, from src/gpu/buffers.ts).
import { acquireGpu, trackStorageBuffers } from '../../src/gpu/device.ts';
import { Engine } from '../../src/gpu/engine.ts';
import { memoryPlan, trainingMemoryPlan } from '../../src/gpu/memory-plan.ts';
import { TrainGraph } from '../../src/gpu/train-graph.ts';
import { LoraAdapter, LORA_TARGETS } from '../../src/rl/lora.ts';
import { AdamW, OPTIMIZER_DEFAULTS } from '../../src/rl/optimizer.ts';
import { fixtureSource } from './engine-checks.ts';
import { isQuant, type WeightDtype } from '../../src/gpu/kernels/weights.ts';

/** Bytes by label created since `before` (phases share one device, so pipelines compile once). */
function since(now: Map<string, number>, before: Map<string, number>): Map<string, number> {
  const o = new Map<string, number>();
  for (const [k, v] of now) if (v !== (before.get(k) ?? 0)) o.set(k, v - (before.get(k) ?? 0));
  return o;
}
const total = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);

export interface PlanPart { planned: number; actual: number }
export interface AllocationReport {
  weightDtype: WeightDtype;
  /** after Engine.load: weights, KV cache, RoPE table */
  loaded: PlanPart;
  /** the same, planned with f32 weights (what checkTrainingFit assumed before) */
  loadedAsF32: number;
  /** after a prefill of B × T tokens with every row's logits */
  inference: PlanPart;
  /** an engine for GRPO (prefill, decode to the end) plus LoRA, TrainGraph and AdamW, after one forward/backward/update */
  training: PlanPart;
  /** full fine-tuning (tiny-llama, f32 weights) */
  full?: PlanPart;
  /** LoRA with activation recomputation (tiny-llama): per-layer xIn and one shared set */
  recompute?: PlanPart;
  /** labels whose bytes differ from the plan (training), for diagnosis */
  diff: Record<string, [number, number]>;
}

export async function checkAllocation(base: string, name: string, weights: WeightDtype | 'auto' = 'auto'): Promise<AllocationReport> {
  const source = fixtureSource(name, base);
  // inference: G sequences of P tokens, prefilled together with logits of every row
  const G = 2, P = 8;
  const gpu = await acquireGpu();
  const live = trackStorageBuffers(gpu);
  const e = await Engine.fromSource(gpu, source, { maxBatch: G, maxContext: P, weights });
  const cfg = e.cfg, dtype = e.baseDtype, bytes = e.weightDtype === 'f32' ? 4 : 2, quant = isQuant(dtype) ? dtype : null;
  const chunkBytes = Math.min(gpu.caps.maxStorageBufferBindingSize, gpu.caps.maxBufferSize);
  const inf = memoryPlan(cfg, { weightBytesPerParam: bytes, quant, kvBytesPerValue: 4, batch: G, contextTokens: P, tokensInFlight: G * P, chunkBytes });
  const asF32 = memoryPlan(cfg, { weightBytesPerParam: 4, kvBytesPerValue: 4, batch: G, contextTokens: P, tokensInFlight: G * P, chunkBytes });
  const loaded = { planned: inf.bytes.weights + inf.bytes.kvCache + inf.bytes.rope, actual: total(live()) };
  const loadedAsF32 = asF32.bytes.weights + asF32.bytes.kvCache + asF32.bytes.rope;
  const ids = Array.from({ length: G * P }, (_, i) => (i * 7 + 3) % cfg.vocab);
  await e.step({ ids, B: G, T: P, pos0: 0, logits: 'all' });
  const inference = { planned: inf.bytes.total, actual: total(live()) };

  // training: the engine train-host makes (maxBatch = max(G, micro-batch), context = prompt + new tokens)
  const N = 4, T = P + N, mb = 2, rank = 4;
  const train = async (full: boolean, recompute = false): Promise<{ part: PlanPart; diff: Record<string, [number, number]> }> => {
    const before = live();
    const e = await Engine.fromSource(gpu, source, { maxBatch: Math.max(G, mb), maxContext: T, weights: full ? 'f32' : weights });
    await e.step({ ids: ids.slice(0, P), B: 1, T: P, pos0: 0, logits: 'last' });
    await e.step({ ids: ids.slice(0, G), B: G, T: 1, pos0: T - 1, logits: 'last' });
    if (!full) e.lora = new LoraAdapter(gpu, cfg, { rank, alpha: 2 * rank, dropout: 0, targets: [...LORA_TARGETS] }, { seed: 1 });
    const graph = new TrainGraph(e, { maxRows: mb * T, maxT: T, fullFinetune: full, recompute });
    const opt = new AdamW(gpu, full ? graph.baseParams() : e.lora!.params(), OPTIMIZER_DEFAULTS);
    // one step: whatever it allocates for good shows up in the count
    const tids = ids.concat(ids).slice(0, mb * T);
    await graph.forward(tids, tids.map((t) => (t + 1) % cfg.vocab), mb, T);
    await graph.backward(Array.from({ length: mb * T }, (_, r) => (r % T >= P ? 0.1 : 0)));
    await opt.update();
    const plan = trainingMemoryPlan(cfg, { group: G, sequenceTokens: T, microBatch: mb, loraRank: full ? 0 : rank, loraModules: 7, weightBytesPerParam: full ? 4 : bytes, quant: full ? null : quant, promptTokens: P, chunkBytes, recompute });
    const got = since(live(), before), want = new Map<string, number>(), diff: Record<string, [number, number]> = {};
    for (const b of plan.buffers) want.set(b.name, (want.get(b.name) ?? 0) + b.bytes);
    // AdamW names its moments by PEFT key: compared in the total only
    for (const k of new Set([...got.keys(), ...want.keys()])) if (got.get(k) !== want.get(k) && !/^(adam|grad norm)/.test(k)) diff[k] = [want.get(k) ?? 0, got.get(k) ?? 0];
    return { part: { planned: plan.total, actual: total(got) }, diff };
  };
  const lora = await train(false);
  const full = name === 'tiny-llama' && !quant ? await train(true) : undefined;
  const re = name === 'tiny-llama' ? await train(false, true) : undefined;
  e.destroy();
  return {
    weightDtype: dtype, loaded, loadedAsF32, inference, training: lora.part, ...(full ? { full: full.part } : {}), ...(re ? { recompute: re.part } : {}),
    diff: { ...lora.diff, ...full?.diff, ...re?.diff },
  };
}
