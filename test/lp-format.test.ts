// The LP-format checker (src/targets/highs/lp-format.ts) against the real HiGHS 1.15 LP reader.
//
// 1. Valid models of each feature parse to the expected LpModel, and HiGHS reads the
//    same model (same columns in the same order, same rows, bounds, types; the
//    objective value HiGHS reports equals our objective evaluated at its solution).
// 2. Each kind of error gets the right line, column and message.
// 3. formatLpIssue, limits, robustness (random bytes, 10 MB inputs).
// 4. A differential property test: thousands of seeded random mutations of valid
//    models. Whenever checkLp says ok, HiGHS must not abort, must not fail to read,
//    must not report "Empty", and must read the model checkLp describes.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import highsLoader from 'highs';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkLp, formatLpIssue, type LpModel } from '../src/targets/highs/lp-format.ts';

type Highs = Awaited<ReturnType<typeof highsLoader>>;
type Solution = ReturnType<Highs['solve']>;
type HighsRun =
  | { kind: 'ok'; sol: Solution }
  | { kind: 'abort' | 'read-error' | 'solve-error'; message: string };

/** One HiGHS instance, replaced after a few hundred aborts (each abort leaks memory). */
class HighsRunner {
  private h: Highs | null = null;
  private aborts = 0;
  async run(text: string): Promise<HighsRun> {
    if (!this.h || this.aborts >= 300) {
      this.h = await highsLoader({ print: () => {}, printErr: () => {} });
      this.aborts = 0;
    }
    try {
      return { kind: 'ok', sol: this.h.solve(text, { time_limit: 5 }) };
    } catch (e) {
      const message = String(e);
      if (message.includes('Aborted')) {
        this.aborts++;
        return { kind: 'abort', message };
      }
      return { kind: message.includes('read LP model') ? 'read-error' : 'solve-error', message };
    }
  }
}

const highs = new HighsRunner();
beforeAll(async () => {
  await highs.run('Minimize\n x\nEnd\n');
});

// The fields of HiGHS's solution columns and rows that we compare (Primal is absent when infeasible).
type Col = { Lower?: number | null; Upper?: number | null; Type?: string; Primal?: number };
type Row = { Name?: string; Lower?: number | null; Upper?: number | null; Primal?: number };

/** Differences between the model we parsed and the model HiGHS read (empty = agree). */
function disagreements(m: LpModel, sol: Solution): string[] {
  const out: string[] = [];
  const columns = sol.Columns as Record<string, Col>;
  const rows = sol.Rows as Row[];
  const cols = Object.keys(columns);
  if (JSON.stringify(cols) !== JSON.stringify(m.variables)) return [`columns ${cols.join(',')} vs ${m.variables.join(',')}`];
  if (rows.length !== m.constraints.length) return [`${rows.length} rows vs ${m.constraints.length}`];
  // HiGHS reports a missing bound as null (or ±Infinity) and treats |v| >= 1e20 as infinite
  const inf = (v: number | null | undefined, missing: number) =>
    v === null || v === undefined ? missing * Infinity : Math.abs(v) >= 1e20 ? Math.sign(v) * Infinity : v;
  const optimal = sol.Status === 'Optimal';
  const x = (n: string) => columns[n]!.Primal ?? NaN;
  m.constraints.forEach((c, i) => {
    const row = rows[i]!;
    const lo = c.op === '<=' ? -Infinity : inf(c.rhs, 1);
    const up = c.op === '>=' ? Infinity : inf(c.rhs, 1);
    if (inf(row.Lower, -1) !== lo || inf(row.Upper, 1) !== up) out.push(`row ${i} bounds [${row.Lower}, ${row.Upper}] vs [${lo}, ${up}]`);
    if (c.name !== null && row.Name !== c.name) out.push(`row ${i} name ${row.Name} vs ${c.name}`);
    if (optimal) {
      const act = c.terms.reduce((a, t) => a + t.coef * x(t.name), 0);
      if (!(Math.abs(act - (row.Primal ?? NaN)) <= 1e-6 * (1 + Math.abs(act)))) out.push(`row ${i} activity ${row.Primal} vs ${act}`);
    }
  });
  for (const n of m.variables) {
    const col = columns[n]!;
    const b = m.bounds[n] ?? { lower: 0, upper: Infinity };
    const up = m.binaries.includes(n) && b.upper === Infinity ? 1 : b.upper;
    if (inf(col.Lower, -1) !== inf(b.lower, -1) || inf(col.Upper, 1) !== inf(up, 1)) out.push(`column ${n} bounds [${col.Lower}, ${col.Upper}] vs [${b.lower}, ${up}]`);
    const integer = m.integers.includes(n) || m.binaries.includes(n);
    if (!m.semicontinuous.includes(n) && (col.Type === 'Integer') !== integer) out.push(`column ${n} type ${col.Type}`);
  }
  if (optimal && !m.quadratic) {
    const obj = m.objectiveConstant + m.objective.reduce((a, t) => a + t.coef * x(t.name), 0);
    if (Math.abs(obj - sol.ObjectiveValue) > 1e-6 * (1 + Math.abs(obj))) out.push(`objective ${sol.ObjectiveValue} vs ${obj}`);
  }
  return out;
}

/** checkLp must accept `text`, HiGHS must read the same model; returns both. */
async function accepted(text: string): Promise<{ model: LpModel; sol: Solution; warnings: string[] }> {
  const c = checkLp(text);
  expect(c.errors.map((e) => formatLpIssue(e, text))).toEqual([]);
  expect(c.ok).toBe(true);
  const r = await highs.run(text);
  if (r.kind !== 'ok') throw new Error(`HiGHS: ${r.kind} ${r.message}`);
  expect(r.sol.Status).not.toBe('Empty');
  expect(disagreements(c.model!, r.sol)).toEqual([]);
  return { model: c.model!, sol: r.sol, warnings: c.warnings.map((w) => formatLpIssue(w)) };
}

const FIXTURES = fileURLToPath(new URL('./fixtures/lp-format/', import.meta.url));
const fixture = (name: string) => readFileSync(FIXTURES + name, 'utf8');
const FIXTURE_NAMES = readdirSync(FIXTURES).filter((f) => f.endsWith('.lp')).sort();

// ---------------------------------------------------------------------------

