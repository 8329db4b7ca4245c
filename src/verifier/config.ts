// Every default of EVOM Web's verifier in one place (nanoGPT style: flat, overridable).
// Units are in the names: _ms milliseconds, _s seconds, _mb mebibytes, _bytes bytes.

import type { ToleranceRule } from './tolerance.ts';

export interface RewardWeights {
  /** paid when the completion follows the protocol and holds exactly one non-empty code block */
  format: number;
  /** paid when the solver's answer is correct under the tolerance rule */
  answer: number;
  /** paid when the model parsed and the solver ran to a definite status (optimal, infeasible or unbounded) */
  exec: number;
}

export type ProtocolStrictness = 'strict' | 'lenient';

export interface VerifierConfig {
  /** hard wall-clock limit of one verification, enforced by terminating the worker (EVOM: 10 s) */
  wall_limit_ms: number;
  /** time limit handed to the solver itself; below the wall limit so the solver can stop cleanly */
  solver_time_limit_s: number;
  /** ceiling on the wasm memory a solver instance may grow to during one run */
  memory_limit_mb: number;
  /** longest model text accepted (bytes of the extracted code block) */
  max_code_bytes: number;
  /** longest completion read at all (characters); extraction is linear, this bounds its time */
  max_completion_bytes: number;
  /** largest number of solver log lines kept in an outcome */
  max_log_lines: number;
  tolerance: ToleranceRule;
  reward: RewardWeights;
  /** strict: only `<code>…</code>`; lenient: also a single fenced block */
  protocol: ProtocolStrictness;
}

export const DEFAULTS: VerifierConfig = {
  wall_limit_ms: 10_000,
  solver_time_limit_s: 8,
  memory_limit_mb: 1024,
  max_code_bytes: 4 * 1024 * 1024,
  max_completion_bytes: 8 * 1024 * 1024,
  max_log_lines: 200,
  tolerance: 'rel5pct',
  // EVOM: R = r_format + r_answer. Execution is not paid by default.
  reward: { format: 1, answer: 1, exec: 0 },
  protocol: 'lenient',
};

export function resolveConfig(overrides: Partial<VerifierConfig> = {}): VerifierConfig {
  return { ...DEFAULTS, ...overrides, reward: { ...DEFAULTS.reward, ...(overrides.reward ?? {}) } };
}
