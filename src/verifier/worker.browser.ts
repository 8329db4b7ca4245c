// Verifier worker for browsers (a module Web Worker), spawned by src/verifier/pool-browser.ts.
import * as Comlink from 'comlink';
import { createVerifierApi } from './worker-api.ts';
import { browserAssets } from '../targets/assets-browser.ts';
import { acceptPyodideHost } from './pyodide-link.ts';

// the pulp target's interpreters: the page's sandboxed iframes, over the port the pool sends first
Comlink.expose(createVerifierApi(browserAssets, { pyodide: acceptPyodideHost() }));