describe('valid models', () => {
  it.each([
    ['diet.lp', 16.45],
    ['facility.lp', 355],
    ['misc.lp', 45],
    ['portfolio.lp', 0.1922443],
    ['production.lp', 164.75],
  ])('%s parses and HiGHS reads the same model', async (name, objective) => {
    const { sol } = await accepted(fixture(name));
    expect(sol.Status).toBe('Optimal');
    expect(sol.ObjectiveValue).toBeCloseTo(objective, 5);
  });

  it('parses every part of a model', async () => {
    const { model, warnings } = await accepted(fixture('production.lp'));
    expect(warnings).toEqual([]);
    expect(model).toEqual({
      sense: 'max',
      objectiveName: 'profit',
      objective: [
        { name: 'x1', coef: 3 },
        { name: 'x2', coef: 2 },
        { name: 'x3', coef: 4 },
        { name: 'x4', coef: -0.5 },
      ],
      objectiveConstant: 10,
      quadratic: false,
      constraints: [
        { name: 'labour', terms: [{ name: 'x1', coef: 2 }, { name: 'x2', coef: 1 }, { name: 'x3', coef: 3 }], op: '<=', rhs: 100, line: 5 },
        { name: 'material', terms: [{ name: 'x1', coef: 1 }, { name: 'x2', coef: 2 }, { name: 'x3', coef: 1 }, { name: 'x4', coef: 1 }], op: '<=', rhs: 80, line: 6 },
        { name: 'mix', terms: [{ name: 'x1', coef: 1 }, { name: 'x2', coef: -1 }], op: '>=', rhs: -10, line: 7 },
        { name: 'demand', terms: [{ name: 'x3', coef: 1 }], op: '=', rhs: 12, line: 8 },
      ],
      bounds: { x1: { lower: 0, upper: 40 }, x2: { lower: 0, upper: 30 }, x4: { lower: 1.5, upper: Infinity } },
      integers: [],
      binaries: [],
      semicontinuous: [],
      variables: ['x1', 'x2', 'x3', 'x4'],
    });
  });

  it('accepts every keyword synonym in any case', async () => {
    const { model, sol } = await accepted('MAXIMUM\n X + 2 Y\nSUCH THAT\n C1: X + Y <= 4\nBOUND\n Y <= 3\nGEN\n X\nEND\n');
    expect(model).toMatchObject({ sense: 'max', objectiveName: null, integers: ['X'], bounds: { Y: { lower: 0, upper: 3 } } });
    expect(sol.ObjectiveValue).toBe(7);
    for (const [obj, st, end] of [
      ['min', 's.t.', 'end'],
      ['Minimum', 'st', 'End'],
      ['MINIMIZE', 'subject to', 'END'],
      ['minimize', 'Subject\tTo', 'end'],
    ]) {
      const r = await accepted(`${obj}\n obj: x\n${st}\n c: x >= 2\n${end}\n`);
      expect(r.model.sense).toBe('min');
      expect(r.sol.ObjectiveValue).toBe(2);
    }
    const r = await accepted('Maximize\n obj: a + b + c\nSubject To\n c: a + b + c <= 9\nBinaries\n a\nBinary\n b\nbin\n c\nEnd\n');
    expect(r.model.binaries).toEqual(['a', 'b', 'c']);
    expect(r.sol.ObjectiveValue).toBe(3);
  });

  it('reads every form of bound, including inf, infinity and free', async () => {
    const text = [
      'Maximize',
      ' obj: a + b + c + d + e - f',
      'Subject To',
      ' link: a + b + c + d + e + f <= 100',
      ' fcap: f >= -3',
      'Bounds',
      ' -inf <= a <= 5',
      ' b >= 2',
      ' b <= 3',
      ' c = 4',
      ' 6 >= d',
      ' -2 <= e <= Infinity',
      ' f Free',
      'End',
      '',
    ].join('\n');
    const { model, sol } = await accepted(text);
    expect(model.bounds).toEqual({
      a: { lower: -Infinity, upper: 5 },
      b: { lower: 2, upper: 3 },
      c: { lower: 4, upper: 4 },
      d: { lower: 0, upper: 6 },
      e: { lower: -2, upper: Infinity },
      f: { lower: -Infinity, upper: Infinity },
    });
    expect(sol.ObjectiveValue).toBeCloseTo(106, 9);
  });

  it('reads signs, exponents and constants like HiGHS', async () => {
    const text =
      'Maximize\n obj: - -x + -2 y + 1.5e+1 z - .5 w + 2. v + 1E1 u - 3\nSubject To\n c1: x + y + z + w + v + u <= 1\n c2: x - - y >= -1e1\n c3: u + v <= +inf\nEnd\n';
    const { model, sol } = await accepted(text);
    expect(model.objective).toEqual([
      { name: 'x', coef: 1 },
      { name: 'y', coef: -2 },
      { name: 'z', coef: 15 },
      { name: 'w', coef: -0.5 },
      { name: 'v', coef: 2 },
      { name: 'u', coef: 10 },
    ]);
    expect(model.objectiveConstant).toBe(-3);
    expect(model.constraints[1]).toEqual({ name: 'c2', terms: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }], op: '>=', rhs: -10, line: 5 });
    expect(model.constraints[2]!.rhs).toBe(Infinity);
    expect(sol.ObjectiveValue).toBe(12);
  });

  it('handles comments, blank lines, tabs, CRLF and multi-line expressions', async () => {
    const crlf = '\\ header\r\nMaximize\r\n\tobj:\tx \\ trailing comment\r\n\r\nSubject To\r\n c1: x <= 4\r\nEnd\r\n\\ after End';
    expect((await accepted(crlf)).sol.ObjectiveValue).toBe(4);
    const multi = 'Minimize\n 3 x\n + 2 y\nSubject To\n x + y\n   >= 2\n c2:\n x - y <= 1\nEnd\n';
    const { model, sol } = await accepted(multi);
    expect(model.objectiveName).toBeNull();
    expect(model.constraints.map((c) => [c.name, c.line])).toEqual([[null, 5], ['c2', 7]]);
    expect(sol.ObjectiveValue).toBe(4);
  });

  it('keeps an objective constant and allows an objective without variables', async () => {
    const { model, sol, warnings } = await accepted('Maximize\n obj: 7\nSubject To\n c: x >= 1\nEnd\n');
    expect(model.objective).toEqual([]);
    expect(model.objectiveConstant).toBe(7);
    expect(sol.ObjectiveValue).toBe(7);
    expect(warnings).toEqual(['line 1, column 1: the objective has no variables: HiGHS will only look for a feasible point']);
  });

  it('reads a convex quadratic objective', async () => {
    const { model, sol } = await accepted('Minimize\n obj: x + y + [ x^2 + 2 x * y + 3 y ^ 2 ] / 2\nSubject To\n c: x + y >= 4\nEnd\n');
    expect(model.quadratic).toBe(true);
    expect(model.objective).toEqual([{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }]);
    expect(sol.ObjectiveValue).toBeCloseTo(12, 6);
    const max = await accepted('Maximize\n obj: x + [ - x^2 ]/2\nSubject To\n c: x <= 5\nEnd\n');
    expect(max.sol.ObjectiveValue).toBeCloseTo(0.5, 6);
  });

  it('reads semi-continuous and semi-integer variables', async () => {
    const text = 'Maximize\n obj: x + y\nSubject To\n c: x + y <= 7.5\nBounds\n 2 <= x <= 5\n y <= 2.5\nSemi-Continuous\n x\nGeneral\n x\nEnd\n';
    const { model, sol } = await accepted(text);
    expect(model.semicontinuous).toEqual(['x']);
    expect(model.integers).toEqual(['x']);
    expect(sol.ObjectiveValue).toBe(7.5);
    expect((await accepted(text.replace('Semi-Continuous', 'semis'))).model.semicontinuous).toEqual(['x']);
    expect((await accepted(text.replace('Semi-Continuous', 'SEMI'))).model.semicontinuous).toEqual(['x']);
  });

  it('accepts General/Integers repeated back to back, as HiGHS does', async () => {
    const { model, sol } = await accepted('Maximize\n obj: x + y + b\nSubject To\n c: x + y + b <= 3.5\nGeneral\n x\nIntegers\n y\nBinaries\n b\nEnd\n');
    expect(model.integers).toEqual(['x', 'y']);
    expect(model.binaries).toEqual(['b']);
    expect(sol.ObjectiveValue).toBe(3);
  });

  it('lists variables in HiGHS column order, whatever the section order', async () => {
    const { model, warnings } = await accepted('Maximize\n obj: z\nBounds\n w <= 4\nSubject To\n c: z + y <= 3\nGeneral\n q\nBinary\n p\nEnd\n');
    expect(model.variables).toEqual(['z', 'y', 'w', 'q', 'p']);
    expect(warnings).toEqual([
      "line 4, column 2: 'w' appears only in the Bounds section, not in the objective or any constraint",
      "line 8, column 2: 'q' is declared integer but appears nowhere in the objective or the constraints",
      "line 10, column 2: 'p' is declared binary but appears nowhere in the objective or the constraints",
    ]);
  });

  it('accepts empty sections, odd but legal names and duplicate terms in a constraint', async () => {
    const names = ['a#1', 'b{2}', 'c|d', 'e~f', 'g@h', '"q"', "r'", 'x(1,2)', 's!', 't$%&', 'u?', 'v`w', '_z', 'y.1'];
    const text = `Maximize\n obj: ${names.join(' + ')}\nSubject To\n c: ${names.join(' + ')} + ${names[0]} <= 4\nBounds\nGeneral\nEnd\n`;
    const { model, warnings } = await accepted(text);
    expect(model.variables).toEqual(names);
    expect(model.constraints[0]!.terms[0]).toEqual({ name: 'a#1', coef: 2 });
    expect(warnings).toEqual(["line 4, column 90: 'a#1' appears more than once in constraint 'c'; the coefficients are added"]);
  });

  it('tolerates a trailing semicolon with a warning', async () => {
    const { warnings } = await accepted('Maximize\n obj: x\nSubject To\n c1: x <= 4;\nEnd\n');
    expect(warnings).toEqual(["line 4, column 12: ';' is not part of LP format (HiGHS ignores the rest of the line after it); remove it"]);
  });
});

