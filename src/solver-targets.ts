// The in-browser targets, built from wherever this environment finds the wasm binaries.

import { createHighsTarget, type WasmSource } from './target-highs.ts';
import { createGlpkTarget } from './target-glpk.ts';
import { createGlpkJsonTarget } from './target-glpk-json.ts';
import type { TargetRegistry } from './verify.ts';

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
