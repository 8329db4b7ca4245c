// The 'glpk' runner: GNU MathProg (GMPL) with an optional data section, solved by GLPK 5.0 in
// WebAssembly. npm glpk.js has no MathProg translator, so this uses glpk-wasm's `full` build
// (GLPK's C API compiled with Emscripten) through the small wrapper below.
// MathProg errors come back from GLPK itself with line numbers ("model.mod:2: y not defined").

import loadGlpk from 'glpk-wasm/full';
import { failedRun, type Message, type SolverStatus, type TargetRun } from '../../verifier/outcome.ts';
import { capVariables, errorText, guardedSolve, LogBuffer, type Guard } from '../solve-guard.ts';
import { setOutsideBytes } from '../memory-ceiling.ts';
import type { SolveOptions, TargetRunner, WasmSource } from '../target.ts';
import { CORE_MAX_MS, CORE_QUESTION_MS, infeasibleCore, lowerBound, modelFacts, upperBound, type CoreFacts, type SolvedModel } from '../../verifier/integrity.ts';

/** An open file of Emscripten's FS (MEMFS): `usedBytes` is the file's length, `flags` the open(2) flags. */
interface FsStream {
  node: { mode: number; usedBytes?: number };
  position: number;
  flags: number;
}

/** The slice of Emscripten's in-memory filesystem (FS, MEMFS) we use; paths are absolute. */
interface EmscriptenFs {
  writeFile(path: string, data: string): void;
  readdir(path: string): string[];
  /** st_mode and st_size, without following a symbolic link */
  lstat(path: string): { mode: number; size: number };
  isDir(mode: number): boolean;
  isFile(mode: number): boolean;
  unlink(path: string): void;
  rmdir(path: string): void;
  /** every write to a file goes through here (C stdio → fd_write → FS.write → MEMFS) */
  write(stream: FsStream, buffer: ArrayBufferView, offset: number, length: number, position?: number, canOwn?: boolean): number;
  /** creates every file and directory (open with O_CREAT, mkdir) */
  mknod(path: string, mode: number, dev: number): unknown;
  /** sets a file's length (open with O_TRUNC, ftruncate); Emscripten passes the node */
  truncate(file: string | FsStream['node'], length: number): void;
  stat(path: string): { size: number };
}

