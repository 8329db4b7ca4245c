// `evom train`: GRPO/DAPO with execution-verified rewards. The loop runs in the engine host (headless
// Chromium: WebGPU engine, verifier workers); this process prepares the data, serves the model,
// and drives the steps. The run folder DIR is the run store's layout (src/host/run-store.ts), the
// same as a Studio run's: DIR/run.json, DIR/data.json, DIR/metrics.jsonl (one line per step),
// DIR/checkpoints/ (each written whole, then named in checkpoints/latest, so a run killed at any
// moment resumes from its last complete checkpoint) and DIR/adapter/ (PEFT) at the end.

import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { EvomError, RunStoppedError, UsageError } from '../errors.ts';
import type { ModelSource } from '../model/source.ts';
import { directorySource } from '../model/source-node.ts';
import type { StepMetrics, TrainItem } from '../rl/trainer.ts';
import type { AdapterFiles, RunModel, RunRecord } from '../host/run-store.ts';
import { fsRunAt } from '../host/run-store-fs.ts';
import type { PageHost } from '../host/page-transport.ts';
import { hubUrlOf, intFlag, parse } from './args.ts';
import { modelKindOf, runOptionsFromFlags, settingsFromFlags, TRAIN_ALL_OPTIONS } from './settings-flags.ts';
import type { TrainSettings } from '../rl/settings.ts';
import { stepAccuracy } from '../verifier/stats.ts';
import { BUILTIN_POLICIES, isBuiltinPolicy } from '../model/builtin.ts';

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/** The built-in policy's folder (public/models/evom-tiny). */
export const BUILTIN_POLICY = resolve(import.meta.dirname, '..', '..', 'public', 'models', 'evom-tiny');

export const builtinPolicyDir = (id: string) => resolve(BUILTIN_POLICY, '..', id);

/** How a run names its model: the built-in policy, a folder, or a Hub id. */
export function runModelOf(model: string, hubUrl: string): RunModel {
  for (const id of BUILTIN_POLICIES) if (modelKindOf(model, builtinPolicyDir(id)) === 'builtin') return { kind: 'builtin', id };
  if (existsSync(model)) return { kind: 'local', id: resolve(model) };
  return { kind: 'hub', id: model, hubUrl };
}

export interface NewRun {
  out: string;
  model: RunModel;
  settings: TrainSettings;
  checkpointEvery: number;
  data: TrainItem[];
  description: string;
  startAdapter?: AdapterFiles | null;
}

/** Save a new run in `out` (which must not hold one). */
export async function createRun(o: NewRun): Promise<void> {
  const { store, id } = fsRunAt(o.out);
  if (await store.readRun(id)) throw new UsageError(`--out ${o.out} already holds a run; continue it with --resume ${o.out}, or pick another folder`);
  const run: RunRecord = {
    id, title: id, created: new Date().toISOString(), model: o.model, settings: o.settings, checkpointEvery: o.checkpointEvery,
    data: { description: o.description, train_items: o.data.length, eval_items: 0 },
  };
  await store.createRun(run, { train: o.data, eval: [], description: o.description }, o.startAdapter ?? undefined);
}

/**
 * Train the run at `out` up to its step count (from its last checkpoint, if any). `steps` raises
 * (or lowers) the count saved in run.json. An open host (the demo's) may be given; else one opens.
 */
export async function trainRun(out: string, source: ModelSource, io: Io, o: { steps?: number; resume?: boolean; host?: PageHost; onMetrics?: (m: StepMetrics) => void } = {}): Promise<void> {
  const { store, id } = fsRunAt(out);
  const run = await store.readRun(id);
  if (!run) throw new UsageError(`--resume ${out}: not a training run folder (no run.json)`);
  if (!run.settings || typeof run.checkpointEvery !== 'number') throw new UsageError(`${out}/run.json is from an older version of evom (before one run layout for the CLI and the Studio); start the run again`);
  if (o.steps !== undefined && o.steps !== run.settings.steps) {
    run.settings = { ...run.settings, steps: o.steps };
    await store.writeJson(id, 'run.json', run);
  }
  const steps = run.settings.steps;
  const { openPageHost } = await import('../host/page-transport.ts');
  const h = o.host ?? await openPageHost(source, store.where);
  try {
    const opened = await h.host.trainOpen({ run: id, model: h.model });
    if (opened.step >= steps) {
      io.stdout(`already trained ${opened.step} steps (of ${steps}); raise --steps to continue\n`);
      return;
    }
    if (opened.step > 0) io.stderr(`resuming from step ${opened.step}\n`);
    else if (o.resume) io.stderr('no checkpoint yet: starting from step 0\n');
    // tests only: the device lost in the middle of this step (test/train-cli.test.ts)
    if (process.env.EVOM_TEST_LOSE_DEVICE_IN_STEP) await h.host.testLoseDeviceInStep(Number(process.env.EVOM_TEST_LOSE_DEVICE_IN_STEP));
    for (let step = opened.step; step < steps;) {
      const { metrics: m } = await h.host.trainStep().catch((e: unknown) => {
        // the GPU device lost or out of memory: the host saved nothing of the step; say how to go on
        if (e instanceof EvomError && e.name === 'RunStoppedError') {
          const r = e as RunStoppedError;
          throw new RunStoppedError(`${r.message} Resume with: evom train --resume ${/[^\w./-]/.test(out) ? JSON.stringify(out) : out}`, r.code, r.step, r.saved);
        }
        throw e;
      });
      step = m.step;
      o.onMetrics?.(m);
      io.stderr(`step ${m.step}: reward ${m.reward_mean.toFixed(3)} acc ${stepAccuracy(m)} format ${(100 * m.format_rate).toFixed(1)}% loss ${m.loss.toFixed(4)} kl ${m.kl.toFixed(4)} ${(m.ms.total / 1000).toFixed(1)} s\n`);
    }
    io.stdout(`trained ${steps} steps; metrics: ${out}/metrics.jsonl; adapter (PEFT): ${out}/adapter\n`);
  } finally {
    await h.host.trainClose();
    if (!o.host) await h.close();
  }
}

