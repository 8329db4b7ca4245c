// The verifier pool in browsers: module Web Workers running workers/verifier.browser.ts.

import * as Comlink from 'comlink';
import type { VerifierApi } from './verifier-api.ts';
import { VerifierPool, type PoolOptions, type WorkerHandle } from './pool.ts';

export function spawnBrowserVerifier(): WorkerHandle {
  const worker = new Worker(new URL('../workers/verifier.browser.ts', import.meta.url), { type: 'module', name: 'evom-verifier' });
  const api = Comlink.wrap<VerifierApi>(worker);
  let deathCb: ((reason: string) => void) | null = null;
  let dead = false;
  const die = (reason: string) => {
    if (dead) return;
    dead = true;
    deathCb?.(reason);
  };
  worker.addEventListener('error', (e) => die(e.message || 'worker error'));
  worker.addEventListener('messageerror', () => die('a message could not be deserialized'));
  return {
    api,
    terminate: () => { dead = true; worker.terminate(); },
    onDeath: (cb) => { deathCb = cb; },
  };
}

export function createBrowserPool(opts: PoolOptions = {}): VerifierPool {
  const cores = typeof navigator !== 'undefined' ? navigator.hardwareConcurrency || 2 : 2;
  return new VerifierPool(spawnBrowserVerifier, { ...opts, size: opts.size ?? Math.max(1, Math.min(cores, 8)) });
}
