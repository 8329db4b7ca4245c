// The 'glpk-json' runner: the glpk.js JSON model, solved by glpk.js (GLPK 5.0 in WebAssembly).
// The JSON is validated first (check.ts); LPs are solved without presolve (with it, glpk.js reports
// infeasible/unbounded as "undefined"), and an undefined MIP status is resolved.

import GLPK from 'glpk.js/node';
import type { GLPK as GlpkApi, LP } from 'glpk.js/node';
import { failedRun, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import { capVariables, errorText, guardedSolve, type Guard } from '../solve-guard.ts';
import type { TargetRunner } from '../target.ts';
import { checkGlpkJson, toMessage } from './check.ts';
import { CORE_MAX_MS, CORE_QUESTION_MS, infeasibleCore, modelFacts, relaxedModel, type CoreFacts, type ModelFacts, type SolvedModel } from '../../verifier/integrity.ts';

// glpk.js constants
const GLP_UNDEF = 1, GLP_FEAS = 2, GLP_NOFEAS = 4, GLP_OPT = 5, GLP_UNBND = 6;
const RUNS_PER_INSTANCE = 5000;
const GLP_FR = 1, GLP_LO = 2, GLP_UP = 3, GLP_DB = 4, GLP_FX = 5;

/** The model glpk.js solves, from the checked JSON (bounds by glpk.js's type codes). */
function solvedModelOf(model: LP): SolvedModel {
  const range = (b: { type: number; lb: number; ub: number }): [number | null, number | null] =>
    b.type === GLP_LO ? [b.lb, null] : b.type === GLP_UP ? [null, b.ub] : b.type === GLP_DB ? [b.lb, b.ub] : b.type === GLP_FX ? [b.lb, b.lb] : b.type === GLP_FR ? [null, null] : [null, null];
  const terms = (vs: { name: string; coef: number }[]) => vs.map((v) => ({ name: v.name, coef: v.coef }));
  return {
    objective: terms(model.objective.vars),
    // glpk.js 5.0 has no objective constant
    objectiveConstant: 0,
    rows: model.subjectTo.map((r) => { const [lo, hi] = range(r.bnds); return { name: r.name, terms: terms(r.vars), lo, hi }; }),
    cols: (model.bounds ?? []).map((b) => { const [lo, hi] = range(b); return { name: b.name, lo, hi }; }),
  };
}

/** Every column glpk.js solves, in its order, with its effective bounds and integrality: bounds
 *  [0, inf) unless a `bounds` entry (the last one) says otherwise, binaries [0, 1]. */
function coreModelOf(model: LP): { model: SolvedModel; integer: boolean[] } {
  const names: string[] = [];
  const seen = new Set<string>();
  const add = (n: string) => { if (!seen.has(n)) { seen.add(n); names.push(n); } };
  model.objective.vars.forEach((v) => add(v.name));
  model.subjectTo.forEach((r) => r.vars.forEach((v) => add(v.name)));
  (model.bounds ?? []).forEach((b) => add(b.name));
  (model.generals ?? []).forEach(add);
  (model.binaries ?? []).forEach(add);
  const given = solvedModelOf(model);
  const last = new Map(given.cols.map((c) => [c.name, c]));
  const bin = new Set(model.binaries ?? []), int = new Set(model.generals ?? []);
  return {
    model: {
      ...given,
      cols: names.map((name) => (bin.has(name) ? { name, lo: 0, hi: 1 } : last.get(name) ?? { name, lo: 0, hi: null })),
    },
    integer: names.map((n) => bin.has(n) || int.has(n)),
  };
}

/** glpk.js's bounds object of a range (null = infinite). */
const bnds = (lo: number | null, hi: number | null) => (lo === null
  ? (hi === null ? { type: GLP_FR, lb: 0, ub: 0 } : { type: GLP_UP, lb: 0, ub: hi })
  : hi === null ? { type: GLP_LO, lb: lo, ub: 0 } : lo === hi ? { type: GLP_FX, lb: lo, ub: lo } : { type: GLP_DB, lb: lo, ub: hi });

/** `x` rounded inward to an integer for an integer column's bound (within 1e-9 of one: that one). */
const inward = (x: number, round: (v: number) => number) => {
  const near = Math.round(x);
  return Math.abs(x - near) <= 1e-9 * Math.max(1, Math.abs(x)) ? near : round(x);
};

/**
 * An infeasible core of the infeasible model (integrity.ts): each question solves the relaxed model
 * with glpk.js, objective zero (an LP without presolve; a MIP with it, which reports an infeasible
 * MIP as such). Null once `timeLeftMs` is down to 0.
 */
function jsonCore(g: GlpkApi, model: LP, timeLeftMs: () => number, counted: () => void): CoreFacts | null {
  const core = coreModelOf(model);
  const isMip = core.integer.some(Boolean);
  return infeasibleCore(core.model, (rows, bounds) => {
    const r = relaxedModel(core.model, rows, bounds);
    const cols = [];
    for (const [j, c] of r.cols.entries()) {
      let { lo, hi } = c;
      if (core.integer[j]) {
        // glp_intopt takes only integer bounds on integer columns
        if (lo !== null) lo = inward(lo, Math.ceil);
        if (hi !== null) hi = inward(hi, Math.floor);
        if (lo !== null && hi !== null && lo > hi) return true; // no integer value between them
      }
      cols.push({ name: c.name, ...bnds(lo, hi) });
    }
    const lp: LP = {
      name: 'core',
      objective: { direction: 1, name: 'zero', vars: r.cols.map((c) => ({ name: c.name, coef: 0 })) },
      subjectTo: r.rows.map((row, i) => ({ name: `r${i + 1}`, vars: row.terms.map((t) => ({ name: t.name, coef: t.coef })), bnds: bnds(row.lo, row.hi) })),
      bounds: cols,
      ...(isMip ? { generals: r.cols.flatMap((c, j) => (core.integer[j] ? [c.name] : [])) } : {}),
    };
    counted();
    const st = g.solve(lp, { msglev: 0, presol: isMip, tmlim: Math.min(CORE_QUESTION_MS, timeLeftMs()) / 1000 }).result.status;
    return st === GLP_NOFEAS ? true : st === GLP_OPT || st === GLP_FEAS ? false : null;
  }, timeLeftMs);
}

/** The model with each double-bounded row whose lb = ub made fixed: GLPK refuses a double-bounded
 *  row with lb >= ub (GLP_EBOUND); glpk.js makes such columns fixed itself, but not rows. */
function withEqualityRowsFixed(model: LP): LP {
  if (!model.subjectTo.some((r) => r.bnds.type === GLP_DB && r.bnds.lb === r.bnds.ub)) return model;
  return {
    ...model,
    subjectTo: model.subjectTo.map((r) => (r.bnds.type === GLP_DB && r.bnds.lb === r.bnds.ub ? { ...r, bnds: { ...r.bnds, type: GLP_FX } } : r)),
  };
}

export function createGlpkJsonRunner(): TargetRunner {
  let glpk: GlpkApi | null = null;
  let runs = 0;
  let sink: (s: string) => void = () => {};

  async function getInstance(): Promise<GlpkApi> {
    if (glpk && runs < RUNS_PER_INSTANCE) return glpk;
    // glpk.js binds console.log/error when it is created; route them to the current run's log.
    const { log, error } = console;
    console.log = (...a: unknown[]) => sink(a.join(' '));
    console.error = (...a: unknown[]) => sink(a.join(' '));
    try {
      glpk = await GLPK();
    } finally {
      console.log = log;
      console.error = error;
    }
    runs = 0;
    return glpk;
  }

  const target: TargetRunner = {
    check(code) {
      const r = checkGlpkJson(code);
      return {
        ok: r.issues.length === 0,
        messages: [...r.issues.map((i) => toMessage(i, 'error')), ...r.warnings.map((i) => toMessage(i, 'warning'))],
      };
    },
    async solve(code, opts): Promise<TargetRun> {
      const r = checkGlpkJson(code);
      const warnings = r.warnings.map((i) => toMessage(i, 'warning'));
      if (!r.model) return failedRun('parse_error', [...r.issues.map((i) => toMessage(i, 'error')), ...warnings]);
      const model = withEqualityRowsFixed(r.model);
      let g: GlpkApi;
      try {
        g = await getInstance();
      } catch (e) {
        return failedRun('solver_error', [{ severity: 'error', source: 'solver', text: `glpk.js could not start: ${errorText(e)}` }]);
      }
      const isMip = (model.generals?.length ?? 0) + (model.binaries?.length ?? 0) > 0;
      const hooks = { attach: (push: ((s: string) => void) | null) => { sink = push ?? (() => {}); }, discard: () => { glpk = null; } };
      /** the facts of an infeasible run: the model's numbers and, within the time left, its core (integrity.ts, rule (c)) */
      const infeasibleFacts = (guard: Guard): ModelFacts => {
        const facts = modelFacts(solvedModelOf(model));
        // a constant objective fails rule (a) whatever its core; the core only matters when 'infeasible' is the answer
        if (facts.objectiveTerms === 0 || !opts.infeasible_core) return facts;
        const end = Math.min(opts.time_limit_s * 1000, guard.elapsed() + CORE_MAX_MS);
        try {
          const core = jsonCore(g, model, () => end - guard.elapsed(), () => { runs++; });
          if (core) facts.core = core;
        } catch {
          glpk = null; // glpk.js aborted on a relaxation: the verdict stands, without a core
        }
        return facts;
      };
      if (r.contradictions.length > 0) {
        // A row or column with lower > upper: no point satisfies it. GLPK refuses such bounds
        // (GLP_EBOUND) and glpk.js reports "undefined", so the verdict is given here, unsolved.
        return guardedSolve(opts, warnings, hooks, (guard) => ({ failure: null, status: 'infeasible', objective: null, variables: {}, messages: warnings, log: [], solve_ms: 0, facts: infeasibleFacts(guard) }),
          (e, guard) => guard.fail('solver_error', `GLPK aborted on the model: ${errorText(e)}`));
      }
      return guardedSolve(opts, warnings, hooks, (guard) => {
        runs++;
        // LPs without presolve (definite statuses); MIPs with it (without, glpk.js never solves them).
        let res = g.solve(model, { msglev: 0, presol: isMip, tmlim: opts.time_limit_s });
        let st = res.result.status;
        let status: SolverStatus;
        let objective: number | null = null;
        if (st === GLP_OPT) { status = 'optimal'; objective = res.result.z; }
        else if (st === GLP_NOFEAS) status = 'infeasible';
        else if (st === GLP_UNBND) status = 'unbounded';
        else if (guard.elapsed() >= opts.time_limit_s * 950) { status = 'time_limit'; if (st === GLP_FEAS) objective = res.result.z; }
        else if (st === GLP_UNDEF && isMip) {
          // glpk.js reports an unbounded MIP as undefined: solve the LP relaxation without presolve.
          const { generals: _g, binaries: _b, ...relaxation } = model;
          res = g.solve(relaxation as LP, { msglev: 0, presol: false, tmlim: opts.time_limit_s });
          st = res.result.status;
          status = st === GLP_NOFEAS ? 'infeasible' : st === GLP_UNBND ? 'unbounded' : 'error';
        } else status = 'error';
        if (status === 'optimal' && (objective === null || !Number.isFinite(objective))) {
          return guard.fail('solver_error', 'glpk.js reported optimal without an objective value');
        }
        const messages = [...warnings];
        if (status === 'error') messages.push({ severity: 'error', source: 'solver', text: `glpk.js ended with status ${st}` });
        const solve_ms = guard.elapsed();
        return {
          failure: null, status, objective,
          variables: objective !== null ? capVariables(res.result.vars) : {},
          messages, log: guard.log.lines(), solve_ms,
          ...(status === 'optimal' ? { facts: modelFacts(solvedModelOf(model)) } : status === 'infeasible' ? { facts: infeasibleFacts(guard) } : {}),
        };
      }, (e, guard) => {
        const detail = guard.log.lines().filter((l) => l.trim()).slice(-3).join(' ');
        return guard.fail('solver_error', `GLPK aborted on the model: ${detail || errorText(e)}`);
      });
    },
    reset() {
      glpk = null;
    },
  };
  return target;
}
