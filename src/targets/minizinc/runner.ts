// The 'minizinc' runners: MiniZinc compiles the completion to FlatZinc for the chosen backend, and
// the host judges what the solver received (flatzinc.ts), never what the model prints:
//   highs (default)  the FlatZinc is linear (MiniZinc's MIP library): the host re-solves it as LP
//                    text with its own HiGHS (the 'highs' target's runner), as the sandbox server
//                    re-solves a Python run's exported model; an infeasible run's core as there
//   cbc, gecode,     MiniZinc's backend solves the FlatZinc, with the objective variable marked
//   chuffed          for output; status and objective come from the solver's own output
// Each run starts a fresh MiniZinc instance (engine.ts): nothing carries from one run to the next.

import { MAX_OUTPUT_BYTES, MiniZincEngine, type MznMessage, type MznRun } from './engine.ts';
import { FlatZincError, factsModel, linearize, lpOf, markOutput, objectiveVariable, parseFlatZinc, readDzn, type FlatZinc, type LinearFzn } from './flatzinc.ts';
import { toLpText } from '../highs/lp-writer.ts';
import { CORE_MAX_MS, CORE_QUESTION_MS, infeasibleCore, modelFacts, relaxedModel, type ModelFacts } from '../../verifier/integrity.ts';
import { failedRun, type Message, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import { memoryCeilingHits } from '../memory-ceiling.ts';
import { capVariables, errorText, guardedSolve, type Guard } from '../solve-guard.ts';
import type { AssetLoader, SolveOptions, TargetRunner } from '../target.ts';

export type MiniZincBackend = 'highs' | 'cbc' | 'gecode' | 'chuffed';

const MODEL = 'model.mzn';
const FZN = 'model.fzn';

// MiniZinc's JSON-stream status → normalized status
const STATUS: Record<string, SolverStatus> = {
  OPTIMAL_SOLUTION: 'optimal', ALL_SOLUTIONS: 'optimal', UNSATISFIABLE: 'infeasible', UNBOUNDED: 'unbounded',
  UNSAT_OR_UNBOUNDED: 'infeasible_or_unbounded', ERROR: 'error',
};

// error kinds MiniZinc reports before flattening: the text is not a valid model
/** the largest integer magnitude of the CP backends (Gecode: 2^31 - 2) */
const CP_INT_LIMIT = 2147483646;

const PARSE_KINDS = new Set(['syntax error', 'type error', 'include error', 'cyclic include error']);

/** A MiniZinc error or warning as a Message, placed at its line in the completion's model. */
function toMessage(m: MznMessage, severity: 'error' | 'warning'): Message {
  const frames = [m.location, ...(m.stack ?? []).map((s) => s.location)].filter((l): l is NonNullable<typeof l> => !!l);
  const here = frames.find((l) => l.filename === MODEL);
  const what = m.what ? `${m.what}: ` : '';
  const desc = m.stack?.find((s) => s.location?.filename === MODEL)?.description;
  return {
    severity, source: 'solver',
    text: `MiniZinc ${what}${m.message ?? 'failed'}${desc ? ` (in ${desc})` : ''}`,
    ...(here?.firstLine ? { line: here.firstLine, column: here.firstColumn } : {}),
  };
}

/** Static check without the solver (lenient extraction picks a block that passes it). */
function checkText(code: string): { ok: boolean; messages: Message[] } {
  if (!/\bsolve\b/.test(code.replace(/%[^\n]*/g, ''))) {
    return { ok: false, messages: [{ severity: 'error', source: 'checker', text: 'a MiniZinc model needs a solve item: solve maximize <expression>; or solve minimize <expression>;' }] };
  }
  return { ok: true, messages: [] };
}

/** The values of the model's own variables (output_var and output arrays, as x[1], x[2], …). */
function reportedVariables(fzn: FlatZinc, value: (name: string) => number | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of fzn.vars.values()) {
    if (!v.output) continue;
    const x = value(v.name);
    if (x !== undefined) out[v.name] = x;
  }
  for (const [name, members] of fzn.outputArrays) {
    members.forEach((m, i) => {
      const x = value(`${name}[${i + 1}]`) ?? (typeof m === 'number' ? m : typeof m === 'boolean' ? Number(m) : m && typeof m === 'object' && 'ref' in m ? value(m.ref) : undefined);
      if (x !== undefined) out[`${name}[${i + 1}]`] = x;
    });
  }
  return out;
}

/** one engine (one compiled wasm) per thread and asset loader, shared by the backends */
const engines = new WeakMap<AssetLoader, MiniZincEngine>();

