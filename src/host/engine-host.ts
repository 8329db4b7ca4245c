// The engine host: every job the WebGPU engine does (GPU report, memory plan, download, sampling,
// evaluation, training steps with checkpoints, adapter export and merge), written once. It runs
// wherever a GPU is: in the Studio's engine worker (reached over comlink, src/host/engine-worker.browser.ts),
// in a headless Chromium page driven by the command line (src/host/page-transport.ts), or in
// Node on its own WebGPU (src/host/node-host.ts). Each place supplies a HostEnv: how to get a GPU,
// a verifier pool, model files, and the run store. WebLLM's MLCEngineInterface is the model.

import { acquireGpu as acquireDefaultGpu, GpuDeviceLostError, GpuOutOfMemoryError, GpuUnavailableError, profileDispatches, setTestPhaseHook, type DispatchProfile, type Gpu } from '../gpu/device.ts';
import { Engine } from '../gpu/engine.ts';
import { generateBatch, type Completion, type SamplingParams } from '../gpu/sampling.ts';
import { checkTrainingFit, fitTrainingShape, formatBytes, type TrainingShape } from '../gpu/memory-plan.ts';
import type { DownloadProgress, HubSource } from '../model/hub.ts';
import { mergeAdapter } from '../model/merge.ts';
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { loadModelConfig, memorySource, readJson, readJsonIfExists, type ModelSource } from '../model/source.ts';
import { loadTokenizerFromSource, type EvomTokenizer } from '../model/tokenizer.ts';
import { LoraAdapter } from '../rl/lora.ts';
import { trainerConfigFrom } from '../rl/run-card.ts';
import { promptIdsFor, Trainer, type RolloutGroup, type StepMetrics, type StepProgress, type TrainerCheckpoint } from '../rl/trainer.ts';
import type { BenchmarkItem } from '../problems/benchmarks.ts';
import { evaluateCompletions, type EvalSummary, type ItemResult } from '../verifier/evaluate.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { CancelledError, EvomError, RunStoppedError } from '../errors.ts';
import { BUILTIN_FILES, type BuiltinPolicy } from '../model/builtin.ts';
import { browserSource } from './source-browser.ts';
import { keepRollouts, type AdapterFiles, type RunStore, type StepRollouts } from './run-store.ts';

/** Where a model's files are. */
export type ModelRef =
  | { kind: 'builtin'; base?: string; id?: BuiltinPolicy }
  /** token: a Hugging Face access token for gated or private models (never stored with a run) */
  | { kind: 'hub'; id: string; hubUrl?: string; token?: string }
  | { kind: 'local'; files: File[] };

/** Which LoRA adapter to apply: a run's current one, files given inline, or none. */
export type AdapterRef = { run: string } | { files: AdapterFiles } | null;

/** Sandbox servers for targets that run remotely; the token stays with the host. */
export interface RemoteServers { urls: string[]; token: string }

/** What the place the host runs in provides. */
export interface HostEnv {
  /** a fresh device (an engine destroys its device with it) */
  acquireGpu(): Promise<Gpu>;
  openPool(o: { remote?: RemoteServers; size?: number }): VerifierPool;
  /** the model's files (builtin: the app's evom-tiny; hub: downloaded, cached where the place caches);
   *  `signal` stops a Hub download (what is on hand stays cached, so the next try resumes) */
  source(m: ModelRef, onProgress?: (p: DownloadProgress) => void, signal?: AbortSignal): ModelSource;
  store: RunStore;
}

export type GpuReport =
  | { ok: true; adapter: string; maxBufferSize: number; maxStorageBufferBindingSize: number }
  | { ok: false; message: string; code: string };

export interface PlanReport {
  model: string;
  params: number;
  /** bytes: weights (as the engine stores them), sampling (G sequences), training (LoRA GRPO step) */
  weights: number; inference: number; training: number;
  budget: number;
  /** reasons the model cannot run on this adapter (empty when it can) */
  problems: string[];
  /** the nearest training settings that fit, when these do not and some do */
  suggestion: ReturnType<typeof fitTrainingShape>;
  lines: string[];
}

