// Problem generator worker for browsers: generates word problems and solves their gold models with
// the wasm solvers (glpk.js can only load its wasm synchronously inside a worker).
import * as Comlink from 'comlink';
import { generateBenchmark } from '../src/problems.ts';
import { createTargets } from '../src/solver-targets.ts';
import { browserSolverAssets } from '../src/solver-assets-browser.ts';

const targets = createTargets(browserSolverAssets);
const api = { generate: (opts: Parameters<typeof generateBenchmark>[0]) => generateBenchmark(opts, targets) };
export type ProblemsApi = typeof api;
Comlink.expose(api);
