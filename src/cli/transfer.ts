// Solver transfer, as EVOM's experiment: a policy trained with GRPO under target A is evaluated
// under target B with no training there (zero-shot transfer), then adapted with k GRPO steps under B,
// against the same k steps from the base model (low-cost adaptation). Every evaluation uses the same
// items and sampling seeds, so each comparison is paired (src/verifier/stats.ts).
//
//   1. base under A and under B         3. A's adapter under A and under B
//   2. GRPO under A (steps)             4. k steps under B from A's adapter, and k from the base; both under B
//
// `evom demo --transfer` runs it on a built-in policy and generated problems; `evom transfer` on any
// model, benchmark and pair of targets. Runs go to OUT/a, OUT/b-from-a, OUT/b-from-base (run store
// layout, each with run-card.json); the table to OUT/transfer.json and stdout.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchmarkItem } from '../problems/benchmarks.ts';
import type { TrainItem, StepMetrics } from '../rl/trainer.ts';
import type { TrainSettings } from '../rl/settings.ts';
import type { ModelSource } from '../model/source.ts';
import type { RunModel } from '../host/run-store.ts';
import { fsRunAt } from '../host/run-store-fs.ts';
import { makeRunCard } from '../rl/run-card.ts';
import { summaryAccuracy, type EvalSummary } from '../verifier/evaluate.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { formatAccuracy, formatDifference, pairedDifference, pairItems, tallyByItem, type ItemTally } from '../verifier/stats.ts';
import { evaluateInHost, type PolicyEvalOptions } from './eval-policy.ts';
import { createRun, trainRun } from './train.ts';
import { UsageError } from '../errors.ts';
import { plural, TRANSFER_COMPARISONS, TRANSFER_DEMO, TRANSFER_STAGES, transferLabel, type StageKey, type TransferEval, type TransferResult } from '../rl/transfer.ts';

export { TRANSFER_DEMO };

type Io = { stdout: (s: string) => void; stderr: (s: string) => void };

export interface TransferOptions {
  source: ModelSource;
  model: RunModel;
  /** training settings (their target is replaced by from/to) */
  settings: TrainSettings;
  from: string;
  to: string;
  /** GRPO steps under A */
  steps: number;
  /** k: GRPO steps under B, from A's adapter and from the base */
  adaptSteps: number;
  train: TrainItem[];
  evalItems: BenchmarkItem[];
  /** samples per item and their temperature (1: the policy as trained); sampling seed */
  evalSamples: number;
  evalTemperature: number;
  evalBatch: number;
  tolerance: ToleranceRule;
  out: string;
  description: string;
  json?: boolean;
}

/** A stage's evaluation as the table reports it: the summary already holds its interval and n. */
const evalOf = (s: EvalSummary): TransferEval => {
  const a = summaryAccuracy(s);
  return { accuracy: a.value, ci95: a.ci95, n: a.items, samples: a.samples, execution_rate: s.execution_rate, format_rate: s.format_rate, target: s.target };
};