// ---------------------------------------------------------------------------

const M = (obj: string, cons: string, rest = '') => `Maximize\n obj: ${obj}\nSubject To\n${cons}\n${rest}End\n`;

// [name, text, line, column, message] — the message is the whole first error.
const ERRORS: [string, string, number, number, string][] = [
  ['glued coefficient with an exponent', M('x', ' c1: x + 2e1y <= 4'), 4, 10, "'2e1y' is ambiguous: HiGHS reads '2e1 y' (the coefficient 20 times 'y'); put a space between the coefficient and the variable"],
  ['glued coefficient before e', M('x', ' c1: x + 2eggs <= 4'), 4, 10, "'2eggs' is ambiguous: HiGHS reads '2 eggs' (the coefficient 2 times 'eggs'); put a space between the coefficient and the variable"],
  ['no objective section', 'Subject To\n c1: x <= 4\nEnd\n', 1, 1, "the objective section is missing: an LP file must start with 'Maximize' or 'Minimize', but it starts with 'Subject To'"],
  ['text before the objective', '\\ model\nx + y <= 3\nMaximize\n x\nEnd\n', 2, 1, "the objective section is missing: an LP file must start with 'Maximize' or 'Minimize' (found 'x'; HiGHS ignores everything before the first section keyword)"],
  ['Subject To twice', M('x', ' c1: x <= 4', 'Bounds\n x <= 3\nSubject To\n c2: x >= 1\n'), 7, 1, "'Subject To' appears twice (the Subject To section already started on line 3)"],
  ['unknown section keyword', 'Maximize\n x\nConstraints\n c1: x <= 4\nEnd\n', 3, 1, "unknown section keyword 'Constraints' (did you mean 'Subject To'?)"],
  ['misspelled objective keyword', 'Maximze\n obj: x\nSubject To\n c: x <= 1\nEnd\n', 1, 1, "unknown section keyword 'Maximze' (did you mean 'Maximize'?)"],
  ['misspelled Subject To', 'Maximize\n obj: x\nSubjet To\n c: x <= 1\nEnd\n', 3, 1, "unknown section keyword 'Subjet To' (did you mean 'Subject To'?)"],
  ['Subject and To on two lines', 'Maximize\n obj: x\nSubject\nTo\n c: x <= 1\nEnd\n', 3, 1, "unknown section keyword 'Subject' (did you mean 'Subject To'?)"],
  ['misspelled keyword in a list', M('x', ' c: x <= 4', 'Binary\n x\nGeerals\n y\n'), 7, 1, "unknown section keyword 'Geerals' (did you mean 'General'?)"],
  ["'*' between coefficient and variable", M('x', ' c: 3*x <= 4'), 4, 6, "'*' is not allowed between a coefficient and a variable in LP format: write '3 x', not '3*x'"],
  ['missing relational operator', 'Maximize\n x + y\nSubject To\n c1: x + y\n c2: x <= 1\nEnd\n', 5, 2, "expected a relational operator (<=, >=, =) after the expression 'x + y', found the constraint name 'c2:'"],
  ['missing sign between terms', M('x y', ' c1: x <= 4'), 2, 9, "missing '+' or '-' between 'x' and 'y'"],
  ['two numbers in a row', M('2 3 x', ' c1: x <= 4'), 2, 9, "missing '+' or '-' between '2' and '3'"],
  ['coefficient and variable on different lines', 'Maximize\n obj: x + 2\n y\nSubject To\n c: x + y <= 1\nEnd\n', 3, 2, "the coefficient '2' on line 2 and its variable 'y' must be on the same line"],
  ['NaN literal', M('x', ' c1: x <= nan'), 4, 11, "'nan' (not a number) is not a valid value; use a finite number or 'inf'"],
  ['binary with contradicting bounds', M('x', ' c1: x <= 4', 'Bounds\n x <= 5\nBinary\n x\n'), 6, 2, "'x' is declared binary but its bounds are [0, 5]: a binary variable must stay within [0, 1] (HiGHS would make it an integer in [0, 5]); remove the bound or declare it in 'General'"],
  ['contradictory bounds of a semi-continuous variable', M('x', ' c1: x <= 4', 'Bounds\n 5 <= x <= 3\nSemi-continuous\n x\n'), 6, 7, "the bounds of 'x' are contradictory (lower bound 5 > upper bound 3): the semi-continuous 'x' can only be 0; fix the bounds or remove it from 'Semi-continuous'"],
  ['constraint without variables', M('x', ' c1: x <= 4\n c2: <= 5'), 5, 2, "constraint 'c2' has no variables ('c2: <= 5' is always true or always false): remove it or add variables"],
  ['constant-only constraint', M('x', ' c1: x <= 4\n c2: 0 >= 5'), 5, 6, "constraint 'c2' has no variables (it is always true or always false): remove it or add variables"],
  ['duplicate constraint names', M('x', ' c1: x <= 4\n c1: x >= 1'), 5, 2, "duplicate constraint name 'c1' (already used on line 4)"],
  ['constant on the left-hand side', M('x', ' c1: x + 2 <= 4'), 4, 10, "constant '2' on the left-hand side of constraint 'c1': HiGHS silently ignores constants on the left, so move it to the right-hand side ('<= 2')"],
  ['variable on the right-hand side', M('x', ' c1: x <= y'), 4, 11, "the right-hand side must be a single number: move 'y' to the left-hand side (for example 'x <= y' becomes 'x - y <= 0')"],
  ['expression after the right-hand side', M('x', ' c1: x <= 4 + 2'), 4, 13, "the right-hand side must be a single number: compute '4 + 2' yourself"],
  ['ranged constraint', M('x', ' c1: -1 <= x + y <= 5'), 4, 6, "ranged constraints like '-1 <= x + y <= 5' are not supported by HiGHS's LP reader: write two constraints, 'x + y >= -1' and 'x + y <= 5'"],
  ['ranged constraint written as a tail', M('x', ' c1: x + y >= 1 <= 5'), 4, 17, "ranged constraints like 'expr >= 1 <= 5' are not supported by HiGHS's LP reader: write two constraints, one with '>=' and one with '<='"],
  ['number on the left', M('x', ' c1: 2 <= x + y'), 4, 6, "write the variables on the left and a single number on the right, like 'x + y >= 2' instead of '2 <= x + y'"],
  ['two constraints on one line', M('x', ' c1: x <= 4 c2: x >= 1'), 4, 13, "the constraint name 'c2:' follows the constraint on the same line: each constraint must end at the end of its line"],
  ['strict inequality', M('x', ' c1: x + y < 4'), 4, 12, "HiGHS's LP reader does not accept '<': write '<='"],
  ['a variable on the right-hand side', M('x', ' c1: 2 x <= 11 - 3 y'), 4, 16, "variables must be on the left-hand side: move '- 3 y' to the left of the operator as '+ 3 y'"],
  ['a reserved word after a coefficient, twice', M('3 x + 2 max', ' c1: x + max <= 4'), 2, 15, "'max' is a reserved section keyword and cannot be used as a variable name"],
  ["'free' as a variable, twice", M('3 x + 2 free', ' c1: x + free <= 4'), 2, 15, "'free' is a reserved word and cannot be used as a variable name (it only follows a variable in the Bounds section)"],
  ["'=<'", M('x', ' c1: x + y =< 4'), 4, 12, "write '<=' instead of '=<'"],
  ["'=='", M('x', ' c1: x + y == 4'), 4, 12, "write '=' instead of '=='"],
  ["'< ='", M('x', ' c1: x + y < = 4'), 4, 12, "write '<=' without a space or line break between '<' and '='"],
  ['missing End', 'Maximize\n x\nSubject To\n c1: x <= 4\n', 5, 1, "the file must end with 'End' (HiGHS rejects an LP file whose last section is not closed by 'End')"],
  ['text after End', M('x', ' c1: x <= 4') + 'Bounds\n x <= 1\n', 6, 1, "the section keyword 'Bounds' after 'End': 'End' must be the last line of the file (only comments may follow)"],
  ['second objective', 'Maximize\n x\nMinimize\n x\nSubject To\n c: x <= 1\nEnd\n', 3, 1, "a second objective section 'Minimize': the objective was already given by 'Maximize' on line 1 (HiGHS would silently keep only the 'Minimize' one)"],
  ['section keyword in the middle of a line', 'Maximize\n x st\n c: x <= 1\nEnd\n', 2, 4, "the section keyword 'st' must start a new line ('st' is reserved and cannot be used as a name)"],
  ['keyword used as a variable', M('x + end', ' c1: x <= 4'), 2, 11, "'end' is a reserved section keyword and cannot be used as a variable name"],
  ['keyword used as a constraint name', M('x', ' c1: x <= 4\n end: x >= 1'), 5, 2, "'end' is a reserved section keyword and cannot be used as a constraint name"],
  ["keyword followed by ':'", 'Maximize\n x\nSubject To:\n c1: x <= 4\nEnd\n', 3, 11, "the section keyword 'Subject To' must not be followed by ':' (and it is reserved, so it cannot be used as a name)"],
  ['lp_solve syntax', 'max: 3x + 2y;\nc1: x + y <= 4;\n', 1, 4, "'max:' is lp_solve syntax: in LP format write 'max' alone, then the objective, optionally named like 'obj: 3 x + 2 y'"],
  ['relational operator in the objective', 'Maximize\n x + y <= 4\nEnd\n', 2, 8, "the objective cannot contain '<=': did you forget 'Subject To' before the constraints?"],
  ['constraint in the objective', 'Maximize\n x + y\n c1: x <= 4\nEnd\n', 3, 2, "constraint 'c1:' inside the objective section: did you forget 'Subject To' before the constraints?"],
  ['numeric constraint name', M('x', ' 1: x <= 4'), 4, 2, "constraint names cannot start with a digit: '1:'"],
  ["';' in the middle of a line", M('x', ' c1: x <= 4; c2: x >= 1'), 4, 12, "HiGHS ignores everything after ';' on a line, so 'c2: x >= 1' would be silently dropped; LP format does not use ';': put each constraint on its own line"],
  ["';' glued to a name", M('x + y;', ' c1: x <= 4'), 2, 12, "';' directly after 'y': HiGHS would read 'y;' as a name; LP format does not use ';', remove it"],
  ['block comment', M('x', ' c1: x <= 4 /* cap */'), 4, 13, "'/*' comments are not supported by HiGHS's LP reader; start a comment with '\\' (it runs to the end of the line)"],
  ['lone carriage return', 'Maximize\r x\rSubject To\r c: x <= 1\rEnd\r', 1, 9, 'lone carriage return (U+000D): HiGHS only splits lines at line feeds, so use \\n or \\r\\n line endings'],
  ['byte-order mark', '\uFEFFMaximize\n x\nSubject To\n c: x <= 1\nEnd\n', 1, 1, 'the text starts with a byte-order mark (U+FEFF); remove it (HiGHS would treat it as part of the first keyword)'],
  ['no-break space', M('x', ' c1: x\u00a0+ y <= 4'), 4, 7, 'invisible character U+00A0 (no-break space): use an ordinary space'],
  ['NUL character', M('x', ' c1: x <= 4\u0000'), 4, 12, 'unexpected control character U+0000 (NUL)'],
  ['unicode operator', M('x', ' c1: x + y \u2264 4'), 4, 12, "unexpected character '≤' (U+2264): use '<='"],
  ['non-ASCII name', M('x + café', ' c1: x <= 4'), 2, 14, 'the name \'café\' contains the non-ASCII character \'é\' (U+00E9); names may only use letters A-Z a-z, digits and !"#$%&\'(),.?@_`{|}~'],
  ["name starting with 'inf'", M('inflow + x', ' c1: x <= 4'), 2, 7, "names cannot start with 'inf': HiGHS reads 'inflow' as the number 'inf' followed by 'low'; rename it (for example 'x_inflow')"],
  ["name starting with 'nan'", M('Nancy + x', ' c1: x <= 4'), 2, 7, "names cannot start with 'nan': HiGHS reads 'Nancy' as the number 'Nan' followed by 'cy'; rename it (for example 'x_Nancy')"],
  ["name starting with '.'", M('x', ' c1: x + .y <= 4'), 4, 10, "names cannot start with '.': '.y'"],
  ['parentheses around terms', M('x', ' c1: 2 (x + y) <= 4'), 4, 8, "unbalanced parenthesis in '(x': parentheses cannot group terms in LP format (expand '2 (x + y)' into '2 x + 2 y'); inside a name they must be balanced, like 'x(1,2)'"],
  ['decimal comma', M('x', ' c1: 3,5 x <= 4'), 4, 6, "malformed number '3,5': use '.' as the decimal separator"],
  ['malformed number', M('x', ' c1: 1.2.3 x <= 4'), 4, 6, "malformed number '1.2.3'"],
  ['three signs in a row', M('x', ' c1: x + - - y <= 4'), 4, 12, "too many signs in a row before 'y': use at most two, like 'x - -3 y' (better: 'x + 3 y')"],
  ['expression ending with a sign', 'Maximize\n x +\nSubject To\n c: x <= 1\nEnd\n', 2, 4, "the expression ends with '+': a term is missing after it"],
  ['quadratic constraint', M('x', ' c1: [ x^2 ] <= 4'), 4, 6, "quadratic terms '[ ... ]' are not allowed in constraints: HiGHS only supports a quadratic objective"],
  ["quadratic part without '/2'", 'Minimize\n obj: x + [ x^2 ]\nSubject To\n c: x >= 1\nEnd\n', 2, 17, "in the objective a quadratic part must be followed by '/2': write '[ ... ]/2' (HiGHS reads '[ 2 x^2 ]/2' as x^2)"],
  ["quadratic part over '4'", 'Minimize\n obj: x + [ x^2 ]/4\nSubject To\n c: x >= 1\nEnd\n', 2, 19, "the quadratic part must be divided by exactly 2 ('[ ... ]/2'), found '4': scale the coefficients inside the brackets instead"],
  ['cube', 'Minimize\n obj: x + [ x^3 ]/2\nSubject To\n c: x >= 1\nEnd\n', 2, 15, "only squares are allowed in the quadratic part: 'x^2', found 'x^3'"],
  ["'-' before a quadratic part", 'Minimize\n obj: x - [ x^2 ]/2\nSubject To\n c: x >= 1\nEnd\n', 2, 9, "a quadratic part '[ ... ]/2' can only be preceded by '+': put the sign inside the brackets, like '+ [ -x^2 ]/2'"],
  ["number before '['", 'Minimize\n obj: x + 3 [ x^2 ]/2\nSubject To\n c: x >= 1\nEnd\n', 2, 13, "a number cannot stand directly before '[': put coefficients inside the brackets, like '+ [ 3 x^2 ]/2'"],
  ['square outside brackets', 'Minimize\n obj: x^2\nSubject To\n c: x >= 1\nEnd\n', 2, 8, "'x^' is only allowed inside the quadratic part of the objective: write '+ [ 2 x^2 ]/2' for x^2"],
  ['product in a constraint', M('x', ' c1: x * y <= 4'), 4, 8, "'x * y' is not linear: products of variables are only allowed in the quadratic part of the objective, like '+ [ 2 x * y ]/2'"],
  ['division', M('x', ' c1: x / 2 <= 4'), 4, 8, "division is not allowed in LP format: write the coefficient as a decimal number (for example '0.5 x' instead of 'x / 2')"],
  ['non-convex quadratic', 'Minimize\n obj: [ x * y ]/2\nSubject To\n c: x + y >= 1\nEnd\n', 2, 9, 'the quadratic objective is not convex: HiGHS can only minimize a convex quadratic (the matrix of the [ ... ]/2 part must be positive semidefinite)'],
  ['non-concave quadratic maximization', 'Maximize\n obj: x + [ x^2 ]/2\nSubject To\n c: x <= 1\nEnd\n', 2, 13, 'the quadratic objective is not concave: HiGHS can only maximize a concave quadratic (the matrix of the [ ... ]/2 part must be negative semidefinite)'],
  ['mixed-integer quadratic', 'Minimize\n obj: [ x^2 ]/2\nSubject To\n c: x >= 1\nGeneral\n x\nEnd\n', 2, 9, "HiGHS cannot solve a quadratic objective with integer, binary or semi-continuous variables ('x'): use a linear objective or continuous variables"],
  ['SOS', M('x', ' c1: x + y <= 4', 'SOS\n s1: S1 :: x:1 y:2\n'), 6, 2, 'SOS constraints are not supported by HiGHS: remove the SOS section (model the choice with binary variables instead)'],
  ['indicator constraint', M('x', ' c1: b = 1 -> x <= 4', 'Binary\n b\n'), 4, 12, "indicator constraints ('->') are not supported by HiGHS's LP reader"],
  ['variable twice in the objective', M('2 x + 3 x', ' c1: x <= 4'), 2, 15, "'x' appears more than once in the objective (also on line 2): HiGHS keeps only the last coefficient (3) instead of adding them; write a single term '5 x'"],
  ['huge constraint coefficient', M('x', ' c1: 1e15 x <= 4'), 4, 11, "the coefficient 1e15 of 'x' in constraint 'c1' is too large: HiGHS rejects coefficients of magnitude 1e15 or more; rescale the constraint"],
  ['infinite objective coefficient', M('inf x', ' c1: x <= 4'), 2, 11, "the objective coefficient inf of 'x' is too large: HiGHS treats costs of magnitude 1e20 or more as infinite and refuses to solve"],
  ['huge quadratic coefficient', 'Minimize\n obj: [ 1e15 x^2 ]/2\nSubject To\n c: x >= 1\nEnd\n', 2, 14, 'the quadratic coefficient 1e15 is too large: HiGHS rejects quadratic coefficients of magnitude 1e15 or more'],
  ['infinite objective constant', M('x - inf', ' c1: x <= 4'), 2, 11, 'the objective constant -inf must be a finite number'],
  ['impossible right-hand side', M('x', ' c1: x >= inf'), 4, 11, "the right-hand side inf of constraint 'c1' is infinite for HiGHS (|value| >= 1e20), so '>= inf' can never hold"],
  ['upper bound -inf', M('x', ' c1: x <= 4', 'Bounds\n x <= -inf\n'), 6, 2, "the upper bound of 'x' is -inf, which HiGHS treats as -infinity: no value can satisfy it"],
  ['bound written as x >= 1 <= 3', M('x', ' c1: x <= 4', 'Bounds\n x >= 1 <= 3\n'), 6, 9, "a double bound must be written 'lower <= x <= upper', not 'x >= 1 <= …'"],
  ['bound with a sign', M('x', ' c1: x <= 4', 'Bounds\n -x <= 5\n'), 6, 2, "a bound applies to a single variable without a coefficient or sign: write it as 'x <= …' or 'x >= …', or move it to 'Subject To'"],
  ['bound with a coefficient', M('x', ' c1: x <= 4', 'Bounds\n 2 x <= 5\n'), 6, 2, "a bound applies to a single variable without a coefficient or sign: write it as 'x <= …' or 'x >= …', or move it to 'Subject To'"],
  ['named bound', M('x', ' c1: x <= 4', 'Bounds\n b1: x <= 5\n'), 6, 2, "bounds cannot be named: remove 'b1:'"],
  ["'free' first", M('x', ' c1: x <= 4', 'Bounds\n free x\n'), 6, 2, "'free' must follow a variable name, like 'x free'"],
  ['two bounds on one line', M('x', ' c1: x <= 4', 'Bounds\n x free y\n'), 6, 9, "'y' follows the bound on the same line: each bound must end at the end of its line"],
  ['bound between variables', M('x', ' c1: x <= 4', 'Bounds\n x <= y\n'), 6, 7, "a bound compares one variable with a number; 'x <= y' is a constraint and belongs in 'Subject To'"],
  ['number in General', M('x', ' c1: x <= 4', 'Generals\n x 3\n'), 6, 4, "expected a variable name in the 'Generals' section, found the number '3'"],
  ["'subject' 'to' in a list", M('x', ' c: x + y >= 1', 'General\n x subject\n to y\n'), 6, 4, "HiGHS reads 'subject' followed by 'to' as the section keyword 'Subject To'; write 'Subject To' on one line at the start of the section, or rename these variables"],
  ['binary and semi-continuous', M('x', ' c1: x <= 4', 'Binary\n x\nSemi-Continuous\n x\n'), 8, 2, "'x' is declared both binary and semi-continuous: HiGHS would drop the integrality; choose one"],
  ['semi-continuous with a negative lower bound', M('x', ' c1: x <= 4', 'Bounds\n -1 <= x <= 3\nSemi-Continuous\n x\n'), 8, 2, "the semi-continuous variable 'x' has a negative lower bound (-1): HiGHS requires a lower bound >= 0"],
  ['Semi - Continuous with spaces', M('x', ' c1: x <= 4', 'Bounds\n 1 <= x <= 2\nSemi - Continuous\n x\n'), 7, 6, "write 'Semi-Continuous' without spaces around '-'"],
  ['empty General repeated', M('x', ' c1: x <= 4', 'General\n x\nGeneral\nGeneral\n'), 7, 1, "'General' appears twice in a row with nothing in between; remove one"],
  ['empty model', 'Maximize\n obj:\nEnd\n', 1, 1, 'the model is empty: the objective has no variables and there are no constraints'],
  ['empty text', '', 1, 1, "the text is empty: an LP file must start with 'Maximize' or 'Minimize'"],
  ['only comments', '\\ nothing here\n\n', 3, 1, "the text contains only comments: an LP file must start with 'Maximize' or 'Minimize'"],
  ['garbage', 'hello world', 1, 1, "the objective section is missing: an LP file must start with 'Maximize' or 'Minimize' (found 'hello'; HiGHS ignores everything before the first section keyword)"],
];

