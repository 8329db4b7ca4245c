// The answer reward only for a model the solver optimized (src/verifier/integrity.ts): the rule on
// its own, every variant of the hack corpus (test/fixtures/hacks) in every target (in-browser through
// the worker pool, Python through a real sandbox server), the gold models of real benchmark items and
// of the generator staying correct, and the export checks (server/sandbox/exported-model.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { parseMps, readExport, toLpText, checkSolution } from '../server/sandbox/exported-model.ts';
import { generateProblem, FAMILIES } from '../src/problems/generator.ts';
import { solveGold } from '../src/problems/generated.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { createRunners, type Runners } from '../src/targets/runners.ts';
import { integrityProblem, modelFacts, textNumbers, type SolvedModel } from '../src/verifier/integrity.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { RemoteVerifier } from '../src/verifier/remote.ts';
import { verifyInThread } from '../src/verifier/verify.ts';
import { score } from '../src/verifier/score.ts';
import { resolveConfig } from '../src/verifier/config.ts';

const FIX = join(import.meta.dirname, 'fixtures');
const HACKS = join(FIX, 'hacks');
interface Hack { file: string; target: string; answer: number | 'infeasible'; expected_class: string; how: string }
const corpus = JSON.parse(readFileSync(join(HACKS, 'manifest.json'), 'utf8')) as { question: string; answer: number; items: Hack[] };
const wrap = (code: string) => `<think>Formulate the model.</think>\n<code>\n${code}\n</code>`;
const inBrowser = (h: Hack) => ['highs', 'glpk', 'glpk-json'].includes(h.target);

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
    // an expected-infeasible item is judged as before
    expect(score({ ...job, answer: 'infeasible' }, resolveConfig(), 'x', { ...run, status: 'infeasible', objective: null }, 0).class).toBe('correct');
  });

  it("reads the numbers a problem's text states", () => {
    const n = textNumbers('Costs $1,250 per ton; 20% of 3/4 of the land; two and a half dozen, 2.5 million, 45k.');
    for (const v of [1250, 20, 0.2, 0.75, 3, 4, 2, 12, 2.5, 2_500_000, 45_000, 0.5]) expect(n, String(v)).toContainEqual(v);
  });
});

describe('the hack corpus, in-browser targets (worker pool)', () => {
  const pool = createNodePool({ size: 2 });
  afterAll(() => pool.close());
  const items = corpus.items.filter(inBrowser);
  it('has at least 40 variants over every target', () => {
    expect(corpus.items.filter((h) => h.expected_class === 'no_model').length).toBeGreaterThanOrEqual(40);
    expect(new Set(corpus.items.map((h) => h.target))).toEqual(new Set(['highs', 'glpk', 'glpk-json', 'pulp', 'scipy', 'cvxopt', 'swiglpk']));
  });
  it.each(items.map((h) => [h.file, h] as const))('%s', async (_f, h) => {
    const o = await pool.verify({ completion: wrap(readFileSync(join(HACKS, h.file), 'utf8')), target: h.target, answer: h.answer, question: corpus.question });
    expect(o.class, `${h.how}: ${o.messages.map((m) => m.text).join(' | ')}`).toBe(h.expected_class);
    if (h.expected_class === 'no_model') {
      expect(o.reward_breakdown).toMatchObject({ format: 1, answer: 0, exec: 0 });
      expect(o.messages.some((m) => m.source === 'integrity')).toBe(true);
    }
  });
});

describe('the hack corpus, Python targets (a real sandbox server on 127.0.0.1)', () => {
  let srv: SandboxServer;
  const TOKEN = 'integrity-token-0123456789abcdef';
  beforeAll(async () => { srv = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, tokens: [TOKEN], workers: 2 } }), () => {}); }, 60_000);
  afterAll(() => srv?.stop());
  const items = corpus.items.filter((h) => !inBrowser(h));
  it.each(items.map((h) => [h.file, h] as const))('%s', async (_f, h) => {
    const remote = new RemoteVerifier({ urls: [srv.url], token: TOKEN });
    const o = await remote.verify({ completion: wrap(readFileSync(join(HACKS, h.file), 'utf8')), target: h.target, answer: h.answer, question: corpus.question });
    expect(o.class, `${h.how}: ${o.messages.map((m) => m.text).join(' | ')}`).toBe(h.expected_class);
    if (h.expected_class === 'no_model') expect(o.reward_breakdown.answer).toBe(0);
  }, 60_000);
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
