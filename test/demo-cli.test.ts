// The built-in policy end to end, as users run it: `evom eval --model` (the policy writes the
// completions in headless Chromium, the verifier pool scores them) and a shortened `evom demo`
// (evaluate → GRPO → evaluate). The full demo's figures are in the README; here: the contract.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'evom.js');
const POLICY = join(ROOT, 'public', 'models', 'evom-tiny');
const tmp = mkdtempSync(join(tmpdir(), 'evom-demo-'));
function evom(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 900_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('evom eval --model', () => {
  const bench = join(tmp, 'bench.jsonl');
  it('generates with the policy, then verifies: summary, completions and per-item results', () => {
    const gen = evom(['problems', '--family', 'knapsack,production', '--difficulty', '1', '--count', '6', '--seed', '77']);
    expect(gen.code, gen.stderr).toBe(0);
    writeFileSync(bench, gen.stdout);
    const out = join(tmp, 'e.results.jsonl');
    const r = evom(['eval', '--benchmark', bench, '--model', POLICY, '--target', 'highs', '--max-new-tokens', '112', '--batch', '4', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({ target: 'highs', benchmark_items: 6, count: 6, missing: 0, model: POLICY, adapter: null, results_file: out });
    for (const k of ['accuracy', 'execution_rate', 'format_rate', 'mean_reward']) expect(s[k]).toBeGreaterThanOrEqual(0);
    expect(s.generation.tokens).toBeGreaterThan(6 * 20);
    const comps = lines(join(tmp, 'e.completions.jsonl'));
    expect(comps.map((c) => c.id)).toEqual(lines(bench).map((b) => b.id));
    // the warm-started policy writes the protocol and LP models the solver reads
    expect(comps.filter((c) => /^<think><\/think><code>\nM(ax|in)imize\n/.test(c.completion)).length).toBeGreaterThanOrEqual(5);
    expect(s.execution_rate).toBeGreaterThan(0.5);
    const res = lines(out);
    expect(res).toHaveLength(6);
    expect(res.filter((x) => x.outcome.correct).length / 6).toBeCloseTo(s.accuracy, 10);
  }, 900_000);

  it('refuses flag mixes that make no sense, before loading anything', () => {
    const both = evom(['eval', '--benchmark', bench, '--model', POLICY, '--completions', bench, '--target', 'highs']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    const noModel = evom(['eval', '--benchmark', bench, '--completions', bench, '--target', 'highs', '--adapter', tmp]);
    expect(noModel.code).toBe(2);
    expect(noModel.stderr).toMatch(/--adapter needs --model/);
    const greedy = evom(['eval', '--benchmark', bench, '--model', POLICY, '--target', 'highs', '--samples', '4']);
    expect(greedy.code).toBe(2);
    expect(greedy.stderr).toMatch(/--temperature/);
    const badAdapter = evom(['eval', '--benchmark', bench, '--model', POLICY, '--target', 'highs', '--adapter', tmp]);
    expect(badAdapter.code).toBe(2);
    expect(badAdapter.stderr).toMatch(/adapter_config\.json/);
  }, 120_000);
});

describe('evom demo (shortened)', () => {
  it('evaluates, trains, evaluates again; --json gives before, after and the paired gain with intervals', () => {
    const out = join(tmp, 'demo');
    const r = evom(['demo', '--steps', '1', '--eval-count', '4', '--eval-samples', '2', '--out', out, '--json', '--lr', '0.001']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/4 held-out problems × 2 samples/);
    const j = JSON.parse(r.stdout);
    for (const e of [j.before, j.after]) {
      expect(e.n).toBe(4);
      expect(e.samples).toBe(8);
      expect(e.accuracy).toBeGreaterThanOrEqual(0);
      expect(e.ci95[0]).toBeLessThanOrEqual(e.accuracy);
      expect(e.ci95[1]).toBeGreaterThanOrEqual(e.accuracy);
      expect(e.execution_rate).toBeGreaterThan(0.5);
    }
    // the gain is paired: the after − before of the same 4 items, inside its interval
    expect(j.gain.n).toBe(4);
    expect(j.gain.value).toBeCloseTo(j.after.accuracy - j.before.accuracy, 10);
    expect(j.gain.ci95[0]).toBeLessThanOrEqual(j.gain.value);
    expect(j.gain.ci95[1]).toBeGreaterThanOrEqual(j.gain.value);
    expect(j.gain.mde).toBeGreaterThan(0);
    expect(j.settings).toMatchObject({ lr: 0.001, steps: 1, seed: 1, target: 'highs', group: 8 }); // --lr over the built-in defaults
    expect(j.seeds).toHaveLength(1);
    expect(j.seeds[0]).toMatchObject({ seed: 1, out });
    expect(j.seeds[0].training_reward).toHaveLength(1);
    expect(lines(join(out, 'metrics.jsonl'))).toHaveLength(1);
    expect(existsSync(join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
  }, 900_000);

  it('refuses flag mixes before loading anything', () => {
    for (const [args, msg] of [
      [['demo', '--count', '3'], /--count belongs to the verifier demo/],
      [['demo', '--seed', '1', '--seeds', '1-3'], /--seed and --seeds: give one/],
      [['demo', '--seeds', '2,2'], /--seeds must be distinct whole numbers/],
      [['demo', '--seeds', 'a-b'], /--seeds must be distinct whole numbers/],
      [['demo', '--verifier', '--json'], /belong to the training demo/],
      [['demo', '--transfer', '--lr', '0.01'], /--lr: training settings belong to the training demo/],
      [['demo', '--lr', '7'], /--lr must be a number between 0 and 1; got 7/],
    ] as const) {
      const r = evom([...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(msg);
    }
  }, 60_000);
});

describe('the demo table', () => {
  const ev = (accuracy: number) => ({ accuracy, ci95: [accuracy - 0.1, accuracy + 0.1] as [number, number], n: 100, samples: 200, execution_rate: 1, format_rate: 1, mean_reward: 1 + accuracy });
  const gain = (value: number, lo: number, hi: number) => ({ value, ci95: [lo, hi] as [number, number], n: 100, mde: 0.08 });
  const result = (seeds: number[], g: ReturnType<typeof gain>) => ({
    before: ev(0.6), after: ev(0.7), gain: g, settings: {} as never, out: '/tmp/d', wall_s: 500,
    evaluation: { items_per_seed: 100, samples_per_item: 2, temperature: 1, target: 'highs', tolerance: 'rel5pct' },
    seeds: seeds.map((seed) => ({ seed, before: ev(0.6), after: ev(0.7), gain: gain(0.1, 0.02, 0.18), training_reward: [1.5, 1.7], out: `/tmp/d/seed-${seed}`, wall_s: 100 })),
  });
  it('gives each accuracy with its interval and n, each seed, and says whether the gain excludes 0', async () => {
    const { formatDemoResult } = await import('../src/cli/demo.ts');
    const one = formatDemoResult(result([1], gain(0.1, 0.02, 0.18)));
    expect(one).toMatch(/accuracy\s+60\.0 % \[50\.0, 70\.0\], n = 100 × 2 samples\s+70\.0 % \[60\.0, 80\.0\], n = 100 × 2 samples/);
    expect(one).toMatch(/^gain: \+10\.0 points \[\+2\.0, \+18\.0\], n = 100 paired, detectable ≥ 8\.0 \(the interval excludes 0\)$/m);
    expect(one).toContain('training reward per step: 1.50 1.70');
    const five = formatDemoResult(result([1, 2, 3, 4, 5], gain(0.03, -0.01, 0.07)));
    expect(five.match(/^seed \d/gm)).toHaveLength(5);
    expect(five).toMatch(/^pooled gain: \+3\.0 points \[−1\.0, \+7\.0\].*\(the interval includes 0: no gain shown\)$/m);
  });
});

describe('evom transfer (shortened)', () => {
  it('six evaluations on the same items, three runs with run cards, paired comparisons; bad flags refused', () => {
    const bench = join(tmp, 'transfer-bench.jsonl');
    const gen = evom(['problems', '--family', 'knapsack', '--difficulty', '1', '--count', '2', '--seed', '91']);
    expect(gen.code, gen.stderr).toBe(0);
    writeFileSync(bench, gen.stdout);
    const out = join(tmp, 'transfer');
    // the smallest run that passes through every stage: 1 step under A, 1 under B, G 2, short completions
    const r = evom(['transfer', '--model', POLICY, '--benchmark', bench, '--from', 'highs', '--to', 'glpk', '--out', out, '--json',
      '--steps', '1', '--adapt-steps', '1', '--group', '2', '--prompts-per-step', '1', '--max-new-tokens', '48', '--micro-batch', '2']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ from: 'highs', to: 'glpk', steps: 1, adapt_steps: 1, evaluation: { items: 2, samples_per_item: 1, temperature: 0 } });
    const stages = ['base_on_a', 'base_on_b', 'a_on_a', 'a_on_b', 'b_from_a_on_b', 'b_from_base_on_b'];
    expect(Object.keys(j.evaluations).sort()).toEqual([...stages].sort());
    for (const k of stages) {
      const e = j.evaluations[k];
      expect(e.target, k).toBe(k === 'base_on_a' || k === 'a_on_a' ? 'highs' : 'glpk');
      expect(e.n, k).toBe(2);
      expect(e.ci95[0], k).toBeLessThanOrEqual(e.accuracy);
      expect(e.ci95[1], k).toBeGreaterThanOrEqual(e.accuracy);
    }
    for (const [key, after, before] of [['gain_under_a', 'a_on_a', 'base_on_a'], ['transfer_to_b', 'a_on_b', 'base_on_b'], ['adapt_from_a_vs_base', 'b_from_a_on_b', 'b_from_base_on_b']]) {
      const c = j.comparisons[key];
      expect(c).toMatchObject({ after, before, n: 2 });
      expect(c.value).toBeCloseTo(j.evaluations[after].accuracy - j.evaluations[before].accuracy, 10);
    }
    expect(JSON.parse(readFileSync(join(out, 'transfer.json'), 'utf8'))).toEqual(j);
    // each run: its run card (settings under its target; B from A names A's run) and adapter
    const card = (d: string) => JSON.parse(readFileSync(join(out, d, 'run-card.json'), 'utf8'));
    expect(card('a').settings).toMatchObject({ target: 'highs', steps: 1, group: 2 });
    expect(card('b-from-a')).toMatchObject({ settings: { target: 'glpk', steps: 1 }, adapter_from: join(out, 'a') });
    expect(card('b-from-base').adapter_from).toBeUndefined();
    expect(card('b-from-a').evaluations.map((e: { target: string }) => e.target)).toEqual(['glpk']);
    for (const d of ['a', 'b-from-a', 'b-from-base']) expect(existsSync(join(out, d, 'adapter', 'adapter_model.safetensors')), d).toBe(true);
    const same = evom(['transfer', '--model', POLICY, '--benchmark', bench, '--from', 'highs', '--to', 'highs', '--out', join(tmp, 't2')]);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/--from and --to must differ/);
    const noTo = evom(['transfer', '--model', POLICY, '--benchmark', bench, '--from', 'highs', '--out', join(tmp, 't3')]);
    expect(noTo.code).toBe(2);
    expect(noTo.stderr).toMatch(/--to is required/);
  }, 900_000);
});
