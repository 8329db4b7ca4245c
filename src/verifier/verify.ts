// Verify one completion in this thread: prepare (extract the code) → the target's runner checks
// and solves it → score. The verifier workers run `runCode`; the pool prepares and scores around it.

import { resolveConfig, type VerifierConfig } from './config.ts';
import { failedRun, type Outcome, type TargetRun } from './outcome.ts';
import { prepare, score, type VerifyJob } from './score.ts';
import { errorText } from '../targets/solve-guard.ts';
import type { Runners } from '../targets/runners.ts';

export type { VerifyJob } from './score.ts';

/** What a verifier worker runs: code already extracted, for one target. */
export interface RunJob {
  code: string;
  target: string;
  config?: Partial<VerifierConfig>;
  /** the expected answer is 'infeasible': an infeasible run's core is sought (integrity.ts) */
  infeasibleCore?: boolean;
}

/** Run extracted code on a target's runner. Never throws. */
export async function runCode(job: RunJob, runners: Runners): Promise<TargetRun> {
  const cfg = resolveConfig(job.config);
  const runner = runners[job.target];
  if (!runner) {
    // Callers validate target names; reaching here means a programming error upstream.
    return failedRun('solver_error', [{ severity: 'error', source: 'pool', text: `unknown target "${job.target}"; known: ${Object.keys(runners).join(', ')}` }]);
  }
  try {
    return await runner.solve(job.code, {
      time_limit_s: cfg.solver_time_limit_s,
      memory_limit_bytes: cfg.memory_limit_mb * 1048576,
      max_log_lines: cfg.max_log_lines,
      wall_limit_ms: cfg.wall_limit_ms,
      ...(job.infeasibleCore ? { infeasible_core: true } : {}),
    });
  } catch (e) {
    runner.reset();
    return failedRun('solver_error', [{ severity: 'error', source: 'solver', text: `the ${job.target} target failed: ${errorText(e)}` }]);
  }
}

/** Verify one completion in this thread. Never throws. */
export async function verifyInThread(job: VerifyJob, runners: Runners): Promise<Outcome> {
  const started = performance.now();
  const cfg = resolveConfig(job.config);
  const p = prepare(job, cfg, runners[job.target]);
  if (!p.ok) return score(job, cfg, p.code, p.run, started, p.messages);
  return score(job, cfg, p.code, await runCode({ code: p.code, target: job.target, config: job.config, infeasibleCore: job.answer === 'infeasible' }, runners), started);
}