export interface GenerateRequest {
  model: ModelRef;
  adapter?: AdapterRef;
  /** token ids per prompt (chat-formatted by the caller) */
  prompts: number[][];
  /** n samples per prompt; prompt i's seed is params.seed + i */
  params: Partial<SamplingParams>;
  /** prompts decoded together (engine batch = batchPrompts × n) */
  batchPrompts: number;
}

export interface GenerateResult { completions: Completion[][]; adapter: string; load_ms: number; generate_ms: number }

export interface GenerateCallbacks {
  token?: (prompt: number, sample: number, id: number, logprob: number) => void;
  progress?: (done: number, total: number) => void;
}

export interface EvalRequest {
  model: ModelRef;
  adapter?: AdapterRef;
  items: BenchmarkItem[];
  target: string;
  tolerance: ToleranceRule;
  remote?: RemoteServers;
  /** pool workers (default: the place's) */
  workers?: number;
  /** n samples per item (temperature 0: greedy), seed, max new tokens */
  sampling: Partial<SamplingParams>;
  /** prompts decoded together */
  batch: number;
  errata?: boolean;
  /** also report the end of loading (generate, 0 of n) and completions finished inside a decode
   *  batch, not only at its end (the Studio's progress bar; the command line's bar counts batches) */
  fineProgress?: boolean;
}

/** The phases of an evaluation's progress: completions generated, then verified (k of n). */
export type EvalPhase = 'generate' | 'verify';

/** One evaluation's (or generation's) cancel request: a flag checked between decode steps, and a promise that rejects when set. */
interface CancelToken { what: string; cancelled: boolean; cancel: () => void; rejected: Promise<never> }
function cancelToken(what: string): CancelToken {
  let reject!: (e: Error) => void;
  const rejected = new Promise<never>((_, r) => { reject = r; });
  rejected.catch(() => undefined);
  const t: CancelToken = { what, cancelled: false, rejected, cancel: () => { if (!t.cancelled) { t.cancelled = true; reject(new CancelledError(what)); } } };
  return t;
}

export interface EvalItemView { id: string; question: string; completion: string; result: ItemResult }
export interface EvalReport {
  summary: EvalSummary;
  /** one per completion, in item order (n per item) */
  items: EvalItemView[];
  generation: { tokens: number; adapter: string; load_ms: number; generate_ms: number };
}

export interface TrainOpenRequest { run: string; model: ModelRef; remote?: RemoteServers }
export interface StepReport { metrics: StepMetrics; rollouts: RolloutGroup[]; checkpoint: string | null }

export { BUILTIN_FILES };
/** GPU memory the Studio allows itself by default (browsers do not report free GPU memory). */
export const DEFAULT_GPU_BUDGET = 4 * 2 ** 30;

export { browserSource };

/** The default device (the browser's navigator.gpu). */
export const defaultGpu = (): Promise<Gpu> => acquireDefaultGpu();

/**
 * A step stopped by its device (lost, or out of memory): what happened during which step, and what
 * is saved. The place adds how to resume (the CLI's command, the Studio's button).
 */
function runStopped(e: GpuDeviceLostError | GpuOutOfMemoryError, step: number, saved: number): RunStoppedError {
  const what = e instanceof GpuDeviceLostError
    ? `The GPU device was lost during step ${step} (${e.why})`
    : `The GPU ran out of memory during step ${step} (${e.details[0]?.split('\n')[0] ?? 'no details'})`;
  const kept = saved > 0 ? `steps up to ${saved} are saved` : 'no step is saved yet';
  const advice = e instanceof GpuOutOfMemoryError ? ' Free GPU memory (close other programs or tabs that use the GPU) before resuming, or start a new run with a smaller micro-batch or group.' : '';
  return new RunStoppedError(`${what}: the run stopped; ${kept}.${advice}`, e.code, step, saved);
}