/** The slice of GLPK's C API we call (pointers are numbers into the wasm heap). */
interface GlpkModule {
  FS: EmscriptenFs;
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
  _glp_get_col_kind(P: number, j: number): number;
  _glp_set_col_bnds(P: number, j: number, type: number, lb: number, ub: number): void;
  _glp_set_row_bnds(P: number, i: number, type: number, lb: number, ub: number): void;
  _glp_set_obj_coef(P: number, j: number, coef: number): void;
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
const GLP_MSG_OFF = 0, GLP_MSG_ON = 2;
const GLP_EBOUND = 0x04, GLP_ETMLIM = 0x09, GLP_EITLIM = 0x08, GLP_ENOPFS = 0x0A;
const GLP_IV = 2;
// Byte offsets in glp_smcp / glp_iocp on wasm32 (checked against glp_init_* defaults).
const SMCP = { msg_lev: 0, tm_lim: 60, presolve: 72 };
const IOCP = { msg_lev: 0, tm_lim: 32, presolve: 88 };
const PARM_BYTES = 1024;

const MODEL_FILE = '/model.mod';
const RUNS_PER_INSTANCE = 2000;
/** bytes charged per file or directory a run creates (a MEMFS node, its name and its table entry:
 *  ~470 bytes of JS heap measured, ~860 of RSS; rounded up) */
const NODE_BYTES = 1024;
/** most files and directories one run may create (MEMFS nodes live on the worker's capped JS heap) */
const MAX_NODES = 10_000;
const MiB = 1048576;

/** Every path in the filesystem (no /proc/self/fd, which cannot be listed), each with its mode. */
function fsTree(fs: EmscriptenFs): Map<string, number> {
  const tree = new Map<string, number>();
  const walk = (dir: string) => {
    let names: string[];
    try { names = fs.readdir(dir); } catch { return; }
    for (const name of names) {
      if (name === '.' || name === '..') continue;
      const path = dir === '/' ? `/${name}` : `${dir}/${name}`;
      let mode: number;
      try { mode = fs.lstat(path).mode; } catch { continue; }
      tree.set(path, mode);
      if (fs.isDir(mode)) walk(path);
    }
  };
  walk('/');
  return tree;
}

/**
 * Remove every file and directory that is not in `baseline` (the tree of the fresh instance).
 * False when that cannot restore it (a baseline entry is gone or changed): drop the instance.
 */
function restoreFsTree(fs: EmscriptenFs, baseline: Map<string, number>): boolean {
  const now = fsTree(fs);
  for (const [path, mode] of baseline) if (now.get(path) !== mode) return false;
  // deepest first, so a directory is empty when it is removed
  const added = [...now.keys()].filter((p) => !baseline.has(p)).sort((a, b) => b.split('/').length - a.split('/').length);
  try {
    for (const path of added) {
      if (fs.isDir(now.get(path)!)) fs.rmdir(path);
      else fs.unlink(path);
    }
  } catch {
    return false;
  }
  return true;
}

/**
 * The bytes one run's files may hold. MEMFS keeps file data in JS typed arrays, outside wasm
 * memory and its ceiling (memory-ceiling.ts), so file data counts against the same limit:
 * wasm memory + file bytes + NODE_BYTES per created file <= the run's memory_limit_bytes.
 * File bytes grow with writes past a file's end and shrink when a file is truncated (reopened
 * with '>'). MEMFS's spare capacity, at most 1/8 of a file over 1 MiB, is not counted.
 */
class FileBudget {
  /** bytes the run's files hold now, as charged */
  used = 0;
  /** files and directories created so far */
  nodes = 0;
  /** the failure message, once a write went beyond the budget */
  refusal: string | null = null;
  constructor(readonly limitBytes: number, private readonly wasmBytes: () => number) {}
  /**
   * Charge `bytes`, or throw when they would go beyond the limit. The throw unwinds GLPK (an
   * ENOSPC would not stop it: MathProg ignores failed writes and would loop on to the wall-clock
   * limit), so the instance is dropped, and its files with it.
   */
  charge(bytes: number): void {
    const wasm = this.wasmBytes();
    if (wasm + this.used + bytes > this.limitBytes) {
      const room = Math.max(0, Math.floor((this.limitBytes - wasm) / MiB));
      this.refusal = `the model wrote more than ${room} MiB to files: file data counts against the ${Math.round(this.limitBytes / MiB)} MiB memory limit, and the solver was using ${Math.round(wasm / MiB)} MiB of it`;
      throw new Error(this.refusal);
    }
    this.used += bytes;
    setOutsideBytes(this.used); // wasm growth now leaves room for these bytes
  }
  /** Charge a new file or directory, or throw beyond MAX_NODES (as `charge` does). */
  createNode(): void {
    if (++this.nodes > MAX_NODES) {
      this.refusal = `the model created more than ${MAX_NODES} files`;
      throw new Error(this.refusal);
    }
    this.charge(NODE_BYTES);
  }
  /** Give back `bytes` a file no longer holds. */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
    setOutsideBytes(this.used);
  }
}

/**
 * Run `load` and remove the process listeners it added. glpk-wasm's Emscripten glue adds an
 * 'uncaughtException' and an 'unhandledRejection' listener in Node for every instance; they hold
 * the whole module (wasm memory, files) forever, so no dropped instance would ever be freed.
 */
