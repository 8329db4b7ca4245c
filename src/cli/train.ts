// `evom train`: GRPO/DAPO with execution-verified rewards. The loop runs in headless Chromium
// (WebGPU engine, verifier workers); this process prepares the data and tokenizer-free inputs,
// serves the model, and writes what the page reports: DIR/metrics.jsonl (one line per step),
// checkpoints (written whole, then made current by renaming a pointer file, so a run killed at any
// moment resumes from its last complete checkpoint) and DIR/adapter/ (PEFT) at the end.

import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.ts';
import { DEFAULT_LORA, type LoraConfig } from '../rl/lora.ts';
import type { ModelSource } from '../model/source.ts';
import { directorySource } from '../model/source-node.ts';
import type { StepMetrics, TrainerConfig, TrainItem } from '../rl/trainer.ts';
import type { TrainRequest, WireCheckpoint } from '../host/train-host.ts';
import { hubUrlOf, intFlag, numFlag, parse, targetFlag, toleranceOf, type Io as CliArgsIo } from './args.ts';
import type { TrainSettings } from '../rl/run-card.ts';
import type { ParseArgsConfig } from 'node:util';

/** Everything a run needs; saved as DIR/run.json (data as DIR/data.jsonl) so `--resume DIR` needs nothing else. */
export interface TrainRun {
  model: string;
  hubUrl: string;
  adapterDir?: string;
  cfg: TrainerConfig;
  lora: LoraConfig;
  steps: number;
  checkpointEvery: number;
}

export interface TrainCliOptions {
  run: TrainRun;
  data: TrainItem[];
  out: string;
}

