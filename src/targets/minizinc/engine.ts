// MiniZinc 2.10 in WebAssembly (npm `minizinc`, MPL-2.0), run in the calling thread: a verifier
// worker in the browser, a worker_thread in Node, the same code in both. The package's worker
// script (dist/minizinc-worker.js, an Emscripten module behind a message handler) is evaluated with
// its globals supplied here, so that each run gets a fresh instance of the wasm (nothing carries
// from one completion to the next) compiled once per thread, and nothing it does reaches the page:
// its `fetch` serves only the two files it needs, and it sees no `process`, `require` or `window`.
// Output is capped: a model that prints more than MAX_OUTPUT_BYTES ends with `flooded`.

import type { AssetLoader, AssetRef } from '../target.ts';
import { SetupError } from '../../errors.ts';

export const MINIZINC_ASSETS = {
  worker: { package: 'minizinc', file: 'dist/minizinc-worker.js' },
  wasm: { package: 'minizinc', file: 'dist/minizinc.wasm' },
  data: { package: 'minizinc', file: 'dist/minizinc.data' },
} as const satisfies Record<string, AssetRef>;

/** Most bytes one run may write to stdout and stderr together. */
export const MAX_OUTPUT_BYTES = 4 * 1024 * 1024;
/** Most JSON-stream messages kept per run (solutions beyond it replace the last one). */
const MAX_MESSAGES = 500;

/** One message of MiniZinc's JSON stream (--json-stream): error, warning, solution, status, … */
export interface MznMessage {
  type: string;
  what?: string;
  message?: string;
  location?: { filename?: string; firstLine?: number; firstColumn?: number };
  stack?: { location?: { filename?: string; firstLine?: number; firstColumn?: number }; description?: string }[];
  output?: Record<string, unknown>;
  status?: string;
  value?: string;
  [k: string]: unknown;
}

export interface MznRun {
  /** MiniZinc's exit code; -1 when the wasm aborted (out of memory, a flood) */
  code: number;
  messages: MznMessage[];
  /** stderr lines and non-JSON output */
  log: string[];
  outputFiles: Record<string, string | null>;
  /** the run wrote more than MAX_OUTPUT_BYTES */
  flooded: boolean;
  /** the abort's message, when code is -1 */
  abort?: string;
}

// The package's code, patched at two places (checked: the package is pinned, and a changed file
// fails loudly here rather than running unpatched).
const PATCHES: [string, string][] = [
  ['e.stdoutBuffer.push(n)', '__evomByte(e.stdoutBuffer,n)'],
  ['e.stderrBuffer.push(n)', '__evomByte(e.stderrBuffer,n)'],
];
const PARAMS = ['globalThis', 'self', 'addEventListener', 'postMessage', 'fetch', 'WebAssembly', 'process', 'require', 'XMLHttpRequest', 'importScripts', '__filename', '__dirname', 'console', 'window', 'document', '__evomByte'];

type Factory = (...args: unknown[]) => void;

export class MiniZincEngine {
  private loaded: Promise<{ factory: Factory; module: WebAssembly.Module; data: ArrayBuffer }> | null = null;

  constructor(private readonly asset: AssetLoader) {}

