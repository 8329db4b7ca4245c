// The in-browser targets, built from wherever this environment finds the wasm binaries.

import { createHighsTarget, type WasmSource } from './highs/runner.ts';
import { createGlpkTarget } from './glpk/runner.ts';
import { createGlpkJsonTarget } from './glpk-json/runner.ts';
import type { TargetRegistry } from '../verifier/verify.ts';

export interface SolverAssets {
  /** highs.wasm bytes (npm `highs`) */
  highs: WasmSource;
  /** glpk.full.wasm bytes (npm `glpk-wasm`, the build with the MathProg translator) */
  glpkMathprog: WasmSource;
}

export function createTargets(assets: SolverAssets): TargetRegistry {
  const glpk = createGlpkTarget(assets.glpkMathprog);
  return {
    highs: createHighsTarget(assets.highs, (text) => glpk.readCplexLp(text)),
    glpk,
    'glpk-json': createGlpkJsonTarget(),
  };
}