describe('errors', () => {
  it.each(ERRORS)('%s', async (_name, text, line, column, message) => {
    const r = checkLp(text);
    expect(r.ok).toBe(false);
    expect(r.model).toBeNull();
    expect(r.errors[0]).toEqual({ line, column, message });
  });

  it('HiGHS really fails on (or misreads) every text in the error table', async () => {
    // Not a property of the checker, but a record of why each error exists:
    // count how many of these HiGHS would have aborted on.
    let aborted = 0;
    for (const [, text] of ERRORS) if ((await highs.run(text)).kind === 'abort') aborted++;
    expect(aborted).toBeGreaterThan(20);
  });

  it('reports several errors, in order, up to maxErrors', () => {
    const text = M('x', Array.from({ length: 30 }, (_, i) => ` c${i}: x < ${i}`).join('\n'));
    const all = checkLp(text);
    expect(all.errors).toHaveLength(20);
    expect(all.errors.map((e) => e.line)).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
    expect(checkLp(text, { maxErrors: 3 }).errors).toHaveLength(3);
    expect(checkLp(text, { maxErrors: 100 }).errors).toHaveLength(30);
  });

  it('reports an error at each bad line and recovers for the next', () => {
    const text = M('x + y', ' c1: x + 2e1y <= 4\n c2: x <= y\n c3: x + y <= 3\n c4: 3*x >= 1', 'Bounds\n x >= 1e30\n');
    expect(checkLp(text).errors.map((e) => [e.line, e.column])).toEqual([
      [4, 10],
      [5, 11],
      [7, 7],
      [9, 2],
    ]);
  });
});

