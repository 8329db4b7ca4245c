// From a target's run to the outcome class, correctness and scalar reward.
// R = w_format·format_ok + w_answer·correct + w_exec·executed   (EVOM: w_exec = 0)

import type { RewardWeights } from './config.ts';
import type { Answer, OutcomeClass, RewardBreakdown, SolverStatus, TargetRun } from './outcome.ts';
import { withinTolerance, type ToleranceRule } from './tolerance.ts';

/** Class of a run whose completion was well-formed. */
export function classifyRun(run: TargetRun, expected: Answer, rule: ToleranceRule): OutcomeClass {
  if (run.failure) return run.failure;
  return classifyStatus(run.status, run.objective, expected, rule);
}

export function classifyStatus(status: SolverStatus, objective: number | null, expected: Answer, rule: ToleranceRule): OutcomeClass {
  switch (status) {
    case 'optimal':
      if (expected === 'infeasible') return 'wrong_answer';
      return objective !== null && withinTolerance(objective, expected, rule) ? 'correct' : 'wrong_answer';
    case 'infeasible':
      // An expected-infeasible item is correct only when the solver proves infeasibility.
      return expected === 'infeasible' ? 'correct' : 'infeasible';
    case 'unbounded': return 'unbounded';
    // Not a proof of infeasibility, so never correct.
    case 'infeasible_or_unbounded': return 'infeasible';
    case 'time_limit': return 'timeout';
    case 'iteration_limit':
    case 'error':
    case 'not_solved': return 'solver_error';
  }
}

/** The model parsed and the solver reached a definite status. */
export function executed(cls: OutcomeClass): boolean {
  return cls === 'correct' || cls === 'wrong_answer' || cls === 'infeasible' || cls === 'unbounded';
}

export function computeReward(cls: OutcomeClass, weights: RewardWeights): { reward: number; breakdown: RewardBreakdown } {
  const format = cls === 'format_error' ? 0 : 1;
  const answer = cls === 'correct' ? 1 : 0;
  const exec = executed(cls) ? 1 : 0;
  const reward = weights.format * format + weights.answer * answer + weights.exec * exec;
  return { reward, breakdown: { format, answer, exec, weights } };
}

/** Parse an expected answer from the command line or a data file: a number, or "infeasible". */
export function parseAnswer(raw: unknown): Answer {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (s === 'infeasible') return 'infeasible';
    if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  }
  throw new Error(`expected answer must be a finite number or "infeasible", got ${JSON.stringify(raw)}`);
}
