// The Studio's engine worker (a module Web Worker): the engine host (src/host/engine-host.ts) with
// WebGPU, the verifier pool in nested workers and the run store in OPFS, exposed with comlink.
import * as Comlink from 'comlink';
import { createBrowserPool } from '../verifier/pool-browser.ts';
import { RemoteVerifier } from '../verifier/remote.ts';
import { acceptPyodideHost } from '../verifier/pyodide-link.ts';
import { browserSource, createEngineHost, defaultGpu } from './engine-host.ts';
import { HUB_TOKENS_PAGE } from '../model/hub.ts';
import { browserRunStore } from './run-store-opfs.ts';

// the page's Python isolates (pulp), forwarded to this worker's verifier workers
acceptPyodideHost();
const host = createEngineHost({
  acquireGpu: defaultGpu,
  openPool: (o) => createBrowserPool({ warm: true, ...(o.size ? { size: o.size } : {}), ...(o.remote ? { remote: new RemoteVerifier(o.remote) } : {}) }),
  // the built-in model's refs carry the app's base (this worker's URL differs once bundled); a Hub
  // model's token comes from the Model tab's field
  source: browserSource(self.location.href, true, `paste a token from ${HUB_TOKENS_PAGE} in the Hub token field (Model tab)`),
  store: browserRunStore(),
});
Comlink.expose(host);
// the host on the worker's global too, as in the command line's page (tests reach it there: test/studio.test.ts)
(self as unknown as { evomHost: typeof host }).evomHost = host;
