// Verify one completion in this thread: extract the code → the target checks and solves it →
// class, correctness, reward. The worker pool runs this inside workers; it never throws.

import { resolveConfig, type VerifierConfig } from './config.ts';
import { extractCode } from './protocol.ts';
import { failedRun, type Answer, type Message, type Outcome, type TargetRun } from './outcome.ts';
import { classifyRun, computeReward } from './score.ts';
import { now, type Target } from '../targets/target.ts';

/** One verification request; plain data so it crosses worker boundaries. */
export interface VerifyJob {
  completion: string;
  target: string;
  answer: Answer;
  /** treat `completion` as bare model code (no protocol extraction) */
  raw_code?: boolean;
  config?: Partial<VerifierConfig>;
}

export type TargetRegistry = Record<string, Target>;

export function outcomeFrom(
  job: VerifyJob, cfg: VerifierConfig, code: string | null, run: TargetRun, extra: Message[], started: number,
): Outcome {
  const cls = code === null ? 'format_error' : classifyRun(run, job.answer, cfg.tolerance);
  const { reward, breakdown } = computeReward(cls, cfg.reward);
  return {
    class: cls, correct: cls === 'correct', reward, reward_breakdown: breakdown,
    status: run.status, objective: run.objective, variables: run.variables,
    messages: [...extra, ...run.messages], log: run.log,
    target: job.target, expected: job.answer, tolerance: cfg.tolerance, code,
    solve_ms: run.solve_ms, wall_ms: now() - started,
  };
}

export async function verifyInThread(job: VerifyJob, targets: TargetRegistry): Promise<Outcome> {
  const started = now();
  const cfg = resolveConfig(job.config);
  const target = targets[job.target];
  if (!target) {
    // Callers validate target names; reaching here means a programming error upstream.
    const msg: Message = { severity: 'error', source: 'pool', text: `unknown target "${job.target}"; known: ${Object.keys(targets).join(', ')}` };
    return outcomeFrom(job, cfg, '', failedRun('solver_error', [msg]), [], started);
  }
  let code: string;
  if (job.raw_code) {
    code = job.completion;
  } else {
    const ex = extractCode(job.completion, cfg.protocol);
    if (!ex.ok) {
      const msg: Message = { severity: 'error', source: 'protocol', text: ex.reason };
      return outcomeFrom(job, cfg, null, failedRun('parse_error', []), [msg], started);
    }
    code = ex.code;
  }
  if (code.length > cfg.max_code_bytes) {
    const msg: Message = { severity: 'error', source: 'checker', text: `the model is ${code.length} bytes; the limit is ${cfg.max_code_bytes}` };
    return outcomeFrom(job, cfg, code, failedRun('parse_error', [msg]), [], started);
  }
  let run: TargetRun;
  try {
    run = await target.solve(code, {
      time_limit_s: cfg.solver_time_limit_s,
      memory_limit_bytes: cfg.memory_limit_mb * 1048576,
      max_log_lines: cfg.max_log_lines,
    });
  } catch (e) {
    target.reset();
    run = failedRun('solver_error', [{ severity: 'error', source: 'solver', text: `the ${target.name} target failed: ${String((e as Error)?.message ?? e).slice(0, 300)}` }]);
  }
  return outcomeFrom(job, cfg, code, run, [], started);
}
