// The run EVOM scores for a Python target (the sandbox server's, and the pulp target's in Pyodide): the harness's report, confirmed against the model
// the harness exported (exported-model.ts), outside the sandboxed process (or interpreter). The report's status and
// objective stand only when HiGHS, re-solving the exported model, agrees (or, where the re-solve
// stops at its time limit, when the reported solution satisfies the model and gives the reported
// objective); the model's numbers go into the run's facts for the integrity rule in score().
// An `infeasible` or `unbounded` report stands only when the re-solve proves it too; a confirmed
// infeasible model's facts carry its infeasible core (integrity.ts, rule (c)), found by re-solving
// relaxations of it with HiGHS (an LpResolver).

import type { Message, TargetRun } from '../../verifier/outcome.ts';
import { CORE_MAX_MS, CORE_QUESTION_MS, infeasibleCore, modelFacts, relaxedModel, type CoreFacts } from '../../verifier/integrity.ts';
import { checkSolution, readExport, toLpText, type ExportedLinear, type ExportedModel } from './exported-model.ts';

/** What the harness says about its last solve's model. */
export interface HarnessExport {
  model?: ExportedModel;
  modelError?: string;
  /** the solver's own objective, before the harness inferred a sign from what the code printed */
  solverObjective: number | null;
}

/** Objectives of two solvers on one model: equal up to their MIP gaps (1e-4 relative each). */
const agree = (a: number, b: number) => Math.abs(a - b) <= 5e-4 * Math.max(1, Math.abs(a), Math.abs(b));

/** Solves CPLEX LP text with HiGHS outside the code's reach: the server's verifier workers
 *  (server/sandbox/resolver.ts), or the highs runner of the verifier worker that runs the pulp target. */
export type LpResolver = (lpText: string, timeLimitS: number) => Promise<Pick<TargetRun, 'status' | 'objective'>>;

/**
 * An infeasible core of the infeasible exported model: each question re-solves the relaxed model,
 * objective zero, with HiGHS. Null once `deadline` (performance.now(), ms) has passed.
 */
export async function exportCore(m: ExportedLinear, deadline: number, resolve: LpResolver): Promise<CoreFacts | null> {
  const timeLeftMs = () => deadline - performance.now();
  return infeasibleCore(m.model, async (rows, bounds) => {
    const limit = Math.min(CORE_QUESTION_MS, timeLeftMs());
    const r = relaxedModel(m.model, rows, bounds);
    const text = toLpText({ sense: 'min', model: { ...r, objective: [], objectiveConstant: 0 }, columns: m.columns.map((c, j) => ({ ...c, lo: r.cols[j]!.lo, hi: r.cols[j]!.hi })) });
    const re = await resolve(text, limit / 1000);
    return re.status === 'infeasible' ? true : re.status === 'optimal' ? false : null;
  }, timeLeftMs);
}

export async function checkedRun(run: TargetRun, exp: HarnessExport | undefined, timeLimitS: number, resolve: LpResolver, infeasibleCore = false): Promise<TargetRun> {
  const started = performance.now();
  const verdicts = ['optimal', 'infeasible', 'unbounded', 'infeasible_or_unbounded', 'time_limit'];
  if (run.failure || !verdicts.includes(run.status)) return run;
  const note = (text: string, severity: Message['severity'] = 'error'): Message => ({ severity, source: 'integrity', text });
  // the report stays visible (status, objective), but without a model to show for it: no_model
  const unconfirmed = (text: string): TargetRun => ({ ...run, failure: 'no_model', variables: {}, messages: [...run.messages, note(text)] });
  if (!exp?.model) {
    return unconfirmed(`the solve's model could not be exported (${exp?.modelError ?? 'no export'}), so its reported ${run.status} result cannot be checked`);
  }
  let m: ExportedLinear;
  try {
    m = readExport(exp.model);
  } catch (e) {
    return unconfirmed(`the exported model could not be read (${(e as Error).message}), so its reported ${run.status} result cannot be checked`);
  }
  const facts = modelFacts(m.model);
  // a solve stopped by its limit earns no answer reward; nothing to confirm
  if (run.status === 'time_limit') return { ...run, facts };
  const re = await resolve(toLpText(m), Math.max(2, timeLimitS));
  const said = `a re-solve of the exported model with HiGHS ends ${re.status}${re.objective !== null ? ` at ${re.objective}` : ''}`;
  if (run.status === 'optimal') {
    const reported = exp.solverObjective ?? run.objective;
    if (reported === null) return unconfirmed('the solver reported optimal without an objective value');
    if (re.status === 'optimal' && re.objective !== null && agree(re.objective, reported)) return { ...run, facts };
    if (re.status === 'time_limit' || re.status === 'iteration_limit') {
      const c = checkSolution(m, run.variables);
      if (c.feasible && agree(c.objective, reported)) {
        return { ...run, facts, messages: [...run.messages, note('the re-solve stopped at its limit; the reported solution satisfies the exported model and gives the reported objective', 'info')] };
      }
      return unconfirmed(`${said}, and the reported solution does not confirm the reported optimum ${reported}${c.problem ? ` (${c.problem})` : ''}`);
    }
    return unconfirmed(`${said}, not optimal at the reported ${reported}: the reported result does not belong to the model that was exported`);
  }
  const proves: Record<string, string[]> = {
    infeasible: ['infeasible'],
    unbounded: ['unbounded', 'infeasible_or_unbounded'],
    infeasible_or_unbounded: ['infeasible', 'unbounded', 'infeasible_or_unbounded'],
  };
  if ((proves[run.status] ?? []).includes(re.status)) {
    if (run.status === 'infeasible' && re.status === 'infeasible' && facts.objectiveTerms > 0 && infeasibleCore) {
      // within the run's time limit, shared with the re-solve (a constant objective fails rule (a) whatever its core)
      const core = await exportCore(m, Math.min(started + Math.max(2, timeLimitS) * 1000, performance.now() + CORE_MAX_MS), resolve);
      if (core) return { ...run, facts: { ...facts, core } };
    }
    return { ...run, facts };
  }
  return unconfirmed(`${said}: the reported ${run.status} status is not confirmed`);
}
