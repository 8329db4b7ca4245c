// The answer reward only for a model the solver optimized (src/verifier/integrity.ts): the rule on
// its own, the infeasibility rule (an infeasible core with a row of several variables and a number of
// the problem's text) and its deletion filter, every variant of the hack corpus (test/fixtures/hacks)
// in every target (in-browser through the worker pool, Python through a real sandbox server), the
// gold models of real benchmark items (the genuinely infeasible ones too) and of the generator
// staying correct, and the export checks (src/targets/python/exported-model.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { parseMps, readExport, toLpText, checkSolution } from '../src/targets/python/exported-model.ts';
import { generateProblem, FAMILIES } from '../src/problems/generator.ts';
import { solveGold } from '../src/problems/generated.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { createRunners, type Runners } from '../src/targets/runners.ts';
import { CORE_MAX_ELEMENTS, infeasibilityProblem, infeasibleCore, integrityProblem, lowerBound, modelFacts, textNumbers, upperBound, type CoreFacts, type SolvedModel } from '../src/verifier/integrity.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { RemoteVerifier } from '../src/verifier/remote.ts';
import { runCode, verifyInThread } from '../src/verifier/verify.ts';
import { score } from '../src/verifier/score.ts';
import { resolveConfig } from '../src/verifier/config.ts';

const FIX = join(import.meta.dirname, 'fixtures');
const HACKS = join(FIX, 'hacks');
/** `question`: the key of the item's problem text in `questions`; without it, the corpus's `question` */
interface Hack { file: string; target: string; answer: number | 'infeasible'; question?: string; expected_class: string; expected_class_pyodide?: string; how: string }
const corpus = JSON.parse(readFileSync(join(HACKS, 'manifest.json'), 'utf8')) as { question: string; answer: number; questions: Record<string, string>; items: Hack[] };
const questionOf = (h: Hack) => (h.question === undefined ? corpus.question : corpus.questions[h.question]!);
const wrap = (code: string) => `<think>Formulate the model.</think>\n<code>\n${code}\n</code>`;
// pulp runs both in the worker pool (Pyodide, HiGHS) and on the server (CPython, CBC): its hacks run in both
const inBrowser = (h: Hack) => ['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp'].includes(h.target);
const onServer = (h: Hack) => !inBrowser(h) || h.target === 'pulp';

const model = (o: Partial<SolvedModel>): SolvedModel => ({ objective: [], objectiveConstant: 0, rows: [], cols: [], ...o });
const x = (coef: number, name = 'x') => ({ name, coef });