export async function runTransfer(o: TransferOptions, io: Io): Promise<TransferResult> {
  const t0 = Date.now();
  if (o.from === o.to) throw new UsageError(`--from and --to must differ (both ${o.from})`);
  if (!o.evalItems.length) throw new UsageError('no evaluation items');
  if (!o.train.length) throw new UsageError('no training items');
  const dirs = { a: join(o.out, 'a'), b_from_a: join(o.out, 'b-from-a'), b_from_base: join(o.out, 'b-from-base') };
  const { openPageHost } = await import('../host/page-transport.ts');
  const host = await openPageHost(o.source, fsRunAt(dirs.a).store.where);
  const tallies = {} as Record<StageKey, Map<string, ItemTally>>;
  const evaluations = {} as Record<StageKey, TransferEval>;
  const summaries = {} as Record<StageKey, EvalSummary>;
  const names = { from: o.from, to: o.to, steps: o.steps, adapt_steps: o.adaptSteps };
  const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  let stage = 0;
  const total = 10;
  const say = (s: string) => io.stderr(`${++stage}/${total} ${s}\n`);
  try {
    const evaluate = async (key: StageKey, target: string, dir: string | null) => {
      say(`${transferLabel(TRANSFER_STAGES.find(([k]) => k === key)![1], names)}…`);
      const opts: PolicyEvalOptions = {
        target, tolerance: o.tolerance, batchPrompts: o.evalBatch,
        // the same sampling seed in every stage: comparisons are paired by item and by sample
        sampling: { n: o.evalSamples, temperature: o.evalTemperature, maxNewTokens: o.settings.maxNewTokens, seed: 7 + o.settings.seed },
      };
      const run = dir ? fsRunAt(dir) : null;
      const r = await evaluateInHost(host, run ? await run.store.adapter(run.id) : null, o.evalItems, opts);
      tallies[key] = tallyByItem(r.results);
      summaries[key] = r.summary;
      evaluations[key] = evalOf(r.summary);
      io.stderr(`    accuracy ${formatAccuracy(summaryAccuracy(r.summary))}, executed ${(100 * r.summary.execution_rate).toFixed(1)}% (${elapsed()})\n`);
    };
    const train = async (dir: string, target: string, steps: number, from: string | null, title: string) => {
      say(`GRPO under ${target}, ${plural(steps, 'step')} (${title}); run folder ${dir}`);
      const metrics: StepMetrics[] = [];
      const start = from ? await fsRunAt(from).store.adapter(fsRunAt(from).id) : null;
      await createRun({ out: dir, model: o.model, settings: { ...o.settings, target, steps }, checkpointEvery: steps, data: o.train, description: o.description, startAdapter: start });
      await trainRun(dir, o.source, { stdout: () => {}, stderr: (s) => io.stderr('    ' + s) }, { host, onMetrics: (m) => metrics.push(m) });
      return metrics;
    };
    await evaluate('base_on_a', o.from, null);
    await evaluate('base_on_b', o.to, null);
    const mA = await train(dirs.a, o.from, o.steps, null, 'A');
    await evaluate('a_on_a', o.from, dirs.a);
    await evaluate('a_on_b', o.to, dirs.a);
    const mBA = await train(dirs.b_from_a, o.to, o.adaptSteps, dirs.a, 'B from A');
    const mBB = await train(dirs.b_from_base, o.to, o.adaptSteps, null, 'B from the base');
    await evaluate('b_from_a_on_b', o.to, dirs.b_from_a);
    await evaluate('b_from_base_on_b', o.to, dirs.b_from_base);
    // a run card per run: its settings, metrics and the evaluations of its adapter
    const card = (dir: string, target: string, steps: number, metrics: StepMetrics[], keys: StageKey[], from?: string) => {
      const c = makeRunCard({
        title: `transfer ${o.from} → ${o.to}: ${dir.split('/').pop()}`, model: o.model, settings: { ...o.settings, target, steps },
        data: { description: o.description, train_items: o.train.length, eval_items: o.evalItems.length }, metrics,
        evaluations: keys.map((k) => ({ label: transferLabel(TRANSFER_STAGES.find(([x]) => x === k)![1], names), target: summaries[k].target, summary: summaries[k] })),
        ...(from ? { adapter_from: from } : {}),
      });
      writeFileSync(join(dir, 'run-card.json'), JSON.stringify(c, null, 2) + '\n');
    };
    card(dirs.a, o.from, o.steps, mA, ['a_on_a', 'a_on_b']);
    card(dirs.b_from_a, o.to, o.adaptSteps, mBA, ['b_from_a_on_b'], dirs.a);
    card(dirs.b_from_base, o.to, o.adaptSteps, mBB, ['b_from_base_on_b']);
  } finally {
    await host.close();
  }
  const comparisons = Object.fromEntries(TRANSFER_COMPARISONS.map(([key, after, before]) =>
    [key, { ...pairedDifference([pairItems(tallies[before], tallies[after])]), after, before }]));
  const gainA = comparisons.gain_under_a!.value;
  const result: TransferResult = {
    from: o.from, to: o.to, steps: o.steps, adapt_steps: o.adaptSteps, evaluations, comparisons,
    kept_share: gainA > 0 ? comparisons.transfer_to_b!.value / gainA : null,
    evaluation: { items: o.evalItems.length, samples_per_item: o.evalSamples, temperature: o.evalTemperature, tolerance: o.tolerance },
    runs: dirs, wall_s: (Date.now() - t0) / 1000,
  };
  writeFileSync(join(o.out, 'transfer.json'), JSON.stringify(result, null, 2) + '\n');
  io.stdout(o.json ? JSON.stringify(result) + '\n' : formatTransfer(result));
  return result;
}