async function withoutProcessListeners<T>(load: () => Promise<T>): Promise<T> {
  // typed as a plain emitter: Node's overloads do not take a union of event names
  const proc = globalThis.process as { listeners(e: string): Function[]; removeListener(e: string, l: Function): void } | undefined;
  if (typeof proc?.listeners !== 'function') return load(); // a browser
  const events = ['uncaughtException', 'unhandledRejection'];
  const before = events.map((e) => new Set(proc.listeners(e)));
  try {
    return await load();
  } finally {
    events.forEach((e, i) => {
      for (const listener of proc.listeners(e)) if (!before[i]!.has(listener)) proc.removeListener(e, listener);
    });
  }
}

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
  /** the filesystem tree of the fresh instance (path → mode); every run ends with it restored */
  let baseline = new Map<string, number>();
  /** the current run's file budget; null outside runs (our own writes, readCplexLp) */
  let budget: FileBudget | null = null;
  /** bytes of the current instance's wasm memory */
  let wasmBytes: () => number = () => 0;

  async function getInstance(): Promise<GlpkModule> {
    if (glpk && runs < RUNS_PER_INSTANCE) return glpk;
    module ??= wasm().then((b) => WebAssembly.compile(b));
    const compiled = await module;
    let memory: WebAssembly.Memory | undefined;
    const g = (await withoutProcessListeners(() => loadGlpk({
      print: (s: string) => sink(s),
      printErr: (s: string) => sink(s),
      instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) {
        WebAssembly.instantiate(compiled, imports).then((instance) => {
          memory = Object.values(instance.exports).find((e): e is WebAssembly.Memory => e instanceof WebAssembly.Memory);
          done(instance);
        });
        return {};
      },
    }))) as GlpkModule;
    wasmBytes = () => memory?.buffer.byteLength ?? 0;
    // Charge what a run writes to files against its budget (the run ends when it goes beyond).
    const { write, mknod, truncate } = g.FS;
    g.FS.write = (stream, buffer, offset, length, position, canOwn) => {
      if (budget && g.FS.isFile(stream.node.mode) && length > 0) {
        const size = stream.node.usedBytes ?? 0;
        const at = stream.flags & 1024 /* O_APPEND */ ? size : (position ?? stream.position);
        const growth = at + length - size;
        if (growth > 0) budget.charge(growth);
      }
      return write.call(g.FS, stream, buffer, offset, length, position, canOwn);
    };
    g.FS.mknod = (path, mode, dev) => {
      budget?.createNode();
      return mknod.call(g.FS, path, mode, dev);
    };
    g.FS.truncate = (file, length) => {
      const size = typeof file === 'string' ? g.FS.stat(file).size : (file.usedBytes ?? 0);
      if (budget && length > size) budget.charge(length - size);
      truncate.call(g.FS, file, length);
      if (budget && length < size) budget.release(size - length);
    };
    baseline = fsTree(g.FS);
    glpk = g;
    runs = 0;
    return glpk;
  }

  /** After a run: remove what it left in the filesystem, or drop the instance when that fails. */
  function cleanUp(g: GlpkModule): void {
    if (glpk !== g) return; // already dropped (an abort): its filesystem goes with it
    if (!restoreFsTree(g.FS, baseline)) glpk = null;
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
    /** set when GLPK threw (an abort, a memory or file limit) */
    let unwound = false;
    try {
      phase = 'read';
      budget = new FileBudget(opts.memory_limit_bytes, wasmBytes); // the model text counts too
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
      const messages: Message[] = [...warnings];
      const ret = g._glp_simplex(P, smcp);
      /** the return code of the solver call that failed, for the message */
      let failedCode = ret;
      let status: SolverStatus;
      let objective: number | null = null;
      let isMip = false;
      if (ret === GLP_ETMLIM) status = 'time_limit';
      else if (ret === GLP_EITLIM) status = 'iteration_limit';
      else if (ret === GLP_EBOUND) {
        // A column or row with lower > upper: no point satisfies it, so the model is infeasible.
        const contradictions = contradictoryBounds(g, P);
        messages.push(...contradictions);
        status = contradictions.length > 0 ? 'infeasible' : 'error';
      } else if (ret !== 0) status = 'error';
      else status = lpStatus(g, P);
      if (status === 'optimal' && g._glp_get_num_int(P) > 0) {
        isMip = true;
        const iocp = g._malloc(PARM_BYTES); allocs.push(iocp);
        g._glp_init_iocp(iocp);
        g.setValue(iocp + IOCP.msg_lev, GLP_MSG_ON, 'i32');
        g.setValue(iocp + IOCP.presolve, 0, 'i32');
        const intopt = () => {
          g.setValue(iocp + IOCP.tm_lim, Math.max(1, tm_lim_ms - Math.round(guard.elapsed())), 'i32');
          return g._glp_intopt(P, iocp);
        };
        let mret = intopt();
        let noIntegerPoint = false;
        if (mret === GLP_EBOUND) {
          // glp_intopt refuses integer columns with fractional bounds: round them inward, then retry.
          const rounded = roundIntegerBounds(g, P);
          messages.push(...rounded.messages);
          if (rounded.empty) noIntegerPoint = true;
          else mret = intopt();
        }
        const ms = noIntegerPoint ? GLP_NOFEAS : g._glp_mip_status(P);
        if (ms === GLP_OPT) status = 'optimal';
        else if (mret === GLP_ETMLIM) status = 'time_limit';
        else if (ms === GLP_NOFEAS) status = 'infeasible';
        else { status = 'error'; failedCode = mret; }
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
      if (status === 'optimal' || status === 'time_limit') {
        // Runs the statements after `solve;` (printf, display); their errors are reported, not fatal.
        if (g._glp_mpl_postsolve(tran, P, isMip ? GLP_MIP : GLP_SOL) !== 0) {
          messages.push(...withFallback(mathprogMessages(log.lines()), 'a statement after solve; failed').map((m) => ({ ...m, severity: 'warning' as const })));
        }
      }
      if (status === 'error') messages.push({ severity: 'error', source: 'solver', text: `GLPK's solver stopped with return code ${failedCode}` });
      let facts = {};
      if (status === 'optimal' || status === 'infeasible') {
        const solved = solvedModelOf(g, P);
        const f = modelFacts(solved);
        if (status === 'infeasible' && f.objectiveTerms > 0 && opts.infeasible_core) {
          // the core of the infeasibility, within what is left of the time limit (integrity.ts, rule
          // (c)); a constant objective fails rule (a) whatever its core
          const end = Math.min(tm_lim_ms, guard.elapsed() + CORE_MAX_MS);
          try {
            const core = glpkCore(g, P, solved, () => end - guard.elapsed(), (bytes) => { const p = g._malloc(bytes); allocs.push(p); return p; });
            if (core) f.core = core;
          } catch {
            // GLPK aborted on a relaxation: the verdict stands, without a core; the instance is dropped
            unwound = true;
            glpk = null;
          }
        }
        facts = { facts: f };
      }
      return { failure: null, status, objective, variables: capVariables(variables), messages, log: log.lines(), solve_ms, ...facts };
    } catch (e) {
      unwound = true;
      throw e;
    } finally {
      // after a throw the instance is dropped (guardedSolve): no more calls into it
      if (!unwound) {
        for (const p of allocs) g._free(p);
        if (P) g._glp_delete_prob(P);
        if (tran) g._glp_mpl_free_wksp(tran);
      }
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
      const onThrow = (e: unknown, guard: Guard): TargetRun => {
        const msgs = mathprogMessages(guard.log.lines());
        if (msgs.length) return { ...failedRun(phase === 'solve' ? 'solver_error' : phase === 'read' ? 'parse_error' : 'runtime_error', msgs, guard.log.lines()), solve_ms: guard.elapsed() };
        // An abort while reading or generating is the model's doing (e.g. expressions nested so
        // deeply that the translator's stack overflows); one while solving is the solver's.
        if (phase === 'read') return guard.fail('parse_error', `GLPK aborted while reading the model (is an expression nested too deeply, or a statement too long?): ${errorText(e, 200)}`);
        if (phase === 'generate') return guard.fail('runtime_error', `GLPK aborted while generating the model (is it too large?): ${errorText(e, 200)}`);
        return guard.fail('solver_error', `GLPK aborted while solving: ${errorText(e, 200)}`);
      };
      let result: TargetRun;
      let spent: FileBudget | null = null;
      try {
        result = await guardedSolve(opts, [], hooks, (guard) => {
          runs++;
          return run(g, code, opts, guard);
        }, onThrow);
      } finally {
        spent = budget;
        budget = null;
        cleanUp(g); // the next run starts with the fresh instance's files, and this run's bytes are freed
      }
      // A write beyond the budget ended the run; whatever the abort looked like, the limit is the cause.
      const refusal = spent?.refusal;
      if (refusal) return { ...failedRun('runtime_error', [{ severity: 'error', source: 'solver', text: refusal }], result.log), solve_ms: result.solve_ms };
      return result;
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
        cleanUp(g);
      }
    },
  };
}

