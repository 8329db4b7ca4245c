// The verifier pool in browsers: module Web Workers running src/verifier/worker.browser.ts.

import * as Comlink from 'comlink';
import type { VerifierApi } from './worker-api.ts';
import { deathWatch, VerifierPool, type PoolOptions, type WorkerHandle } from './pool.ts';
import { offerPyodideHost } from './pyodide-link.ts';

export function spawnBrowserVerifier(): WorkerHandle {
  const worker = new Worker(new URL('./worker.browser.ts', import.meta.url), { type: 'module', name: 'evom-verifier' });
  // the page's Python isolates (pulp), reached over a port of their own: sent before any comlink call
  const unlink = offerPyodideHost(worker);
  const api = Comlink.wrap<VerifierApi>(worker);
  const watch = deathWatch();
  worker.addEventListener('error', (e) => watch.die(e.message || 'worker error'));
  worker.addEventListener('messageerror', () => watch.die('a message could not be deserialized'));
  return {
    api,
    terminate: () => { watch.killed(); worker.terminate(); unlink(); },
    onDeath: watch.onDeath,
  };
}

export function createBrowserPool(opts: PoolOptions = {}): VerifierPool {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return new VerifierPool(spawnBrowserVerifier, { ...opts, size: opts.size ?? Math.max(1, Math.min(cores, 8)) });
}