export function createEngineHost(env: HostEnv) {
  let currentProfile: DispatchProfile | null = null;
  let caps: Gpu['caps'] | null = null;
  /** the open training run: trainer and its device, metrics and rollouts so far, the step of its last checkpoint */
  let session: { trainer: Trainer; gpu: Gpu; runId: string; steps: number; every: number; close: () => Promise<void>; metrics: StepMetrics[]; rollouts: StepRollouts[]; saved: number } | null = null;
  /** tests only: the step in which to destroy the training device (testLoseDeviceInStep) */
  let loseDeviceInStep: number | null = null;
  /** the evaluations, generations and downloads running now, each with its cancel request */
  const evaluations = new Set<CancelToken>();
  const generations = new Set<CancelToken>();
  const downloads = new Set<AbortController>();

  async function newGpu(): Promise<Gpu> {
    const g = await env.acquireGpu();
    caps = g.caps;
    return g;
  }

  /** `eos`: also stop at these ids (generation_config.json's, as `evom generate` and `evom eval` do) */
  async function tokenizerOf(source: ModelSource, eos?: readonly number[]): Promise<EvomTokenizer> {
    const t = await loadTokenizerFromSource(source, eos ? { eosTokenIds: eos } : {});
    if (!t) throw new EvomError(`${source.name} has no tokenizer.json; writing prompts needs one`, 'no_tokenizer');
    return t;
  }

  async function adapterFiles(a: AdapterRef | undefined): Promise<AdapterFiles | null> {
    if (!a) return null;
    return 'run' in a ? env.store.adapter(a.run, 'to apply') : a.files;
  }

  /** The engine for a model, with an adapter (PEFT files) or a fresh one attached. */
  async function openEngine(source: ModelSource, shape: { maxBatch: number; maxContext: number }, adapter: AdapterFiles | null): Promise<Engine> {
    const gpu = await newGpu();
    const engine = await Engine.fromSource(gpu, source, shape).catch((e) => { gpu.destroy(); throw e; });
    try {
      if (adapter) engine.lora = LoraAdapter.fromPeft(gpu, engine.cfg, adapter['adapter_config.json'], adapter['adapter_model.safetensors']);
      return engine;
    } catch (e) {
      engine.destroy();
      throw e;
    }
  }

  /**
   * The one sampling loop: batchPrompts prompts at a time, n samples each. `cancel`: checked at
   * every decoded token (a set flag stops the batch at once). `finished(k)`: completions finished so
   * far (k of prompts × n), also inside a batch (a stop token or the token cap ends one).
   */
  async function sample(engine: Engine, prompts: number[][], params: Partial<SamplingParams>, batchPrompts: number, on: GenerateCallbacks, decode?: (ids: number[]) => string,
    control: { cancel?: CancelToken; finished?: (k: number) => void } = {}): Promise<Completion[][]> {
    const seed0 = params.seed ?? 0;
    const n = params.n ?? 1;
    const stops = new Set(params.stopTokenIds ?? []);
    const cap = params.maxNewTokens ?? Infinity;
    const out: Completion[][] = [];
    const { cancel, finished } = control;
    for (let i = 0; i < prompts.length; i += batchPrompts) {
      if (cancel?.cancelled) throw new CancelledError(cancel.what);
      const chunk = prompts.slice(i, i + batchPrompts).map((promptIds, k) => ({ promptIds, seed: seed0 + i + k }));
      /** tokens so far per slot of this batch (prompt × n + sample), and how many slots have finished */
      const lengths = new Map<number, number>();
      let ended = 0;
      const watch = cancel || finished;
      out.push(...await generateBatch(engine, chunk, params, {
        ...(decode ? { decode } : {}),
        ...(on.token || watch ? {
          onToken: (p: number, s: number, id: number, lp: number) => {
            if (cancel?.cancelled) throw new CancelledError(cancel.what);
            if (on.token) void on.token(i + p, s, id, lp);
            if (!finished) return;
            const slot = p * n + s, len = (lengths.get(slot) ?? 0) + 1;
            lengths.set(slot, len);
            if (stops.has(id) || len >= cap) finished(i * n + ++ended);
          },
        } : {}),
      }));
      void on.progress?.(Math.min(i + batchPrompts, prompts.length), prompts.length);
      finished?.(Math.min(i + batchPrompts, prompts.length) * n);
    }
    return out;
  }

  /** generateCancel stops it at the next decoded token (or once loaded): it fails with a CancelledError. */
  async function generate(req: GenerateRequest, on: GenerateCallbacks = {}): Promise<GenerateResult> {
    const cancel = cancelToken('the generation');
    generations.add(cancel);
    try {
      const t0 = performance.now();
      const n = req.params.n ?? 1;
      const batch = Math.max(1, Math.min(req.batchPrompts, req.prompts.length));
      const maxContext = Math.max(...req.prompts.map((p) => p.length)) + (req.params.maxNewTokens ?? 256);
      const engine = await openEngine(env.source(req.model), { maxBatch: n * batch, maxContext }, await adapterFiles(req.adapter));
      const t1 = performance.now();
      try {
        const completions = await sample(engine, req.prompts, req.params, batch, on, undefined, { cancel });
        return { completions, adapter: engine.gpu.caps.adapter, load_ms: t1 - t0, generate_ms: performance.now() - t1 };
      } finally {
        engine.destroy();
      }
    } finally {
      generations.delete(cancel);
    }
  }

  return {
    /** Whether this place has WebGPU, and the adapter's limits. */
    async gpuReport(): Promise<GpuReport> {
      try {
        if (!caps) (await newGpu()).destroy();
        const c = caps!;
        return { ok: true, adapter: c.adapter, maxBufferSize: c.maxBufferSize, maxStorageBufferBindingSize: c.maxStorageBufferBindingSize };
      } catch (e) {
        return { ok: false, message: (e as Error).message, code: e instanceof GpuUnavailableError ? 'no_webgpu' : (e as EvomError).code ?? 'gpu_error' };
      }
    },

    /** The memory plan from config.json alone (nothing else is downloaded), against this adapter. */
    async plan(model: ModelRef, shape: TrainingShape, budget = DEFAULT_GPU_BUDGET): Promise<PlanReport> {
      const source = env.source(model);
      const cfg: ModelConfig = parseModelConfig(await readJson(source, 'config.json'), await readJsonIfExists(source, 'generation_config.json'));
      if (!caps) (await newGpu()).destroy();
      const seq = shape.promptTokens + shape.maxNewTokens;
      // f16: the engine keeps F16/BF16 matrices as f16 where the adapter has shader-f16
      const limits = { maxBufferSize: caps!.maxBufferSize, maxStorageBufferBindingSize: caps!.maxStorageBufferBindingSize, f16: caps!.f16 };
      const { inference: inf, training: tr, problems, weightDtype } = checkTrainingFit(cfg, shape, limits, budget);
      const suggestion = fitTrainingShape(cfg, shape, limits, budget);
      return {
        model: source.name, params: inf.params.total, weights: inf.bytes.weights, inference: inf.bytes.total, training: tr.total, budget, problems, suggestion,
        lines: [
          `${source.name}: ${(inf.params.total / 1e6).toFixed(2)} M parameters, ${cfg.layers} layers, hidden ${cfg.hidden}, vocabulary ${cfg.vocab}`,
          `weights on the GPU (${weightDtype} matrices, as the engine holds them): ${formatBytes(inf.bytes.weights)}`,
          `sampling ${shape.group} sequences of ${seq} tokens: ${formatBytes(inf.bytes.total)}`,
          `training (LoRA r${shape.loraRank}, micro-batch ${shape.microBatch}${shape.recompute ? ', activations recomputed' : ''}): ${formatBytes(tr.total)}`,
          `adapter ${caps!.adapter}: maxBufferSize ${formatBytes(limits.maxBufferSize)}, maxStorageBufferBindingSize ${formatBytes(limits.maxStorageBufferBindingSize)}`,
        ],
      };
    },

    /**
     * Download (or find cached) every file a Hub model needs, reporting progress. downloadCancel
     * stops it with a CancelledError; the bytes on hand stay cached and the next call resumes.
     */
    async download(model: ModelRef, onProgress: (p: DownloadProgress) => void): Promise<{ files: string[] }> {
      if (model.kind !== 'hub') return { files: [] };
      const abort = new AbortController();
      downloads.add(abort);
      try {
        const source = env.source(model, onProgress, abort.signal) as HubSource;
        const files = ['config.json', 'tokenizer.json'];
        for (const f of ['generation_config.json', 'tokenizer_config.json']) if (await readJsonIfExists(source, f) !== null) files.push(f);
        const index = await readJsonIfExists(source, 'model.safetensors.index.json') as { weight_map?: Record<string, string> } | null;
        const weights = index?.weight_map ? [...new Set(Object.values(index.weight_map))] : ['model.safetensors'];
        for (const f of [...files, ...weights]) {
          if (abort.signal.aborted) throw new CancelledError('the download');
          await source.getBlob(f);
        }
        return { files: [...files, ...weights] };
      } catch (e) {
        throw abort.signal.aborted ? new CancelledError('the download') : e;
      } finally {
        downloads.delete(abort);
      }
    },

    /** Stop the downloads running now (they fail with a CancelledError); false when none was. */
    async downloadCancel(): Promise<boolean> {
      for (const d of downloads) d.abort();
      return downloads.size > 0;
    },

    /** Completions for token-id prompts (tokens streamed through `on.token`). */
    generate,

    /** Stop the generations running now (each fails with a CancelledError); false when none was. */
    async generateCancel(): Promise<boolean> {
      for (const c of generations) c.cancel();
      return generations.size > 0;
    },

    /**
     * Completions for the items (chat prompts of the target), verified in the pool. `onProgress`:
     * completions generated, then verified (k of items × n). evalCancel stops it: between decoded
     * tokens, before verification and during it; the engine and the pool are freed, and it fails
     * with a CancelledError.
     */
    async evaluate(req: EvalRequest, onProgress?: (phase: EvalPhase, done: number, total: number) => void): Promise<EvalReport> {
      const cancel = cancelToken('the evaluation');
      evaluations.add(cancel);
      const stopIfCancelled = () => { if (cancel.cancelled) throw new CancelledError('the evaluation'); };
      let engine: Engine | null = null;
      let pool: VerifierPool | null = null;
      try {
        const t0 = performance.now();
        const source = env.source(req.model);
        const tokenizer = await tokenizerOf(source, (await loadModelConfig(source)).eosTokenIds);
        const prompts = req.items.map((it) => promptIdsFor(tokenizer, it.question, req.target));
        const n = req.sampling.n ?? 1;
        const total = prompts.length * n;
        const batch = Math.max(1, Math.min(req.batch, prompts.length));
        stopIfCancelled();
        engine = await openEngine(source, { maxBatch: n * batch, maxContext: Math.max(...prompts.map((p) => p.length)) + (req.sampling.maxNewTokens ?? 256) }, await adapterFiles(req.adapter));
        stopIfCancelled();
        const t1 = performance.now();
        pool = env.openPool({ ...(req.remote ? { remote: req.remote } : {}), ...(req.workers ? { size: req.workers } : {}) });
        const params: Partial<SamplingParams> = { temperature: 0, maxNewTokens: 256, ...req.sampling, stopTokenIds: [...tokenizer.eosTokenIds] };
        if (req.fineProgress) onProgress?.('generate', 0, total);
        let shown = 0;
        const groups = await sample(engine, prompts, params, batch, req.fineProgress ? {} : { progress: (d, t) => onProgress?.('generate', d * n, t * n) },
          (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }),
          { cancel, ...(req.fineProgress ? { finished: (k: number) => { if (k > shown) onProgress?.('generate', shown = k, total); } } : {}) });
        const t2 = performance.now();
        engine.destroy();
        engine = null;
        stopIfCancelled();
        const flat = groups.flatMap((g, i) => g.map((c) => ({ item: req.items[i]!, c })));
        const texts = flat.map(({ c }) => c.text ?? tokenizer.decode(c.ids, { skipSpecialTokens: true }));
        if (req.fineProgress) onProgress?.('verify', 0, flat.length);
        const verifying = evaluateCompletions(req.items, flat.map(({ item }, k) => ({ id: item.id, completion: texts[k]! })), pool, {
          target: req.target, tolerance: req.tolerance, errata: Boolean(req.errata), onProgress: (d, t) => { if (!cancel.cancelled) onProgress?.('verify', d, t); },
        });
        // a cancel during verification answers at once (queued solves are dropped, running ones finish unread)
        verifying.catch(() => undefined);
        const { results, summary } = await Promise.race([verifying, cancel.rejected]);
        return {
          summary, items: results.map((r, k) => ({ id: r.id, question: flat[k]!.item.question, completion: texts[k]!, result: r })),
          generation: { tokens: flat.reduce((a, { c }) => a + c.ids.length, 0), adapter: caps!.adapter, load_ms: t1 - t0, generate_ms: t2 - t1 },
        };
      } catch (e) {
        throw cancel.cancelled ? new CancelledError('the evaluation') : e;
      } finally {
        evaluations.delete(cancel);
        engine?.destroy();
        // cancelled: queued solves are dropped; the running ones finish in the background
        if (cancel.cancelled) void pool?.close({ dropQueued: true }).catch(() => undefined);
        else await pool?.close();
      }
    },

    /** Stop the evaluations running now (each fails with a CancelledError); false when none was. */
    async evalCancel(): Promise<boolean> {
      for (const c of evaluations) c.cancel();
      return evaluations.size > 0;
    },

    /**
     * Open a saved run for training: from its last checkpoint, else from its start adapter, else a
     * fresh adapter. Metrics of steps after the checkpoint are dropped (they will be redone).
     */
    async trainOpen(req: TrainOpenRequest): Promise<{ step: number; metrics: StepMetrics[] }> {
      await session?.close();
      session = null;
      const run = await env.store.requireRun(req.run);
      const data = await env.store.readData(req.run);
      const { cfg, lora } = trainerConfigFrom(run.settings);
      const cp = await env.store.latestCheckpoint(req.run);
      const { metrics } = await env.store.truncateToCheckpoint(req.run, cp);
      const start = cp ? cp.adapter : await env.store.startAdapter(req.run);
      const source = env.source(req.model);
      const tokenizer = await tokenizerOf(source);
      // sized for generation (G slots per prompt decoded together) and micro-batches of the longest prompt
      const promptMax = Math.max(...data.train.map((d) => promptIdsFor(tokenizer, d.question, cfg.target).length));
      const engine = await openEngine(source, { maxBatch: Math.max(cfg.group * Math.max(1, cfg.generateTogether ?? 1), cfg.microBatch), maxContext: promptMax + cfg.maxNewTokens, ...(cfg.quant ? { weights: cfg.quant } : {}) }, start);
      if (!engine.lora) engine.lora = new LoraAdapter(engine.gpu, engine.cfg, lora, { seed: cfg.seed });
      const pool = env.openPool({ ...(req.remote ? { remote: req.remote } : {}) });
      const close = async () => { await pool.close(); engine.destroy(); };
      try {
        const trainer = new Trainer(engine, pool, tokenizer, data.train, cfg);
        if (cp) trainer.resumeFrom(cp);
        const rollouts = cp ? await env.store.readRollouts(req.run) : [];
        session = { trainer, gpu: engine.gpu, runId: req.run, steps: run.settings.steps, every: run.checkpointEvery, close, metrics, rollouts, saved: cp?.step ?? 0 };
        return { step: trainer.step, metrics };
      } catch (e) {
        await close();
        throw e;
      }
    },

    /**
     * One step. Metrics and rollouts are saved, then a checkpoint when one is due (every N steps and
     * the last). A step whose GPU device is lost, or runs out of memory, saves nothing: the run
     * closes (its engine is unusable) and the step fails with a RunStoppedError; trainOpen resumes
     * the run from its last checkpoint on a new device.
     */
    async trainStep(onProgress?: (p: StepProgress) => void): Promise<StepReport> {
      if (!session) throw new EvomError('no training run is open', 'no_session');
      const s = session;
      const step = s.trainer.step + 1;
      const hooked = loseDeviceInStep === step;
      if (hooked) {
        loseDeviceInStep = null;
        // after the step's rollouts, as its forward and backward passes begin
        setTestPhaseHook((phase) => { if (phase === 'train') { setTestPhaseHook(null); s.gpu.device.destroy(); } });
      }
      let metrics: StepMetrics, cp: TrainerCheckpoint | null;
      try {
        metrics = await s.trainer.trainStep(onProgress);
        // the checkpoint's reads from the GPU, and the device's health, before anything is written
        const due = s.trainer.step % s.every === 0 || s.trainer.step >= s.steps;
        onProgress?.({ phase: 'save', done: 0, total: 1 });
        cp = due ? await s.trainer.checkpoint() : null;
        await s.gpu.idle();
      } catch (e) {
        if (!(e instanceof GpuDeviceLostError || e instanceof GpuOutOfMemoryError)) throw e;
        session = null;
        await s.close().catch(() => undefined);
        throw runStopped(e, step, s.saved);
      } finally {
        if (hooked) setTestPhaseHook(null);
      }
      s.metrics = [...s.metrics.filter((m) => m.step < metrics.step), metrics];
      s.rollouts = keepRollouts(s.rollouts, { step: metrics.step, groups: s.trainer.lastRollouts });
      await env.store.writeRollouts(s.runId, s.rollouts);
      await env.store.writeMetrics(s.runId, s.metrics);
      // the checkpoint last: a run resumed from it finds its metrics already saved
      const checkpoint = cp ? await env.store.writeCheckpoint(s.runId, cp) : null;
      if (cp) s.saved = cp.step;
      if (s.trainer.step >= s.steps) await env.store.finishAdapter(s.runId);
      return { metrics, rollouts: s.trainer.lastRollouts, checkpoint };
    },

    /**
     * Tests only: destroy the training device in the middle of step `step` (after its rollouts, as
     * its forward and backward passes begin), as a lost device would be; once. null disarms.
     */
    async testLoseDeviceInStep(step: number | null): Promise<void> { loseDeviceInStep = step; },

    async trainClose(): Promise<void> {
      await session?.close();
      session = null;
    },

    /** A run's current adapter in PEFT layout. */
    adapterFiles: (runId: string): Promise<AdapterFiles> => env.store.adapter(runId),

    /** Base weights with the run's adapter merged in (base dtype), config and tokenizer copied. */
    async mergedFiles(model: ModelRef, runId: string): Promise<Record<string, string | Uint8Array>> {
      return mergeAdapter(env.source(model), memorySource({ ...await env.store.adapter(runId) }, 'run adapter'));
    },

    /** The store's runs (ids). */
    listRuns: (): Promise<string[]> => env.store.listRuns(),

    /**
     * Profile the GPU work of the calls that follow (every dispatch submitted alone: slower, for
     * bench/profile.ts); `false` stops and returns queue milliseconds and dispatch counts by kernel.
     */
    async profile(on: boolean): Promise<{ label: string; ms: number; n: number }[]> {
      const p = currentProfile;
      if (on) { currentProfile = { byLabel: new Map(), last: performance.now() }; profileDispatches(currentProfile); return []; }
      profileDispatches(null);
      currentProfile = null;
      if (!p) return [];
      await p.pending;
      return [...p.byLabel].map(([label, e]) => ({ label, ...e })).sort((a, b) => b.ms - a.ms);
    },
  };
}

export type EngineHost = ReturnType<typeof createEngineHost>;
