// The one scoring path: a completion's code and a target's run → the outcome's class, correctness
// and scalar reward. The pool, the remote client, the sandbox server and verifyInThread all call
// prepare() and score(); nothing else classifies.
//   R = w_format·format_ok + w_answer·correct + w_exec·executed   (EVOM: w_exec = 0)

import type { RewardWeights, VerifierConfig } from './config.ts';
import { failedRun, type Answer, type Message, type Outcome, type OutcomeClass, type RewardBreakdown, type SolverStatus, type TargetRun } from './outcome.ts';
import { infeasibilityProblem, integrityProblem } from './integrity.ts';
import { extractCode } from './protocol.ts';
import { targetModule } from '../targets/registry.ts';
import type { TargetRunner } from '../targets/target.ts';
import { withinTolerance, type ToleranceRule } from './tolerance.ts';

/** One verification request; plain data so it crosses worker and network boundaries. */
export interface VerifyJob {
  completion: string;
  target: string;
  answer: Answer;
  /** treat `completion` as bare model code (no protocol extraction) */
  raw_code?: boolean;
  /** the problem's text: numbers it states may appear in the model (the integrity rule) */
  question?: string;
  config?: Partial<VerifierConfig>;
}

/** A job before any solver: its code, or the run that ended it (format error, code over the size limit). */
export type Prepared =
  | { ok: true; code: string }
  | { ok: false; code: string | null; run: TargetRun; messages: Message[] };

/** Extract the model code (the protocol, unless raw_code) and apply the size limits. `runner`, the
 *  target's in this thread when there is one, lets lenient extraction pick the fence that parses. */
export function prepare(job: VerifyJob, cfg: VerifierConfig, runner?: Pick<TargetRunner, 'check'>): Prepared {
  let code = job.completion;
  if (typeof code === 'string' && code.length > cfg.max_completion_bytes) {
    return { ok: false, code: null, run: failedRun('parse_error', []), messages: [{ severity: 'error', source: 'protocol', text: `the completion is ${code.length} characters; the limit is ${cfg.max_completion_bytes}` }] };
  }
  if (!job.raw_code) {
    const ex = extractCode(job.completion, {
      strictness: cfg.protocol,
      fences: targetModule(job.target)?.fences ?? [],
      ...(runner ? { parses: (c: string) => runner.check(c).ok } : {}),
    });
    if (!ex.ok) return { ok: false, code: null, run: failedRun('parse_error', []), messages: [{ severity: 'error', source: 'protocol', text: ex.reason }] };
    code = ex.code;
  }
  if (code.length > cfg.max_code_bytes) {
    return { ok: false, code, run: failedRun('parse_error', [{ severity: 'error', source: 'checker', text: `the model is ${code.length} bytes; the limit is ${cfg.max_code_bytes}` }]), messages: [] };
  }
  return { ok: true, code };
}

/**
 * The outcome of a job: `code` is the executed model text (null when none could be extracted: a
 * format error), `run` what the target reported, `extra` messages placed before the run's,
 * `started` the job's start (performance.now(), ms).
 */
export function score(job: VerifyJob, cfg: VerifierConfig, code: string | null, run: TargetRun, started: number, extra: Message[] = []): Outcome {
  let cls = code === null ? 'format_error' : classifyRun(run, job.answer, cfg.tolerance);
  const integrity: Message[] = [];
  if (code !== null && run.failure === null && run.status === 'optimal' && job.answer !== 'infeasible') {
    // The answer reward needs a model the solver optimized (integrity.ts). A constant objective is
    // no model whatever its value; a stated answer matters only where it would have been paid.
    const why = integrityProblem(run.facts, job.answer, cfg.tolerance, job.question);
    if (why && (cls === 'correct' || run.facts?.objectiveTerms === 0)) {
      cls = 'no_model';
      integrity.push({ severity: 'error', source: 'integrity', text: why });
    }
  }
  if (code !== null && cls === 'correct' && run.status === 'infeasible' && job.answer === 'infeasible') {
    // An infeasibility verdict is paid only when it rests on the problem's data (integrity.ts, the
    // infeasibility rule): a variable objective, and an infeasible core with a row of several
    // variables and a number of the problem's text.
    const why = infeasibilityProblem(run.facts, job.question);
    if (why) {
      cls = 'no_model';
      integrity.push({ severity: 'error', source: 'integrity', text: why });
    }
  }
  const { reward, breakdown } = computeReward(cls, cfg.reward);
  return {
    class: cls, correct: cls === 'correct', reward, reward_breakdown: breakdown,
    status: run.status, objective: run.objective, variables: run.variables,
    messages: [...extra, ...run.messages, ...integrity], log: run.log,
    target: job.target, expected: job.answer, tolerance: cfg.tolerance, code,
    solve_ms: run.solve_ms, wall_ms: performance.now() - started,
  };
}

/** The outcome of a job that ended before a runner reported: the pool, the network or a missing target. */
export function failedOutcome(job: VerifyJob, cfg: VerifierConfig, code: string, failure: NonNullable<TargetRun['failure']>, text: string, started: number): Outcome {
  return score(job, cfg, code, failedRun(failure, [{ severity: 'error', source: 'pool', text }]), started);
}

/** The outcome of a job whose code could not be run at all (no server took it): no verdict, no reward. */
export function notEvaluatedOutcome(job: VerifyJob, cfg: VerifierConfig, code: string, text: string, started: number): Outcome {
  const o = score(job, cfg, code, failedRun('solver_error', [{ severity: 'error', source: 'pool', text }]), started);
  const { reward, breakdown } = computeReward('not_evaluated', cfg.reward);
  return { ...o, class: 'not_evaluated', correct: false, reward, reward_breakdown: breakdown, status: 'not_solved' };
}

/** The TargetRun inside an outcome (what a remote server's outcome carries, plus its failure). */
export function runOf(o: Pick<Outcome, 'status' | 'objective' | 'variables' | 'messages' | 'log' | 'solve_ms'> & Pick<TargetRun, 'facts'> & { failure?: TargetRun['failure'] }): TargetRun {
  // the server's own integrity messages are dropped: score() judges the facts again here
  const messages = (o.messages ?? []).filter((m) => m.source !== 'integrity');
  return { failure: o.failure ?? null, status: o.status, objective: o.objective, variables: o.variables ?? {}, messages, log: o.log ?? [], solve_ms: o.solve_ms ?? 0, ...(o.facts ? { facts: o.facts } : {}) };
}

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

/** The model parsed and the solver reached a definite status (a no_model run counts as not executed:
 *  it pays nothing beyond the format reward). */
export function executed(cls: OutcomeClass): boolean {
  return cls === 'correct' || cls === 'wrong_answer' || cls === 'infeasible' || cls === 'unbounded';
}

export function computeReward(cls: OutcomeClass, weights: RewardWeights): { reward: number; breakdown: RewardBreakdown } {
  const format = cls === 'format_error' || cls === 'not_evaluated' ? 0 : 1;
  const answer = cls === 'correct' ? 1 : 0;
  const exec = executed(cls) ? 1 : 0;
  const reward = weights.format * format + weights.answer * answer + weights.exec * exec;
  return { reward, breakdown: { format, answer, exec, weights } };
}