/** The table: each evaluation with its interval, then each paired comparison. */
export function formatTransfer(r: TransferResult): string {
  const name = (label: string) => transferLabel(label, r);
  const rows = TRANSFER_STAGES.map(([k, label]) => [name(label), formatAccuracy({ value: r.evaluations[k].accuracy, ci95: r.evaluations[k].ci95, items: r.evaluations[k].n, samples: r.evaluations[k].samples }), `${(100 * r.evaluations[k].execution_rate).toFixed(1)}%`]);
  const w = Math.max(...rows.map((x) => x[0]!.length)) + 2;
  const v = Math.max(...rows.map((x) => x[1]!.length)) + 2;
  const kept = r.kept_share === null ? 'nothing: there was no gain under A to keep' : `${(100 * r.kept_share).toFixed(0)} % of the gain under ${r.from} (goal: at least 50 %)`;
  const c = TRANSFER_COMPARISONS.map(([key, , , what]) => [name(what), formatDifference(r.comparisons[key]!)] as const);
  const cw = Math.max(...c.map((x) => x[0].length)) + 2;
  return [
    '', `Solver transfer ${r.from} → ${r.to}: ${plural(r.steps, 'GRPO step')} under ${r.from}, then ${plural(r.adapt_steps, 'step')} under ${r.to}; ${r.evaluation.items} held-out items × ${plural(r.evaluation.samples_per_item, 'sample')} at temperature ${r.evaluation.temperature}, tolerance ${r.evaluation.tolerance}`,
    'accuracy: 95 % interval, n items; differences: paired (same items and sampling seeds), bootstrap 95 % interval, smallest detectable with 80 % power',
    '', `${'evaluation'.padEnd(w)}${'accuracy'.padEnd(v)}executed`,
    ...rows.map(([a, b, x]) => `${a!.padEnd(w)}${b!.padEnd(v)}${x}`),
    '', ...c.map(([a, b]) => `${a.padEnd(cw)}${b}`),
    `zero-shot transfer keeps ${kept}`,
    `runs (run-card.json, adapter/ in PEFT format): ${r.runs.a}, ${r.runs.b_from_a}, ${r.runs.b_from_base}`,
    `total ${r.wall_s.toFixed(0)} s`, '',
  ].join('\n');
}

/** The multi-language built-in policy (src/model/builtin.ts): the transfer demo's. */
export const MULTI_POLICY = join(import.meta.dirname, '..', '..', 'public', 'models', 'evom-tiny-multi');

