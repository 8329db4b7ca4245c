// Targets as modules: every registered target is complete and its example solves; a throwaway
// target (test/fixtures/targets/toy-ir, loaded through EVOM_TARGETS) appears in the CLI, the prompt,
// the generator and the verifier pool without a change anywhere else; classification lives in one file.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnknownTargetError, UsageError } from '../src/errors.ts';
import { generateProblem } from '../src/problems/generator.ts';
import { EXAMPLE_ANSWER, exampleCompletion, systemPrompt } from '../src/problems/prompt.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { allTargets, loadTargetPlugins, registerTarget, requireTarget, sandboxTargetNames, targetModule, workerTargetNames } from '../src/targets/registry.ts';
import { createRunners } from '../src/targets/runners.ts';
import toyIr from './fixtures/targets/toy-ir/index.ts';

const ROOT = join(import.meta.dirname, '..');
const TOY = join(import.meta.dirname, 'fixtures', 'targets', 'toy-ir', 'index.ts');
const OPTS = { time_limit_s: 5, memory_limit_bytes: 512 * 1048576, max_log_lines: 20 };

function evom(args: string[], env: Record<string, string> = {}, input?: string) {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'evom.js'), ...args], { input, encoding: 'utf8', timeout: 180_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the registry', () => {
  it('holds every target once, each with a language, an example and a place to run', () => {
    const names = allTargets().map((t) => t.name);
    expect(new Set(names).size).toBe(names.length);
    expect(workerTargetNames()).toEqual(['highs', 'glpk', 'glpk-json', 'minizinc', 'minizinc-cbc', 'minizinc-gecode', 'minizinc-chuffed', 'pulp']);
    expect(sandboxTargetNames()).toEqual(['pulp', 'scipy', 'cvxopt', 'swiglpk', 'ortools', 'gurobi', 'copt']);
    for (const t of allTargets()) {
      expect(t.language.length, t.name).toBeGreaterThan(5);
      expect(t.example.trim().length, t.name).toBeGreaterThan(10);
      expect(systemPrompt(t.name)).toContain(t.example);
      // the rules its checker enforces, and integrality, are stated to the model
      expect(t.rules?.length, t.name).toBeGreaterThan(0);
      for (const r of t.rules!) expect(systemPrompt(t.name)).toContain(r);
      expect(systemPrompt(t.name)).toMatch(/Declare integer \(or binary\) variables/);
      // the prompt never contradicts the protocol: strict mode asks for nothing around the tags
      expect(systemPrompt(t.name, 'strict')).toMatch(/nothing before, between or after/);
      if (t.runs === 'worker') expect(t.createRunner, t.name).toBeTypeOf('function');
    }
  });

  it("every in-browser target's example, the prompt's, solves to the example's answer", async () => {
    installMemoryCeiling();
    const runners = await createRunners(nodeAssets);
    for (const name of workerTargetNames()) {
      const run = await runners[name]!.solve(targetModule(name)!.example, OPTS);
      expect({ name, status: run.status, objective: run.objective }).toEqual({ name, status: 'optimal', objective: EXAMPLE_ANSWER });
    }
  });

  it('refuses a duplicate, a bad name and a worker target without a runner; unknown names are typed errors', () => {
    expect(() => registerTarget({ ...toyIr, name: 'highs' })).toThrow(UsageError);
    expect(() => registerTarget({ ...toyIr, name: 'Bad Name' })).toThrow(/lower-case/);
    expect(() => registerTarget({ name: 'norunner', language: 'x', runs: 'worker', example: 'x' })).toThrow(/no createRunner/);
    expect(() => requireTarget('nope')).toThrow(UnknownTargetError);
    expect(() => requireTarget('nope')).toThrow(/known targets: highs, glpk, glpk-json, minizinc, minizinc-cbc, minizinc-gecode, minizinc-chuffed, pulp/);
  });

  it('a registered target reaches the generator and the runners in this process, and leaves again', async () => {
    const unregister = registerTarget(toyIr);
    try {
      expect(workerTargetNames()).toContain('toy-ir');
      const p = generateProblem('production', 7, 2);
      expect(JSON.parse(p.gold['toy-ir']!)).toEqual(p.model);
      installMemoryCeiling();
      const runners = await createRunners(nodeAssets);
      const viaToy = await runners['toy-ir']!.solve(p.gold['toy-ir']!, OPTS);
      const viaLp = await runners.highs!.solve(p.gold.highs!, OPTS);
      expect(viaToy.status).toBe('optimal');
      expect(viaToy.objective).toBe(viaLp.objective);
    } finally {
      unregister();
    }
    expect(targetModule('toy-ir')).toBeUndefined();
    expect(generateProblem('production', 7, 2).gold['toy-ir']).toBeUndefined();
  });
});

