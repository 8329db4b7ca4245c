// The three in-browser targets, solved in this thread with the real wasm solvers.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRunners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { checkGlpkJson, locateJsonError } from '../src/targets/glpk-json/check.ts';
import type { Runners } from '../src/targets/runners.ts';
import type { GlpkRunner } from '../src/targets/glpk/runner.ts';
import { verifyInThread } from '../src/verifier/verify.ts';

const OPTS = { time_limit_s: 5, memory_limit_bytes: 512 * 1048576, max_log_lines: 50 };
let targets: Runners;
beforeAll(async () => {
  installMemoryCeiling();
  targets = await createRunners(nodeAssets);
});

// One small model (max 3x + 2y, x + y <= 4, x + 3y <= 6, x <= 3 → 11 at x=3, y=1) per language.
const LP = 'Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n';
const MOD = 'var x >= 0, <= 3;\nvar y >= 0;\nmaximize obj: 3*x + 2*y;\ns.t. c1: x + y <= 4;\ns.t. c2: x + 3*y <= 6;\nend;\n';
const JSON_MODEL = {
  name: 'm', objective: { direction: 2, name: 'obj', vars: [{ name: 'x', coef: 3 }, { name: 'y', coef: 2 }] },
  subjectTo: [
    { name: 'c1', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }], bnds: { type: 3, ub: 4, lb: 0 } },
    { name: 'c2', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 3 }], bnds: { type: 3, ub: 6, lb: 0 } },
  ],
  bounds: [{ name: 'x', type: 4, lb: 0, ub: 3 }],
};