/** The model a saved run trains, as this process reads it. */
export async function runModelSource(run: RunRecord, io: Io): Promise<ModelSource> {
  if (run.model.kind === 'builtin') return directorySource(builtinPolicyDir(isBuiltinPolicy(run.model.id) ? run.model.id : 'evom-tiny'));
  if (run.model.kind === 'local' && existsSync(run.model.id)) return directorySource(run.model.id);
  const { resolveModelSource } = await import('./generate.ts');
  return resolveModelSource(run.model.id, run.model.hubUrl ?? hubUrlOf(undefined), io);
}


/** Problems generated for `--data generator[:FAMILIES]` (fresh problems, so the policy cannot memorize a few). */
export const GENERATED_TRAIN_ITEMS = 256;

/** `--data`: a benchmark JSONL file (items without an answer are skipped) or `generator[:F,F…]`. */
export async function loadTrainData(spec: string, seed: number): Promise<TrainItem[]> {
  if (spec === 'generator' || spec.startsWith('generator:')) {
    const { parseFamilies } = await import('../problems/generator.ts');
    const { generateBenchmark } = await import('../problems/generated.ts');
    const { createRunners } = await import('../targets/runners.ts');
    const { nodeAssets } = await import('../targets/assets-node.ts');
    let families;
    try { families = parseFamilies(spec.slice('generator:'.length) || 'all'); } catch (e) { throw new UsageError(`--data ${spec}: ${(e as Error).message}`); }
    const items = await generateBenchmark({ families, count: GENERATED_TRAIN_ITEMS, seed: 100_000 + seed, difficulty: 2 }, await createRunners(nodeAssets));
    return items.map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
  }
  const { loadBenchmarkFile } = await import('../problems/benchmarks-node.ts');
  const items = (await loadBenchmarkFile(spec)).filter((i) => i.answer !== null);
  if (items.length === 0) throw new UsageError(`--data ${spec}: no item has an answer to reward against`);
  return items.map((i) => ({ id: i.id, question: i.question, answer: i.answer! }));
}

export async function cmdTrain(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, TRAIN_ALL_OPTIONS);
  if (values.resume !== undefined) {
    const other = Object.keys(values).filter((k) => k !== 'resume' && k !== 'steps');
    if (other.length) throw new UsageError(`--resume DIR continues the run saved there; it takes only --steps (got --${other.join(', --')})`);
    const { store, id } = fsRunAt(values.resume);
    const run = await store.readRun(id);
    if (!run) throw new UsageError(`--resume ${values.resume}: not a training run folder (no run.json)`);
    const steps = values.steps === undefined ? undefined : intFlag(values.steps, '--steps', 1, 1);
    await trainRun(values.resume, await runModelSource(run, io), io, { resume: true, ...(steps !== undefined ? { steps } : {}) });
    return 0;
  }
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (!values.data) throw new UsageError('--data FILE.jsonl|generator[:FAMILIES] is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const model = modelKindOf(values.model, BUILTIN_POLICY);
  const settings = settingsFromFlags(values, model);
  const hubUrl = hubUrlOf(values['hub-url']);
  const { resolveModelSource, readAdapterDir } = await import('./generate.ts');
  const source = resolveModelSource(values.model, hubUrl, io);
  const startAdapter = await readAdapterDir(values.adapter);
  const data = await loadTrainData(values.data, settings.seed);
  await createRun({
    out: values.out, model: runModelOf(values.model, hubUrl), settings, data, description: values.data, startAdapter,
    checkpointEvery: runOptionsFromFlags(values, model).checkpointEvery,
  });
  await trainRun(values.out, source, io);
  return 0;
}