describe('a throwaway target loaded through EVOM_TARGETS', () => {
  const env = { EVOM_TARGETS: TOY };
  const tmp = mkdtempSync(join(tmpdir(), 'evom-registry-'));

  it('is listed by the CLI', () => {
    const r = evom(['--help'], env);
    expect(r.stdout).toMatch(/Targets: highs, glpk, glpk-json, minizinc, minizinc-cbc, minizinc-gecode, minizinc-chuffed, pulp, toy-ir \(in-browser\)/);
    expect(evom(['--help']).stdout).not.toContain('toy-ir');
  });

  it('gets its own prompt', () => {
    const bench = join(tmp, 'b.jsonl');
    writeFileSync(bench, JSON.stringify({ id: 'a', question: 'Maximize profit.', answer: 11 }) + '\n');
    const r = evom(['prompt', '--benchmark', bench, '--target', 'toy-ir'], env);
    expect(r.code).toBe(0);
    const sys = JSON.parse(r.stdout).messages[0].content as string;
    expect(sys).toContain('the EVOM linear-model JSON');
    expect(sys).toContain(toyIr.example);
    expect(evom(['prompt', '--benchmark', bench, '--target', 'toy-ir']).stderr).toMatch(/unknown target "toy-ir"/);
  });

  it('gets gold models from the generator, solved to the same answers as every other target', () => {
    const r = evom(['problems', '--family', 'knapsack,diet', '--count', '4', '--seed', '9'], env);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    const plain = evom(['problems', '--family', 'knapsack,diet', '--count', '4', '--seed', '9']).stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    lines.forEach((l, i) => {
      expect(Object.keys(l.gold)).toEqual(['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp', 'toy-ir']);
      expect(l.answer).toBe(plain[i].answer);
      const { 'toy-ir': _toy, ...rest } = l.gold;
      expect(rest).toEqual(plain[i].gold);
    });
  });

  it('is verified through the worker pool (its workers load it too)', () => {
    const ok = JSON.parse(evom(['verify', '--target', 'toy-ir', '--answer', '11', '-'], env, exampleCompletion('highs').replace(/<code>[\s\S]*<\/code>/, `<code>\n${toyIr.example}\n</code>`)).stdout);
    expect(ok).toMatchObject({ class: 'correct', reward: 2, objective: 11, target: 'toy-ir' });
    const bad = JSON.parse(evom(['verify', '--target', 'toy-ir', '--answer', '11', '-'], env, '<code>\n{"sense": "up"}\n</code>').stdout);
    expect(bad).toMatchObject({ class: 'parse_error', reward: 1 });
    expect(bad.messages[0].text).toMatch(/expected \{"sense"/);
  });

  it('a module that cannot load is one clear line, exit code 2', () => {
    const r = evom(['--help'], { EVOM_TARGETS: join(tmp, 'missing.ts') });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/EVOM_TARGETS: cannot load .*missing\.ts/);
  });

  it('loads once however often it is asked', async () => {
    await loadTargetPlugins(TOY);
    await loadTargetPlugins(TOY);
    expect(allTargets().filter((t) => t.name === 'toy-ir')).toHaveLength(1);
  });
});

describe('one scoring path', () => {
  // Classification and reward are computed in src/verifier/score.ts only; every other file calls
  // score()/failedOutcome() (the pool, the remote client, the sandbox server, verifyInThread).
  const files = (dir: string): string[] => readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : /\.(ts|tsx)$/.test(f) ? [p] : [];
  });
  it('only score.ts classifies and computes rewards', () => {
    const offenders: string[] = [];
    for (const f of [...files(join(ROOT, 'src')), ...files(join(ROOT, 'server'))]) {
      if (f.endsWith(join('verifier', 'score.ts'))) continue;
      const text = readFileSync(f, 'utf8');
      // a call of the classifiers, or an outcome's verdict fields assigned (not destructured or typed)
      if (/\b(classifyRun|classifyStatus|computeReward)\(|\bcorrect: cls\b|reward_breakdown: breakdown|withinTolerance\(\w+\.objective, \w+\.answer/.test(text)) offenders.push(f.slice(ROOT.length + 1));
    }
    expect(offenders).toEqual([]);
  });
});