describe('glpk (MathProg through glpk-wasm)', () => {
  it('solves a model and reports variables', async () => {
    const r = await targets.glpk!.solve(MOD, OPTS);
    expect(r).toMatchObject({ failure: null, status: 'optimal', objective: 11, variables: { x: 3, y: 1 } });
  });
  it('reads a data section and sets', async () => {
    const mod = 'set P;\nparam profit{P};\nparam use{P};\nvar make{P} >= 0, integer;\nmaximize z: sum{p in P} profit[p]*make[p];\ns.t. cap: sum{p in P} use[p]*make[p] <= 10;\nsolve;\nprintf "done %g\\n", z;\ndata;\nset P := a b;\nparam profit := a 3 b 5;\nparam use := a 2 b 3;\nend;\n';
    const r = await targets.glpk!.solve(mod, OPTS);
    expect(r.status).toBe('optimal');
    expect(r.objective).toBe(16); // 2 a + 2 b = 16 (4 a + 0 b → 12; 2a+2b uses 10 → 16; 5 b uses 15 > 10)
    expect(r.log.join('\n')).toContain('done 16');
  });
  it('gives line-numbered parse errors', async () => {
    const r = await targets.glpk!.solve('var x;\nmaximize z: x + y;\nend;\n', OPTS);
    expect(r.failure).toBe('parse_error');
    expect(r.messages[0]).toMatchObject({ line: 2, severity: 'error' });
    expect(r.messages[0]!.text).toMatch(/y not defined/);
  });
  it('reports generation failures as runtime errors', async () => {
    const r = await targets.glpk!.solve('param a := 1/0;\nvar x >= 0;\nmaximize z: a*x;\ns.t. c: x <= 1;\nend;\n', OPTS);
    expect(r.failure).toBe('runtime_error');
    expect(r.messages.map((m) => m.text).join(' ')).toMatch(/zero divide/);
  });
  it('proves infeasibility and unboundedness, LP and MIP', async () => {
    expect((await targets.glpk!.solve('var x >= 0;\nmaximize z: x;\ns.t. c: x <= -1;\nend;\n', OPTS)).status).toBe('infeasible');
    expect((await targets.glpk!.solve('var x >= 0;\nmaximize z: x;\ns.t. c: x >= 1;\nend;\n', OPTS)).status).toBe('unbounded');
    expect((await targets.glpk!.solve('var x >= 0, integer;\nmaximize z: x;\ns.t. c: 2*x = 1;\nend;\n', OPTS)).status).toBe('infeasible');
  });
  it('rejects a model with no variables', async () => {
    const r = await targets.glpk!.solve('param a := 3;\nend;\n', OPTS);
    expect(r.failure).toBe('parse_error');
  });
  it('rounds fractional bounds of integer variables inward (glp_intopt refuses them)', async () => {
    const r = await targets.glpk!.solve('var x >= 0.5, <= 3.5, integer;\nvar y >= 0, <= 10;\nmaximize z: x + y;\ns.t. c: x + 2*y <= 4.5;\nend;\n', OPTS);
    expect(r).toMatchObject({ failure: null, status: 'optimal', objective: 3.75, variables: { x: 3, y: 0.75 } });
    expect(r.messages.map((m) => m.text)).toContain("the bounds [0.5, 3.5] of the integer variable 'x' were rounded to [1, 3] for GLPK's MIP solver");
    const none = await targets.glpk!.solve('var x >= 0.5, <= 0.7, integer;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c: x + y <= 4;\nend;\n', OPTS);
    expect(none).toMatchObject({ failure: null, status: 'infeasible' });
    expect(none.messages[0]!.text).toMatch(/'x' has no integer value within its bounds \[0\.5, 0\.7\]/);
  });
  it('starts every run with the files of a fresh instance, and readCplexLp leaves none', async () => {
    const write = 'var x >= 0;\nmaximize z: x;\ns.t. c: x <= 3;\nsolve;\nprintf "k,v\\na,7\\n" > "/tmp/t.csv";\nprintf "x" > "/home/web_user/u.txt";\nend;\n';
    const read = (path: string) => `set K;\nparam v{K};\ntable t IN "CSV" "${path}": K <- [k], v;\nvar x >= 0;\nmaximize z: x;\ns.t. c: x <= sum{k in K} v[k];\nend;\n`;
    expect((await targets.glpk!.solve(write, OPTS)).status).toBe('optimal');
    const r = await targets.glpk!.solve(read('/tmp/t.csv'), OPTS);
    expect(r.failure).toBe('runtime_error');
    expect(r.log.join('\n')).toMatch(/unable to open \/tmp\/t\.csv/);
    // GLPK's LP reader writes /model.lp: a MathProg run must not find it
    expect(await (targets.glpk as unknown as GlpkRunner).readCplexLp(LP)).toEqual([]);
    const lp = await targets.glpk!.solve(read('/model.lp'), OPTS);
    expect(lp.failure).toBe('runtime_error');
    expect(lp.log.join('\n')).toMatch(/unable to open \/model\.lp/);
  });
});

