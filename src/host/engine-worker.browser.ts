// The Studio's engine worker (a module Web Worker): WebGPU engine, trainer and the verifier pool
// (nested workers), exposed with comlink. See src/host/studio-engine.ts.
import * as Comlink from 'comlink';
import { createStudioEngine } from './studio-engine.ts';
import { acceptPyodideHost } from '../verifier/pyodide-link.ts';

// the page's Python isolates (pulp), forwarded to this worker's verifier workers
acceptPyodideHost();
Comlink.expose(createStudioEngine());
