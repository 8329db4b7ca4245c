// The page's handles on its workers: the engine worker (WebGPU engine, trainer, verifier pool) and
// the problems worker (generator, benchmark parsing). Both are comlink proxies; nothing heavy runs
// on the page's thread. A worker that dies is replaced on the next call, and the call in flight
// fails with a clear error instead of hanging (comlink alone would wait forever).
import * as Comlink from 'comlink';
import type { EngineHost } from '../host/engine-host.ts';
import type { ProblemsApi } from '../problems/worker.browser.ts';
import { offerPyodideHost } from '../verifier/pyodide-link.ts';

export class WorkerDiedError extends Error {
  constructor(name: string, why: string) {
    super(`The ${name} worker stopped (${why}). Nothing saved is lost: run it again, or resume the training run from its last checkpoint.`);
  }
}

interface Handle<T> { remote: Comlink.Remote<T>; died: Promise<never> }

/** `create` must spell `new Worker(new URL(…, import.meta.url))` for Vite to bundle the worker. */
function spawn<T>(create: () => Worker, name: string, onDeath: () => void): Handle<T> {
  const worker = create();
  let fail!: (e: Error) => void;
  const died = new Promise<never>((_, reject) => { fail = reject; });
  died.catch(() => undefined);
  worker.addEventListener('error', (e) => { e.preventDefault(); onDeath(); worker.terminate(); fail(new WorkerDiedError(name, e.message || 'an uncaught error')); });
  return { remote: Comlink.wrap<T>(worker), died };
}

let engine: Handle<EngineHost> | null = null;
let problems: Handle<ProblemsApi> | null = null;

/** Wrap a remote so that each call also fails when the worker dies. */
function guarded<T extends object>(h: Handle<T>): Comlink.Remote<T> {
  return new Proxy(h.remote as object, {
    get: (target, prop) => {
      const f = (target as Record<string | symbol, unknown>)[prop];
      return typeof f === 'function' ? (...args: unknown[]) => Promise.race([(f as (...a: unknown[]) => Promise<unknown>)(...args), h.died]) : f;
    },
  }) as Comlink.Remote<T>;
}

export function engineWorker(): Comlink.Remote<EngineHost> {
  // the engine's verifier workers reach the page's Python isolates (pulp) through it
  engine ??= spawn<EngineHost>(() => withPyodide(new Worker(new URL('../host/engine-worker.browser.ts', import.meta.url), { type: 'module', name: 'evom-engine' })), 'engine', () => { engine = null; });
  return guarded(engine);
}

function withPyodide(w: Worker): Worker {
  offerPyodideHost(w);
  return w;
}

export function problemsWorker(): Comlink.Remote<ProblemsApi> {
  problems ??= spawn<ProblemsApi>(() => new Worker(new URL('../problems/worker.browser.ts', import.meta.url), { type: 'module', name: 'evom-problems' }), 'problems', () => { problems = null; });
  return guarded(problems);
}

export const proxy = Comlink.proxy;
