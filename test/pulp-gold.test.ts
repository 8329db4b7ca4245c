// The generator's gold model as a PuLP program (src/targets/pulp/gold.ts), run natively: python3 with
// PuLP (Debian's python3-pulp 2.6) and CBC (coinor-cbc). All programs run in one python3 process
// (test/fixtures/benchmark-gold/pulp-native.py), and each printed optimum must match the LP gold's,
// solved by the highs target. Nothing here is skipped: without python3, PuLP or cbc the test fails.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES, generateProblem } from '../src/problems/generator.ts';
import type { LinearModel } from '../src/problems/linear-model.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { pyName, pyNumber, toPulp } from '../src/targets/pulp/gold.ts';
import { createRunners, type Runners } from '../src/targets/runners.ts';

const DRIVER = join(import.meta.dirname, 'fixtures', 'benchmark-gold', 'pulp-native.py');
const OPTS = { time_limit_s: 10, memory_limit_bytes: 512 * 1048576, max_log_lines: 20 };
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(a), Math.abs(b));

interface Solve { problem: string; sense: string; solver: string; status: string; objective: number | null }
interface PyRun { file: string; stdout: string; printed: string | null; error: { type: string; message: string; line: number | null } | null; warnings: string[]; solves: Solve[] }

/** Run the programs natively in one python3 process; name → what it did. */
function runPulp(programs: Record<string, string>): Map<string, PyRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pulp-gold-'));
  try {
    const files = Object.entries(programs).map(([name, code]) => {
      const file = join(dir, `${name.replace(/[^A-Za-z0-9_-]/g, '_')}.py`);
      writeFileSync(file, code);
      return [name, file] as const;
    });
    const result = join(dir, 'result.json');
    const r = spawnSync('python3', [DRIVER, result, ...files.map(([, f]) => f)], {
      encoding: 'utf8', timeout: 120_000, env: { ...process.env, PYTHONPATH: ['/usr/lib/python3/dist-packages', process.env.PYTHONPATH].filter(Boolean).join(':') },
    });
    if (r.error) throw new Error(`cannot run python3 (install python3, python3-pulp and coinor-cbc): ${r.error.message}`);
    if (r.status !== 0) throw new Error(`python3 ${DRIVER} exited ${r.status}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    const runs = JSON.parse(readFileSync(result, 'utf8')) as PyRun[];
    return new Map(files.map(([name], i) => [name, runs[i]!]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const printedValue = (run: PyRun) => (run.printed === null || run.printed === 'None' ? null : Number(run.printed));

// awkward names: keywords, builtins, PuLP's illegal characters, a leading digit, clashes after sanitizing
const AWKWARD: LinearModel = {
  title: 'Awkward names\nover two lines',
  sense: 'max',
  objName: 'cap',
  obj: [{ v: 'x[1]', c: 1 }, { v: 'print', c: 2 }, { v: 'x-1', c: 3 }, { v: 'x_1_', c: -1 }, { v: 'class', c: -1 }],
  rows: [
    { name: 'cap', terms: [{ v: 'x[1]', c: 1 }, { v: 'print', c: 1 }, { v: 'x-1', c: 1 }], op: '<=', rhs: 6 },
    { name: 'c a p', terms: [{ v: 'x_1_', c: 1 }, { v: 'class', c: 1 }], op: '>=', rhs: -1 },
    { name: 'c-a-p', terms: [{ v: '2nd', c: 0.5 }, { v: 'x[1]', c: -1 }], op: '=', rhs: -1.25 },
  ],
  cols: [
    { name: 'x[1]', kind: 'int', ub: 5 },
    { name: 'print', kind: 'cont', ub: 2.5 },
    { name: 'x-1', kind: 'bin' },
    { name: 'x_1_', kind: 'cont', lb: -3, ub: 4 },
    { name: 'class', kind: 'int', lb: -2 },
    { name: '2nd', kind: 'cont', lb: -10 },
  ],
};
// x[1] + print + x-1 <= 6 with x-1 = 1, print = 2.5, x[1] = 2 (or 3, 2): 10; x_1_ + class = -1: +1
const AWKWARD_OPTIMUM = 11;

describe('toPulp: the generator\'s gold model as a PuLP program', () => {
  it('writes identifiers PuLP keeps and Python accepts, and numbers exactly', () => {
    expect(pyName('class')).toBe('class_');
    expect(pyName('print')).toBe('print_');
    expect(pyName('x[1]')).toBe('x_1_');
    expect(pyName('2nd shift')).toBe('v_2nd_shift');
    expect(pyNumber(3)).toBe('3');
    expect(pyNumber(-0)).toBe('0');
    expect(pyNumber(0.1)).toBe('0.1');
    expect(pyNumber(1e-7)).toBe('1e-7');
    const code = toPulp(AWKWARD);
    expect(code.split('\n')[0]).toBe('# Awkward names over two lines');
    expect(code).toContain('x_1_ = pulp.LpVariable("x_1_", lowBound=0, upBound=5, cat="Integer")');
    expect(code).toContain('x_1__2 = pulp.LpVariable("x_1__2", lowBound=-3, upBound=4, cat="Continuous")');
    expect(code).toContain('x_1 = pulp.LpVariable("x_1", cat="Binary")');
    expect(code).toContain('print_ = pulp.LpVariable("print_", lowBound=0, upBound=2.5, cat="Continuous")');
    expect(code).toContain('prob += 0.5 * v_2nd - x_1_ == -1.25, "c_a_p_2"');
    expect(code).toMatch(/^prob \+= .*, "cap"$/m);
    expect(code).toMatch(/^prob \+= .*, "cap_2"$/m);
    expect(code).toContain('prob.solve(pulp.PULP_CBC_CMD(msg=0))');
    expect(code).toContain('print("Optimal value:", pulp.value(prob.objective))');
  });

  it('wraps long expressions in parentheses', () => {
    const p = generateProblem('assignment', 1, 5);
    const code = toPulp(p.model);
    expect(code).toMatch(/^prob \+= \($/m);
    expect(Math.max(...code.split('\n').map((l) => l.length))).toBeLessThanOrEqual(100);
  });
});

describe('toPulp programs run natively (python3 + PuLP + CBC)', () => {
  let runners: Runners;
  beforeAll(async () => { installMemoryCeiling(); runners = await createRunners(nodeAssets); });
  afterAll(() => { for (const r of Object.values(runners ?? {})) r.reset(); });

  it('every family and difficulty: CBC\'s optimum is the LP gold\'s (HiGHS)', async () => {
    const programs: Record<string, string> = {};
    const want = new Map<string, number>();
    for (const family of FAMILIES) {
      for (let d = 1; d <= 5; d++) {
        for (const seed of [1, 2]) {
          const p = generateProblem(family, seed, d);
          const lp = await runners.highs!.solve(p.gold.highs!, OPTS);
          expect(lp.status, `${p.id}: highs ${lp.failure ?? lp.status}`).toBe('optimal');
          programs[p.id] = toPulp(p.model); // as the pulp target's gold hook writes it
          want.set(p.id, lp.objective!);
        }
      }
    }
    // teeth: the same model with its first row's right-hand side cut must print another optimum
    const base = generateProblem('production', 1, 2);
    const cut = { ...base.model, rows: base.model.rows.map((r, i) => (i === 0 ? { ...r, rhs: Math.floor(r.rhs / 2) } : r)) };
    programs['perturbed'] = toPulp(cut);
    programs['awkward'] = toPulp(AWKWARD);
    programs['empty-objective'] = toPulp({ ...AWKWARD, obj: [], title: 'no objective' });
    programs['empty-row-false'] = toPulp({ ...AWKWARD, rows: [...AWKWARD.rows, { name: 'never', terms: [], op: '>=', rhs: 1 }] });

    const runs = runPulp(programs); // one python3 process for all of them (runPulp)

    const wrong: string[] = [];
    for (const [id, answer] of want) {
      const run = runs.get(id)!;
      const got = printedValue(run);
      const solve = run.solves.at(-1);
      if (run.error || run.solves.length !== 1 || solve?.solver !== 'PULP_CBC_CMD' || solve.status !== 'Optimal'
        || !run.stdout.includes('Status: Optimal\n') || got === null || !close(got, answer) || !close(solve.objective!, answer)) {
        wrong.push(`${id}: want ${answer}, printed ${run.printed}, solves ${JSON.stringify(run.solves)}, error ${JSON.stringify(run.error)}, warnings ${JSON.stringify(run.warnings)}\n${programs[id]}`);
      }
      if (run.warnings.length) wrong.push(`${id}: PuLP warned ${JSON.stringify(run.warnings)}`);
    }
    expect(wrong).toEqual([]);
    expect(want.size).toBe(FAMILIES.length * 5 * 2);

    const perturbed = printedValue(runs.get('perturbed')!);
    const baseAnswer = want.get(base.id)!;
    expect(perturbed).not.toBeNull();
    expect(close(perturbed!, baseAnswer), `perturbed ${perturbed} vs ${baseAnswer}`).toBe(false);

    const awkward = runs.get('awkward')!;
    expect(awkward.error).toBeNull();
    expect(awkward.warnings).toEqual([]); // no name PuLP has to rename
    expect(awkward.solves.map((s) => [s.status, s.objective])).toEqual([['Optimal', AWKWARD_OPTIMUM]]);
    expect(printedValue(awkward)).toBe(AWKWARD_OPTIMUM);

    const empty = runs.get('empty-objective')!;
    expect(empty.error).toBeNull();
    expect(empty.stdout).toBe('Status: Optimal\nOptimal value: 0\n');
    expect(runs.get('empty-row-false')!.stdout).toMatch(/^Status: Infeasible\n/);

  }, 180_000);
});
