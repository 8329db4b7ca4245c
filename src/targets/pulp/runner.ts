// The pulp runner: the completion runs in a fresh Pyodide interpreter of its own (isolate.ts), where
// PuLP's solves are served by HiGHS in WebAssembly; the harness's report (harness.py, as on the
// sandbox server) stands only when this thread's HiGHS, re-solving the model the report exports,
// confirms it (check-export.ts, the reward-integrity rule). The interpreter is not trusted with
// anything: not its report, not its limits, not its exit.

import { failedRun, type Message, type TargetRun } from '../../verifier/outcome.ts';
import { checkedRun, type LpResolver } from '../python/check-export.ts';
import { fromHarness } from '../python/harness-report.ts';
import type { RunnerEnv, SolveOptions, TargetRunner } from '../target.ts';
import type { PyodideHost } from './isolate.ts';

/** Time the run leaves the pool for the re-solve and the report, ms. */
const WALL_MARGIN_MS = 1500;
/** The wait for an interpreter the pool allows beyond the wall clock (pulp's startAllowanceMs), less a margin. */
const START_MS = 55_000;

/** The host in Node: isolate-node.ts, imported only there (a browser's host comes through env). */
async function nodeHost(): Promise<PyodideHost> {
  const path = './isolate-node.ts';
  const { NodePyodideHost } = await import(/* @vite-ignore */ path) as typeof import('./isolate-node.ts');
  return new NodePyodideHost(1);
}

const pool = (text: string): Message => ({ severity: 'error', source: 'pool', text });

export async function createPulpRunner(env: RunnerEnv): Promise<TargetRunner> {
  let host: Promise<PyodideHost> | null = env.pyodide ? Promise.resolve(env.pyodide) : null;
  const isNode = typeof process !== 'undefined' && !!process.versions?.node && typeof (globalThis as { document?: unknown }).document === 'undefined';
  return {
    check: () => ({ ok: true, messages: [] }),
    async solve(code: string, opts: SolveOptions): Promise<TargetRun> {
      if (!host) {
        if (!isNode) return failedRun('solver_error', [pool('the pulp target needs the page\'s Python isolate, which this worker was not given')]);
        host = nodeHost();
      }
      const wallMs = Math.max(1000, (opts.wall_limit_ms ?? opts.time_limit_s * 1000 + 5000) - WALL_MARGIN_MS);
      const out = await (await host).run({
        code, cfg: { target: 'pulp', solver_time_limit: opts.time_limit_s },
        memoryBytes: opts.memory_limit_bytes, wallMs, startMs: START_MS, maxLogLines: opts.max_log_lines,
      });
      if (out.kind === 'unavailable') return failedRun('solver_error', [pool(out.detail)]);
      if (out.kind === 'timeout') return failedRun('timeout', [pool(`time limit: the code ran longer than ${(wallMs / 1000).toFixed(1)} s (wall clock) and its interpreter was stopped`)], out.log);
      if (out.kind === 'crashed') return failedRun('runtime_error', [pool(out.detail)], out.log);
      let report: unknown;
      try {
        report = JSON.parse(out.report);
      } catch {
        return failedRun('runtime_error', [pool('the interpreter\'s report could not be read')], out.log);
      }
      if (!report || typeof report !== 'object' || Array.isArray(report)) return failedRun('runtime_error', [pool('the interpreter\'s report is not an object')], out.log);
      const { exported, ...run } = fromHarness(report as Record<string, unknown>, out.log);
      const highs = env.runner('highs');
      if (!highs) return failedRun('solver_error', [pool('the pulp target re-solves with the highs runner, which this worker lacks')]);
      const resolve: LpResolver = async (text, limitS) => {
        const r = await highs.solve(text, { time_limit_s: limitS, memory_limit_bytes: opts.memory_limit_bytes, max_log_lines: 0 });
        return { status: r.failure ? 'error' : r.status, objective: r.objective };
      };
      return checkedRun({ ...run, solve_ms: run.solve_ms }, exported, opts.time_limit_s, resolve, opts.infeasible_core === true);
    },
    reset: () => {},
  };
}