describe('the rule', () => {
  it('(a) an objective without a variable term is no model, whatever its value', () => {
    expect(integrityProblem(modelFacts(model({ objectiveConstant: 224 })), 224, 'rel5pct')).toMatch(/no variable with a non-zero coefficient/);
    expect(integrityProblem(modelFacts(model({ objective: [x(0)], objectiveConstant: 224 })), 7, 'rel5pct')).toMatch(/optimized a constant/);
  });

  it('(b) a number near the answer, or a bound near answer / coefficient, unless the text states it', () => {
    const bound = modelFacts(model({ objective: [x(1, 'z')], rows: [{ name: 'c', terms: [x(1, 'z')], lo: null, hi: 224 }] }));
    expect(integrityProblem(bound, 224, 'rel5pct')).toMatch(/states 224 \(the right-hand side of row c\)/);
    expect(integrityProblem(bound, 224, 'rel5pct', 'At most 224 units.')).toBeNull();
    expect(integrityProblem(bound, 230, 'rel5pct')).toMatch(/224/); // within 5 %
    expect(integrityProblem(bound, 230, 'rel1e-4')).toBeNull();
    const scaled = modelFacts(model({ objective: [x(8)], rows: [{ name: 'c', terms: [x(2)], lo: null, hi: 56 }] }));
    expect(integrityProblem(scaled, 224, 'rel5pct')).toMatch(/the bound 28 that row c .* divided by its variable's objective coefficient 8/);
    const constant = modelFacts(model({ objective: [x(1)], objectiveConstant: 223, cols: [{ name: 'x', lo: 0, hi: 1 }] }));
    expect(integrityProblem(constant, 224, 'rel5pct')).toMatch(/the objective constant/);
  });

  it('a right-hand side near answer / coefficient in a row of several variables counts only when exact', () => {
    const near = modelFacts(model({ objective: [x(23), x(5, 'y')], rows: [{ name: 'balance', terms: [x(1), x(-1, 'y')], lo: 202, hi: 202 }] }));
    expect(integrityProblem(near, 4813, 'rel5pct')).toBeNull(); // 4813 / 23 = 209.3: a real model's number (mamo_complexlp-45)
    const exact = modelFacts(model({ objective: [x(8)], rows: [{ name: 'c', terms: [x(1), x(1, 'w')], lo: null, hi: 28 }] }));
    expect(integrityProblem(exact, 224, 'rel5pct')).toMatch(/28/);
  });

  it('0 and ±1 are never evidence; no facts means nothing to credit', () => {
    const ones = modelFacts(model({ objective: [x(1), x(-1, 'y')], rows: [{ name: 'c', terms: [x(1), x(1, 'y')], lo: 0, hi: 1 }], cols: [{ name: 'x', lo: 0, hi: 1 }] }));
    expect(ones.numbers).toEqual([]);
    expect(integrityProblem(ones, 1, 'rel5pct')).toBeNull();
    expect(integrityProblem(undefined, 1, 'rel5pct')).toMatch(/no model to check/);
  });

  it('a target that reports no model (a future one, say) earns no answer reward: score() applies the rule to every run', () => {
    const job = { completion: 'x', raw_code: true, target: 'any', answer: 11 };
    const run = { failure: null, status: 'optimal' as const, objective: 11, variables: {}, messages: [], log: [], solve_ms: 1 };
    expect(score(job, resolveConfig(), 'x', run, 0)).toMatchObject({ class: 'no_model', reward: 1, messages: [{ source: 'integrity', text: expect.stringMatching(/reported no model to check/) }] });
    const facts = modelFacts(model({ objective: [x(3), x(2, 'y')], rows: [{ name: 'c', terms: [x(1), x(1, 'y')], lo: null, hi: 4 }] }));
    expect(score(job, resolveConfig(), 'x', { ...run, facts }, 0)).toMatchObject({ class: 'correct', reward: 2 });
    // an expected-infeasible item: a proof of infeasibility with no model to check earns nothing either
    const infeasible = { ...run, status: 'infeasible' as const, objective: null };
    expect(score({ ...job, answer: 'infeasible' }, resolveConfig(), 'x', infeasible, 0)).toMatchObject({ class: 'no_model', messages: [{ source: 'integrity', text: expect.stringMatching(/cannot be attributed to a model/) }] });
    // no core computed (too large, no time): the verdict is not paid either
    expect(score({ ...job, answer: 'infeasible' }, resolveConfig(), 'x', { ...infeasible, facts }, 0)).toMatchObject({ class: 'no_model', messages: [{ source: 'integrity', text: expect.stringMatching(/could not be traced/) }] });
  });

  it("reads the numbers a problem's text states", () => {
    const n = textNumbers('Costs $1,250 per ton; 20% of 3/4 of the land; two and a half dozen, 2.5 million, 45k.');
    for (const v of [1250, 20, 0.2, 0.75, 3, 4, 2, 12, 2.5, 2_500_000, 45_000, 0.5]) expect(n, String(v)).toContainEqual(v);
  });
});

// nl4opt-16: at most half as much chlorine as softener, at least 200 chlorine, 500 in all (infeasible)
const Q16 = corpus.questions['nl4opt-16']!;
const POOL_MODEL = model({
  objective: [x(1, 'chlorine'), x(2, 'softener')],
  rows: [
    { name: 'eye_safety', terms: [x(1, 'chlorine'), x(-0.5, 'softener')], lo: null, hi: 0 },
    { name: 'min_chlorine', terms: [x(1, 'chlorine')], lo: 200, hi: null },
    { name: 'total', terms: [x(1, 'chlorine'), x(1, 'softener')], lo: 500, hi: 500 },
    { name: 'spare', terms: [x(1, 'chlorine'), x(1, 'softener')], lo: null, hi: 900 },
  ],
  cols: [{ name: 'chlorine', lo: 0, hi: null }, { name: 'softener', lo: 0, hi: null }],
});
/** nl4opt-16's feasibility, by hand: chlorine <= 500 / 3 once eye_safety and total hold */
const poolInfeasible = (rows: ReadonlySet<number>, bounds: ReadonlySet<number>) => {
  void bounds; // 0 <= chlorine, softener never matters here
  return !rows.has(0) && !rows.has(1) && !rows.has(2);
};
const core = (o: Partial<CoreFacts>): CoreFacts => ({ rows: 2, multiVariableRows: 2, bounds: 0, numbers: [500, 200], what: ['a: x + y >= 500', 'b: x + y <= 200'], ...o });

describe('the infeasibility rule', () => {
  it('the deletion filter keeps a minimal infeasible set, the same with a synchronous or an asynchronous solver', async () => {
    const asked: number[][] = [];
    const sync = infeasibleCore(POOL_MODEL, (rows, bounds) => { asked.push([...rows]); return poolInfeasible(rows, bounds); });
    expect(sync).toEqual({ rows: 3, multiVariableRows: 2, bounds: 0, numbers: [0.5, 200, 500], what: ['eye_safety: chlorine - 0.5 softener <= 0', 'min_chlorine: chlorine >= 200', 'total: chlorine + softener = 500'] });
    // the whole model first, then groups: all 6 elements, halves, quarters, down to the 3 core rows alone
    expect(asked.length).toBeLessThan(1 + 4 + 2 + 4);
    expect(asked[1]).toEqual([0, 1, 2, 3]); // every row relaxed at once first
    expect(await infeasibleCore(POOL_MODEL, async (r, b) => poolInfeasible(r, b))).toEqual(sync);
  });

  it('bounds are elements too; lower > upper needs no solve; an undecided relaxation keeps its element; no core when the model is not confirmed infeasible, time is up, or the model is too large', () => {
    const m = model({ objective: [x(1), x(1, 'y')], rows: [{ name: 'c', terms: [x(1), x(1, 'y')], lo: null, hi: 10 }], cols: [{ name: 'x', lo: 4, hi: 3 }, { name: 'y', lo: 0, hi: null }] });
    const asked: boolean[] = [];
    const c = infeasibleCore(m, (rows, bounds) => {
      const xRelaxed = bounds.has(lowerBound(0)) || bounds.has(upperBound(0));
      asked.push(xRelaxed);
      return !xRelaxed;
    });
    expect(c).toMatchObject({ rows: 0, bounds: 2, what: ['x >= 4', 'x <= 3'] });
    // a solve only where one of x's contradictory bounds is relaxed; otherwise no solve is needed
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every(Boolean)).toBe(true);
    expect(infeasibleCore(POOL_MODEL, () => null)).toBeNull();
    expect(infeasibleCore(POOL_MODEL, () => false)).toBeNull();
    // the solver cannot tell once 'spare' (row 3) is relaxed: it stays, the core is still infeasible
    expect(infeasibleCore(POOL_MODEL, (r, b) => (r.has(3) ? null : poolInfeasible(r, b)))).toMatchObject({ rows: 4, what: expect.arrayContaining(['spare: chlorine + softener <= 900']) });
    let clock = 3;
    expect(infeasibleCore(POOL_MODEL, poolInfeasible, () => clock--)).toBeNull();
    expect(infeasibleCore(POOL_MODEL, poolInfeasible, () => 1)).not.toBeNull();
    const big = model({ objective: [x(1)], rows: Array.from({ length: CORE_MAX_ELEMENTS + 1 }, (_, i) => ({ name: `r${i}`, terms: [x(1)], lo: 0, hi: null })) });
    expect(infeasibleCore(big, () => true)).toBeNull();
    expect(infeasibleCore({ ...big, rows: big.rows.slice(1) }, () => true)).not.toBeNull();
  });

  it('(a) a constant objective, (c) a core without a row of several variables or without a number of the text: no_model', () => {
    const facts = modelFacts(POOL_MODEL);
    expect(infeasibilityProblem(undefined)).toMatch(/no model to check/);
    expect(infeasibilityProblem({ ...modelFacts(model({ objective: [x(0)] })), core: core({}) }, Q16)).toMatch(/constant objective/);
    expect(infeasibilityProblem({ ...facts, core: core({ rows: 1, multiVariableRows: 0, bounds: 1, numbers: [], what: ['c: x >= 1', 'x <= 0'] }) }, Q16))
      .toBe("the model is infeasible only because of 'c: x >= 1' and 'x <= 0', which constrain one variable each: no constraint relating two or more variables takes part, so the infeasibility does not come from the problem's data");
    expect(infeasibilityProblem({ ...facts, core: core({ rows: 0, multiVariableRows: 0, bounds: 2, numbers: [], what: ['d >= 1', 'd <= 0'] }) })).toMatch(/only because of 'd >= 1' and 'd <= 0', bounds of single variables/);
    expect(infeasibilityProblem({ ...facts, core: core({ numbers: [700, 300] }) }, Q16)).toMatch(/which state no number of the problem's text \(700, 300\)/);
    expect(infeasibilityProblem({ ...facts, core: core({ numbers: [] }) }, Q16)).toMatch(/\(only 0 and ±1\)/);
    expect(infeasibilityProblem({ ...facts, core: core({ numbers: [700, 500] }) }, Q16)).toBeNull(); // 500 is in the text
    expect(infeasibilityProblem({ ...facts, core: core({ numbers: [700, 300] }) })).toBeNull(); // no text: only the rows are checked
    expect(infeasibilityProblem({ ...facts, core: core({ rows: 9, what: ['a', 'b', 'c', 'd', 'e', 'f'], multiVariableRows: 0 }) })).toMatch(/'e', 'f' and 3 more, which/);
    expect(infeasibilityProblem(facts, Q16)).toMatch(/could not be traced to the model's constraints/); // no core: not paid
  });

  it('score() applies it only where an infeasible run would be paid', () => {
    const job = { completion: 'x', raw_code: true, target: 'any', answer: 'infeasible' as const, question: Q16 };
    const facts = { ...modelFacts(POOL_MODEL), core: core({ numbers: [700, 300] }) };
    const run = { failure: null, status: 'infeasible' as const, objective: null, variables: {}, messages: [], log: [], solve_ms: 1, facts };
    expect(score(job, resolveConfig(), 'x', run, 0)).toMatchObject({ class: 'no_model', reward: 1, reward_breakdown: { answer: 0 }, messages: [{ source: 'integrity', text: expect.stringMatching(/state no number/) }] });
    expect(score(job, resolveConfig(), 'x', { ...run, facts: { ...facts, core: core({}) } }, 0)).toMatchObject({ class: 'correct', reward: 2 });
    expect(score({ ...job, answer: 5 }, resolveConfig(), 'x', run, 0).class).toBe('infeasible'); // not paid anyway: unchanged
  });
});

describe('the core in every wasm target (each with its own solver)', () => {
  let runners: Runners;
  beforeAll(async () => { installMemoryCeiling(); runners = await createRunners(nodeAssets); });
  // nl4opt-16 plus a loose row and a loose bound, and a MIP infeasible only with integrality (2 x + 2 y = 3)
  const POOL: Record<string, string> = {
    highs: 'Minimize\n minutes: chlorine + 2 softener\nSubject To\n eye_safety: chlorine - 0.5 softener <= 0\n min_chlorine: chlorine >= 200\n total: chlorine + softener = 500\n spare: chlorine + softener <= 900\nBounds\n softener <= 1000\nEnd\n',
    glpk: 'var chlorine >= 0;\nvar softener >= 0, <= 1000;\nminimize minutes: chlorine + 2 * softener;\ns.t. eye_safety: chlorine - 0.5 * softener <= 0;\ns.t. min_chlorine: chlorine >= 200;\ns.t. total: chlorine + softener = 500;\ns.t. spare: chlorine + softener <= 900;\nend;\n',
    'glpk-json': JSON.stringify({ name: 'pool', objective: { direction: 1, name: 'minutes', vars: [{ name: 'chlorine', coef: 1 }, { name: 'softener', coef: 2 }] }, subjectTo: [
      { name: 'eye_safety', vars: [{ name: 'chlorine', coef: 1 }, { name: 'softener', coef: -0.5 }], bnds: { type: 3, lb: 0, ub: 0 } },
      { name: 'min_chlorine', vars: [{ name: 'chlorine', coef: 1 }], bnds: { type: 2, lb: 200, ub: 0 } },
      { name: 'total', vars: [{ name: 'chlorine', coef: 1 }, { name: 'softener', coef: 1 }], bnds: { type: 5, lb: 500, ub: 500 } },
      { name: 'spare', vars: [{ name: 'chlorine', coef: 1 }, { name: 'softener', coef: 1 }], bnds: { type: 3, lb: 0, ub: 900 } },
    ], bounds: [{ name: 'softener', type: 4, lb: 0, ub: 1000 }] }),
  };
  const MIP: Record<string, string> = {
    highs: 'Maximize\n obj: x + y\nSubject To\n even: 2 x + 2 y = 3\nBounds\n x <= 10\n y <= 10\nGeneral\n x y\nEnd\n',
    glpk: 'var x >= 0, <= 10, integer;\nvar y >= 0, <= 10, integer;\nmaximize obj: x + y;\ns.t. even: 2 * x + 2 * y = 3;\nend;\n',
    'glpk-json': JSON.stringify({ name: 'm', objective: { direction: 2, name: 'obj', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }] }, subjectTo: [{ name: 'even', vars: [{ name: 'x', coef: 2 }, { name: 'y', coef: 2 }], bnds: { type: 5, lb: 3, ub: 3 } }], bounds: [{ name: 'x', type: 4, lb: 0, ub: 10 }, { name: 'y', type: 4, lb: 0, ub: 10 }], generals: ['x', 'y'] }),
  };
  it.each(['highs', 'glpk', 'glpk-json'])('%s', async (target) => {
    // the core is sought only when 'infeasible' is the expected answer, the one case it decides
    expect((await runCode({ code: POOL[target]!, target }, runners)).facts?.core).toBeUndefined();
    const pool = await runCode({ code: POOL[target]!, target, infeasibleCore: true }, runners);
    expect(pool.status).toBe('infeasible');
    expect(pool.facts?.core).toEqual({ rows: 3, multiVariableRows: 2, bounds: 0, numbers: [0.5, 200, 500], what: ['eye_safety: chlorine - 0.5 softener <= 0', 'min_chlorine: chlorine >= 200', 'total: chlorine + softener = 500'] });
    const mip = await runCode({ code: MIP[target]!, target, infeasibleCore: true }, runners);
    expect(mip.status).toBe('infeasible');
    // integrality kept: the row (GLPK's branching never decides 2 x + 2 y = 3 with x free and y
    // unbounded below, so there y's bounds stay in the core: still infeasible, not minimal)
    expect(mip.facts?.core).toMatchObject({ rows: 1, multiVariableRows: 1 });
    expect(mip.facts?.core?.what[0]).toBe('even: 2 x + 2 y = 3');
    expect(mip.facts?.core?.numbers).toEqual(expect.arrayContaining([2, 3]));
    // a constant objective fails rule (a) whatever its core: none is computed
    const constant = { highs: (c: string) => c.replace('minutes: chlorine + 2 softener', 'minutes: 0 chlorine'), glpk: (c: string) => c.replace('minutes: chlorine + 2 * softener', 'minutes: 0 * chlorine'), 'glpk-json': (c: string) => c.replace('"coef":2', '"coef":0').replace('"coef":1}', '"coef":0}') }[target]!;
    expect(constant(POOL[target]!)).not.toBe(POOL[target]);
    const flat = await runCode({ code: constant(POOL[target]!), target, infeasibleCore: true }, runners);
    expect(flat).toMatchObject({ status: 'infeasible', facts: { objectiveTerms: 0 } });
    expect(flat.facts?.core).toBeUndefined();
  });
});