/** `evom transfer --model M --benchmark FILE --from A --to B …` (any model; settings flags as evom train). */
export async function cmdTransfer(args: string[], io: Io): Promise<number> {
  const { parse, hubUrlOf, intFlag, numFlag } = await import('./args.ts');
  const { TRAIN_FLAG_OPTIONS, settingsFromFlags } = await import('./settings-flags.ts');
  const { values } = parse(args, {
    ...TRAIN_FLAG_OPTIONS, model: { type: 'string' }, benchmark: { type: 'string' }, data: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' },
    'adapt-steps': { type: 'string' }, 'eval-count': { type: 'string' }, 'eval-samples': { type: 'string' }, 'eval-temperature': { type: 'string' },
    batch: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' }, 'hub-url': { type: 'string' },
  });
  for (const f of ['model', 'benchmark', 'from', 'to', 'out'] as const) if (!values[f]) throw new UsageError(`--${f} is required (evom transfer --help)`);
  if (values.target !== undefined) throw new UsageError('evom transfer takes --from A and --to B, not --target');
  const { loadTrainData, runModelOf } = await import('./train.ts');
  const hubUrl = hubUrlOf(values['hub-url']);
  const model = runModelOf(values.model!, hubUrl);
  const kind = model.kind === 'builtin' ? 'builtin' : 'hub';
  const settings = settingsFromFlags({ ...values, target: values.from }, kind);
  const to = (await import('./args.ts')).targetFlag(values.to);
  const { loadBenchmarkFile } = await import('../problems/benchmarks-node.ts');
  const all = (await loadBenchmarkFile(values.benchmark!)).filter((i) => i.answer !== null);
  if (!all.length) throw new UsageError(`--benchmark ${values.benchmark}: no item has an answer`);
  const evalItems = all.slice(0, intFlag(values['eval-count'], '--eval-count', all.length, 1));
  const train = await loadTrainData(values.data ?? 'generator', settings.seed);
  const held = new Set(evalItems.map((i) => i.question));
  const { resolveModelSource } = await import('./generate.ts');
  const evalSamples = intFlag(values['eval-samples'], '--eval-samples', 1, 1);
  const evalTemperature = numFlag(values['eval-temperature'], '--eval-temperature', evalSamples > 1 ? 1 : 0, 0, 10);
  if (evalSamples > 1 && evalTemperature === 0) throw new UsageError('--eval-samples above 1 needs --eval-temperature above 0 (greedy samples are all alike)');
  await runTransfer({
    source: resolveModelSource(values.model!, hubUrl, io), model, settings,
    from: settings.target, to, steps: settings.steps, adaptSteps: intFlag(values['adapt-steps'], '--adapt-steps', 3, 1),
    train: train.filter((i) => !held.has(i.question)), evalItems, evalSamples, evalTemperature,
    evalBatch: intFlag(values.batch, '--batch', 8, 1), tolerance: settings.tolerance,
    out: values.out!, description: values.data ?? 'generator', json: Boolean(values.json),
  }, io);
  return 0;
}

/** `evom demo --transfer`: the multi-language built-in policy on generated problems, A = highs, B = glpk by default. */
export async function runTransferDemo(o: { seed: number; steps: number; adaptSteps: number; evalCount: number; from: string; to: string; out?: string; json?: boolean }, io: Io): Promise<TransferResult> {
  const { existsSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  if (!existsSync(join(MULTI_POLICY, 'model.safetensors'))) throw new UsageError(`the multi-language built-in policy is missing (${MULTI_POLICY}); make it with test/reference/make_multi_policy.py`);
  const { requireChromium } = await import('../host/chromium.ts');
  requireChromium();
  const { generateBenchmark } = await import('../problems/generated.ts');
  const { createRunners } = await import('../targets/runners.ts');
  const { nodeAssets } = await import('../targets/assets-node.ts');
  const { directorySource } = await import('../model/source-node.ts');
  const { defaultSettings } = await import('../rl/settings.ts');
  const targets = await createRunners(nodeAssets);
  const D = TRANSFER_DEMO;
  const evalItems: BenchmarkItem[] = (await generateBenchmark({ families: [...D.families], count: o.evalCount, seed: 3_000_000 + o.seed, difficulty: D.difficulty }, targets))
    .map(({ id, question, answer, ...extra }) => ({ id, question, answer, extra }));
  const held = new Set(evalItems.map((i) => i.question));
  const train = (await generateBenchmark({ families: [...D.families], count: D.trainCount, seed: 4_000_000 + o.seed, difficulty: D.difficulty }, targets))
    .filter((i) => !held.has(i.question)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
  const out = o.out ?? mkdtempSync(join(tmpdir(), 'evom-transfer-'));
  io.stderr(`evom demo --transfer: policy ${MULTI_POLICY}; A = ${o.from}, B = ${o.to}; ${evalItems.length} held-out and ${train.length} training problems (${D.families.join(', ')}, difficulty ${D.difficulty}); out ${out}\n`);
  return runTransfer({
    source: directorySource(MULTI_POLICY), model: { kind: 'builtin', id: 'evom-tiny-multi' },
    settings: { ...defaultSettings('builtin', 'grpo', o.from), seed: o.seed, steps: o.steps },
    from: o.from, to: o.to, steps: o.steps, adaptSteps: o.adaptSteps, train, evalItems,
    evalSamples: D.evalSamples, evalTemperature: D.evalTemperature, evalBatch: D.evalBatch, tolerance: 'rel5pct',
    out, description: `generator:${D.families.join(',')} difficulty ${D.difficulty}`, json: Boolean(o.json),
  }, io);
}