describe('warnings', () => {
  it.each([
    ['binary declared integer too', M('x', ' c: x <= 4', 'General\n x\nBinary\n x\n'), "line 8, column 2: 'x' is declared both binary and general integer; it is treated as binary"],
    ['semi-continuous with lower bound 0', M('x', ' c: x <= 4', 'Semi-Continuous\n x\n'), "line 6, column 2: the semi-continuous variable 'x' has lower bound 0, so it behaves like a continuous variable; give it a positive lower bound in 'Bounds'"],
    ['tiny coefficient', M('x', ' c: x + 1e-10 y <= 4'), "line 4, column 15: the coefficient 1e-10 of 'y' in constraint 'c' is so small that HiGHS drops it (|a| <= 1e-9)"],
    ['bound given twice', M('x', ' c: x <= 4', 'Bounds\n x <= 3\n x <= 2\n'), "line 7, column 2: the upper bound of 'x' was already set on line 6; the later one (2) is used"],
    ['listed twice', M('x', ' c: x <= 4', 'General\n x x\n'), "line 6, column 4: 'x' is listed more than once in the General section"],
    ['empty quadratic part', 'Minimize\n obj: x + [ ]/2\nSubject To\n c: x >= 1\nEnd\n', "line 2, column 11: empty quadratic part '[ ]': remove it"],
  ])('%s', async (_name, text, warning) => {
    const { warnings } = await accepted(text);
    expect(warnings).toContain(warning);
  });

  it.each([
    ['lower bound above upper bound', M('x', ' c1: x <= 4', 'Bounds\n 3 <= x <= 2\n'), "line 6, column 7: the bounds of 'x' are contradictory (lower bound 3 > upper bound 2): the model is infeasible"],
    ['negative upper bound with the default lower bound', M('x', ' c1: x <= 4', 'Bounds\n x <= -2\n'), "line 6, column 2: the bounds of 'x' are contradictory (lower bound 0 > upper bound -2): the model is infeasible; variables have lower bound 0 unless you say otherwise: write '-inf <= x <= -2' if x may be negative"],
    ['an integer variable', M('x + y', ' c1: x + y <= 4', 'Bounds\n 5 <= x <= 3\nGeneral\n x\n'), "line 6, column 7: the bounds of 'x' are contradictory (lower bound 5 > upper bound 3): the model is infeasible"],
  ])('passes contradictory bounds (%s) with a warning: HiGHS reads the model and reports it infeasible', async (_name, text, warning) => {
    const { warnings, sol } = await accepted(text);
    expect(warnings).toContain(warning);
    expect(sol.Status).toBe('Infeasible');
  });
});

