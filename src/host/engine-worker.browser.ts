// The Studio's engine worker (a module Web Worker): WebGPU engine, trainer and the verifier pool
// (nested workers), exposed with comlink. See src/host/studio-engine.ts.
import * as Comlink from 'comlink';
import { createStudioEngine } from './studio-engine.ts';

Comlink.expose(createStudioEngine());
