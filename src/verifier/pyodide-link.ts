// How verifier workers in a browser reach the page's Python isolates (the pulp target): the page
// owns ONE host (src/targets/pulp/isolate-browser.ts: sandboxed iframes need a document), made on
// the first pulp run, or when the page's user chooses pulp (preparePyodide), and never before: a page
// that does not use pulp never loads Pyodide. Every
// worker that may run pulp, or spawn workers that do, is handed a MessagePort to it when it is
// created (offerPyodideHost), and takes it as its first message (acceptPyodideHost) before comlink
// sees any. A worker that spawns verifier workers itself (the Studio's engine worker) forwards its
// own port's host to theirs.

import * as Comlink from 'comlink';
import type { PyodideHost } from '../targets/pulp/isolate.ts';
import { targetModule } from '../targets/registry.ts';

const KEY = 'evomPyodideHost';
const NO_STATS = { started: 0, runs: 0, ready: 0, snapshotMs: null };

/** Set by vite.config.ts: true in worker bundles, which never hold the host (no document) */
declare const __EVOM_WORKER_BUNDLE__: boolean | undefined;
const WORKER_BUNDLE = typeof __EVOM_WORKER_BUNDLE__ !== 'undefined' && __EVOM_WORKER_BUNDLE__;

type PageHost = import('../targets/pulp/isolate-browser.ts').IframePyodideHost;
let local: Promise<PageHost> | null = null;
const pageHost = () => local ??= WORKER_BUNDLE
  ? Promise.reject(new Error('no Python isolates in a worker'))
  : import('../targets/pulp/isolate-browser.ts').then((m) => new m.IframePyodideHost());
/** In a worker: the host behind the port its creator sent (null until then, or when none came). */
let upstream: Comlink.Remote<PyodideHost> | null = null;

const inPage = () => typeof document !== 'undefined' && typeof document.createElement === 'function';

/** The page's host, or the one a worker was given: a stand-in whose work starts on the first run. */
export const pyodideHost: PyodideHost = {
  async run(r) {
    if (inPage()) {
      let host: PageHost;
      try {
        host = await pageHost();
      } catch (e) {
        local = null;
        return { kind: 'unavailable', detail: `the Python isolate host could not be loaded: ${(e as Error).message}` };
      }
      return host.run(r);
    }
    if (upstream) return upstream.run(r);
    return { kind: 'unavailable', detail: 'the pulp target needs the page\'s Python isolates, and this worker was given no link to them' };
  },
  async stats() {
    if (inPage()) return (await local?.catch(() => null))?.stats() ?? NO_STATS;
    return upstream ? upstream.stats() : NO_STATS;
  },
  // the page owns the host: a worker cannot close it for the others
  async close() {},
};

/** Give a new worker a port to this context's host; the returned function closes it (on terminate). */
export function offerPyodideHost(worker: Worker): () => void {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(pyodideHost, port1);
  worker.postMessage({ [KEY]: port2 }, [port2]);
  return () => port1.close();
}

/** In a worker, before Comlink.expose: take the port the creator sends first (offerPyodideHost). */
export function acceptPyodideHost(scope: EventTarget = globalThis): PyodideHost {
  scope.addEventListener('message', function take(e: Event) {
    const data = (e as MessageEvent).data as Record<string, unknown> | null;
    if (!data || typeof data !== 'object' || !(data[KEY] instanceof MessagePort)) return;
    e.stopImmediatePropagation();
    scope.removeEventListener('message', take);
    upstream = Comlink.wrap<PyodideHost>(data[KEY] as MessagePort);
  });
  return pyodideHost;
}

/**
 * In a page that is about to run pulp (its target was chosen): load Pyodide and prepare the first
 * interpreter now, so that the first run does not spend its wall clock on it (about 10 s the first
 * time on a page: a fresh interpreter for the snapshot, then one restored from it). Resolves when it
 * is ready; never rejects. Limits: the runs' (the interpreter is prepared for that memory limit).
 */
export async function preparePyodide(limits: { memory_limit_mb: number; max_log_lines: number }): Promise<void> {
  if (!inPage()) return;
  try {
    await (await pageHost()).prepare(limits.memory_limit_mb * 1048576, limits.max_log_lines);
  } catch {
    // the host's code could not be loaded (offline, not cached): the first run says so
    local = null;
  }
}

/** Whether a target's runs need the page's Python isolates (its files include Pyodide's). */
export function targetUsesPyodide(name: string): boolean {
  return Object.values(targetModule(name)?.assets ?? {}).some((a) => a.package === 'pyodide');
}
