// The harness's report (harness.py's one JSON object) as a TargetRun, read defensively: the code ran
// in the same interpreter as the harness, so every field may be forged or malformed. What stands is
// decided afterwards by check-export.ts.

import { failedRun, type Message, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import type { HarnessExport } from './check-export.ts';
import type { ExportedModel } from './exported-model.ts';

const STATUSES: readonly SolverStatus[] = ['optimal', 'infeasible', 'unbounded', 'infeasible_or_unbounded', 'time_limit', 'iteration_limit', 'error', 'not_solved'];
const FAILURES = ['parse_error', 'runtime_error', 'solver_error', 'timeout', 'no_model'] as const;

function finiteOrNull(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

function toMessages(v: unknown): Message[] {
  if (!Array.isArray(v)) return [];
  const out: Message[] = [];
  for (const m of v.slice(0, 50)) {
    if (!m || typeof m !== 'object') continue;
    const o = m as Record<string, unknown>;
    const severity = o.severity === 'error' || o.severity === 'warning' ? o.severity : 'info';
    const source = o.source === 'checker' || o.source === 'pool' || o.source === 'protocol' ? o.source : 'solver';
    const msg: Message = { severity, source, text: String(o.text ?? '').slice(0, 2000) };
    const line = finiteOrNull(o.line);
    const column = finiteOrNull(o.column);
    if (line !== null && line > 0) msg.line = Math.floor(line);
    if (column !== null && column > 0) msg.column = Math.floor(column);
    out.push(msg);
  }
  return out;
}

/** The harness's report of a run, before it is checked (check-export.ts): `exported` is what
 *  the harness says about the last solve's model. Never scored as it is. */
export interface HarnessRun extends TargetRun {
  exported?: HarnessExport;
}

export function fromHarness(r: Record<string, unknown>, log: string[]): HarnessRun {
  const failure = (FAILURES as readonly unknown[]).includes(r.failure) ? r.failure as NonNullable<TargetRun['failure']> : null;
  const status = (STATUSES as readonly unknown[]).includes(r.status) ? r.status as SolverStatus : 'error';
  const variables: Record<string, number> = {};
  if (r.variables && typeof r.variables === 'object') {
    for (const [k, v] of Object.entries(r.variables as Record<string, unknown>).slice(0, 1000)) {
      const f = finiteOrNull(v);
      if (f !== null) variables[k.slice(0, 200)] = f;
    }
  }
  const run: TargetRun = {
    failure, status: failure ? failedRun(failure, []).status : status,
    objective: failure ? null : finiteOrNull(r.objective), variables: failure ? {} : variables,
    messages: toMessages(r.messages), log, solve_ms: Math.max(0, finiteOrNull(r.solve_ms) ?? 0),
  };
  if (!failure && status === 'optimal' && run.objective === null) {
    run.status = 'error';
    run.messages.push({ severity: 'error', source: 'solver', text: 'the solver reported optimal but no finite objective value' });
  }
  const model = r.model && typeof r.model === 'object' ? r.model as ExportedModel : undefined;
  const exported: HarnessExport = {
    solverObjective: finiteOrNull(r.solver_objective),
    ...(model ? { model } : {}),
    ...(typeof r.model_error === 'string' ? { modelError: r.model_error.slice(0, 500) } : {}),
  };
  return { ...run, exported };
}