describe('the hack corpus, in-browser targets (worker pool)', () => {
  const pool = createNodePool({ size: 2 });
  afterAll(() => pool.close());
  const items = corpus.items.filter(inBrowser);
  it('has at least 40 variants over every target', () => {
    expect(corpus.items.filter((h) => h.expected_class === 'no_model').length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.items.map((h) => h.target))).toEqual(new Set(['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp', 'scipy', 'cvxopt', 'swiglpk']));
    // infeasibility hacks on nl4opt-16 (expected answer 'infeasible'), in every language, beside the real model
    const infeasible = corpus.items.filter((h) => h.answer === 'infeasible' && h.question === 'nl4opt-16');
    expect(new Set(infeasible.filter((h) => h.expected_class === 'no_model').map((h) => h.target))).toEqual(new Set(['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp', 'scipy']));
    expect(new Set(infeasible.filter((h) => h.expected_class === 'correct').map((h) => h.target))).toEqual(new Set(['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp', 'scipy']));
    expect(infeasible.filter((h) => h.expected_class === 'no_model').length).toBeGreaterThanOrEqual(20);
  });
  it.each(items.map((h) => [h.file, h] as const))('%s', async (_f, h) => {
    const o = await pool.verify({ completion: wrap(readFileSync(join(HACKS, h.file), 'utf8')), target: h.target, answer: h.answer, question: questionOf(h) });
    // pulp in the pool is Pyodide: server-harness hacks meet another interpreter (hacks/README.md)
    const expected = h.target === 'pulp' ? h.expected_class_pyodide ?? h.expected_class : h.expected_class;
    expect(o.class, `${h.how}: ${o.messages.map((m) => m.text).join(' | ')}`).toBe(expected);
    if (h.expected_class === 'no_model') {
      expect(o.reward_breakdown.answer).toBe(0);
      // the wasm targets' no_model comes from the integrity rule; Python's can be the harness's own (no solve)
      if (h.target !== 'pulp') {
        expect(o.reward_breakdown).toMatchObject({ format: 1, answer: 0, exec: 0 });
        expect(o.messages.some((m) => m.source === 'integrity')).toBe(true);
      }
    }
  });
});

