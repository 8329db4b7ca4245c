// Verifier worker for browsers (a module Web Worker), spawned by src/pool-browser.ts.
import * as Comlink from 'comlink';
import { createVerifierApi } from '../src/verifier-api.ts';
import { browserSolverAssets } from '../src/solver-assets-browser.ts';

Comlink.expose(createVerifierApi(browserSolverAssets));
