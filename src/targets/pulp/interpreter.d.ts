// Types of interpreter.js (plain JavaScript: it runs inside the isolate, where nothing compiles TypeScript).

export interface LoadedInterpreter {
  /** the snapshot of a fresh interpreter (only before any run) */
  makeSnapshot(): Uint8Array;
  /** one completion through harness.py's run_code: its JSON report and what the code printed */
  run(code: string, cfg: Record<string, unknown>): { report: string; log: string[] };
}

export function highsBridge(highs: { solve(lp: string, opts: object): unknown }): (lpText: string, optsJson: string) => string;

export function loadInterpreter(o: {
  loadPyodide: (cfg: object) => Promise<unknown>;
  pyodideConfig: object;
  pulpZip: Uint8Array;
  harness: string;
  snapshot?: Uint8Array;
  solveLp?: (lpText: string, optsJson: string) => string;
  maxLogLines?: number;
}): Promise<LoadedInterpreter>;

/** wasm bytes with the module's own memory's maximum set to maxBytes */
export function capWasmMemory(bytes: Uint8Array, maxBytes: number): Uint8Array;