/** Write a checkpoint directory whole, then point `latest` at it with an atomic rename. */
export function writeCheckpoint(out: string, cp: WireCheckpoint): string {
  const dir = join(out, 'checkpoints');
  mkdirSync(dir, { recursive: true });
  const name = `step-${String(cp.step).padStart(6, '0')}`;
  const tmp = join(dir, `.${name}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  writeFileSync(join(tmp, 'checkpoint.json'), JSON.stringify(cp));
  writeFileSync(join(tmp, 'adapter_config.json'), cp.adapter_config);
  writeFileSync(join(tmp, 'adapter_model.safetensors'), Buffer.from(cp.adapter_weights_b64, 'base64'));
  rmSync(join(dir, name), { recursive: true, force: true });
  renameSync(tmp, join(dir, name));
  writeFileSync(join(dir, '.latest.tmp'), name);
  renameSync(join(dir, '.latest.tmp'), join(dir, 'latest'));
  return join(dir, name);
}

export function readLatestCheckpoint(out: string): WireCheckpoint | null {
  const ptr = join(out, 'checkpoints', 'latest');
  if (!existsSync(ptr)) return null;
  const name = readFileSync(ptr, 'utf8').trim();
  return JSON.parse(readFileSync(join(out, 'checkpoints', name, 'checkpoint.json'), 'utf8')) as WireCheckpoint;
}

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/** Start a new run in `out` (which must not hold one). */
export async function startTrain(o: TrainCliOptions, source: ModelSource, io: Io, onMetrics?: (m: StepMetrics) => void): Promise<void> {
  if (existsSync(join(o.out, 'run.json'))) throw new UsageError(`--out ${o.out} already holds a run; continue it with --resume ${o.out}, or pick another folder`);
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, 'data.jsonl'), o.data.map((d) => JSON.stringify(d) + '\n').join(''));
  writeFileSync(join(o.out, 'run.json'), JSON.stringify(o.run, null, 2));
  await runTrain(o, source, undefined, io, onMetrics);
}

/** Load a run folder for `--resume`: its saved run, data and latest complete checkpoint. */
export function loadRun(out: string): { run: TrainRun; data: TrainItem[]; checkpoint: WireCheckpoint | null } {
  const runFile = join(out, 'run.json');
  if (!existsSync(runFile)) throw new UsageError(`--resume ${out}: not a training run folder (no run.json)`);
  const run = JSON.parse(readFileSync(runFile, 'utf8')) as TrainRun;
  const data = readFileSync(join(out, 'data.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as TrainItem);
  return { run, data, checkpoint: readLatestCheckpoint(out) };
}

/** Continue a run from its latest checkpoint (or from the start when it has none yet). */
export async function resumeTrain(out: string, source: ModelSource, io: Io, steps?: number): Promise<void> {
  const { run, data, checkpoint } = loadRun(out);
  if (steps !== undefined && steps !== run.steps) {
    run.steps = steps;
    writeFileSync(join(out, 'run.json'), JSON.stringify(run, null, 2));
  }
  const metricsFile = join(out, 'metrics.jsonl');
  // metrics after the checkpoint belong to steps that will be redone
  if (existsSync(metricsFile)) {
    const done = checkpoint?.step ?? 0;
    const kept = readFileSync(metricsFile, 'utf8').split('\n').filter((l) => l.trim() && JSON.parse(l).step <= done);
    writeFileSync(metricsFile, kept.map((l) => l + '\n').join(''));
  }
  io.stderr(checkpoint ? `resuming from step ${checkpoint.step}\n` : 'no checkpoint yet: starting from step 0\n');
  await runTrain({ run, data, out }, source, checkpoint ?? undefined, io);
}

async function runTrain(o: TrainCliOptions, source: ModelSource, resume: WireCheckpoint | undefined, io: Io, onMetrics?: (m: StepMetrics) => void): Promise<void> {
  const metricsFile = join(o.out, 'metrics.jsonl');
  const r = o.run;
  if (resume && resume.step >= r.steps) {
    io.stdout(`already trained ${resume.step} steps (of ${r.steps}); raise --steps to continue\n`);
    return;
  }
  const adapter = r.adapterDir ? directorySource(r.adapterDir) : null;
  const { enginePage, callInPage } = await import('../host/chromium.ts');
  const repo = 'local/model';
  const { serveModel } = await import('./generate.ts');
  const env = await enginePage([serveModel(source, repo, adapter)]);
  try {
    await env.page.exposeFunction('evomOnMetrics', (m: StepMetrics) => {
      appendFileSync(metricsFile, JSON.stringify(m) + '\n');
      onMetrics?.(m);
      io.stderr(`step ${m.step}: reward ${m.reward_mean.toFixed(3)} acc ${(100 * m.accuracy).toFixed(1)}% format ${(100 * m.format_rate).toFixed(1)}% loss ${m.loss.toFixed(4)} kl ${m.kl.toFixed(4)} ${(m.ms.total / 1000).toFixed(1)} s\n`);
    });
    await env.page.exposeFunction('evomOnCheckpoint', (cp: WireCheckpoint) => { writeCheckpoint(o.out, cp); });
    const req: TrainRequest = {
      baseUrl: env.base, repo, data: o.data, cfg: r.cfg, lora: r.lora, steps: r.steps, checkpointEvery: r.checkpointEvery,
      withAdapter: Boolean(adapter), ...(resume ? { resume } : {}),
    };
    const res = await callInPage<{ final: WireCheckpoint }>(env.page, '/src/host/train-host.ts', 'hostTrain', req);
    const dir = join(o.out, 'adapter');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'adapter_config.json'), res.final.adapter_config);
    writeFileSync(join(dir, 'adapter_model.safetensors'), Buffer.from(res.final.adapter_weights_b64, 'base64'));
    io.stdout(`trained ${res.final.step} steps; metrics: ${metricsFile}; adapter (PEFT): ${dir}\n`);
  } finally {
    await env.close();
  }
}

export { DEFAULT_LORA };

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

/** `evom train`'s options (parseArgs); every TrainSettings flag is among them (test/run-card.test.ts). */
export const TRAIN_OPTIONS = {
  model: { type: 'string' }, data: { type: 'string' }, target: { type: 'string' }, algo: { type: 'string' },
  'lora-rank': { type: 'string' }, 'lora-alpha': { type: 'string' }, group: { type: 'string' }, steps: { type: 'string' },
  lr: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, resume: { type: 'string' }, kl: { type: 'string' },
  adapter: { type: 'string' }, 'max-new-tokens': { type: 'string' }, 'prompts-per-step': { type: 'string' },
  'checkpoint-every': { type: 'string' }, 'micro-batch': { type: 'string' }, 'updates-per-batch': { type: 'string' },
  temperature: { type: 'string' }, tolerance: { type: 'string' }, 'hub-url': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** `evom train`'s flags → TrainSettings (defaults from run-card.ts); UsageError naming the flag for a bad value. */
export async function trainSettingsFromFlags(values: { readonly [flag: string]: string | boolean | undefined }): Promise<TrainSettings> {
  const target = targetFlag(values.target);
  const algo = values.algo ?? 'grpo';
  if (algo !== 'grpo' && algo !== 'dapo') throw new UsageError(`--algo must be grpo or dapo; got ${String(algo)}`);
  const tolerance = toleranceOf(values.tolerance);
  const { defaultSettings, MAX_LORA_RANK } = await import('../rl/run-card.ts');
  const d = defaultSettings(algo, target);
  const group = intFlag(values.group, '--group', d.group, 2);
  const promptsPerStep = intFlag(values['prompts-per-step'], '--prompts-per-step', d.promptsPerStep, 1);
  const seed = intFlag(values.seed, '--seed', d.seed, 0);
  const maxNewTokens = intFlag(values['max-new-tokens'], '--max-new-tokens', d.maxNewTokens, 1);
  const microBatch = intFlag(values['micro-batch'], '--micro-batch', d.microBatch, 1);
  const updatesPerBatch = intFlag(values['updates-per-batch'], '--updates-per-batch', d.updatesPerBatch, 1);
  const temperature = numFlag(values.temperature, '--temperature', d.temperature, 0.01, 10);
  const lr = numFlag(values.lr, '--lr', d.lr, 0, 1);
  const kl = numFlag(values.kl, '--kl', d.kl, 0, 100);
  const steps = intFlag(values.steps, '--steps', d.steps, 1);
  const loraRank = intFlag(values['lora-rank'], '--lora-rank', d.loraRank, 1);
  if (loraRank > MAX_LORA_RANK) throw new UsageError(`--lora-rank must be at most ${MAX_LORA_RANK}; got ${loraRank}`);
  const loraAlpha = numFlag(values['lora-alpha'], '--lora-alpha', 2 * loraRank, 0.001, 1e6);
  return { algo, target, tolerance, steps, group, promptsPerStep, lr, kl, loraRank, loraAlpha, maxNewTokens, temperature, seed, microBatch, updatesPerBatch };
}

export async function cmdTrain(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, TRAIN_OPTIONS);
  const train = await import('./train.ts');
  const { resolveModelSource } = await import('./generate.ts');
  if (values.resume !== undefined) {
    const other = Object.keys(values).filter((k) => k !== 'resume' && k !== 'steps');
    if (other.length) throw new UsageError(`--resume DIR continues the run saved there; it takes only --steps (got --${other.join(', --')})`);
    const { run } = train.loadRun(values.resume);
    const steps = values.steps === undefined ? undefined : intFlag(values.steps, '--steps', 1, 1);
    await train.resumeTrain(values.resume, resolveModelSource(run.model, run.hubUrl, io), io, steps);
    return 0;
  }
  if (!values.model) throw new UsageError('--model DIR|HUB_ID is required');
  if (!values.data) throw new UsageError('--data FILE.jsonl|generator[:FAMILIES] is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const settings = await trainSettingsFromFlags(values);
  const hubUrl = hubUrlOf(values['hub-url']);
  // the same TrainerConfig as the Studio builds for these settings
  const { trainerConfigFrom } = await import('../rl/run-card.ts');
  const { cfg, lora } = trainerConfigFrom(settings);
  const data = await train.loadTrainData(values.data, cfg.seed);
  await train.startTrain({
    run: { model: values.model, hubUrl, ...(values.adapter ? { adapterDir: values.adapter } : {}), cfg, lora, steps: settings.steps, checkpointEvery: intFlag(values['checkpoint-every'], '--checkpoint-every', 10, 1) },
    data, out: values.out,
  }, resolveModelSource(values.model, hubUrl, io), io);
  return 0;
}