/** Most messages about bounds in one run; the rest are counted in one more message. */
const MAX_BOUND_MESSAGES = 10;

function cappedMessages(messages: Message[]): Message[] {
  if (messages.length <= MAX_BOUND_MESSAGES) return messages;
  const rest = messages.length - MAX_BOUND_MESSAGES;
  return [...messages.slice(0, MAX_BOUND_MESSAGES), { ...messages[0]!, text: `… and ${rest} more like these` }];
}

/** Warnings for the columns and rows whose lower bound is above their upper bound (GLPK's GLP_EBOUND). */
function contradictoryBounds(g: GlpkModule, P: number): Message[] {
  const out: Message[] = [];
  const say = (what: string, lb: number, ub: number) => out.push({
    severity: 'warning', source: 'solver',
    text: `the bounds of ${what} are contradictory (lower bound ${lb} > upper bound ${ub}): the model is infeasible`,
  });
  for (let j = 1, n = g._glp_get_num_cols(P); j <= n; j++) {
    const lb = g._glp_get_col_lb(P, j), ub = g._glp_get_col_ub(P, j);
    if (g._glp_get_col_type(P, j) === GLP_DB && lb > ub) say(`'${g.UTF8ToString(g._glp_get_col_name(P, j))}'`, lb, ub);
  }
  for (let i = 1, m = g._glp_get_num_rows(P); i <= m; i++) {
    const lb = g._glp_get_row_lb(P, i), ub = g._glp_get_row_ub(P, i);
    if (g._glp_get_row_type(P, i) !== GLP_DB || !(lb > ub)) continue;
    const np = g._glp_get_row_name(P, i);
    say(np ? `constraint '${g.UTF8ToString(np)}'` : `row ${i}`, lb, ub);
  }
  return cappedMessages(out);
}

