// Runs in the engine page (headless Chromium or a user's browser tab): load a model through the
// Hub loader from a base URL, and sample. Streams tokens through `globalThis.evomOnToken` when the
// host (the command line) exposes it.

import { acquireGpu } from '../gpu/device.ts';
import { Engine } from '../gpu/engine.ts';
import { generate, generateBatch, type Completion, type SamplingParams } from '../gpu/sampling.ts';
import { hubSource } from '../model/hub.ts';
import { LoraAdapter } from '../rl/lora.ts';

export interface HostRequest {
  /** base URL serving the model in the Hub layout ({base}/{repo}/resolve/main/{file}) */
  baseUrl: string;
  repo: string;
  promptIds: number[];
  params: Partial<SamplingParams>;
  /** a PEFT LoRA adapter served beside the model at {base}/{repo}/resolve/main/adapter/… */
  withAdapter?: boolean;
}

export interface HostResult {
  completions: Completion[];
  adapter: string;
  load_ms: number;
  generate_ms: number;
}

type TokenSink = (sample: number, id: number, logprob: number) => void;

export async function hostGenerate(req: HostRequest): Promise<HostResult> {
  const t0 = performance.now();
  const gpu = await acquireGpu();
  const source = hubSource(req.repo, { baseUrl: req.baseUrl, cache: null });
  const n = req.params.n ?? 1;
  const maxContext = req.promptIds.length + (req.params.maxNewTokens ?? 256);
  const engine = await Engine.fromSource(gpu, source, { maxBatch: n, maxContext });
  if (req.withAdapter) {
    engine.lora = LoraAdapter.fromPeft(gpu, engine.cfg, await source.readText('adapter/adapter_config.json'), await source.readBytes('adapter/adapter_model.safetensors'));
  }
  const t1 = performance.now();
  const sink = (globalThis as { evomOnToken?: TokenSink }).evomOnToken;
  try {
    const completions = await generate(engine, req.promptIds, req.params, { onToken: sink ? (s, id, lp) => { void sink(s, id, lp); } : undefined });
    return { completions, adapter: gpu.caps.adapter, load_ms: t1 - t0, generate_ms: performance.now() - t1 };
  } finally {
    engine.destroy();
  }
}

export interface HostBatchRequest {
  baseUrl: string;
  repo: string;
  /** chat-formatted prompt ids, one per item */
  prompts: number[][];
  /** `n` samples per prompt; prompt i's seed is params.seed + i */
  params: Partial<SamplingParams>;
  /** prompts decoded together (engine batch = batchPrompts × n) */
  batchPrompts: number;
  withAdapter?: boolean;
}

type ProgressSink = (done: number, total: number) => void;

/** n completions for each of many prompts, batchPrompts prompts at a time (progress through `globalThis.evomOnProgress`). */
export async function hostGenerateBatch(req: HostBatchRequest): Promise<HostResult & { completions: Completion[] }> {
  const t0 = performance.now();
  const gpu = await acquireGpu();
  const source = hubSource(req.repo, { baseUrl: req.baseUrl, cache: null });
  const n = req.params.n ?? 1;
  const maxContext = Math.max(...req.prompts.map((p) => p.length)) + (req.params.maxNewTokens ?? 256);
  const engine = await Engine.fromSource(gpu, source, { maxBatch: n * req.batchPrompts, maxContext });
  if (req.withAdapter) {
    engine.lora = LoraAdapter.fromPeft(gpu, engine.cfg, await source.readText('adapter/adapter_config.json'), await source.readBytes('adapter/adapter_model.safetensors'));
  }
  const t1 = performance.now();
  const progress = (globalThis as { evomOnProgress?: ProgressSink }).evomOnProgress;
  const seed0 = req.params.seed ?? 0;
  const completions: Completion[] = [];
  try {
    for (let i = 0; i < req.prompts.length; i += req.batchPrompts) {
      const chunk = req.prompts.slice(i, i + req.batchPrompts).map((promptIds, k) => ({ promptIds, seed: seed0 + i + k }));
      for (const group of await generateBatch(engine, chunk, req.params)) completions.push(...group);
      void progress?.(Math.min(i + req.batchPrompts, req.prompts.length), req.prompts.length);
    }
    return { completions, adapter: gpu.caps.adapter, load_ms: t1 - t0, generate_ms: performance.now() - t1 };
  } finally {
    engine.destroy();
  }
}
