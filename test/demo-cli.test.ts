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
  it('evaluates, trains, evaluates again and reports both', () => {
    const out = join(tmp, 'demo');
    const r = evom(['demo', '--steps', '1', '--eval-count', '4', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/4 held-out generated problems/);
    for (const row of ['accuracy', 'execution rate', 'format rate']) expect(r.stdout).toMatch(new RegExp(`${row}\\s+\\d+\\.\\d%\\s+\\d+\\.\\d%`));
    expect(lines(join(out, 'metrics.jsonl'))).toHaveLength(1);
    expect(existsSync(join(out, 'adapter', 'adapter_model.safetensors'))).toBe(true);
    expect(evom(['demo', '--count', '3']).code).toBe(2);
  }, 900_000);
});