  /** Load and compile once per thread (the first run pays it: bench/minizinc.ts reports it). */
  load(): Promise<{ factory: Factory; module: WebAssembly.Module; data: ArrayBuffer }> {
    this.loaded ??= (async () => {
      const [src, wasm, data] = await Promise.all([this.asset(MINIZINC_ASSETS.worker), this.asset(MINIZINC_ASSETS.wasm), this.asset(MINIZINC_ASSETS.data)]);
      let code = new TextDecoder().decode(src as ArrayBuffer);
      for (const [from, to] of PATCHES) {
        if (code.split(from).length !== 2) throw new SetupError(`minizinc-worker.js is not the version EVOM was written for (no single "${from}"): install minizinc@4.5.1`);
        code = code.replace(from, to);
      }
      const factory = new Function(...PARAMS, code) as Factory;
      const module = await WebAssembly.compile(wasm);
      const bytes = data instanceof ArrayBuffer ? data : (ArrayBuffer.isView(data) ? data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) : data) as ArrayBuffer;
      return { factory, module, data: bytes };
    })();
    this.loaded.catch(() => { this.loaded = null; });
    return this.loaded;
  }

  /**
   * One MiniZinc command line in a fresh instance: `files` are written to its working folder,
   * `outputFiles` read back after it exits. `onLine` sees stderr lines as they come.
   */
  async run(args: string[], files: Record<string, string>, outputFiles: string[] = [], onLine?: (line: string) => void): Promise<MznRun> {
    const { factory, module, data } = await this.load();
    const realWasm = globalThis.WebAssembly;
    const wasm = new Proxy(realWasm, {
      get(t, k) {
        if (k === 'instantiate' || k === 'instantiateStreaming') {
          return async (_source: unknown, imports: WebAssembly.Imports) => ({ instance: await realWasm.instantiate(module, imports), module });
        }
        return Reflect.get(t, k) as unknown;
      },
    });
    const fetchOnly = async (url: unknown): Promise<Response> => {
      const u = String(url);
      if (u.endsWith('minizinc.data')) return new Response(data.slice(0));
      if (u.endsWith('minizinc.wasm')) return new Response(new Uint8Array(0), { headers: { 'content-type': 'application/wasm' } });
      throw new Error(`MiniZinc asked for ${u}`);
    };
    const hidden = new Set<PropertyKey>(['process', 'window', 'document', 'require', 'importScripts', 'XMLHttpRequest', 'indexedDB', 'caches', 'navigator', 'localStorage']);
    const fakeGlobal: object = new Proxy(globalThis, {
      get(t, k) {
        if (hidden.has(k)) return undefined;
        if (k === 'WorkerGlobalScope') return function WorkerGlobalScope() {};
        if (k === 'location') return { href: 'https://minizinc.invalid/minizinc-worker.js', pathname: '/minizinc-worker.js' };
        if (k === 'fetch') return fetchOnly;
        if (k === 'WebAssembly') return wasm;
        return Reflect.get(t, k) as unknown;
      },
      has: (t, k) => (hidden.has(k) ? false : Reflect.has(t, k)),
    });

    const result: MznRun = { code: -1, messages: [], log: [], outputFiles: {}, flooded: false };
    let bytes = 0;
    const byte = (buf: number[], b: number) => {
      if (++bytes > MAX_OUTPUT_BYTES) { result.flooded = true; throw new Error(`the model wrote more than ${MAX_OUTPUT_BYTES / 1048576} MiB of output`); }
      buf.push(b);
    };
    let handler: ((e: { data: unknown }) => void) | null = null;
    let ready!: () => void, exited!: () => void;
    const isReady = new Promise<void>((r) => { ready = r; });
    const isDone = new Promise<void>((r) => { exited = r; });
    const line = (s: string) => { const t = s.replace(/\n$/, ''); result.log.push(t); onLine?.(t); };
    const post = (m: MznMessage) => {
      if (m.type === 'ready') { ready(); return; }
      if (m.type === 'exit') {
        result.code = typeof m.code === 'number' ? m.code : -1;
        if (m.outputFiles) result.outputFiles = m.outputFiles as Record<string, string | null>;
        if (typeof m.stderr === 'string') for (const l of m.stderr.split('\n')) if (l) line(l);
        if (typeof m.stdout === 'string') for (const l of m.stdout.split('\n')) if (l) line(l);
        if (result.code === -1) result.abort = String(m.message ?? 'MiniZinc aborted');
        exited();
        return;
      }
      if (m.type === 'stderr' || m.type === 'stdout') { line(String(m.value ?? '')); return; }
      if (result.messages.length >= MAX_MESSAGES) {
        if (m.type === 'solution' || m.type === 'status') result.messages[result.messages.length - 1] = m;
        return;
      }
      result.messages.push(m);
    };
    const quiet = { ...console, log: () => {}, info: () => {}, warn: (...a: unknown[]) => line(a.join(' ')), error: (...a: unknown[]) => line(a.join(' ')) };
    factory(fakeGlobal, fakeGlobal, (type: string, f: (e: { data: unknown }) => void) => { if (type === 'message') handler = f; },
      post, fetchOnly, wasm, undefined, undefined, undefined, undefined, undefined, undefined, quiet, undefined, undefined, byte);
    if (!handler) throw new SetupError('minizinc-worker.js did not install its message handler');
    const h = handler as (e: { data: unknown }) => void;
    h({ data: { wasmURL: 'minizinc.wasm', dataURL: 'minizinc.data' } });
    await isReady;
    h({ data: { jsonStream: true, files, args, outputFiles } });
    await isDone;
    return result;
  }
}