/**
 * Round the fractional bounds of integer columns inward (glp_intopt refuses them with
 * GLP_EBOUND). `empty` when some integer column has no integer value between its bounds.
 */
function roundIntegerBounds(g: GlpkModule, P: number): { empty: boolean; messages: Message[] } {
  const messages: Message[] = [];
  let empty = false;
  // a bound within 1e-9 (relative) of an integer is that integer, not the next one inward
  const snap = (v: number, inward: (v: number) => number) => {
    const near = Math.round(v);
    return Math.abs(v - near) <= 1e-9 * Math.max(1, Math.abs(v)) ? near : inward(v);
  };
  for (let j = 1, n = g._glp_get_num_cols(P); j <= n; j++) {
    if (g._glp_get_col_kind(P, j) !== GLP_IV) continue;
    const type = g._glp_get_col_type(P, j);
    if (type === GLP_FR) continue;
    const lb = g._glp_get_col_lb(P, j), ub = g._glp_get_col_ub(P, j);
    const hasLb = type === GLP_LO || type === GLP_DB || type === GLP_FX, hasUb = type === GLP_UP || type === GLP_DB || type === GLP_FX;
    const lo = hasLb ? snap(lb, Math.ceil) : -Infinity, hi = hasUb ? snap(ub, Math.floor) : Infinity;
    if (lo === lb && hi === (type === GLP_FX ? lb : ub)) continue;
    const name = g.UTF8ToString(g._glp_get_col_name(P, j));
    const range = `[${hasLb ? lb : '-inf'}, ${hasUb ? ub : 'inf'}]`;
    if (lo > hi) {
      empty = true;
      messages.push({ severity: 'warning', source: 'solver', text: `the integer variable '${name}' has no integer value within its bounds ${range}: the model is infeasible` });
      continue;
    }
    g._glp_set_col_bnds(P, j, !hasLb ? GLP_UP : !hasUb ? GLP_LO : lo === hi ? GLP_FX : GLP_DB, hasLb ? lo : 0, hasUb ? hi : 0);
    messages.push({ severity: 'info', source: 'solver', text: `the bounds ${range} of the integer variable '${name}' were rounded to [${hasLb ? lo : '-inf'}, ${hasUb ? hi : 'inf'}] for GLPK's MIP solver` });
  }
  return { empty, messages: cappedMessages(messages) };
}

