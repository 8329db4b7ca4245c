// The verdict on one completion: its class, the solver's normalized status, the reward and why.

import { EvomError } from '../errors.ts';
import type { RewardWeights } from './config.ts';
import type { ModelFacts } from './integrity.ts';
import type { ToleranceRule } from './tolerance.ts';

export const OUTCOME_CLASSES = [
  'correct', 'wrong_answer', 'no_model', 'format_error', 'parse_error', 'runtime_error',
  'timeout', 'infeasible', 'unbounded', 'solver_error', 'not_evaluated',
] as const;
/** 'not_evaluated': the code never ran (no sandbox server took it, the pool was closed). Not a verdict
 *  on the completion: evaluations count it apart and training gives it no advantage. */
export type OutcomeClass = (typeof OUTCOME_CLASSES)[number];

/** The solver's status, the same words for every target. */
export type SolverStatus =
  | 'optimal' | 'infeasible' | 'unbounded' | 'infeasible_or_unbounded'
  | 'time_limit' | 'iteration_limit' | 'error' | 'not_solved';

/** Expected answer: an objective value, or 'infeasible' for items with no feasible solution. */
export type Answer = number | 'infeasible';

export interface Message {
  severity: 'error' | 'warning' | 'info';
  /** where it came from: the completion protocol, a target's checker, the solver, the worker pool,
   *  the integrity rule (src/verifier/integrity.ts) */
  source: 'protocol' | 'checker' | 'solver' | 'pool' | 'integrity';
  text: string;
  /** 1-based line in the extracted model text, where known */
  line?: number;
  column?: number;
}

export interface RewardBreakdown {
  format: number;   // 0|1: protocol followed, one non-empty code block
  answer: number;   // 0|1: correct under the tolerance rule
  exec: number;     // 0|1: parsed and solved to a definite status
  weights: RewardWeights;
}

export interface Outcome {
  class: OutcomeClass;
  correct: boolean;
  reward: number;
  reward_breakdown: RewardBreakdown;
  status: SolverStatus;
  objective: number | null;
  /** variable name → value (at most config.max_variables entries) */
  variables: Record<string, number>;
  messages: Message[];
  /** solver log lines (capped) */
  log: string[];
  target: string;
  expected: Answer;
  tolerance: ToleranceRule;
  /** the model text that was executed, or null when none could be extracted */
  code: string | null;
  /** time in the solver proper, and end to end including extraction, checks and transfer */
  solve_ms: number;
  wall_ms: number;
}

/** What a target reports after checking and solving a model. */
export interface TargetRun {
  /** set when the run failed before the solver produced a status; 'no_model' when no model the
   *  solver optimized can be shown (nothing was solved, or a report that its model does not confirm) */
  failure: null | 'parse_error' | 'runtime_error' | 'solver_error' | 'timeout' | 'no_model';
  status: SolverStatus;
  objective: number | null;
  variables: Record<string, number>;
  messages: Message[];
  log: string[];
  solve_ms: number;
  /** the numbers of the model the solver optimized (integrity.ts); absent when nothing was solved */
  facts?: ModelFacts;
}

export function failedRun(failure: NonNullable<TargetRun['failure']>, messages: Message[], log: string[] = []): TargetRun {
  return {
    failure, status: failure === 'timeout' ? 'time_limit' : failure === 'solver_error' ? 'error' : 'not_solved',
    objective: null, variables: {}, messages, log, solve_ms: 0,
  };
}

/** Parse an expected answer from the command line or a data file: a number, or "infeasible". */
export function parseAnswer(raw: unknown): Answer {
  if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
  if (typeof raw === 'string') {
    const s = raw.trim().toLowerCase();
    if (s === 'infeasible') return 'infeasible';
    if (s !== '' && Number.isFinite(Number(s))) return Number(s);
  }
  throw new AnswerError(raw);
}

/** An expected answer that is neither a finite number nor "infeasible". */
export class AnswerError extends EvomError {
  constructor(raw: unknown) { super(`expected answer must be a finite number or "infeasible", got ${JSON.stringify(raw)}`, 'bad_answer'); }
}
