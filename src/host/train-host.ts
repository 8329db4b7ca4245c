// Runs in the engine page (headless Chromium for the CLI, or a browser tab): the training loop on
// WebGPU with the verifier pool in Web Workers. Metrics and checkpoints go to the host through
// `globalThis.evomOnMetrics` / `globalThis.evomOnCheckpoint` when it provides them.

import { acquireGpu, type Gpu } from '../gpu/device.ts';
import type { ModelSource } from '../model/source.ts';
import { Engine } from '../gpu/engine.ts';
import { hubSource } from '../model/hub.ts';
import { LoraAdapter, type LoraConfig } from '../rl/lora.ts';
import { createBrowserPool } from '../verifier/pool-browser.ts';
import type { RemoteVerifier } from '../verifier/remote.ts';
import { loadTokenizerFromSource, TokenizerError } from '../model/tokenizer.ts';
import { promptIdsFor, Trainer, type StepMetrics, type TrainerCheckpoint, type TrainerConfig, type TrainItem } from '../rl/trainer.ts';

/** A checkpoint as plain JSON (binary parts base64) so it crosses the page boundary. */
export interface WireCheckpoint {
  step: number; position: number; optimizer_step: number;
  adapter_config: string; adapter_weights_b64: string;
  m_b64: string[]; v_b64: string[];
}

const b64 = (u: Uint8Array) => { let s = ''; for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000)); return btoa(s); };
const unb64 = (s: string) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
const f32 = (u: Uint8Array) => new Float32Array(u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength));

export function toWire(cp: TrainerCheckpoint): WireCheckpoint {
  return {
    step: cp.step, position: cp.position, optimizer_step: cp.optimizer.step,
    adapter_config: cp.adapter['adapter_config.json'], adapter_weights_b64: b64(cp.adapter['adapter_model.safetensors']),
    m_b64: cp.optimizer.m.map((a) => b64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))),
    v_b64: cp.optimizer.v.map((a) => b64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))),
  };
}

export function fromWire(w: WireCheckpoint): TrainerCheckpoint {
  return {
    step: w.step, position: w.position,
    adapter: { 'adapter_config.json': w.adapter_config, 'adapter_model.safetensors': unb64(w.adapter_weights_b64) },
    optimizer: { step: w.optimizer_step, m: w.m_b64.map((s) => f32(unb64(s))), v: w.v_b64.map((s) => f32(unb64(s))) },
  };
}

export interface TrainRequest {
  baseUrl: string;
  repo: string;
  data: TrainItem[];
  cfg: TrainerConfig;
  lora: LoraConfig;
  /** train until this many steps in total */
  steps: number;
  checkpointEvery: number;
  /** start from a PEFT adapter served at {base}/{repo}/resolve/main/adapter/… */
  withAdapter?: boolean;
  resume?: WireCheckpoint;
}

type Hooks = { evomOnMetrics?: (m: StepMetrics) => void; evomOnCheckpoint?: (c: WireCheckpoint) => Promise<void> | void };

/** Engine, adapter, verifier pool and trainer for one run (the CLI's page and the training page share it). */
export async function openTraining(gpu: Gpu, source: ModelSource, data: TrainItem[], cfg: TrainerConfig, lora: LoraConfig, start: { adapter?: ModelSource; resume?: TrainerCheckpoint; remote?: RemoteVerifier } = {}): Promise<{ trainer: Trainer; close: () => Promise<void> }> {
  const tokenizer = await loadTokenizerFromSource(source);
  if (!tokenizer) throw new TokenizerError(`${source.name} has no tokenizer.json; training needs one`);
  // Engine sized for generation (G slots) and training micro-batches of the longest prompt.
  const promptMax = Math.max(...data.map((d) => promptIdsFor(tokenizer, d.question, cfg.target).length));
  const engine = await Engine.fromSource(gpu, source, { maxBatch: Math.max(cfg.group * Math.max(1, cfg.generateTogether ?? 1), cfg.microBatch), maxContext: promptMax + cfg.maxNewTokens });
  const cp = start.resume;
  if (cp) engine.lora = LoraAdapter.fromPeft(gpu, engine.cfg, cp.adapter['adapter_config.json'], cp.adapter['adapter_model.safetensors']);
  else if (start.adapter) engine.lora = LoraAdapter.fromPeft(gpu, engine.cfg, await start.adapter.readText('adapter_config.json'), await start.adapter.readBytes('adapter_model.safetensors'));
  else engine.lora = new LoraAdapter(gpu, engine.cfg, lora, { seed: cfg.seed });
  const pool = createBrowserPool({ warm: true, ...(start.remote ? { remote: start.remote } : {}) });
  const close = async () => { await pool.close(); engine.destroy(); };
  try {
    const trainer = new Trainer(engine, pool, tokenizer, data, cfg);
    if (cp) { trainer.optimizer.restore(cp.optimizer); trainer.step = cp.step; trainer.position = cp.position; }
    return { trainer, close };
  } catch (e) {
    await close();
    throw e;
  }
}

export async function hostTrain(req: TrainRequest): Promise<{ final: WireCheckpoint; adapter: string }> {
  const gpu = await acquireGpu();
  const source = hubSource(req.repo, { baseUrl: req.baseUrl, cache: null });
  const adapter: ModelSource | undefined = req.withAdapter
    ? { name: `${req.repo} adapter`, readText: (f) => source.readText(`adapter/${f}`), readBytes: (f) => source.readBytes(`adapter/${f}`) }
    : undefined;
  const { trainer, close } = await openTraining(gpu, source, req.data, req.cfg, req.lora, { ...(adapter ? { adapter } : {}), ...(req.resume ? { resume: fromWire(req.resume) } : {}) });
  const hooks = globalThis as Hooks;
  try {
    while (trainer.step < req.steps) {
      const m = await trainer.trainStep();
      hooks.evomOnMetrics?.(m);
      if (trainer.step % req.checkpointEvery === 0 || trainer.step === req.steps) await hooks.evomOnCheckpoint?.(toWire(await trainer.checkpoint()));
    }
    return { final: toWire(await trainer.checkpoint()), adapter: gpu.caps.adapter };
  } finally {
    await close();
  }
}
