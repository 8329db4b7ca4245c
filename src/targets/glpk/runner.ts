// The 'glpk' runner: GNU MathProg (GMPL) with an optional data section, solved by GLPK 5.0 in
// WebAssembly. npm glpk.js has no MathProg translator, so this uses glpk-wasm's `full` build
// (GLPK's C API compiled with Emscripten) through the small wrapper below.
// MathProg errors come back from GLPK itself with line numbers ("model.mod:2: y not defined").

import loadGlpk from 'glpk-wasm/full';
import { failedRun, type Message, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import { capVariables, errorText, guardedSolve, LogBuffer, type Guard } from '../solve-guard.ts';
import type { SolveOptions, TargetRunner, WasmSource } from '../target.ts';
import { modelFacts, type SolvedModel } from '../../verifier/integrity.ts';

/** The slice of GLPK's C API we call (pointers are numbers into the wasm heap). */
interface GlpkModule {
  FS: { writeFile(path: string, data: string): void };
  _malloc(n: number): number;
  _free(p: number): void;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, p: number, n: number): void;
  UTF8ToString(p: number): string;
  setValue(p: number, v: number, type: 'i32' | 'double'): void;
  getValue(p: number, type: 'i32' | 'double'): number;
  _glp_get_obj_coef(P: number, j: number): number;
  _glp_get_mat_row(P: number, i: number, ind: number, val: number): number;
  _glp_get_row_name(P: number, i: number): number;
  _glp_get_row_type(P: number, i: number): number;
  _glp_get_row_lb(P: number, i: number): number;
  _glp_get_row_ub(P: number, i: number): number;
  _glp_get_col_type(P: number, j: number): number;
  _glp_get_col_lb(P: number, j: number): number;
  _glp_get_col_ub(P: number, j: number): number;
  _glp_mpl_alloc_wksp(): number;
  _glp_mpl_init_rand(tran: number, seed: number): void;
  _glp_mpl_read_model(tran: number, fname: number, skip: number): number;
  _glp_mpl_generate(tran: number, fname: number): number;
  _glp_mpl_build_prob(tran: number, P: number): void;
  _glp_mpl_postsolve(tran: number, P: number, sol: number): number;
  _glp_mpl_free_wksp(tran: number): void;
  _glp_create_prob(): number;
  _glp_delete_prob(P: number): void;
  _glp_get_num_cols(P: number): number;
  _glp_get_num_rows(P: number): number;
  _glp_get_num_int(P: number): number;
  _glp_get_col_name(P: number, j: number): number;
  _glp_get_col_prim(P: number, j: number): number;
  _glp_mip_col_val(P: number, j: number): number;
  _glp_init_smcp(parm: number): void;
  _glp_init_iocp(parm: number): void;
  _glp_simplex(P: number, parm: number): number;
  _glp_intopt(P: number, parm: number): number;
  _glp_get_status(P: number): number;
  _glp_get_prim_stat(P: number): number;
  _glp_get_dual_stat(P: number): number;
  _glp_get_obj_val(P: number): number;
  _glp_mip_status(P: number): number;
  _glp_mip_obj_val(P: number): number;
  _glp_read_lp(P: number, parm: number, fname: number): number;
}

// glpk.h constants
const GLP_FR = 1, GLP_LO = 2, GLP_UP = 3, GLP_DB = 4, GLP_FX = 5;
const GLP_UNDEF = 1, GLP_FEAS = 2, GLP_NOFEAS = 4, GLP_OPT = 5, GLP_UNBND = 6;
const GLP_SOL = 1, GLP_MIP = 3;
const GLP_MSG_ON = 2;
const GLP_ETMLIM = 0x09, GLP_EITLIM = 0x08;
// Byte offsets in glp_smcp / glp_iocp on wasm32 (checked against glp_init_* defaults).
const SMCP = { msg_lev: 0, tm_lim: 60, presolve: 72 };
const IOCP = { msg_lev: 0, tm_lim: 32, presolve: 88 };
const PARM_BYTES = 1024;

const MODEL_FILE = '/model.mod';
const RUNS_PER_INSTANCE = 2000;

