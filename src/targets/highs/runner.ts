// The 'highs' runner: CPLEX LP text solved by HiGHS (npm `highs`, WebAssembly).
// HiGHS's LP reader aborts with no message on a syntax error, so every text goes through
// the project's own LP checker first (lp-format.ts), which reports line and column.

import highsLoader, { type Highs } from 'highs';
import { checkLp, formatLpIssue, type LpModel } from './lp-format.ts';
import { CORE_MAX_MS, CORE_QUESTION_MS, infeasibleCore, modelFacts, relaxedModel, type CoreFacts, type SolvedModel } from '../../verifier/integrity.ts';
import { toLpText, type LpWritable } from './lp-writer.ts';
import { failedRun, type Message, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import { capVariables, errorText, guardedSolve } from '../solve-guard.ts';
import type { SolveOptions, TargetRunner, WasmSource } from '../target.ts';


// HiGHS's legacy solve() status strings → normalized status.
const STATUS: Record<string, SolverStatus> = {
  Optimal: 'optimal',
  Infeasible: 'infeasible',
  Unbounded: 'unbounded',
  'Primal infeasible or unbounded': 'infeasible_or_unbounded',
  'Time limit reached': 'time_limit',
  'Iteration limit reached': 'iteration_limit',
};

/** Recycle an instance after this many solves even without an abort (bounded leak). */
const RUNS_PER_INSTANCE = 5000;

const finite = (x: number) => (Number.isFinite(x) ? x : null);

/** The model HiGHS reads, as the LP checker parsed it (the two agree: test/lp-format.test.ts). */
export function solvedModelOfLp(m: LpModel): SolvedModel {
  return {
    objective: m.objective,
    objectiveConstant: m.objectiveConstant,
    rows: m.constraints.map((c) => ({
      name: c.name, terms: c.terms,
      lo: c.op === '<=' ? (c.lower === undefined ? null : finite(c.lower)) : finite(c.rhs),
      hi: c.op === '>=' ? null : finite(c.rhs),
    })),
    cols: Object.entries(m.bounds).map(([name, b]) => ({ name, lo: finite(b.lower), hi: finite(b.upper) })),
  };
}

/** HiGHS treats bounds of this magnitude or more as infinite. */
const INFINITE_BOUND = 1e20;

/** Every column HiGHS solves with its effective bounds (CPLEX LP: [0, inf) unless stated, binaries
 *  [0, 1]) and integrality: the model an infeasible run's core is sought in (integrity.ts). */
function coreModelOfLp(m: LpModel): LpWritable {
  const bin = new Set(m.binaries), int = new Set(m.integers), semi = new Set(m.semicontinuous);
  const bound = (x: number) => (Number.isFinite(x) && Math.abs(x) < INFINITE_BOUND ? x : null);
  const columns = m.variables.map((name) => {
    const b = m.bounds[name];
    const lo = b ? bound(b.lower) : 0;
    const hi = b ? bound(b.upper) : null;
    return { name, lo, hi: bin.has(name) && hi === null ? 1 : hi, integer: bin.has(name) || int.has(name), semicontinuous: semi.has(name) && !bin.has(name) };
  });
  return {
    sense: 'min',
    // a semi-continuous column's bounds are no element of the core: they stay as they are
    model: { objective: [], objectiveConstant: 0, rows: solvedModelOfLp(m).rows, cols: columns.map((c) => ({ name: c.name, lo: c.semicontinuous ? null : c.lo, hi: c.semicontinuous ? null : c.hi })) },
    columns,
  };
}

/**
 * An infeasible core of the infeasible model `m` (integrity.ts), each question a solve of the
 * relaxed model, with a zero objective, as LP text; null once `timeLeftMs` is down to 0.
 */
function lpCore(highs: Highs, m: LpModel, timeLeftMs: () => number, counted: () => void): CoreFacts | null {
  const core = coreModelOfLp(m);
  return infeasibleCore(core.model, (rows, bounds) => {
    const limit = Math.min(CORE_QUESTION_MS, timeLeftMs());
    const r = relaxedModel(core.model, rows, bounds);
    const text = toLpText({ sense: 'min', model: r, columns: core.columns.map((c, j) => (c.semicontinuous ? c : { ...c, lo: r.cols[j]!.lo, hi: r.cols[j]!.hi })) });
    const once = (presolve: 'choose' | 'off') => {
      counted();
      return highs.solve(text, { time_limit: limit / 1000, presolve, output_flag: false }).Status;
    };
    let status = once('choose');
    if (status === 'Primal infeasible or unbounded') status = once('off');
    return status === 'Infeasible' ? true : status === 'Optimal' ? false : null;
  }, timeLeftMs);
}

/** Optional second reader of LP text (GLPK's), consulted when HiGHS rejects a text the checker passed. */
export type LpSecondOpinion = (text: string) => Promise<Message[]>;

function checkText(code: string): { ok: boolean; messages: Message[]; model: LpModel | null } {
  const r = checkLp(code);
  const messages: Message[] = [
    ...r.errors.map((e) => ({ severity: 'error' as const, source: 'checker' as const, text: formatLpIssue(e), line: e.line, column: e.column })),
    ...r.warnings.map((e) => ({ severity: 'warning' as const, source: 'checker' as const, text: formatLpIssue(e), line: e.line, column: e.column })),
  ];
  return { ok: r.ok, messages, model: r.model };
}

export function createHighsRunner(wasm: WasmSource, secondOpinion?: LpSecondOpinion): TargetRunner {
  let module: Promise<WebAssembly.Module> | null = null;
  let instance: Highs | null = null;
  let runs = 0;
  let sink: (s: string) => void = () => {};

  async function getInstance(): Promise<Highs> {
    if (instance && runs < RUNS_PER_INSTANCE) return instance;
    module ??= wasm().then((b) => WebAssembly.compile(b));
    const wasmModule = await module;
    instance = await highsLoader({ wasmModule, print: (s) => sink(s), printErr: (s) => sink(s) });
    runs = 0;
    return instance;
  }

  const target: TargetRunner = {
    check: (code) => checkText(code),

    async solve(code, opts: SolveOptions): Promise<TargetRun> {
      const checked = checkText(code);
      if (!checked.ok) return failedRun('parse_error', checked.messages);
      const messages = checked.messages;
      const parsed = checked.model;
      let highs: Highs;
      try {
        highs = await getInstance();
      } catch (e) {
        return failedRun('solver_error', [...messages, { severity: 'error', source: 'solver', text: `HiGHS could not start: ${errorText(e)}` }]);
      }
      const solveOnce = (presolve: 'choose' | 'off') => highs.solve(code, { time_limit: opts.time_limit_s, presolve, output_flag: true });
      const hooks = { attach: (push: ((s: string) => void) | null) => { sink = push ?? (() => {}); }, discard: () => { instance = null; } };
      return guardedSolve(opts, messages, hooks, (g) => {
        runs++;
        let res = solveOnce('choose');
        let status = STATUS[res.Status];
        if (status === 'infeasible_or_unbounded') {
          // Presolve could not tell which; the simplex without presolve can.
          res = solveOnce('off');
          status = STATUS[res.Status];
        }
        if (res.Status === 'Empty') return g.fail('parse_error', 'HiGHS read an empty model: no objective, variables or constraints');
        if (!status) return g.fail('solver_error', `HiGHS ended with status "${res.Status}"`);
        const variables: Record<string, number> = {};
        for (const [name, col] of Object.entries(res.Columns ?? {})) {
          const primal = (col as { Primal?: number }).Primal;
          if (typeof primal === 'number') variables[name] = primal;
        }
        const hasValue = status === 'optimal' || (status === 'time_limit' && Number.isFinite(res.ObjectiveValue));
        const solve_ms = g.elapsed();
        const facts = parsed ? modelFacts(solvedModelOfLp(parsed)) : undefined;
        if (facts && parsed && status === 'infeasible' && facts.objectiveTerms > 0 && opts.infeasible_core) {
          // the core of the infeasibility, within what is left of the time limit (integrity.ts, rule
          // (c)); a constant objective fails rule (a) whatever its core (and the server's
          // feasibility solves, objective zero, get none)
          const end = Math.min(opts.time_limit_s * 1000, g.elapsed() + CORE_MAX_MS);
          try {
            const core = lpCore(highs, parsed, () => end - g.elapsed(), () => { runs++; });
            if (core) facts.core = core;
          } catch {
            instance = null; // HiGHS aborted on a relaxation: the verdict stands, without a core
          }
        }
        return {
          failure: null, status, objective: hasValue ? res.ObjectiveValue : null,
          variables: status === 'optimal' || status === 'time_limit' ? capVariables(variables) : {},
          messages, log: g.log.lines(), solve_ms,
          ...(facts ? { facts } : {}),
        };
      }, async (e, g) => {
        const text = errorText(e);
        if (!/Unable to read LP model/.test(text)) return g.fail('solver_error', `HiGHS failed: ${text}`);
        // HiGHS says nothing about where; GLPK's LP reader often can.
        const glpkSays = secondOpinion ? await secondOpinion(code).catch(() => []) : [];
        const hint = glpkSays.length ? ` GLPK's LP reader says: ${glpkSays.map((m) => m.text).join('; ')}` : '';
        return g.fail('parse_error', `HiGHS could not read the model; its LP reader gives no detail, and the LP checker found no error.${hint}`, { line: glpkSays[0]?.line });
      });
    },

    reset() {
      instance = null;
    },
  };
  return target;
}