describe('LP dialect parity with HiGHS', () => {
  it('accepts a coefficient glued to its variable, read exactly as HiGHS reads it (differential)', async () => {
    const texts = [
      M('3x + 2y', ' c1: x + y <= 4\n c2: x + 3y <= 6'),
      M('3.5x1 + 2y_2', ' c1: 2x1 + y_2 <= 9\n c2: -4y_2 >= -8'),
      M('10apples + 0.25B', ' budget: 3apples + 2B <= 100', 'Bounds\n apples <= 20\n'),
      M('2A + 3B', ' mix: 1.5A - 2B >= -3\n cap: A + B <= 12', 'General\n A\n'),
    ];
    for (const text of texts) {
      const c = checkLp(text);
      expect(c.errors, text).toEqual([]);
      const r = await highs.run(text);
      expect(r.kind, text).toBe('ok');
      if (r.kind === 'ok') expect(disagreements(c.model!, r.sol), text).toEqual([]);
    }
  });

  it('one message per reserved name, however often the model uses it', () => {
    for (const [text, word] of [
      [M('3 x + 2 max', ' c1: x + max <= 4\n c2: max >= 1'), 'max'],
      [M('x + bin', ' c1: x + bin <= 4\n c2: bin <= 2'), 'bin'],
      [M('3 x + 2 free', ' c1: x + free <= 4'), 'free'],
      [M('x + end', ' c1: x + end <= 4'), 'end'],
    ] as const) {
      const errors = checkLp(text).errors;
      expect(errors, text).toHaveLength(1);
      expect(errors[0]!.message).toContain(`'${word}' is a reserved`);
    }
  });
});

