// `evom demo`: EVOM end to end on the built-in policy (public/models/evom-tiny, a 0.2M-parameter
// Llama warm-started on generated problems by test/reference/make_demo_policy.py). It measures
// accuracy on a held-out generated set, trains a LoRA adapter with GRPO on other generated problems
// (rewarded only by solving the completions' models), and measures again. Everything runs here:
// the engine on WebGPU in headless Chromium (SwiftShader without a GPU), the solvers in workers.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchmarkItem } from '../problems/benchmarks.ts';
import { evaluateInHost, type PolicyEvalOptions } from './eval-policy.ts';
import { BUILTIN_POLICY, createRun, trainRun } from './train.ts';
import type { EvalSummary } from '../verifier/evaluate.ts';
import type { Family } from '../problems/generator.ts';
import { directorySource } from '../model/source-node.ts';
import { requireChromium } from '../host/chromium.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { generateBenchmark } from '../problems/generated.ts';
import { createRunners } from '../targets/runners.ts';
import { nodeAssets } from '../targets/assets-node.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { defaultSettings, type TrainSettings } from '../rl/settings.ts';
import { fsRunAt } from '../host/run-store-fs.ts';
import { intFlag, parse } from './args.ts';
import { UsageError } from '../errors.ts';
import { formatDemo, runVerifierDemo } from './demo-verifier.ts';

export { BUILTIN_POLICY };

/**
 * The demo's data and evaluation (flags override steps, seed, eval count and out). Its training
 * settings are the built-in policy's defaults in the settings table (src/rl/settings.ts: G 8, 2
 * prompts per step, lr 2e-3, LoRA rank 8, 112 new tokens, micro-batch 16, 10 steps).
 */
export const DEMO = {
  families: ['knapsack', 'production'] as Family[],
  difficulty: 2,
  target: 'highs',
  evalCount: 40,
  trainCount: 256,
  seed: 1,
  /** evaluation samples at the training temperature (1.0): the accuracy of the policy as trained */
  evalTemperature: 1,
  evalBatch: 16,
};

/** The demo's training settings: the built-in policy's defaults (src/rl/settings.ts). */
export function demoSettings(seed: number, steps: number): TrainSettings {
  return { ...defaultSettings('builtin', 'grpo', DEMO.target), seed, steps };
}

