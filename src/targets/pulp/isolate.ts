// What the pulp runner asks of the environment: one completion run in a fresh Python interpreter of
// its own (Pyodide restored from a snapshot), isolated by capability, with its limits enforced from
// outside the interpreter. Node: isolate-node.ts (a node process under bubblewrap per run). Browsers:
// isolate-browser.ts (a worker in an opaque-origin sandboxed iframe with a CSP that forbids
// connections), reached from the verifier worker over a MessagePort. Both keep the next interpreters
// prepared ahead of need (a warm pool), so a run waits for its start only when the pool falls behind.

export interface IsolateRun {
  code: string;
  /** the harness's settings (harness.py run_code): target, solver_time_limit (s) */
  cfg: Record<string, unknown>;
  /** the interpreter's wasm memory ceiling, bytes (its memory's maximum, set in the module's bytes) */
  memoryBytes: number;
  /** wall clock of the code's run, ms, from the moment its interpreter is ready; killed after it */
  wallMs: number;
  /** how long the run may wait for its interpreter to be ready, ms (not the code's time: past it,
   *  the run is 'unavailable', a verifier failure, never the completion's timeout) */
  startMs: number;
  maxLogLines: number;
}

export type IsolateOutcome =
  /** report: harness.py's JSON, as the interpreter wrote it (untrusted); ms: waited for an interpreter,
   *  its preparation (when it was not ready in time), and the run */
  | { kind: 'report'; report: string; log: string[]; waitMs: number; runMs: number; cpuMs?: number }
  | { kind: 'timeout'; log: string[] }
  /** the isolate died without a report (memory outside the wasm heap, a crash) */
  | { kind: 'crashed'; detail: string; log: string[] }
  /** no isolate can be made here (no bubblewrap, no sandboxed iframes) */
  | { kind: 'unavailable'; detail: string };

export interface PyodideHost {
  run(r: IsolateRun): Promise<IsolateOutcome>;
  /** interpreters started, runs done, ready now: for benches and tests */
  stats(): Promise<{ started: number; runs: number; ready: number; snapshotMs: number | null }>;
  close(): Promise<void>;
}