export function createMiniZincRunner(asset: AssetLoader, backend: MiniZincBackend, highs: () => TargetRunner | undefined): TargetRunner {
  let engine = engines.get(asset);
  if (!engine) { engine = new MiniZincEngine(asset); engines.set(asset, engine); }
  const mzn = engine;
  /** a MiniZinc call that aborted (memory, flood) or failed, as a failed run; null when it went well */
  function failure(r: MznRun, g: Guard, hitsBefore: number, opts: SolveOptions, messages: Message[]): TargetRun | null {
    if (r.flooded) return g.fail('runtime_error', `the model wrote more than ${MAX_OUTPUT_BYTES / 1048576} MiB of output (trace or output items in a loop)`);
    if (memoryCeilingHits() > hitsBefore) return g.fail('runtime_error', `the model needs more than the ${Math.round(opts.memory_limit_bytes / 1048576)} MiB memory limit`);
    const errors = r.messages.filter((m) => m.type === 'error');
    if (errors.length) {
      messages.push(...errors.slice(0, 20).map((m) => toMessage(m, 'error')));
      const parse = errors.some((m) => PARSE_KINDS.has(m.what ?? ''));
      return { ...failedRun(parse ? 'parse_error' : 'runtime_error', messages, g.log.lines()), solve_ms: g.elapsed() };
    }
    if (r.abort && /call stack|too much recursion/i.test(r.abort)) return g.fail('runtime_error', 'MiniZinc ran out of stack: the model recurses too deeply');
    if (r.code !== 0) {
      if (g.elapsed() >= opts.time_limit_s * 1000) return g.fail('timeout', `MiniZinc reached the ${opts.time_limit_s} s time limit`);
      const detail = r.abort ?? r.log.filter((l) => !/^%/.test(l)).slice(-3).join(' ');
      return g.fail('solver_error', `MiniZinc failed (exit ${r.code})${detail ? `: ${detail}` : ''}`);
    }
    return null;
  }

  /** The core of an infeasible linear model (integrity.ts, rule (c)), each question a HiGHS solve of
   *  the relaxed model; only where it decides the reward (a variable objective, 'infeasible' expected). */
  async function addCore(lin: LinearFzn, facts: ModelFacts, opts: SolveOptions, g: Guard, h: TargetRunner | undefined): Promise<void> {
    if (!h || !opts.infeasible_core || facts.objectiveTerms === 0 || lin.nonlinear.length > 0) return;
    const lp = lpOf(lin);
    const end = Math.min(opts.time_limit_s * 1000, g.elapsed() + CORE_MAX_MS);
    const base = { ...lp.model, objective: [], objectiveConstant: 0 };
    const core = await infeasibleCore(base, async (rows, bounds) => {
      const r = relaxedModel(base, rows, bounds);
      const text = toLpText({ sense: 'min', model: r, columns: lp.columns.map((c, j) => ({ ...c, lo: r.cols[j]!.lo, hi: r.cols[j]!.hi })) });
      const q = await h.solve(text, { ...opts, time_limit_s: Math.min(CORE_QUESTION_MS, end - g.elapsed()) / 1000, infeasible_core: false });
      return q.status === 'infeasible' ? true : q.status === 'optimal' ? false : null;
    }, () => end - g.elapsed());
    if (core) facts.core = core;
  }

  /** The HiGHS re-solve of a linear FlatZinc model (and the core of an infeasible one). */
  async function solveLinear(fzn: FlatZinc, lin: LinearFzn, facts: ModelFacts, opts: SolveOptions, g: Guard, messages: Message[]): Promise<TargetRun> {
    const h = highs();
    if (!h) return g.fail('solver_error', 'the highs target is not registered in this worker: the MiniZinc HiGHS backend re-solves with it');
    const lp = lpOf(lin);
    const run = await h.solve(toLpText(lp), { ...opts, time_limit_s: Math.max(0.1, opts.time_limit_s - g.elapsed() / 1000), infeasible_core: false });
    if (run.failure) {
      return { ...run, messages: [...messages, ...run.messages.map((m) => ({ ...m, text: `${m.text} (HiGHS on the FlatZinc MiniZinc produced)`, line: undefined, column: undefined }))], solve_ms: g.elapsed() };
    }
    const byLpName = new Map(lp.columns.map((c, j) => [c.name, `x${j + 1}`]));
    const variables = reportedVariables(fzn, (name) => run.variables[byLpName.get(name) ?? '']);
    if (run.status === 'infeasible') await addCore(lin, facts, opts, g, h);
    const satisfy = lin.sense === 'satisfy';
    return {
      failure: null, status: run.status,
      objective: satisfy ? null : run.objective,
      variables: capVariables(variables), messages,
      log: g.log.lines(), solve_ms: g.elapsed(), facts,
    };
  }

  /** MiniZinc's own backend on the FlatZinc, its objective variable marked for output. */
  async function solveWithBackend(fzn: FlatZinc, lin: LinearFzn, text: string, facts: ModelFacts, opts: SolveOptions, g: Guard, messages: Message[], hitsBefore: number): Promise<TargetRun> {
    const ov = objectiveVariable(fzn);
    const marked = ov ? markOutput(text, ov) : text;
    const leftMs = Math.max(100, Math.floor(opts.time_limit_s * 1000 - g.elapsed()));
    const r = await mzn.run(['--solver', backend, '--time-limit', String(leftMs), FZN], { [FZN]: marked }, [], g.log.push);
    const failed = failure(r, g, hitsBefore, opts, messages);
    if (failed) return failed;
    const solutions = r.messages.filter((m) => m.type === 'solution');
    const last = solutions.at(-1);
    const values = last ? readDzn(String((last.output as { dzn?: string } | undefined)?.dzn ?? '')) : {};
    const said = r.messages.filter((m) => m.type === 'status').at(-1)?.status;
    let status: SolverStatus;
    if (said && STATUS[said]) status = STATUS[said]!;
    else if (last) status = fzn.solve.kind === 'satisfy' ? 'optimal' : 'time_limit'; // a solution, optimality not proven
    else status = g.elapsed() >= opts.time_limit_s * 1000 * 0.95 ? 'time_limit' : 'not_solved';
    let objective = ov && last && values[ov] !== undefined ? values[ov]! : fzn.solve.kind !== 'satisfy' && !ov && last ? Number((fzn.solve as { objective: unknown }).objective) : null;
    if (objective !== null && Math.abs(objective) >= CP_INT_LIMIT) {
      // Gecode and Chuffed give an unbounded integer variable the largest range they have
      messages.push({ severity: 'warning', source: 'solver', text: `${backend} reached its integer limit (${objective}): the objective is unbounded in the model` });
      status = 'unbounded';
      objective = null;
    }
    if (status === 'time_limit') messages.push({ severity: 'warning', source: 'solver', text: `${backend} stopped at the ${opts.time_limit_s} s time limit ${last ? 'before proving its best solution optimal' : 'without a solution'}` });
    if (status === 'infeasible') await addCore(lin, facts, opts, g, highs());
    return {
      failure: null, status, objective: status === 'optimal' || status === 'time_limit' ? objective : null,
      variables: capVariables(reportedVariables(fzn, (n) => values[n])), messages, log: g.log.lines(), solve_ms: g.elapsed(), facts,
    };
  }

  return {
    check: (code) => checkText(code),

    async solve(code, opts): Promise<TargetRun> {
      const checked = checkText(code);
      if (!checked.ok) return failedRun('parse_error', checked.messages);
      const messages: Message[] = [];
      const hooks = { attach: () => {}, discard: () => {} };
      return guardedSolve(opts, messages, hooks, async (g) => {
        const hitsBefore = memoryCeilingHits();
        const compiled = await mzn.run(['--solver', backend, '-c', '--fzn', FZN, '--time-limit', String(Math.floor(opts.time_limit_s * 1000)), MODEL], { [MODEL]: code }, [FZN], g.log.push);
        const failed = failure(compiled, g, hitsBefore, opts, messages);
        if (failed) return failed;
        messages.push(...compiled.messages.filter((m) => m.type === 'warning').slice(0, 20).map((m) => toMessage(m, 'warning')));
        const text = compiled.outputFiles[FZN];
        if (!text) return g.fail('solver_error', 'MiniZinc wrote no FlatZinc');
        let fzn: FlatZinc;
        try {
          fzn = parseFlatZinc(text);
        } catch (e) {
          return g.fail('solver_error', `the FlatZinc MiniZinc wrote could not be read: ${e instanceof FlatZincError ? e.message : errorText(e)}`);
        }
        const lin = linearize(fzn);
        const facts = modelFacts(factsModel(fzn, lin));
        const run = backend === 'highs' && lin.nonlinear.length === 0
          ? await solveLinear(fzn, lin, facts, opts, g, messages)
          : await solveWithBackend(fzn, lin, text, facts, opts, g, messages, hitsBefore);
        if (fzn.solve.kind === 'satisfy' && run.failure === null && run.status === 'optimal') {
          // a solution, but nothing optimized: no answer to compare
          return { ...run, failure: 'no_model', messages: [...run.messages, { severity: 'error', source: 'checker', text: 'the model says "solve satisfy;": it has no objective to compare with the answer. Write solve maximize <expression>; or solve minimize <expression>;' }] };
        }
        return run;
      }, (e, g) => g.fail('solver_error', `MiniZinc failed: ${errorText(e)}`));
    },

    reset() {},
  };
}
