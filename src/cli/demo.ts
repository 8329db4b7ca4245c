// `evom demo`: EVOM end to end on the built-in policy (public/models/evom-tiny, a 0.2M-parameter
// Llama warm-started on generated problems by test/reference/make_demo_policy.py). It measures
// accuracy on a held-out generated set, trains a LoRA adapter with GRPO on other generated problems
// (rewarded only by solving the completions' models), and measures again. Everything runs here:
// the engine on WebGPU in headless Chromium (SwiftShader without a GPU), the solvers in workers.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evaluateInHost, type PolicyEvalOptions } from './eval-policy.ts';
import { BUILTIN_POLICY, createRun, trainRun } from './train.ts';
import { summaryAccuracy, type EvalSummary } from '../verifier/evaluate.ts';
import { accuracyOf, formatAccuracy, formatDifference, pairedDifference, type Interval, type ItemTally, type PairedDifference, type PairedStratum } from '../verifier/stats.ts';
import { directorySource } from '../model/source-node.ts';
import { requireChromium } from '../host/chromium.ts';
import { createNodePool } from '../verifier/pool-node.ts';
import { generateBenchmark } from '../problems/generated.ts';
import { createRunners } from '../targets/runners.ts';
import { nodeAssets } from '../targets/assets-node.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { ALGORITHM_NAMES, type TrainSettings } from '../rl/settings.ts';
import { DEMO, demoDataDescription, demoDefaultSteps, demoPairedGain, demoProblemSets, demoSamplingSeed, demoSettings } from '../rl/demo.ts';
import { fsRunAt } from '../host/run-store-fs.ts';
import { intFlag, parse } from './args.ts';
import { UsageError } from '../errors.ts';
import { settingsFromFlags, TRAIN_FLAG_OPTIONS } from './settings-flags.ts';
import { plural } from '../rl/transfer.ts';
import { formatDemo, runVerifierDemo } from './demo-verifier.ts';

export { BUILTIN_POLICY };

export { DEMO, demoSettings };

export interface DemoOptions {
  steps: number;
  /** one run per seed (data, sampling, adapter initialization); their gains are pooled */
  seeds: number[];
  evalCount: number;
  evalSamples: number;
  out?: string;
  /** print one JSON object on stdout instead of the table */
  json?: boolean;
  /** training settings other than the built-in policy's defaults (evom train's flags; seed and steps from above) */
  settings?: TrainSettings;
}
type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

