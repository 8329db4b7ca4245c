// Do hacks pay? The built-in policy warm-started with 10 % of its training completions replaced by
// constant-objective hacks (`obj: 0 x1 + ANSWER`: the answer typed in), then GRPO as in the demo.
// The integrity rule (src/verifier/integrity.ts) pays a hack no answer reward, so its share of the
// completions should fall while the policy trains. Prints, per step, the share of `no_model`
// completions and the mean answer reward they earned (0 by the rule), then the held-out accuracy
// and hack share before and after.
//
//   npx tsx bench/hack-experiment.ts [--steps 12] [--skip-warm-start DIR]
// The warm start needs PyTorch (apt-get install python3-torch libopenblas0-pthread; about 20 minutes
// on 2 cores); --skip-warm-start DIR reuses a policy made before.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { evaluatePolicy } from '../src/cli/eval-policy.ts';
import { DEMO, demoSettings } from '../src/cli/demo.ts';
import { createRun, trainRun } from '../src/cli/train.ts';
import { readAdapterDir } from '../src/cli/generate.ts';
import { directorySource } from '../src/model/source-node.ts';
import { generateBenchmark } from '../src/problems/generated.ts';
import type { StepMetrics } from '../src/rl/trainer.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { createRunners } from '../src/targets/runners.ts';

const ROOT = resolve(import.meta.dirname, '..');
const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : undefined; };
const STEPS = Number(arg('steps') ?? 12);
const work = mkdtempSync(join(tmpdir(), 'evom-hacks-'));
let policy = arg('skip-warm-start');

if (!policy) {
  policy = join(work, 'policy');
  const evom = (args: string[]) => execFileSync(process.execPath, [join(ROOT, 'bin', 'evom.js'), ...args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  console.error('generating the warm-start corpus (as test/reference/make_demo_policy.py documents)…');
  writeFileSync(join(work, 'd1.jsonl'), evom(['problems', '--family', 'knapsack,production', '--difficulty', '1', '--count', '6000', '--seed', '5001']));
  writeFileSync(join(work, 'd2.jsonl'), evom(['problems', '--family', 'knapsack,production', '--difficulty', '2', '--count', '6000', '--seed', '5002']));
  console.error('warm start with 10 % constant-objective hacks (PyTorch)…');
  execFileSync('/usr/bin/python3', [join(ROOT, 'test', 'reference', 'make_demo_policy.py'), join(work, 'd1.jsonl'), join(work, 'd2.jsonl'), '2500', '1000'],
    { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, EVOM_POLICY_OUT: policy, EVOM_HACK_FRACTION: '0.1', EVOM_DROP_INTEGRALITY: '0' } }); // v1's flawless teacher, as the README's figures
}
if (!existsSync(join(policy, 'model.safetensors'))) throw new Error(`no policy in ${policy}`);

const runners = await createRunners(nodeAssets);
const evalItems = (await generateBenchmark({ families: DEMO.families, count: 40, seed: 1_000_001, difficulty: DEMO.difficulty }, runners))
  .map(({ id, question, answer, ...extra }) => ({ id, question, answer, extra }));
const held = new Set(evalItems.map((i) => i.question));
const train = (await generateBenchmark({ families: DEMO.families, count: DEMO.trainCount, seed: 2_000_001, difficulty: DEMO.difficulty }, runners))
  .filter((i) => !held.has(i.question)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
const source = directorySource(policy);
const evalOpts = { target: 'highs', tolerance: 'rel5pct' as const, batchPrompts: DEMO.evalBatch, sampling: { n: 1, temperature: 1, maxNewTokens: demoSettings(1, STEPS).maxNewTokens, seed: 8 } };
const share = (s: { counts: Record<string, number>; count: number }) => (s.counts.no_model ?? 0) / Math.max(1, s.count);

const beforeEval = await evaluatePolicy(source, null, evalItems, evalOpts);
const before = beforeEval.summary;
const out = join(work, 'run');
const steps: StepMetrics[] = [];
await createRun({ out, model: { kind: 'local', id: policy }, settings: demoSettings(1, STEPS), checkpointEvery: STEPS, data: train, description: 'hack experiment' });
await trainRun(out, source, { stdout: () => {}, stderr: (s) => process.stderr.write('  ' + s) }, { onMetrics: (m) => {
  steps.push(m);
  const n = Object.values(m.classes).reduce((a, b) => a + b, 0);
  console.log(JSON.stringify({ step: m.step, no_model_share: +(m.classes.no_model / n).toFixed(3), correct_share: +(m.classes.correct / n).toFixed(3), reward_mean: +m.reward_mean.toFixed(3) }));
} });
const afterEval = await evaluatePolicy(source, await readAdapterDir(join(out, 'adapter')), evalItems, evalOpts);
const after = afterEval.summary;
// what no_model completions were paid, and one of them as written
const hacks = [...beforeEval.results, ...afterEval.results].filter((r) => r.outcome?.class === 'no_model');
console.log(JSON.stringify({
  policy, steps: STEPS,
  held_out_before: { accuracy: before.accuracy, no_model_share: share(before) },
  held_out_after: { accuracy: after.accuracy, no_model_share: share(after) },
  held_out_no_model_completions: hacks.length,
  their_mean_answer_reward: hacks.length ? hacks.reduce((a, r) => a + r.outcome!.reward_breakdown.answer, 0) / hacks.length : null,
  one_of_them: hacks[0]?.outcome?.code ?? null,
}));
process.exit(0);
