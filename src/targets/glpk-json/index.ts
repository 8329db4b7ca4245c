// Target 'glpk-json': the model writes a glpk.js JSON model; glpk.js (GLPK 5.0, WebAssembly) solves it.
//   check.ts   JSON syntax (line, column) and structure (JSON path) before glpk.js sees it
//   runner.ts  check → solve → TargetRun
//   gold.ts    the generator's LinearModel as glpk.js JSON

import type { TargetModule } from '../target.ts';
import { toGlpkJson } from './gold.ts';

export const glpkJson: TargetModule = {
  name: 'glpk-json',
  language: 'the glpk.js JSON model (solved by GLPK)',
  runs: 'worker',
  fences: ['json'],
  example: '{"name": "m", "objective": {"direction": 2, "name": "obj", "vars": [{"name": "x", "coef": 3}, {"name": "y", "coef": 2}]},\n "subjectTo": [{"name": "c1", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 1}], "bnds": {"type": 3, "ub": 4, "lb": 0}},\n  {"name": "c2", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 3}], "bnds": {"type": 3, "ub": 6, "lb": 0}}],\n "bounds": [{"name": "x", "type": 4, "lb": 0, "ub": 3}], "generals": ["y"]}',
  gold: (p) => JSON.stringify(toGlpkJson(p.id, p.model)),
  // glpk.js carries its wasm inside its JavaScript
  createRunner: async () => (await import('./runner.ts')).createGlpkJsonRunner(),
};
