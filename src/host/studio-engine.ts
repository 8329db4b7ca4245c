// The Studio's engine, behind a worker boundary (src/host/engine-worker.browser.ts exposes it with
// comlink): GPU report and memory plan, model download, evaluation (generate, then verify in the
// pool's workers) and training steps with checkpoints in OPFS (src/host/run-store-opfs.ts). The page only
// renders; nothing here blocks it.

import { acquireGpu, GpuUnavailableError, type Gpu } from '../gpu/device.ts';
import { Engine } from '../gpu/engine.ts';
import { generateBatch } from '../gpu/sampling.ts';
import { defaultBrowserCache, hubSource, type DownloadProgress } from '../model/hub.ts';
import { LoraAdapter } from '../rl/lora.ts';
import { mergeAdapter } from '../model/merge.ts';
import { checkTrainingFit, fitTrainingShape, formatBytes, type TrainingShape } from '../gpu/memory-plan.ts';
import { parseModelConfig, type ModelConfig } from '../model/config.ts';
import { fileListSource, memorySource, readJson, readJsonIfExists, urlSource, type ModelSource } from '../model/source.ts';
import { createBrowserPool } from '../verifier/pool-browser.ts';
import { RemoteVerifier } from '../verifier/remote.ts';
import { evaluateCompletions, type EvalSummary, type ItemResult } from '../verifier/evaluate.ts';
import { loadTokenizerFromSource, type EvomTokenizer } from '../model/tokenizer.ts';
import { promptIdsFor, Trainer, type RolloutGroup, type StepMetrics, type TrainerCheckpoint, type TrainItem } from '../rl/trainer.ts';
import { fromWire, openTraining, toWire } from './train-host.ts';
import { metricsJsonl, trainerConfigFrom, type TrainSettings } from '../rl/run-card.ts';
import { keepRollouts, loadCheckpoint, loadMetrics, readJsonFile, RUN_FILES, runPath, writeFile, type StepRollouts } from './run-store-opfs.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import { EvomError } from '../errors.ts';

export type ModelChoice =
  | { kind: 'builtin' }
  | { kind: 'hub'; id: string; hubUrl?: string }
  | { kind: 'local'; files: File[] };

/** A sandbox server for remote targets; the token stays in this browser. */
export interface RemoteServer { url: string; token: string }

export type GpuReport =
  | { ok: true; adapter: string; maxBufferSize: number; maxStorageBufferBindingSize: number }
  | { ok: false; message: string; code: string };

export interface PlanReport {
  model: string;
  params: number;
  /** bytes: weights (f32 on the GPU), sampling (G sequences), training (LoRA GRPO step) */
  weights: number; inference: number; training: number;
  budget: number;
  /** reasons the model cannot run on this adapter (empty when it can) */
  problems: string[];
  /** the nearest training settings that fit, when these do not and some do */
  suggestion: ReturnType<typeof fitTrainingShape>;
  lines: string[];
}

export interface EvalRequest {
  /** the app's base URL (the built-in model lives under it) */
  base: string;
  model: ModelChoice;
  /** evaluate with this run's checkpointed adapter (none: the base model) */
  adapterRun?: string;
  items: TrainItem[];
  target: string;
  tolerance: ToleranceRule;
  remote?: RemoteServer;
  maxNewTokens: number;
  /** prompts decoded together */
  batch: number;
}

export interface EvalItemView { id: string; question: string; completion: string; result: ItemResult }
export interface EvalReport { summary: EvalSummary; items: EvalItemView[] }

/** A run as saved in OPFS (run.json). */
export interface StudioRun {
  id: string;
  title: string;
  created: string;
  model: { kind: 'builtin' | 'hub' | 'local'; id: string };
  data: { description: string; train_items: number; eval_items: number };
  settings: TrainSettings;
  /** continue from this run's adapter (solver-transfer adaptation) */
  adapterFrom?: string;
}

export interface TrainOpenRequest { base: string; model: ModelChoice; run: StudioRun; train: TrainItem[]; remote?: RemoteServer }
export interface StepReport { metrics: StepMetrics; rollouts: RolloutGroup[] }

export const BUILTIN_MODEL = 'models/evom-tiny';
/** Its files (public/models/evom-tiny), so nothing else is requested. */
export const BUILTIN_FILES = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'];
/** GPU memory the Studio allows itself by default (browsers do not report free GPU memory). */
export const DEFAULT_GPU_BUDGET = 4 * 2 ** 30;

function sourceFor(base: string, m: ModelChoice, onProgress?: (p: DownloadProgress) => void): ModelSource {
  if (m.kind === 'builtin') return urlSource(new URL(BUILTIN_MODEL, base).href, 'built-in evom-tiny', BUILTIN_FILES);
  if (m.kind === 'hub') return hubSource(m.id, { cache: defaultBrowserCache(), ...(m.hubUrl ? { baseUrl: m.hubUrl } : {}), ...(onProgress ? { onProgress } : {}) });
  return fileListSource(m.files, 'local files');
}

type AdapterFiles = TrainerCheckpoint['adapter'];

