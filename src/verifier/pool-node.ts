// The verifier pool in Node: worker_threads running src/verifier/worker.node.ts through tsx.

import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import type { VerifierApi } from './worker-api.ts';
import { deathWatch, VerifierPool, type PoolOptions, type WorkerHandle } from './pool.ts';

const require = createRequire(import.meta.url);
const WORKER_URL = new URL('./worker.node.ts', import.meta.url);
// Node 20 does not apply `--import tsx` to a worker's own entry file, so the worker starts
// from this small script: register tsx's loader, then import the TypeScript entry.
const TSX_API = pathToFileURL(join(dirname(require.resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })
  .catch((e) => { console.error(e); process.exit(70); });`;

/** JS heap ceiling of one worker. Wasm memory is capped separately (memory-ceiling.ts). */
const WORKER_HEAP_MB = 512;

/** A Node worker handle; `thread` is exposed for diagnostics and crash tests. */
export interface NodeWorkerHandle extends WorkerHandle {
  thread: Worker;
}

export function spawnNodeVerifier(): NodeWorkerHandle {
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    stdout: true, // solver libraries may print; keep it off the parent's stdout
    stderr: true,
  });
  worker.stdout.resume();
  let stderrTail = ''; // last bytes of the worker's stderr, to explain a death
  worker.stderr.on('data', (b: Buffer) => { stderrTail = (stderrTail + b.toString('utf8')).slice(-2000); });
  worker.unref(); // an idle pool never keeps the process alive
  const api = Comlink.wrap<VerifierApi>(nodeEndpoint(worker));
  const watch = deathWatch();
  worker.on('error', (e) => watch.die(`${e.name}: ${e.message}`));
  worker.on('exit', (code) => watch.die(`exited with code ${code}${stderrTail.trim() ? `: ${stderrTail.trim().split('\n').slice(-3).join(' ')}` : ''}`));
  return {
    api,
    thread: worker,
    terminate: () => {
      watch.killed();
      void worker.terminate();
    },
    onDeath: watch.onDeath,
  };
}

export function createNodePool(opts: PoolOptions = {}): VerifierPool {
  return new VerifierPool(spawnNodeVerifier, { ...opts, size: opts.size ?? availableParallelism() });
}
