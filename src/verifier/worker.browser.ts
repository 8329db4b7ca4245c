// Verifier worker for browsers (a module Web Worker), spawned by src/verifier/pool-browser.ts.
import * as Comlink from 'comlink';
import { createVerifierApi } from './worker-api.ts';
import { browserAssets } from '../targets/assets-browser.ts';

Comlink.expose(createVerifierApi(browserAssets));