/** The PEFT adapter of a run's last checkpoint. */
async function runAdapter(runId: string, why: string): Promise<AdapterFiles> {
  const cp = await loadCheckpoint(runId);
  if (!cp) throw new EvomError(`run ${runId} has no checkpoint ${why}: train at least one step`, 'no_checkpoint');
  return fromWire(cp).adapter;
}

const attach = (engine: Engine, a: AdapterFiles) => { engine.lora = LoraAdapter.fromPeft(engine.gpu, engine.cfg, a['adapter_config.json'], a['adapter_model.safetensors']); };

export function createStudioEngine() {
  let caps: Gpu['caps'] | null = null;
  /** the open training session, with the run's saved metrics and rollouts (read once, at open) */
  let session: { trainer: Trainer; run: StudioRun; close: () => Promise<void>; metrics: StepMetrics[]; rollouts: StepRollouts[] } | null = null;

  /** A device per engine (Engine.destroy() destroys its device); the adapter's caps are kept. */
  async function newGpu(): Promise<Gpu> {
    const g = await acquireGpu();
    caps = g.caps;
    return g;
  }

  async function getCaps(): Promise<Gpu['caps']> {
    if (!caps) (await newGpu()).destroy();
    return caps!;
  }

  function poolWith(remote?: RemoteServer): VerifierPool {
    const pool = createBrowserPool({ warm: true });
    if (remote?.url) pool.useRemote(new RemoteVerifier({ urls: [remote.url], token: remote.token }));
    return pool;
  }

  async function tokenizerOf(source: ModelSource): Promise<EvomTokenizer> {
    const t = await loadTokenizerFromSource(source);
    if (!t) throw new EvomError(`${source.name} has no tokenizer.json; the Studio needs one to write prompts`, 'no_tokenizer');
    return t;
  }

  return {
    /** Whether this browser has WebGPU, and the adapter's limits. */
    async gpuReport(): Promise<GpuReport> {
      try {
        const c = await getCaps();
        return { ok: true, adapter: c.adapter, maxBufferSize: c.maxBufferSize, maxStorageBufferBindingSize: c.maxStorageBufferBindingSize };
      } catch (e) {
        return { ok: false, message: (e as Error).message, code: e instanceof GpuUnavailableError ? 'no_webgpu' : (e as EvomError).code ?? 'gpu_error' };
      }
    },

    /** The memory plan from config.json alone (nothing else is downloaded), against this adapter. */
    async plan(base: string, model: ModelChoice, shape: TrainingShape, budget = DEFAULT_GPU_BUDGET): Promise<PlanReport> {
      const source = sourceFor(base, model);
      const cfg: ModelConfig = parseModelConfig(await readJson(source, 'config.json'), await readJsonIfExists(source, 'generation_config.json'));
      const g = { caps: await getCaps() };
      const seq = shape.promptTokens + shape.maxNewTokens;
      const limits = { maxBufferSize: g.caps.maxBufferSize, maxStorageBufferBindingSize: g.caps.maxStorageBufferBindingSize };
      const { inference: inf, training: tr, problems } = checkTrainingFit(cfg, shape, limits, budget);
      const suggestion = fitTrainingShape(cfg, shape, limits, budget);
      return {
        model: source.name, params: inf.params.total, weights: inf.bytes.weights, inference: inf.bytes.total, training: tr.total, budget, problems, suggestion,
        lines: [
          `${source.name}: ${(inf.params.total / 1e6).toFixed(2)} M parameters, ${cfg.layers} layers, hidden ${cfg.hidden}, vocabulary ${cfg.vocab}`,
          `weights on the GPU (f32): ${formatBytes(inf.bytes.weights)}`,
          `sampling ${shape.group} sequences of ${seq} tokens: ${formatBytes(inf.bytes.total)}`,
          `training (LoRA r${shape.loraRank}, micro-batch ${shape.microBatch}): ${formatBytes(tr.total)}`,
          `adapter ${g.caps.adapter}: maxBufferSize ${formatBytes(limits.maxBufferSize)}, maxStorageBufferBindingSize ${formatBytes(limits.maxStorageBufferBindingSize)}`,
        ],
      };
    },

    /** Download (or find cached) every file a Hub model needs, reporting progress. */
    async download(model: ModelChoice, onProgress: (p: DownloadProgress) => void): Promise<{ files: string[] }> {
      if (model.kind !== 'hub') return { files: [] };
      const source = hubSource(model.id, { cache: defaultBrowserCache(), onProgress, ...(model.hubUrl ? { baseUrl: model.hubUrl } : {}) });
      const files = ['config.json', 'tokenizer.json'];
      for (const f of ['generation_config.json', 'tokenizer_config.json']) if (await readJsonIfExists(source, f) !== null) files.push(f);
      const index = await readJsonIfExists(source, 'model.safetensors.index.json') as { weight_map?: Record<string, string> } | null;
      const weights = index?.weight_map ? [...new Set(Object.values(index.weight_map))] : ['model.safetensors'];
      for (const f of [...files, ...weights]) await source.getBlob(f);
      return { files: [...files, ...weights] };
    },

    /** Greedy completions for the items, verified under the target. */
    async evaluate(req: EvalRequest, onProgress?: (phase: 'generate' | 'verify', done: number, total: number) => void): Promise<EvalReport> {
      const source = sourceFor(req.base, req.model);
      const tokenizer = await tokenizerOf(source);
      const prompts = req.items.map((it) => promptIdsFor(tokenizer, it.question, req.target));
      const engine = await Engine.fromSource(await newGpu(), source, { maxBatch: req.batch, maxContext: Math.max(...prompts.map((p) => p.length)) + req.maxNewTokens });
      const pool = poolWith(req.remote);
      try {
        if (req.adapterRun) attach(engine, await runAdapter(req.adapterRun, 'to evaluate'));
        const texts: string[] = [];
        for (let i = 0; i < prompts.length; i += req.batch) {
          const chunk = prompts.slice(i, i + req.batch).map((promptIds, k) => ({ promptIds, seed: i + k }));
          const groups = await generateBatch(engine, chunk, { n: 1, temperature: 0, maxNewTokens: req.maxNewTokens, stopTokenIds: [...tokenizer.eosTokenIds] }, { decode: (ids) => tokenizer.decode(ids, { skipSpecialTokens: true }) });
          for (const g of groups) texts.push(g[0]!.text ?? '');
          onProgress?.('generate', texts.length, prompts.length);
        }
        const { results, summary } = await evaluateCompletions(
          req.items.map((it) => ({ id: it.id, question: it.question, answer: it.answer, extra: {} })),
          req.items.map((it, i) => ({ id: it.id, completion: texts[i]! })), pool,
          { target: req.target, tolerance: req.tolerance, onProgress: (d, t) => onProgress?.('verify', d, t) },
        );
        return { summary, items: results.map((r, i) => ({ id: r.id, question: req.items[i]!.question, completion: texts[i]!, result: r })) };
      } finally {
        await pool.close();
        engine.destroy();
      }
    },

    /**
     * Open a training session for a run: continue it from its OPFS checkpoint, or start from the
     * adapter of the run it adapts (solver transfer), or afresh. The page has saved run.json and data.json.
     */
    async trainOpen(req: TrainOpenRequest): Promise<{ step: number; metrics: StepMetrics[] }> {
      await session?.close();
      session = null;
      const { cfg, lora } = trainerConfigFrom(req.run.settings);
      const cp = await loadCheckpoint(req.run.id);
      const adapter = !cp && req.run.adapterFrom ? memorySource({ ...await runAdapter(req.run.adapterFrom, 'to adapt from') }, `run ${req.run.adapterFrom}`) : undefined;
      const remote = req.remote?.url ? new RemoteVerifier({ urls: [req.remote.url], token: req.remote.token }) : undefined;
      const g = await newGpu();
      const { trainer, close } = await openTraining(g, sourceFor(req.base, req.model), req.train, cfg, lora, {
        ...(cp ? { resume: fromWire(cp) } : {}), ...(adapter ? { adapter } : {}), ...(remote ? { remote } : {}),
      }).catch((e) => { g.destroy(); throw e; });
      const metrics = cp ? (await loadMetrics(req.run.id)).filter((m) => m.step <= cp.step) : [];
      const rollouts = cp ? (await readJsonFile<StepRollouts[]>(runPath(req.run.id), RUN_FILES.rollouts)) ?? [] : [];
      session = { trainer, run: req.run, close, metrics, rollouts };
      return { step: trainer.step, metrics };
    },

    /** One step; the checkpoint, metrics and rollouts are saved before this returns. */
    async trainStep(): Promise<StepReport> {
      if (!session) throw new EvomError('no training session is open', 'no_session');
      const { trainer, run } = session;
      const metrics = await trainer.trainStep();
      session.metrics = [...session.metrics.filter((m) => m.step < metrics.step), metrics];
      session.rollouts = keepRollouts(session.rollouts, { step: metrics.step, groups: trainer.lastRollouts });
      await writeFile(runPath(run.id), RUN_FILES.rollouts, JSON.stringify(session.rollouts));
      await writeFile(runPath(run.id), RUN_FILES.metrics, metricsJsonl(session.metrics));
      // the checkpoint last: a run resumed from it finds its metrics already saved
      await writeFile(runPath(run.id), RUN_FILES.checkpoint, JSON.stringify(toWire(await trainer.checkpoint())));
      return { metrics, rollouts: trainer.lastRollouts };
    },

    async trainClose(): Promise<void> {
      await session?.close();
      session = null;
    },

    /** The run's adapter in PEFT layout. */
    async adapterFiles(runId: string): Promise<Record<string, string | Uint8Array>> {
      return { ...await runAdapter(runId, 'yet') };
    },

    /** Base weights with the run's adapter merged in (base dtype), config and tokenizer copied. */
    async mergedFiles(base: string, model: ModelChoice, runId: string): Promise<Record<string, string | Uint8Array>> {
      return mergeAdapter(sourceFor(base, model), memorySource({ ...await runAdapter(runId, 'yet') }, 'run adapter'));
    },
  };
}

export type StudioEngineApi = ReturnType<typeof createStudioEngine>;
