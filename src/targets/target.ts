// What a target is: the language a model writes, and the solver that judges it. Each target is one
// folder, src/targets/<name>/, whose index.ts exports one TargetModule (prompt guide and example,
// the generator's gold serializer, the wasm it needs, its runner); registry.ts lists them. Nothing
// outside src/targets/ names a target: the CLI, prompts, the generator, the pool and the server
// read the registry.

import type { Message, TargetRun } from '../verifier/outcome.ts';
import type { LinearModel } from '../problems/linear-model.ts';

/** A file inside an installed npm package (wasm, data), loaded per environment (assets-node.ts, assets-browser.ts). */
export interface AssetRef {
  /** npm package name, e.g. 'highs' */
  package: string;
  /** path inside the package, e.g. 'build/highs.wasm' */
  file: string;
}

/** Bytes of an asset: read from node_modules in Node, fetched from the bundle's URL in browsers. */
export type AssetLoader = (ref: AssetRef) => Promise<BufferSource>;

/** Bytes loaded on first use (a runner compiles its wasm once, when it first solves). */
export type WasmSource = () => Promise<BufferSource>;

/** What a runner is built with. */
export interface RunnerEnv {
  asset: AssetLoader;
  /** another target's runner in the same worker (e.g. GLPK's LP reader as HiGHS's second opinion) */
  runner(name: string): TargetRunner | undefined;
  /** fresh Pyodide interpreters in an isolate, where the environment provides them (browsers: the
   *  page's sandboxed iframes, over a port; Node: the pulp runner starts its own under bubblewrap) */
  pyodide?: import('./pulp/isolate.ts').PyodideHost;
}

export interface SolveOptions {
  /** solver's own time limit, seconds */
  time_limit_s: number;
  /** wasm memory ceiling, bytes */
  memory_limit_bytes: number;
  /** most solver log lines kept */
  max_log_lines: number;
  /** find the infeasible core of an infeasible model (integrity.ts, rule (c)): only when the job's
   *  expected answer is 'infeasible', the one case where the core decides the reward */
  infeasible_core?: boolean;
  /** the run's wall clock, ms (the pool stops the worker after it): a runner that runs the code in a
   *  process of its own (pulp) stops that process first */
  wall_limit_ms?: number;
}

/** A target's solver in this thread: check → solve → a normalized TargetRun. */
export interface TargetRunner {
  /** Fast static check without the solver: syntax errors with line numbers. */
  check(code: string): { ok: boolean; messages: Message[] };
  /** Parse, generate and solve. Must not throw for any input; failures are TargetRun.failure. */
  solve(code: string, opts: SolveOptions): Promise<TargetRun>;
  /** Drop solver instances (after an abort, or to release memory). */
  reset(): void;
}

/** A problem as the generator built it, for gold serializers. */
export interface GoldInput {
  /** problem id, e.g. "gen-knapsack-s42-d2" */
  id: string;
  model: LinearModel;
}

export interface TargetModule {
  /** name on the command line and in data: 'highs', 'glpk', 'glpk-json', 'pulp', … */
  readonly name: string;
  /** the language the model writes, as the prompt names it: 'CPLEX LP format (solved by HiGHS)' */
  readonly language: string;
  /** where it runs: 'worker' = in this process's verifier pool (wasm, browser or Node);
   *  'sandbox' = on a sandbox server (server/), e.g. Python with a licensed solver */
  readonly runs: 'worker' | 'sandbox';
  /** a complete model of the prompt's example problem (src/problems/prompt.ts), optimum EXAMPLE_ANSWER */
  readonly example: string;
  /** fence info strings models use for this language (```lp), lower case: lenient extraction picks
   *  the block so marked among several */
  readonly fences?: readonly string[];
  /** the rules its checker enforces, one line each, stated in the prompt */
  readonly rules?: readonly string[];
  /** the generator's gold model of a problem in this language */
  readonly gold?: (p: GoldInput) => string;
  /** files the runner loads; the browser build emits them (vite.config.ts) */
  readonly assets?: Readonly<Record<string, AssetRef>>;
  /** a run costs about a second, not milliseconds (MiniZinc: a fresh instance and a flattening of its
   *  library per run). A warmed pool leaves it to its first use, and the generator does not solve its
   *  gold for every problem it makes (its gold is checked by the tests instead). */
  readonly costly?: boolean;
  /** the sandbox server runs it natively too (pulp: CPython and CBC there, Pyodide and HiGHS here):
   *  with a server configured (--server), its runs go to the server */
  readonly serverNative?: boolean;
  /** a run may first wait this long for its interpreter to start (pulp: a Pyodide restore, or the
   *  first snapshot on a busy machine), ms; the code's wall clock starts after it, and the pool's
   *  timer allows for it. Starting Python is the verifier's cost, never the completion's timeout. */
  readonly startAllowanceMs?: number;
  /** the solver in this thread ('worker' targets); imports its code on demand, so that a page that
   *  only lists targets (prompts, forms) never loads a solver */
  readonly createRunner?: (env: RunnerEnv) => Promise<TargetRunner>;
}