describe('formatLpIssue', () => {
  it('formats line and column, and shows the line with a caret', () => {
    const text = 'Maximize\n x + y\nSubject To\n c1: x + y\n c2: x <= 1\nEnd\n';
    const [e] = checkLp(text).errors;
    expect(formatLpIssue(e!)).toBe("line 5, column 2: expected a relational operator (<=, >=, =) after the expression 'x + y', found the constraint name 'c2:'");
    expect(formatLpIssue(e!, text).split('\n')).toEqual([
      "line 5, column 2: expected a relational operator (<=, >=, =) after the expression 'x + y', found the constraint name 'c2:'",
      '   c2: x <= 1',
      '   ^',
    ]);
  });
  it('keeps tabs so the caret lines up, and handles line-only issues', () => {
    expect(formatLpIssue({ line: 1, column: 4, message: 'm' }, '\t\tx y\n').split('\n')).toEqual(['line 1, column 4: m', '  \t\tx y', '  \t\t ^']);
    expect(formatLpIssue({ line: 2, column: 0, message: 'whole line' }, 'a\nb\n')).toBe('line 2: whole line\n  b');
    expect(formatLpIssue({ line: 9, column: 1, message: 'past the end' }, 'a\n')).toBe('line 9, column 1: past the end');
  });
  it('shortens very long lines around the column', () => {
    const long = 'x'.repeat(500) + ' ^here ' + 'y'.repeat(500);
    const out = formatLpIssue({ line: 1, column: 502, message: 'm' }, long).split('\n');
    expect(out[1]!.length).toBeLessThan(110);
    expect(out[1]![out[2]!.length - 1]).toBe('^');
  });
});

describe('robustness', () => {
  const rng = (seed: number) => () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };

  it('never throws on random bytes and random LP-ish text', () => {
    const r = rng(7);
    const alphabet = 'Maximize Subject To Bounds General Binary End x y z 1 2.5 e inf nan free [ ] ^ * / + - <= >= = : ; \\ \n \t\r ( ) . , é ≤ \u00a0\u0000';
    const pieces = alphabet.split(' ');
    for (let i = 0; i < 2000; i++) {
      const text =
        i % 2 === 0
          ? Array.from({ length: Math.floor(r() * 400) }, () => String.fromCharCode(Math.floor(r() * 0x3000))).join('')
          : Array.from({ length: Math.floor(r() * 200) }, () => pieces[Math.floor(r() * pieces.length)]).join(r() < 0.5 ? ' ' : '');
      const c = checkLp(text);
      expect(c.ok === (c.errors.length === 0)).toBe(true);
      for (const e of c.errors) {
        expect(e.line).toBeGreaterThanOrEqual(1);
        expect(e.column).toBeGreaterThanOrEqual(0);
        expect(e.message.length).toBeGreaterThan(10);
        formatLpIssue(e, text);
      }
    }
  });

  it('checks a 10 MB model (its speed: bench/cpu-steps.ts)', () => {
    const nv = 20000;
    const parts = ['Maximize\n obj: ', Array.from({ length: nv }, (_, i) => `${(i % 7) + 1} x${i}`).join(' + '), '\nSubject To\n'];
    let size = parts.join('').length;
    for (let i = 0; size < 10e6; i++) {
      const row = ` c${i}: ` + Array.from({ length: 10 }, (_, k) => `${k + 1.5} x${(i * 13 + k * 7) % nv}`).join(' + ') + ` <= ${(i % 100) + 10}\n`;
      parts.push(row);
      size += row.length;
    }
    parts.push('Bounds\n x0 <= 5\nGenerals\n x1\nEnd\n');
    const text = parts.join('');
    const c = checkLp(text);
    expect(c.ok).toBe(true);
    expect(c.model!.variables).toHaveLength(nv);
    expect(c.model!.constraints).toHaveLength(text.split('\n').filter((l) => /^ c\d+:/.test(l)).length);
  });

  it('reports at most 20 errors on 10 MB of pathological input, without throwing', () => {
    const cases = [
      'Maximize\n' + ' x'.repeat(5e6),
      'Minimize\n' + '['.repeat(10e6),
      '\\' + 'a'.repeat(10e6),
      'Maximize\n ' + 'a'.repeat(10e6) + '\nEnd',
      'Maximize\n x\n' + ';\n'.repeat(5e6) + 'End',
      'Maximize\n x\nSubject To\n' + ' c: x <\n'.repeat(1e6) + 'End',
      Array.from({ length: 1e6 }, (_, i) => String.fromCharCode((i * 7919) % 65536)).join('').repeat(10),
    ];
    for (const text of cases) {
      const c = checkLp(text);
      expect(c.errors.length).toBeLessThanOrEqual(20);
    }
  });
});

// ---------------------------------------------------------------------------
// Differential test against HiGHS.
//
// HiGHS accepts some texts that the checker rejects. Each such case is one of
// these deliberate strictness choices (first error message of the checker):
const DELIBERATE: [RegExp, string][] = [
  [/^missing '\+' or '-' between/, "HiGHS reads 'x y' as x + y and '2 3 x' as 2 + 3 x"],
  [/is ambiguous: HiGHS reads/, "HiGHS reads '2e1x' as 20 x and '2eggs' as 2 eggs"],
  [/^the objective section is missing/, 'HiGHS ignores everything before the first section keyword, or has no objective'],
  [/^unknown section keyword/, "a misspelled keyword is a variable name for HiGHS (or 'Subject' + 'To' across lines)"],
  [/^the section keyword '.*' must start a new line/, 'HiGHS recognizes section keywords anywhere'],
  [/^'.*' is a reserved section keyword/, "HiGHS accepts 'end:' (lower case) as a constraint name"],
  [/^'.*' appears twice/, 'HiGHS accepts a repeated section when one copy is empty'],
  [/^a second objective section/, 'HiGHS silently keeps the Minimize objective'],
  [/^the section keyword '.*' after '.*': 'End' must be the last line/, 'HiGHS accepts an empty section after End'],
  [/^the file must end with 'End'/, "HiGHS accepts a file whose last section keyword (not 'End') has an empty body"],
  [/^the section keyword '.*' must not be followed by ':'/, "HiGHS reads 'bounds:' (lower case) as a constraint name"],
  [/^'.*:' is lp_solve syntax/, "HiGHS reads 'max:' as a constraint name and drops the objective"],
  [/^duplicate constraint name/, 'HiGHS accepts duplicate row names'],
  [/^constant '.*' on the left-hand side/, 'HiGHS silently ignores constants on the left-hand side'],
  [/has no variables/, "HiGHS accepts rows without variables, e.g. 'c: <= 5'"],
  [/appears more than once in the objective/, 'HiGHS keeps only the last coefficient of a repeated objective variable'],
  [/^the right-hand side must be a single number/, "HiGHS reads 'x <= 4 + 2' or 'x = 0 y <= 1' as two constraints"],
  [/^variables must be on the left-hand side/, 'HiGHS starts a new constraint after the right-hand side number'],
  [/^write the variables on the left/, "HiGHS reads '2 <= x' in Subject To as an empty row followed by junk it may accept"],
  [/^ranged constraints/, 'HiGHS makes a second, empty row from the tail'],
  [/follows the (constraint|bound) on the same line/, 'HiGHS accepts several constraints or bounds on one line'],
  [/^expected a number after/, "HiGHS reads a lone sign before a keyword as the number 1 ('<= +' then 'Bounds')"],
  [/^expected a relational operator/, 'HiGHS may pair an operator from a later line with the expression'],
  [/^the coefficient '.*' on line \d+ and its variable/, 'HiGHS pairs a coefficient with a variable on the next line'],
  [/^the expression ends with/, "HiGHS reads a lone sign before a keyword as the constant 1"],
  [/^too many signs/, 'never accepted by HiGHS; listed for completeness'],
  [/^constraint names cannot start with a digit/, "HiGHS accepts numeric row names like '1:'"],
  [/^names cannot start with '\.'/, "HiGHS accepts '.x' as a name"],
  [/^names cannot start with '(inf|nan)'/, "HiGHS reads 'nanx' as NaN followed by x"],
  [/^'nan' \(not a number\)/, 'HiGHS accepts NaN literals'],
  [/^unbalanced parenthesis/, "HiGHS reads '(x' and 'y)' as names"],
  [/^parentheses are not allowed/, "HiGHS reads '2(x' as 2 times the name '(x'"],
  [/^malformed number/, "HiGHS reads '1.2.3' as 1.2 followed by .3"],
  [/^lone carriage return/, 'HiGHS glues lines separated by a lone CR into one line'],
  [/^unexpected control character/, 'HiGHS makes control characters part of names'],
  [/^'.*' directly after '.*': HiGHS would read/, "HiGHS makes ';' part of a preceding name"],
  [/^HiGHS ignores everything after ';'/, "HiGHS drops the rest of the line after ';'"],
  [/^'\/\*' comments are not supported/, "HiGHS skips '/* */' comments only when the tokens pair up"],
  [/^a quadratic part '\[ \.\.\. \]\/2' can only be preceded by '\+'/, "HiGHS accepts '- - ['"],
  [/^a number cannot stand directly before '\['/, "HiGHS accepts '+ 3 [' (3 is a constant)"],
  [/^missing '\+' or '-' before '.*' in the quadratic part/, "HiGHS reads 'x^2 y^2' as x^2 + y^2"],
  [/^the quadratic objective is not (convex|concave)/, 'HiGHS sometimes returns a (local) solution for non-convex QPs'],
  [/^HiGHS cannot solve a quadratic objective with integer/, 'listed for completeness (HiGHS fails to solve)'],
  [/^the bounds of '.*' are contradictory .*: the semi-continuous/, 'HiGHS solves a semi-continuous variable with contradictory bounds at 0'],
  [/is declared binary but its bounds are/, 'HiGHS makes such a binary an integer with those bounds'],
  [/declared both binary and semi-continuous/, 'HiGHS drops the integrality'],
  [/^a bound compares one variable with a number|^a bound applies to a single variable|^a double bound must be written/, 'never accepted by HiGHS; listed for completeness'],
  [/^HiGHS reads '(subject|such)' followed by/, 'listed for completeness'],
  [/^write '(<=|>=|=)' (instead of|without a space)/, "HiGHS accepts '< =' and '>\\n='"],
  [/^expected a variable name in the/, 'HiGHS may read a keyword-like token differently'],
  [/^the objective constant .* must be a finite number/, "HiGHS accepts an infinite objective constant ('- inf')"],
  [/^invisible character|^the text starts with a byte-order mark|^the name '.*' contains the non-ASCII character|^unexpected character/, 'HiGHS makes these characters part of names'],
  [/^the objective cannot contain|^constraint '.*:' inside the objective section|is not allowed in the objective/, 'listed for completeness'],
  [/appears twice in a row with nothing in between/, 'HiGHS accepts an empty repeated section in some positions'],
  [/^SOS constraints are not supported/, 'listed for completeness'],
];