describe('glpk-json (glpk.js)', () => {
  it('solves the JSON model', async () => {
    const r = await targets['glpk-json']!.solve(JSON.stringify(JSON_MODEL), OPTS);
    expect(r).toMatchObject({ status: 'optimal', objective: 11, variables: { x: 3, y: 1 } });
  });
  it('refuses an unknown key at every level, naming the likely one (glpk.js would ignore it)', async () => {
    const r = await targets['glpk-json']!.solve(JSON.stringify({ ...JSON_MODEL, integers: ['y'] }), OPTS);
    expect(r.failure).toBe('parse_error');
    expect(r.messages[0]!.text).toMatch(/^integers: unknown key "integers" \(did you mean "generals"\?\)/);
    const deep = { ...JSON_MODEL, objective: { ...JSON_MODEL.objective, sense: 2 }, subjectTo: [{ ...JSON_MODEL.subjectTo[0]!, bnds: { type: 3, upper: 4, lb: 0 } }], bounds: [{ name: 'x', type: 4, lb: 0, ub: 3, cat: 'int' }] };
    const texts = (await targets['glpk-json']!.solve(JSON.stringify(deep), OPTS)).messages.map((m) => m.text);
    expect(texts).toEqual(expect.arrayContaining([
      expect.stringMatching(/^objective\.sense: unknown key "sense" \(did you mean "direction"\?\)/),
      expect.stringMatching(/^subjectTo\[0\]\.bnds\.upper: unknown key "upper" \(did you mean "ub"\?\)/),
      expect.stringMatching(/^bounds\[0\]\.cat: unknown key "cat"; /),
    ]));
    // every key glpk.js reads is accepted: the example with all of them solves
    expect((await targets['glpk-json']!.solve(JSON.stringify({ ...JSON_MODEL, generals: ['y'], binaries: [] }), OPTS)).status).toBe('optimal');
  });
  it('reports LP infeasibility and unboundedness (presolve off for LPs)', async () => {
    const inf = { ...JSON_MODEL, subjectTo: [...JSON_MODEL.subjectTo, { name: 'c3', vars: [{ name: 'x', coef: 1 }], bnds: { type: 2, lb: 5, ub: 0 } }] };
    expect((await targets['glpk-json']!.solve(JSON.stringify(inf), OPTS)).status).toBe('infeasible');
    const unb = { ...JSON_MODEL, subjectTo: [], bounds: [] };
    expect((await targets['glpk-json']!.solve(JSON.stringify(unb), OPTS)).status).toBe('unbounded');
  });
  it('resolves glpk.js\'s "undefined" status of an unbounded MIP', async () => {
    const unbMip = { ...JSON_MODEL, subjectTo: [], bounds: [], generals: ['x'] };
    expect((await targets['glpk-json']!.solve(JSON.stringify(unbMip), OPTS)).status).toBe('unbounded');
  });
  it('rejects a string coefficient (glpk.js would report it optimal)', () => {
    const bad = structuredClone(JSON_MODEL) as unknown as { objective: { vars: { coef: unknown }[] } };
    bad.objective.vars[0]!.coef = '3';
    const r = checkGlpkJson(JSON.stringify(bad));
    expect(r.issues[0]).toMatchObject({ path: 'objective.vars[0].coef' });
    expect(r.issues[0]!.message).toMatch(/finite number, got the string "3"/);
  });
  it.each([
    ['{"a": NaN}', 6, /no NaN or Infinity/],
    ['{"a": 1,}', 8, /no trailing commas/],
    ["{'a': 1}", 1, /double quotes/],
    ['{"a" 1}', 5, /':' after the key/],
    ['[1, 2', 5, /the end of the text/],
  ])('locates the JSON error in %s', (text, offset, msg) => {
    const e = locateJsonError(text);
    expect(e?.offset).toBe(offset);
    expect(e?.message).toMatch(msg);
  });

  it('reports JSON syntax errors with line and column', async () => {
    const r = await targets['glpk-json']!.solve('{\n  "name": "m",\n  "objective": {"direction": 2,, }\n}', OPTS);
    expect(r.failure).toBe('parse_error');
    expect(r.messages[0]).toMatchObject({ line: 3 });
  });
  it.each([
    ['bad direction', { ...JSON_MODEL, objective: { ...JSON_MODEL.objective, direction: 7 } }, 'objective.direction'],
    ['duplicate variable in a row', { ...JSON_MODEL, subjectTo: [{ name: 'c', vars: [{ name: 'x', coef: 1 }, { name: 'x', coef: 2 }], bnds: { type: 3, ub: 1, lb: 0 } }] }, 'subjectTo[0].vars[1].name'],
    ['missing subjectTo', { name: 'm', objective: JSON_MODEL.objective }, 'subjectTo'],
    ['bad bound type', { ...JSON_MODEL, bounds: [{ name: 'x', type: 9, lb: 0, ub: 1 }] }, 'bounds[0].type'],
  ])('%s is caught before GLPK aborts', (_n, model, path) => {
    const r = checkGlpkJson(JSON.stringify(model));
    expect(r.model).toBeNull();
    expect(r.issues.map((i) => i.path)).toContain(path);
  });
});

