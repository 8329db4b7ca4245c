// The 'highs' runner: CPLEX LP text solved by HiGHS (npm `highs`, WebAssembly).
// HiGHS's LP reader aborts with no message on a syntax error, so every text goes through
// the project's own LP checker first (lp-format.ts), which reports line and column.

import highsLoader, { type Highs } from 'highs';
import { checkLp, formatLpIssue, type LpModel } from './lp-format.ts';
import { modelFacts, type SolvedModel } from '../../verifier/integrity.ts';
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
        return {
          failure: null, status, objective: hasValue ? res.ObjectiveValue : null,
          variables: status === 'optimal' || status === 'time_limit' ? capVariables(variables) : {},
          messages, log: g.log.lines(), solve_ms: g.elapsed(),
          ...(parsed ? { facts: modelFacts(solvedModelOfLp(parsed)) } : {}),
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