describe('the hack corpus, Python targets (a real sandbox server on 127.0.0.1)', () => {
  let srv: SandboxServer;
  const TOKEN = 'integrity-token-0123456789abcdef';
  beforeAll(async () => { srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens: [TOKEN], workers: 2 } }), () => {}); }, 60_000);
  afterAll(() => srv?.stop());
  const items = corpus.items.filter(onServer);
  // concurrent: the server's two workers each take one
  it.concurrent.for(items.map((h) => [h.file, h] as const))('%s', { timeout: 60_000 }, async ([, h], { expect }) => {
    const remote = new RemoteVerifier({ urls: [srv.url], token: TOKEN });
    const o = await remote.verify({ completion: wrap(readFileSync(join(HACKS, h.file), 'utf8')), target: h.target, answer: h.answer, question: questionOf(h) });
    expect(o.class, `${h.how}: ${o.messages.map((m) => m.text).join(' | ')}`).toBe(h.expected_class);
    if (h.expected_class === 'no_model') expect(o.reward_breakdown.answer).toBe(0);
  });
});

describe('gold models stay correct with their problem text', () => {
  let runners: Runners;
  beforeAll(async () => { installMemoryCeiling(); runners = await createRunners(nodeAssets); });

  it('every benchmark gold fixture, LP and MathProg, under rel5pct and int (zero flagged)', async () => {
    const gold = JSON.parse(readFileSync(join(FIX, 'benchmark-gold', 'manifest.json'), 'utf8')) as { id: string; benchmark: string; answer: number | null }[];
    const questions = new Map<string, string>();
    for (const b of new Set(gold.map((g) => g.benchmark))) {
      for (const line of readFileSync(join(import.meta.dirname, '..', 'public', 'benchmarks', b), 'utf8').split('\n')) if (line.trim()) { const r = JSON.parse(line); questions.set(r.id, r.question); }
    }
    const flagged: string[] = [];
    for (const g of gold) {
      for (const [target, ext] of [['highs', 'lp'], ['glpk', 'mod']] as const) {
        for (const tolerance of ['rel5pct', 'int'] as const) {
          const o = await verifyInThread({ completion: readFileSync(join(FIX, 'benchmark-gold', `${g.id}.${ext}`), 'utf8'), raw_code: true, target, answer: g.answer ?? 'infeasible', question: questions.get(g.id), config: { tolerance } }, runners);
          if (o.class === 'no_model') flagged.push(`${g.id} ${target} ${tolerance}: ${o.messages.at(-1)?.text}`);
        }
      }
    }
    expect(flagged).toEqual([]);
  }, 300_000);

  it('the genuinely infeasible benchmark gold models stay correct, their cores computed (LP through HiGHS, MathProg through GLPK)', async () => {
    const gold = JSON.parse(readFileSync(join(FIX, 'benchmark-gold', 'manifest.json'), 'utf8')) as { id: string; benchmark: string; expected_status: string }[];
    const infeasible = gold.filter((g) => g.expected_status === 'infeasible');
    expect(infeasible.map((g) => g.id)).toEqual(['nl4opt-16', 'nl4opt-27', 'nl4opt-48', 'nl4opt-49', 'nl4opt-75']);
    const questions = new Map<string, string>();
    for (const line of readFileSync(join(import.meta.dirname, '..', 'public', 'benchmarks', 'nl4opt.jsonl'), 'utf8').split('\n')) if (line.trim()) { const r = JSON.parse(line); questions.set(r.id, r.question); }
    const cfg = resolveConfig();
    const notCorrect: string[] = [];
    for (const g of infeasible) {
      for (const [target, ext] of [['highs', 'lp'], ['glpk', 'mod']] as const) {
        const code = readFileSync(join(FIX, 'benchmark-gold', `${g.id}.${ext}`), 'utf8');
        const run = await runCode({ code, target, infeasibleCore: true }, runners);
        const core = run.facts?.core;
        const o = score({ completion: code, raw_code: true, target, answer: 'infeasible', question: questions.get(g.id)! }, cfg, code, run, 0);
        if (o.class !== 'correct' || !core || core.multiVariableRows === 0) notCorrect.push(`${g.id} ${target}: ${o.class} core ${JSON.stringify(core)} ${o.messages.at(-1)?.text ?? ''}`);
      }
    }
    expect(notCorrect).toEqual([]);
  }, 120_000);

  it('the generator\'s gold in every target, every family and difficulty', async () => {
    const flagged: string[] = [];
    for (const family of FAMILIES) {
      for (let d = 1; d <= 5; d++) {
        for (const seed of [1, 2]) {
          const p = generateProblem(family, seed, d);
          const answer = await solveGold(p, runners);
          for (const [target, code] of Object.entries(p.gold)) {
            const o = await verifyInThread({ completion: code, raw_code: true, target, answer, question: p.question }, runners);
            if (o.class !== 'correct') flagged.push(`${p.id} ${target}: ${o.class} ${o.messages.at(-1)?.text}`);
            // pulp (Pyodide, HiGHS) to 1e-4 of the answer, not only within the default 5 %: with CBC's to
            // 1e-6 in pulp-gold.test.ts, the parity of every seed's gold (pulp.test.ts runs one seed)
            else if (target === 'pulp' && !(o.objective !== null && Math.abs(o.objective - answer) <= 1e-4 * Math.max(1, Math.abs(answer)))) flagged.push(`${p.id} pulp: objective ${o.objective} vs ${answer}`);
          }
        }
      }
    }
    expect(flagged).toEqual([]);
  }, 300_000);
});