describe('differential test against HiGHS', () => {
  const SEED = 20260513;
  const MUTANTS = 4000;
  it(`${MUTANTS} seeded mutations: checkLp ok ⇒ HiGHS reads the same model`, async () => {
    const seeds = FIXTURE_NAMES.map(fixture);
    let s = SEED;
    const rand = () => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const int = (n: number) => Math.floor(rand() * n);
    const pick = <T>(a: readonly T[]): T => a[int(a.length)] as T;
    const CHARS = [...' \n\t+-*/^[]<>=:;\\.,()_eE0123456789xyzabcINFnan2\r'];
    const TOKENS = ['st', 'end', 'End', 'free', 'inf', '-inf', 'nan', '<=', '>=', '=', '<', '[', ']', '/2', '^2', '*', ':', 'x1', 'c9:', '2', '3.5', '1e30', 'Bounds', 'General', 'Binary', 'max', 'min', 'Subject To', 'semi-continuous', ' ', '\n', '\\', ';', '+', '-', '- -', 'x', 'y', 'z(3)', '0', '1e15', 'S1::'];
    const words = (t: string) => t.split(/(\s+)/);
    const lines = (t: string) => t.split('\n');
    const mutate = (t: string): string => {
      const p = int(t.length + 1);
      switch (int(11)) {
        case 0: return t.slice(0, p) + t.slice(p + 1); // delete a character
        case 1: return t.slice(0, p) + pick(CHARS) + t.slice(p); // insert a character
        case 2: return t.slice(0, p) + pick(CHARS) + t.slice(p + 1); // replace a character
        case 3: { const w = words(t); w.splice(int(w.length), 1); return w.join(''); } // delete a token
        case 4: { const w = words(t); w.splice(int(w.length), 0, pick(TOKENS), ' '); return w.join(''); } // insert a token
        case 5: { const w = words(t); w[int(w.length)] = pick(TOKENS); return w.join(''); } // replace a token
        case 6: { const l = lines(t); const i = int(l.length), j = int(l.length); [l[i], l[j]] = [l[j]!, l[i]!]; return l.join('\n'); } // swap lines
        case 7: { const l = lines(t); l.splice(int(l.length), 1); return l.join('\n'); } // delete a line
        case 8: return t.slice(0, p); // truncate
        case 9: { const l = lines(t); l.splice(int(l.length), 0, l[int(l.length)]!); return l.join('\n'); } // duplicate a line
        default: { const w = words(t); const i = int(w.length), j = int(w.length); [w[i], w[j]] = [w[j]!, w[i]!]; return w.join(''); } // swap tokens
      }
    };

    let checkerOk = 0;
    let highsOk = 0;
    let bothOk = 0;
    const unsafe: string[] = [];
    const strict = new Map<string, { count: number; example: string }>();
    const undeliberate: string[] = [];
    for (let i = 0; i < MUTANTS; i++) {
      let text = pick(seeds);
      for (let k = 1 + int(3); k > 0; k--) text = mutate(text);
      const c = checkLp(text);
      const r = await highs.run(text);
      const hOk = r.kind === 'ok' && r.sol.Status !== 'Empty';
      if (c.ok) checkerOk++;
      if (hOk) highsOk++;
      if (c.ok && !hOk) unsafe.push(`${JSON.stringify(text)} → ${r.kind === 'ok' ? r.sol.Status : r.kind}`);
      if (c.ok && hOk && r.kind === 'ok') {
        bothOk++;
        const d = disagreements(c.model!, r.sol);
        if (d.length > 0) unsafe.push(`${JSON.stringify(text)} → read differently: ${d.join('; ')}`);
      }
      if (!c.ok && hOk) {
        const msg = c.errors[0]!.message;
        const rule = DELIBERATE.find(([re]) => re.test(msg));
        if (!rule) undeliberate.push(`${JSON.stringify(text)} → ${msg}`);
        const key = rule ? rule[0].source : msg;
        const e = strict.get(key) ?? { count: 0, example: msg };
        e.count++;
        strict.set(key, e);
      }
    }
    const stricter = [...strict.values()].reduce((a, e) => a + e.count, 0);
    console.log(
      [
        `differential test: ${MUTANTS} mutants (seed ${SEED})`,
        `  checker ok: ${checkerOk}, HiGHS ok: ${highsOk}, both ok: ${bothOk}`,
        `  checker ok but HiGHS fails or reads differently: ${unsafe.length}`,
        `  HiGHS ok but checker rejects (deliberate strictness): ${stricter}`,
        ...[...strict.values()].sort((a, b) => b.count - a.count).map((e) => `    ${String(e.count).padStart(4)}  ${e.example.slice(0, 110)}`),
      ].join('\n'),
    );
    expect(unsafe).toEqual([]);
    expect(undeliberate).toEqual([]);
    expect(checkerOk).toBeGreaterThan(MUTANTS / 10);
  });
});