/** Turn GLPK's "/model.mod:12: message" lines into line-numbered messages. */
export function mathprogMessages(lines: string[], severity: 'error' | 'warning' = 'error'): Message[] {
  const out: Message[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^\/model\.(?:mod|lp):(\d+): (.*)$/.exec(lines[i]!);
    if (!m) continue;
    const isWarning = m[2]!.startsWith('warning:');
    const context = lines[i + 1]?.startsWith('Context:') ? ` (${lines[i + 1]!.replace(/\s+/g, ' ').trim()})` : '';
    out.push({ severity: isWarning ? 'warning' : severity, source: 'solver', text: `line ${m[1]}: ${m[2]}${context}`, line: Number(m[1]) });
  }
  return out;
}

/** The glpk target, plus GLPK's own CPLEX LP reader as a second opinion on LP text. */
/** The model GLPK solved, as MathProg generated it (every computed number is a number here). */
function solvedModelOf(g: GlpkModule, P: number): SolvedModel {
  const m = g._glp_get_num_rows(P), n = g._glp_get_num_cols(P);
  const bounds = (type: number, lb: number, ub: number): [number | null, number | null] =>
    type === GLP_LO ? [lb, null] : type === GLP_UP ? [null, ub] : type === GLP_DB ? [lb, ub] : type === GLP_FX ? [lb, lb] : type === GLP_FR ? [null, null] : [null, null];
  const colName = Array.from({ length: n + 1 }, (_, j) => (j === 0 ? '' : g.UTF8ToString(g._glp_get_col_name(P, j))));
  const objective = [];
  for (let j = 1; j <= n; j++) {
    const coef = g._glp_get_obj_coef(P, j);
    if (coef !== 0) objective.push({ name: colName[j]!, coef });
  }
  const ind = g._malloc(4 * (n + 1)), val = g._malloc(8 * (n + 1));
  try {
    const rows: SolvedModel['rows'] = [];
    for (let i = 1; i <= m; i++) {
      const len = g._glp_get_mat_row(P, i, ind, val);
      const terms = Array.from({ length: len }, (_, k) => ({ name: colName[g.getValue(ind + 4 * (k + 1), 'i32')]!, coef: g.getValue(val + 8 * (k + 1), 'double') }));
      const [lo, hi] = bounds(g._glp_get_row_type(P, i), g._glp_get_row_lb(P, i), g._glp_get_row_ub(P, i));
      const np = g._glp_get_row_name(P, i);
      rows.push({ name: np ? g.UTF8ToString(np) : null, terms, lo, hi });
    }
    const cols = Array.from({ length: n }, (_, k) => {
      const j = k + 1;
      const [lo, hi] = bounds(g._glp_get_col_type(P, j), g._glp_get_col_lb(P, j), g._glp_get_col_ub(P, j));
      return { name: colName[j]!, lo, hi };
    });
    return { objective, objectiveConstant: g._glp_get_obj_coef(P, 0), rows, cols };
  } finally {
    g._free(ind);
    g._free(val);
  }
}

export interface GlpkRunner extends TargetRunner {
  /** Read CPLEX LP text with glp_read_lp: [] when GLPK accepts it, else its line-numbered errors. */
  readCplexLp(text: string): Promise<Message[]>;
}