describe('glpk-json rows', () => {
  it('solves an equality row written as double bounds with lb = ub (GLPK refuses that as given)', async () => {
    const eq = { ...JSON_MODEL, subjectTo: [{ name: 'c1', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }], bnds: { type: 4, lb: 4, ub: 4 } }] };
    expect(await targets['glpk-json']!.solve(JSON.stringify(eq), OPTS)).toMatchObject({ status: 'optimal', objective: 11, variables: { x: 3, y: 1 } });
  });
});

// Security review v09: the same model with contradictory bounds gets the same verdict in every target.
describe('contradictory bounds are infeasible in every target', () => {
  // max x + y, x + y <= 4, 5 <= x <= 3: no point satisfies the bounds of x
  const CONTRADICTORY: [string, string][] = [
    ['highs', 'Maximize\n obj: x + y\nSubject To\n c1: x + y <= 4\nBounds\n 5 <= x <= 3\nEnd\n'],
    ['glpk', 'var x >= 5, <= 3;\nvar y >= 0;\nmaximize obj: x + y;\ns.t. c1: x + y <= 4;\nend;\n'],
    ['glpk-json', JSON.stringify({ name: 'm', objective: { direction: 2, name: 'obj', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }] }, subjectTo: [{ name: 'c1', vars: [{ name: 'x', coef: 1 }, { name: 'y', coef: 1 }], bnds: { type: 3, lb: 0, ub: 4 } }], bounds: [{ name: 'x', type: 4, lb: 5, ub: 3 }] })],
  ];
  it.each(CONTRADICTORY)('%s', async (target, code) => {
    const expectInfeasible = await verifyInThread({ completion: code, raw_code: true, target, answer: 'infeasible' }, targets);
    // infeasible only because x's own bounds contradict each other: no answer reward (integrity.ts,
    // the infeasibility rule), the same verdict in every target
    expect(expectInfeasible).toMatchObject({ status: 'infeasible', class: 'no_model', objective: null });
    expect(expectInfeasible.messages.at(-1)).toMatchObject({ source: 'integrity', text: expect.stringMatching(/only because of 'x >= 5' and 'x <= 3'/) });
    const warning = expectInfeasible.messages.find((m) => m.severity === 'warning' && /contradictory/.test(m.text));
    expect(warning?.text).toMatch(/the bounds of .?x.? are contradictory \(lower bound 5 > upper bound 3\): the model is infeasible/);
    const expectNumber = await verifyInThread({ completion: code, raw_code: true, target, answer: 4 }, targets);
    expect(expectNumber).toMatchObject({ status: 'infeasible', class: 'infeasible' });
  });
  it('a contradictory row is infeasible too (glpk, glpk-json)', async () => {
    const mod = 'var x >= 0;\nvar y >= 0;\nmaximize obj: x + y;\ns.t. c1: 5 <= x + y <= 3;\nend;\n';
    const json = JSON.stringify({ ...JSON_MODEL, subjectTo: [...JSON_MODEL.subjectTo, { name: 'c3', vars: [{ name: 'x', coef: 1 }], bnds: { type: 4, lb: 5, ub: 3 } }] });
    for (const [target, code] of [['glpk', mod], ['glpk-json', json]] as const) {
      const r = await targets[target]!.solve(code, OPTS);
      expect(r).toMatchObject({ failure: null, status: 'infeasible' });
      expect(r.messages.map((m) => m.text).join(' ')).toMatch(/constraint .c[13]. are contradictory \(lower bound 5 > upper bound 3\)/);
    }
  });
  it('glpk-json: only the last bounds entry of a variable counts, as in glpk.js', async () => {
    const model = { ...JSON_MODEL, bounds: [{ name: 'x', type: 4, lb: 5, ub: 1 }, { name: 'x', type: 4, lb: 0, ub: 3 }] };
    expect(await targets['glpk-json']!.solve(JSON.stringify(model), OPTS)).toMatchObject({ status: 'optimal', objective: 11 });
  });
});