export interface DemoOptions { steps: number; seed: number; evalCount: number; out?: string }
type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export async function runTrainingDemo(o: DemoOptions, io: Io): Promise<{ before: EvalSummary; after: EvalSummary; out: string }> {
  const t0 = Date.now();
  requireChromium(); // the engine runs in headless Chromium: say so before minutes of preparation
  const targets = await createRunners(nodeAssets);
  // Held-out evaluation problems and training problems from disjoint seeds; any question that
  // appears in both (possible at low difficulty) is dropped from training.
  const evalItems: BenchmarkItem[] = (await generateBenchmark({ families: DEMO.families, count: o.evalCount, seed: 1_000_000 + o.seed, difficulty: DEMO.difficulty }, targets))
    .map(({ id, question, answer, ...extra }) => ({ id, question, answer, extra }));
  const held = new Set(evalItems.map((i) => i.question));
  const train = (await generateBenchmark({ families: DEMO.families, count: DEMO.trainCount, seed: 2_000_000 + o.seed, difficulty: DEMO.difficulty }, targets))
    .filter((i) => !held.has(i.question)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'evom-demo-'));
  io.stderr(`evom demo: policy ${BUILTIN_POLICY}\n  ${evalItems.length} held-out problems and ${train.length} training problems (${DEMO.families.join(', ')}, difficulty ${DEMO.difficulty}), target ${DEMO.target}\n`);

  const source = directorySource(BUILTIN_POLICY);
  const settings = demoSettings(o.seed, o.steps);
  const evalOpts: PolicyEvalOptions = {
    target: DEMO.target, tolerance: 'rel5pct', batchPrompts: DEMO.evalBatch,
    sampling: { n: 1, temperature: DEMO.evalTemperature, maxNewTokens: settings.maxNewTokens, seed: 7 + o.seed },
  };
  // one engine page for both evaluations and the training between them
  const run = fsRunAt(out);
  const { openPageHost } = await import('../host/page-transport.ts');
  const host = await openPageHost(source, run.store.where);
  try {
    io.stderr('1/3 evaluating the warm-started policy…\n');
    const before = await evaluateInHost(host, null, evalItems, evalOpts);
    io.stderr(`    accuracy ${pct(before.summary.accuracy)}, execution ${pct(before.summary.execution_rate)}, format ${pct(before.summary.format_rate)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);

    io.stderr(`2/3 GRPO, ${o.steps} steps of ${settings.promptsPerStep} problems × ${settings.group} completions, LoRA rank ${settings.loraRank}; run folder ${out}\n`);
    const steps: StepMetrics[] = [];
    await createRun({ out, model: { kind: 'builtin', id: 'evom-tiny' }, settings, checkpointEvery: o.steps, data: train, description: `generator:${DEMO.families.join(',')} difficulty ${DEMO.difficulty}` });
    await trainRun(out, source, { stdout: () => {}, stderr: (s) => io.stderr('    ' + s) }, { host, onMetrics: (m) => steps.push(m) });

    io.stderr('3/3 evaluating the trained policy…\n');
    const after = await evaluateInHost(host, await run.store.adapter(run.id), evalItems, evalOpts);
    const rows: [string, (s: EvalSummary) => string][] = [
      ['accuracy', (s) => pct(s.accuracy)], ['execution rate', (s) => pct(s.execution_rate)],
      ['format rate', (s) => pct(s.format_rate)], ['mean reward', (s) => s.mean_reward.toFixed(3)],
    ];
    const lines = [
      '', `EVOM demo: ${evalItems.length} held-out generated problems, target ${DEMO.target}, tolerance rel5pct, one sample each at temperature ${DEMO.evalTemperature}`,
      '', '                  before      after',
      ...rows.map(([name, f]) => `${name.padEnd(16)}  ${f(before.summary).padStart(8)}  ${f(after.summary).padStart(9)}`),
      '', `training reward per step: ${steps.map((m) => m.reward_mean.toFixed(2)).join(' ')}`,
      `run folder (metrics.jsonl, adapter/ in PEFT format): ${out}`,
      `total ${((Date.now() - t0) / 1000).toFixed(0)} s`, '',
    ];
    io.stdout(lines.join('\n'));
    return { before: before.summary, after: after.summary, out };
  } finally {
    await host.close();
  }
}

export async function cmdDemo(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, { count: { type: 'string' }, seed: { type: 'string' }, verifier: { type: 'boolean' }, steps: { type: 'string' }, out: { type: 'string' }, 'eval-count': { type: 'string' } });
  if (!values.verifier) {
    if (values.count !== undefined) throw new UsageError('--count belongs to the verifier demo (evom demo --verifier); the training demo takes --eval-count');
    const { runTrainingDemo, DEMO } = await import('./demo.ts');
    await runTrainingDemo({
      steps: intFlag(values.steps, '--steps', defaultSettings('builtin', 'grpo', DEMO.target).steps, 1), seed: intFlag(values.seed, '--seed', DEMO.seed, 0),
      evalCount: intFlag(values['eval-count'], '--eval-count', DEMO.evalCount, 1), ...(values.out ? { out: values.out } : {}),
    }, io);
    return 0;
  }
  if (values.steps !== undefined || values.out !== undefined || values['eval-count'] !== undefined) throw new UsageError('--steps, --eval-count and --out belong to the training demo (evom demo without --verifier)');
  const count = intFlag(values.count, '--count', 12, 1);
  const seed = intFlag(values.seed, '--seed', 2026, 0);
  const pool = createNodePool();
  try {
    const t0 = Date.now();
    const rows = await runVerifierDemo(pool, await createRunners(nodeAssets), { count, seed });
    io.stdout(formatDemo(rows, count) + `\n\n${pool.stats().completed} verifications on ${pool.size} workers in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  } finally {
    await pool.close();
  }
  return 0;
}