export function createGlpkRunner(wasm: WasmSource): GlpkRunner {
  let module: Promise<WebAssembly.Module> | null = null;
  let glpk: GlpkModule | null = null;
  let runs = 0;
  let sink: (s: string) => void = () => {};

  async function getInstance(): Promise<GlpkModule> {
    if (glpk && runs < RUNS_PER_INSTANCE) return glpk;
    module ??= wasm().then((b) => WebAssembly.compile(b));
    const compiled = await module;
    glpk = (await loadGlpk({
      print: (s: string) => sink(s),
      printErr: (s: string) => sink(s),
      instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(compiled, imports).then(done);
        return {};
      },
    })) as GlpkModule;
    runs = 0;
    return glpk;
  }

  /** where the current run is, so an abort can be blamed on the right stage */
  let phase: 'read' | 'generate' | 'solve' = 'read';
  const hooks = { attach: (push: ((s: string) => void) | null) => { sink = push ?? (() => {}); }, discard: () => { glpk = null; } };

  function run(g: GlpkModule, code: string, opts: SolveOptions, guard: Guard): TargetRun {
    const log = guard.log;
    const allocs: number[] = [];
    const cstr = (s: string) => {
      const n = g.lengthBytesUTF8(s) + 1;
      const p = g._malloc(n);
      allocs.push(p);
      g.stringToUTF8(s, p, n);
      return p;
    };
    const tm_lim_ms = Math.max(1, Math.round(opts.time_limit_s * 1000));
    let tran = 0, P = 0;
    try {
      phase = 'read';
      g.FS.writeFile(MODEL_FILE, code.endsWith('\n') ? code : code + '\n');
      tran = g._glp_mpl_alloc_wksp();
      g._glp_mpl_init_rand(tran, 1);
      if (g._glp_mpl_read_model(tran, cstr(MODEL_FILE), 0) !== 0) {
        return failedRun('parse_error', withFallback(mathprogMessages(log.lines()), 'GLPK could not read the MathProg model'), log.lines());
      }
      phase = 'generate';
      if (g._glp_mpl_generate(tran, 0) !== 0) {
        return failedRun('runtime_error', withFallback(mathprogMessages(log.lines()), 'GLPK failed while generating the model'), log.lines());
      }
      const warnings = mathprogMessages(log.lines(), 'warning').filter((m) => m.severity === 'warning');
      P = g._glp_create_prob();
      g._glp_mpl_build_prob(tran, P);
      phase = 'solve';
      const ncols = g._glp_get_num_cols(P);
      if (ncols === 0) {
        return failedRun('parse_error', [{ severity: 'error', source: 'solver', text: 'the model declares no variables' }], log.lines());
      }
      const smcp = g._malloc(PARM_BYTES); allocs.push(smcp);
      g._glp_init_smcp(smcp);
      g.setValue(smcp + SMCP.msg_lev, GLP_MSG_ON, 'i32');
      g.setValue(smcp + SMCP.presolve, 0, 'i32'); // without presolve the status is always definite
      g.setValue(smcp + SMCP.tm_lim, tm_lim_ms, 'i32');
      const ret = g._glp_simplex(P, smcp);
      let status: SolverStatus;
      let objective: number | null = null;
      let isMip = false;
      if (ret === GLP_ETMLIM) status = 'time_limit';
      else if (ret === GLP_EITLIM) status = 'iteration_limit';
      else if (ret !== 0) status = 'error';
      else status = lpStatus(g, P);
      if (status === 'optimal' && g._glp_get_num_int(P) > 0) {
        isMip = true;
        const iocp = g._malloc(PARM_BYTES); allocs.push(iocp);
        g._glp_init_iocp(iocp);
        g.setValue(iocp + IOCP.msg_lev, GLP_MSG_ON, 'i32');
        g.setValue(iocp + IOCP.presolve, 0, 'i32');
        g.setValue(iocp + IOCP.tm_lim, Math.max(1, tm_lim_ms - Math.round(guard.elapsed())), 'i32');
        const mret = g._glp_intopt(P, iocp);
        const ms = g._glp_mip_status(P);
        if (ms === GLP_OPT) status = 'optimal';
        else if (mret === GLP_ETMLIM) status = 'time_limit';
        else if (ms === GLP_NOFEAS) status = 'infeasible';
        else status = 'error';
        if (ms === GLP_OPT || ms === GLP_FEAS) objective = g._glp_mip_obj_val(P);
      } else if (status === 'optimal') {
        objective = g._glp_get_obj_val(P);
      }
      const solve_ms = guard.elapsed();
      const variables: Record<string, number> = {};
      if (objective !== null) {
        for (let j = 1; j <= Math.min(ncols, 1000); j++) {
          variables[g.UTF8ToString(g._glp_get_col_name(P, j))] = isMip ? g._glp_mip_col_val(P, j) : g._glp_get_col_prim(P, j);
        }
      }
      const messages: Message[] = [...warnings];
      if (status === 'optimal' || status === 'time_limit') {
        // Runs the statements after `solve;` (printf, display); their errors are reported, not fatal.
        if (g._glp_mpl_postsolve(tran, P, isMip ? GLP_MIP : GLP_SOL) !== 0) {
          messages.push(...withFallback(mathprogMessages(log.lines()), 'a statement after solve; failed').map((m) => ({ ...m, severity: 'warning' as const })));
        }
      }
      if (status === 'error') messages.push({ severity: 'error', source: 'solver', text: `GLPK's solver stopped with return code ${ret}` });
      const facts = status === 'optimal' ? { facts: modelFacts(solvedModelOf(g, P)) } : {};
      return { failure: null, status, objective, variables: capVariables(variables), messages, log: log.lines(), solve_ms, ...facts };
    } finally {
      for (const p of allocs) g._free(p);
      if (P) g._glp_delete_prob(P);
      if (tran) g._glp_mpl_free_wksp(tran);
    }
  }

  return {
    check(code) {
      // MathProg is checked by GLPK's own translator, which reports line numbers; nothing cheaper is reliable.
      if (code.trim() === '') return { ok: false, messages: [{ severity: 'error', source: 'checker', text: 'the model is empty' }] };
      return { ok: true, messages: [] };
    },
    async solve(code, opts) {
      const pre = this.check(code);
      if (!pre.ok) return failedRun('parse_error', pre.messages);
      let g: GlpkModule;
      try {
        g = await getInstance();
      } catch (e) {
        return failedRun('solver_error', [{ severity: 'error', source: 'solver', text: `GLPK could not start: ${errorText(e)}` }]);
      }
      return guardedSolve(opts, [], hooks, (guard) => {
        runs++;
        return run(g, code, opts, guard);
      }, (e, guard) => {
        const msgs = mathprogMessages(guard.log.lines());
        if (msgs.length) return { ...failedRun(phase === 'solve' ? 'solver_error' : phase === 'read' ? 'parse_error' : 'runtime_error', msgs, guard.log.lines()), solve_ms: guard.elapsed() };
        // An abort while reading or generating is the model's doing (e.g. expressions nested so
        // deeply that the translator's stack overflows); one while solving is the solver's.
        if (phase === 'read') return guard.fail('parse_error', `GLPK aborted while reading the model (is an expression nested too deeply, or a statement too long?): ${errorText(e, 200)}`);
        if (phase === 'generate') return guard.fail('runtime_error', `GLPK aborted while generating the model (is it too large?): ${errorText(e, 200)}`);
        return guard.fail('solver_error', `GLPK aborted while solving: ${errorText(e, 200)}`);
      });
    },
    reset() {
      glpk = null;
    },
    async readCplexLp(text) {
      let g: GlpkModule;
      try {
        g = await getInstance();
      } catch {
        return [];
      }
      const log = new LogBuffer(50);
      sink = log.push;
      let P = 0, fname = 0;
      try {
        g.FS.writeFile('/model.lp', text);
        P = g._glp_create_prob();
        const n = g.lengthBytesUTF8('/model.lp') + 1;
        fname = g._malloc(n);
        g.stringToUTF8('/model.lp', fname, n);
        if (g._glp_read_lp(P, 0, fname) === 0) return [];
        return withFallback(mathprogMessages(log.lines()), "GLPK's LP reader rejects the text");
      } catch {
        glpk = null;
        return [{ severity: 'error', source: 'solver', text: "GLPK's LP reader aborted on the text" }];
      } finally {
        sink = () => {};
        if (glpk && fname) g._free(fname);
        if (glpk && P) g._glp_delete_prob(P);
      }
    },
  };
}

function lpStatus(g: GlpkModule, P: number): SolverStatus {
  const s = g._glp_get_status(P);
  if (s === GLP_OPT) return 'optimal';
  if (s === GLP_NOFEAS) return 'infeasible';
  if (s === GLP_UNBND) return 'unbounded';
  const prim = g._glp_get_prim_stat(P), dual = g._glp_get_dual_stat(P);
  if (prim === GLP_NOFEAS) return 'infeasible';
  if (prim === GLP_FEAS && dual === GLP_NOFEAS) return 'unbounded';
  if (s === GLP_UNDEF) return 'error';
  return 'error';
}

function withFallback(messages: Message[], text: string): Message[] {
  return messages.length > 0 ? messages : [{ severity: 'error', source: 'solver', text }];
}
