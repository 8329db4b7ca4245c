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
    const { createTargets } = await import('../targets/runners.ts');
    const { nodeSolverAssets } = await import('../targets/assets-node.ts');
    let families;
    try { families = parseFamilies(spec.slice('generator:'.length) || 'all'); } catch (e) { throw new UsageError(`--data ${spec}: ${(e as Error).message}`); }
    const items = await generateBenchmark({ families, count: GENERATED_TRAIN_ITEMS, seed: 100_000 + seed, difficulty: 2 }, createTargets(nodeSolverAssets));
    return items.map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
  }
  const { loadBenchmarkFile } = await import('../problems/benchmarks-node.ts');
  const items = (await loadBenchmarkFile(spec)).filter((i) => i.answer !== null);
  if (items.length === 0) throw new UsageError(`--data ${spec}: no item has an answer to reward against`);
  return items.map((i) => ({ id: i.id, question: i.question, answer: i.answer! }));
}