/** An evaluation as the demo reports it: accuracy with its interval and n (items), the rates. */
export interface DemoEval {
  accuracy: number; ci95: Interval; n: number; samples: number;
  execution_rate: number; format_rate: number; mean_reward: number;
}
export interface DemoSeed { seed: number; before: DemoEval; after: DemoEval; gain: PairedDifference; training_reward: number[]; out: string; wall_s: number }
export interface DemoResult {
  before: DemoEval; after: DemoEval; gain: PairedDifference; seeds: DemoSeed[];
  evaluation: { items_per_seed: number; samples_per_item: number; temperature: number; target: string; tolerance: string };
  settings: TrainSettings; out: string; wall_s: number;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function demoEval(tallies: ItemTally[], summaries: EvalSummary[]): DemoEval {
  const a = accuracyOf(tallies);
  const w = (f: (s: EvalSummary) => number) => summaries.reduce((t, s) => t + f(s) * s.scored, 0) / Math.max(1, summaries.reduce((t, s) => t + s.scored, 0));
  return { accuracy: a.value, ci95: a.ci95, n: a.items, samples: a.samples, execution_rate: w((s) => s.execution_rate), format_rate: w((s) => s.format_rate), mean_reward: w((s) => s.mean_reward) };
}

export async function runTrainingDemo(o: DemoOptions, io: Io): Promise<DemoResult> {
  const t0 = Date.now();
  requireChromium(); // the engine runs in headless Chromium: say so before minutes of preparation
  if (!o.seeds.length) throw new UsageError('--seeds: give at least one seed');
  const targets = await createRunners(nodeAssets);
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'evom-demo-'));
  // one run folder per seed (out/seed-N) when there are several; the host's run store is their parent
  const runDir = (seed: number) => (o.seeds.length > 1 ? join(out, `seed-${seed}`) : out);
  const source = directorySource(BUILTIN_POLICY);
  const settings0 = demoSettings(o.seeds[0]!, o.steps, o.settings);
  io.stderr(`evom demo: policy ${BUILTIN_POLICY}; seeds ${o.seeds.join(', ')}\n  per seed: ${o.evalCount} held-out problems × ${plural(o.evalSamples, 'sample')} at temperature ${DEMO.evalTemperature}, `
    + `${plural(o.steps, `${ALGORITHM_NAMES[settings0.algo]} step`)} on ${DEMO.trainCount} other problems (${DEMO.families.join(', ')}, difficulty ${DEMO.difficulty}), target ${DEMO.target}\n`);
  const { openPageHost } = await import('../host/page-transport.ts');
  const host = await openPageHost(source, fsRunAt(runDir(o.seeds[0]!)).store.where);
  const seeds: DemoSeed[] = [];
  const all = { before: [] as ItemTally[], after: [] as ItemTally[], sb: [] as EvalSummary[], sa: [] as EvalSummary[], strata: [] as PairedStratum[] };
  try {
    for (const [k, seed] of o.seeds.entries()) {
      const ts = Date.now();
      const dir = runDir(seed);
      const tag = o.seeds.length > 1 ? `[seed ${seed}, ${k + 1}/${o.seeds.length}] ` : '';
      const { evalItems, train } = await demoProblemSets((g) => generateBenchmark(g, targets), seed, o.evalCount);
      const settings = demoSettings(seed, o.steps, o.settings);
      const evalOpts: PolicyEvalOptions = {
        target: DEMO.target, tolerance: DEMO.tolerance, batchPrompts: DEMO.evalBatch,
        sampling: { n: o.evalSamples, temperature: DEMO.evalTemperature, maxNewTokens: settings.maxNewTokens, seed: demoSamplingSeed(seed) },
      };
      io.stderr(`${tag}1/3 evaluating the warm-started policy…\n`);
      const before = await evaluateInHost(host, null, evalItems, evalOpts);
      io.stderr(`    accuracy ${formatAccuracy(summaryAccuracy(before.summary))} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      io.stderr(`${tag}2/3 ${ALGORITHM_NAMES[settings.algo]}, ${plural(o.steps, 'step')} of ${plural(settings.promptsPerStep, 'problem')} × ${settings.group} completions, LoRA rank ${settings.loraRank}; run folder ${dir}\n`);
      const steps: StepMetrics[] = [];
      await createRun({ out: dir, model: { kind: 'builtin', id: 'evom-tiny' }, settings, checkpointEvery: o.steps, data: train, description: demoDataDescription() });
      await trainRun(dir, source, { stdout: () => {}, stderr: (s) => io.stderr('    ' + s) }, { host, onMetrics: (m) => steps.push(m) });
      io.stderr(`${tag}3/3 evaluating the trained policy…\n`);
      const run = fsRunAt(dir);
      const after = await evaluateInHost(host, await run.store.adapter(run.id), evalItems, evalOpts);
      const { before: tb, after: ta, pair, gain } = demoPairedGain(before.results, after.results);
      const s: DemoSeed = {
        seed, before: demoEval(tb, [before.summary]), after: demoEval(ta, [after.summary]), gain,
        training_reward: steps.map((m) => m.reward_mean), out: dir, wall_s: (Date.now() - ts) / 1000,
      };
      seeds.push(s);
      io.stderr(`    accuracy ${formatAccuracy(summaryAccuracy(after.summary))}; gain ${formatDifference(gain)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
      all.before.push(...tb); all.after.push(...ta);
      all.sb.push(before.summary); all.sa.push(after.summary); all.strata.push(pair);
    }
  } finally {
    await host.close();
  }
  const result: DemoResult = {
    before: demoEval(all.before, all.sb), after: demoEval(all.after, all.sa), gain: pairedDifference(all.strata), seeds,
    evaluation: { items_per_seed: o.evalCount, samples_per_item: o.evalSamples, temperature: DEMO.evalTemperature, target: DEMO.target, tolerance: DEMO.tolerance },
    settings: settings0, out, wall_s: (Date.now() - t0) / 1000,
  };
  io.stdout(o.json ? JSON.stringify(result) + '\n' : formatDemoResult(result));
  return result;
}

/** The demo's table: before and after with intervals, each seed's paired gain and the pooled one. */
export function formatDemoResult(r: DemoResult): string {
  const acc = (e: DemoEval) => formatAccuracy({ value: e.accuracy, ci95: e.ci95, items: e.n, samples: e.samples });
  const rows: [string, (e: DemoEval) => string][] = [
    ['accuracy', acc], ['execution rate', (e) => pct(e.execution_rate)],
    ['format rate', (e) => pct(e.format_rate)], ['mean reward', (e) => e.mean_reward.toFixed(3)],
  ];
  const w = Math.max(...[r.before, r.after].map((e) => acc(e).length)) + 2;
  const several = r.seeds.length > 1;
  return [
    '', `EVOM demo: ${r.evaluation.items_per_seed} held-out generated problems${several ? ` per seed, ${r.seeds.length} seeds,` : ''} × ${plural(r.evaluation.samples_per_item, 'sample')} at temperature ${r.evaluation.temperature}, target ${r.evaluation.target}, tolerance ${r.evaluation.tolerance}`,
    `accuracy: 95 % interval, n items${several ? ' (all seeds)' : ''}; gain: after − before on the same items and sampling seeds, bootstrap 95 % interval, and the smallest gain this size detects (80 % power)`,
    '', `${''.padEnd(16)}  ${'before'.padEnd(w)}after`,
    ...rows.map(([name, f]) => `${name.padEnd(16)}  ${f(r.before).padEnd(w)}${f(r.after)}`),
    '',
    ...(several ? r.seeds.map((s) => `seed ${String(s.seed).padEnd(4)} ${pct(s.before.accuracy).padStart(6)} → ${pct(s.after.accuracy).padStart(6)}   gain ${formatDifference(s.gain)}`) : []),
    `${several ? 'pooled gain' : 'gain'}: ${formatDifference(r.gain)}${r.gain.ci95[0] > 0 ? ' (the interval excludes 0)' : r.gain.ci95[1] < 0 ? ' (a loss: the interval is below 0)' : ' (the interval includes 0: no gain shown)'}`,
    ...(several ? [] : [`training reward per step: ${r.seeds[0]!.training_reward.map((x) => x.toFixed(2)).join(' ')}`]),
    `run folder${several ? 's' : ''} (metrics.jsonl, adapter/ in PEFT format): ${several ? r.seeds.map((s) => s.out).join(', ') : r.out}`,
    `total ${r.wall_s.toFixed(0)} s`, '',
  ].join('\n');
}

/** "1,2,3" or "1-5" → seeds. */
export function seedList(v: unknown, dflt: number): number[] {
  if (v === undefined) return [dflt];
  const text = String(v).trim();
  const range = /^(\d+)-(\d+)$/.exec(text);
  const seeds = range ? Array.from({ length: Math.max(0, +range[2]! - +range[1]! + 1) }, (_, i) => +range[1]! + i) : text.split(',').map((x) => Number(x.trim()));
  if (!seeds.length || seeds.some((x) => !Number.isSafeInteger(x) || x < 0) || new Set(seeds).size !== seeds.length || seeds.length > 50) {
    throw new UsageError(`--seeds must be distinct whole numbers ≥ 0, as "1,2,3" or "1-5" (at most 50); got "${text}"`);
  }
  return seeds;
}

/** evom train's setting flags that the training demo takes (target, steps, seed and checkpoints are the demo's own). */
const DEMO_SETTING_OPTIONS = Object.fromEntries(Object.entries(TRAIN_FLAG_OPTIONS).filter(([f]) => !['target', 'steps', 'seed', 'checkpoint-every'].includes(f))) as Omit<typeof TRAIN_FLAG_OPTIONS, 'target' | 'steps' | 'seed' | 'checkpoint-every'>;

export async function cmdDemo(args: string[], io: Io): Promise<number> {
  const { values } = parse(args, {
    count: { type: 'string' }, seed: { type: 'string' }, seeds: { type: 'string' }, verifier: { type: 'boolean' }, steps: { type: 'string' }, out: { type: 'string' },
    'eval-count': { type: 'string' }, 'eval-samples': { type: 'string' }, json: { type: 'boolean' },
    transfer: { type: 'boolean' }, 'adapt-steps': { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    ...DEMO_SETTING_OPTIONS,
  });
  const settingFlags = Object.keys(DEMO_SETTING_OPTIONS).filter((f) => values[f as keyof typeof values] !== undefined);
  if (settingFlags.length && (values.verifier || values.transfer)) throw new UsageError(`--${settingFlags.join(', --')}: training settings belong to the training demo (evom demo without --verifier or --transfer)`);
  if (values.transfer) {
    if (values.verifier || values.seeds !== undefined || values['eval-samples'] !== undefined || values.count !== undefined) throw new UsageError('evom demo --transfer takes --steps, --adapt-steps, --eval-count, --from, --to, --seed, --out and --json');
    const { runTransferDemo, TRANSFER_DEMO: T } = await import('./transfer.ts');
    const { targetFlag } = await import('./args.ts');
    await runTransferDemo({
      seed: intFlag(values.seed, '--seed', T.seed, 0), steps: intFlag(values.steps, '--steps', T.steps, 1), adaptSteps: intFlag(values['adapt-steps'], '--adapt-steps', T.adaptSteps, 1),
      evalCount: intFlag(values['eval-count'], '--eval-count', T.evalCount, 1), from: targetFlag(values.from ?? T.from), to: targetFlag(values.to ?? T.to),
      json: Boolean(values.json), ...(values.out ? { out: values.out } : {}),
    }, io);
    return 0;
  }
  if (values['adapt-steps'] !== undefined || values.from !== undefined || values.to !== undefined) throw new UsageError('--adapt-steps, --from and --to belong to the transfer demo (evom demo --transfer)');
  if (!values.verifier) {
    if (values.count !== undefined) throw new UsageError('--count belongs to the verifier demo (evom demo --verifier); the training demo takes --eval-count');
    if (values.seed !== undefined && values.seeds !== undefined) throw new UsageError('--seed and --seeds: give one (--seeds 1-5 runs five seeds and pools their gains)');
    const { runTrainingDemo, DEMO } = await import('./demo.ts');
    await runTrainingDemo({
      steps: intFlag(values.steps, '--steps', demoDefaultSteps(), 1),
      seeds: values.seeds !== undefined ? seedList(values.seeds, DEMO.seed) : [intFlag(values.seed, '--seed', DEMO.seed, 0)],
      evalCount: intFlag(values['eval-count'], '--eval-count', DEMO.evalCount, 1), evalSamples: intFlag(values['eval-samples'], '--eval-samples', DEMO.evalSamples, 1),
      json: Boolean(values.json), ...(values.out ? { out: values.out } : {}),
      ...(settingFlags.length ? { settings: settingsFromFlags({ ...values, target: DEMO.target }, 'builtin') } : {}),
    }, io);
    return 0;
  }
  if (values.seeds !== undefined || values.json || values['eval-samples'] !== undefined) throw new UsageError('--seeds, --eval-samples and --json belong to the training demo (evom demo without --verifier)');
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