describe('exported models (read outside the sandbox)', () => {
  const MPS = [
    '*SENSE:Maximize', 'NAME          w', 'ROWS', ' N  obj', ' L  wood', ' L  labor', 'COLUMNS',
    "    MARK      'MARKER'                 'INTORG'", '    chairs    wood      1.0   labor   1.0', '    chairs    obj       4.0',
    "    MARK      'MARKER'                 'INTEND'", '    tables    wood      1.0', '    tables    labor     3.0', '    tables    obj       6.0',
    'RHS', '    RHS       wood      46.0', '    RHS       labor     86.0', '    RHS       obj       -5.0', 'BOUNDS', ' UP BND       tables    30.0', ' MI BND       chairs', 'ENDATA',
  ].join('\n');

  it('MPS: sense, rows, integer markers, bounds, the objective constant (-RHS of the objective row)', () => {
    const m = parseMps(MPS);
    expect(m.sense).toBe('max');
    expect(m.model.objectiveConstant).toBe(5);
    expect(m.model.rows).toEqual([
      { name: 'wood', terms: [{ name: 'chairs', coef: 1 }, { name: 'tables', coef: 1 }], lo: null, hi: 46 },
      { name: 'labor', terms: [{ name: 'chairs', coef: 1 }, { name: 'tables', coef: 3 }], lo: null, hi: 86 },
    ]);
    expect(m.columns).toEqual([{ name: 'chairs', lo: null, hi: null, integer: true }, { name: 'tables', lo: 0, hi: 30, integer: false }]);
    expect(() => parseMps('ROWS\n N obj\nCOLUMNS\n x c 1\nENDATA')).toThrow(/undeclared row c/);
  });

  it('the LP text written for the re-solve is what HiGHS solves to the same optimum; a solution is checked against the model', async () => {
    installMemoryCeiling();
    const runners = await createRunners(nodeAssets);
    const m = readExport({ format: 'mps', text: MPS.replace(' MI BND       chairs', ' LO BND       chairs    0') });
    const run = await runners.highs!.solve(toLpText(m), { time_limit_s: 5, memory_limit_bytes: 512 << 20, max_log_lines: 10 });
    expect(run).toMatchObject({ status: 'optimal', objective: 229 }); // 4·26 + 6·20 + 5
    expect(checkSolution(m, { chairs: 26, tables: 20 })).toEqual({ feasible: true, objective: 229 });
    expect(checkSolution(m, { chairs: 27, tables: 20 }).problem).toMatch(/row wood/);
    expect(checkSolution(m, { chairs: 26.5, tables: 19 }).problem).toMatch(/not integer/);
  });
});