/** `x` rounded inward to an integer for an integer column's bound (within 1e-9 of one: that one). */
const inward = (x: number, round: (v: number) => number) => {
  const near = Math.round(x);
  return Math.abs(x - near) <= 1e-9 * Math.max(1, Math.abs(x)) ? near : round(x);
};

/**
 * An infeasible core of the infeasible problem P (integrity.ts), `solved` its SolvedModel: each
 * question re-solves P itself with the relaxed rows made free (GLP_FR) and the relaxed bounds
 * removed, objective zero: glp_simplex without presolve, then for a MIP glp_intopt with its
 * presolver (which proves some integer infeasibility that branching never would). P is left changed
 * (the caller deletes it). Null once `timeLeftMs` is down to 0.
 */
function glpkCore(g: GlpkModule, P: number, solved: SolvedModel, timeLeftMs: () => number, alloc: (bytes: number) => number): CoreFacts | null {
  const m = g._glp_get_num_rows(P), n = g._glp_get_num_cols(P);
  const integer = Array.from({ length: n }, (_, k) => g._glp_get_col_kind(P, k + 1) === GLP_IV);
  const type = (lo: number | null, hi: number | null) => (lo === null ? (hi === null ? GLP_FR : GLP_UP) : hi === null ? GLP_LO : lo === hi ? GLP_FX : GLP_DB);
  for (let j = 0; j <= n; j++) g._glp_set_obj_coef(P, j, 0);
  const smcp = alloc(PARM_BYTES), iocp = alloc(PARM_BYTES);
  g._glp_init_smcp(smcp);
  g.setValue(smcp + SMCP.msg_lev, GLP_MSG_OFF, 'i32');
  g.setValue(smcp + SMCP.presolve, 0, 'i32');
  g._glp_init_iocp(iocp);
  g.setValue(iocp + IOCP.msg_lev, GLP_MSG_OFF, 'i32');
  g.setValue(iocp + IOCP.presolve, 1, 'i32');
  return infeasibleCore(solved, (rows, bounds) => {
    for (let i = 1; i <= m; i++) {
      const r = solved.rows[i - 1]!;
      if (rows.has(i - 1)) g._glp_set_row_bnds(P, i, GLP_FR, 0, 0);
      else g._glp_set_row_bnds(P, i, type(r.lo, r.hi), r.lo ?? 0, r.hi ?? 0);
    }
    for (let j = 1; j <= n; j++) {
      const c = solved.cols[j - 1]!;
      let lo = bounds.has(lowerBound(j - 1)) ? null : c.lo, hi = bounds.has(upperBound(j - 1)) ? null : c.hi;
      if (integer[j - 1]) {
        // glp_intopt takes only integer bounds on integer columns
        if (lo !== null) lo = inward(lo, Math.ceil);
        if (hi !== null) hi = inward(hi, Math.floor);
        if (lo !== null && hi !== null && lo > hi) return true; // no integer value between them
      }
      g._glp_set_col_bnds(P, j, type(lo, hi), lo ?? 0, hi ?? 0);
    }
    const asked = performance.now();
    const limit = () => Math.max(1, Math.round(Math.min(CORE_QUESTION_MS - (performance.now() - asked), timeLeftMs())));
    g.setValue(smcp + SMCP.tm_lim, limit(), 'i32');
    if (g._glp_simplex(P, smcp) !== 0) return null;
    const lp = lpStatus(g, P);
    if (lp === 'infeasible') return true;
    if (lp !== 'optimal') return null;
    if (!integer.some(Boolean)) return false;
    g.setValue(iocp + IOCP.tm_lim, limit(), 'i32');
    const ret = g._glp_intopt(P, iocp);
    if (ret === GLP_ENOPFS) return true; // the presolver found no integer point
    if (ret !== 0) return null;
    const ms = g._glp_mip_status(P);
    return ms === GLP_OPT || ms === GLP_FEAS ? false : ms === GLP_NOFEAS ? true : null;
  }, timeLeftMs);
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
