// Runs in the engine page (headless Chromium or a user's browser tab): load a model through the
// Hub loader from a base URL, and sample. Streams tokens through `globalThis.evomOnToken` when the
// host (the command line) exposes it.

import { acquireGpu } from './gpu.ts';
import { Engine } from './engine.ts';
import { generate, type Completion, type SamplingParams } from './generate.ts';
import { hubSource } from './hub.ts';
import { LoraAdapter } from './lora.ts';

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