describe('highs (CPLEX LP through HiGHS)', () => {
  it('solves an LP and a MIP', async () => {
    expect(await targets.highs!.solve(LP, OPTS)).toMatchObject({ status: 'optimal', objective: 11 });
    const mip = 'Maximize\n obj: 5 x + 4 y\nSubject To\n c1: 6 x + 4 y <= 24\n c2: x + 2 y <= 6\nGeneral\n x y\nEnd\n';
    expect(await targets.highs!.solve(mip, OPTS)).toMatchObject({ status: 'optimal', objective: 20 });
  });
  it('proves infeasibility and unboundedness', async () => {
    expect((await targets.highs!.solve('Maximize\n obj: x\nSubject To\n c: x <= -1\nEnd\n', OPTS)).status).toBe('infeasible');
    expect((await targets.highs!.solve('Maximize\n obj: x\nSubject To\n c: x >= 1\nEnd\n', OPTS)).status).toBe('unbounded');
  });
  it('stops at the solver time limit', async () => {
    // A 6 × 50 market-split instance (test/fixtures/broken): far beyond 0.5 s for HiGHS.
    const lp = readFileSync(join(import.meta.dirname, 'fixtures', 'broken', 'highs-timeout-market-split.lp'), 'utf8');
    const r = await targets.highs!.solve(lp, { ...OPTS, time_limit_s: 0.5 });
    expect(r.status).toBe('time_limit');
    expect(r.solve_ms).toBeLessThan(3000);
  });
});

describe('GLPK\'s LP reader as a second opinion on LP text', () => {
  const FIX = join(import.meta.dirname, 'fixtures');
  const glpk = () => targets.glpk as unknown as GlpkRunner;

  it('accepts every gold LP model and reports line numbers on broken ones', async () => {
    const gold = JSON.parse(readFileSync(join(FIX, 'benchmark-gold', 'manifest.json'), 'utf8')) as { id: string }[];
    for (const g of gold) expect(await glpk().readCplexLp(readFileSync(join(FIX, 'benchmark-gold', `${g.id}.lp`), 'utf8'))).toEqual([]);
    const msgs = await glpk().readCplexLp('Maximize\n obj: 3 x + 2 y\nSubject To\n c1: 3 * x + y <= 4\nEnd\n');
    expect(msgs[0]).toMatchObject({ severity: 'error', line: 4 });
  });

  it('agrees with the project checker on the broken LP fixtures it rejects', async () => {
    const broken = JSON.parse(readFileSync(join(FIX, 'broken', 'manifest.json'), 'utf8')) as { file: string; target: string; expected_class: string; verifier_class?: string }[];
    const rows: string[] = [];
    for (const b of broken.filter((x) => x.target === 'highs' && (x.verifier_class ?? x.expected_class) === 'parse_error')) {
      const text = readFileSync(join(FIX, 'broken', b.file), 'utf8');
      const ours = targets.highs!.check(text);
      const theirs = await glpk().readCplexLp(text);
      expect(ours.ok).toBe(false);
      rows.push(`${b.file}: glpk ${theirs.length ? 'rejects' : 'accepts'}`);
    }
    // GLPK's reader is more lenient in places (strict '<', a missing End); it must reject most.
    expect(rows.filter((r) => r.endsWith('rejects')).length).toBeGreaterThanOrEqual(Math.ceil(rows.length / 2));
  });
});

describe('abort recovery', () => {
  it('a MathProg expression nested too deeply is a parse error, and GLPK keeps serving', async () => {
    const deep = `var x >= 0, <= 1;\nmaximize z: ${'('.repeat(5000)}x${')'.repeat(5000)};\nend;\n`;
    const listeners = () => process.listenerCount('uncaughtException') + process.listenerCount('unhandledRejection');
    const before = listeners();
    for (let k = 0; k < 20; k++) {
      const r = await targets.glpk!.solve(deep, OPTS);
      expect(r.failure).toBe('parse_error');
      expect(r.messages[0]!.text).toMatch(/nested too deeply/);
      expect((await targets.glpk!.solve(MOD, OPTS)).objective).toBe(11);
    }
    // 20 instances dropped and replaced: none is pinned by a process listener of Emscripten's glue
    expect(listeners()).toBe(before);
  });
});
