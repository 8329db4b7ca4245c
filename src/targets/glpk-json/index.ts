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
  rules: [
    'Keys: name, objective {direction, name, vars}, subjectTo [{name, vars, bnds}], and optionally bounds [{name, type, lb, ub}], generals (integer variables) and binaries (0/1 variables); any other key is an error.',
    'direction: 1 minimize, 2 maximize. Bound types: 1 free, 2 lower (>= lb), 3 upper (<= ub), 4 double (lb <= . <= ub), 5 fixed (= lb).',
    'A >= constraint: {"name": "demand", "vars": [{"name": "x", "coef": 1}], "bnds": {"type": 2, "lb": 10, "ub": 0}}.',
    'Variables are >= 0 unless bounds says otherwise; every coefficient is a number.',
  ],
  example: '{"name": "m", "objective": {"direction": 2, "name": "obj", "vars": [{"name": "x", "coef": 3}, {"name": "y", "coef": 2}]},\n "subjectTo": [{"name": "c1", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 1}], "bnds": {"type": 3, "ub": 4, "lb": 0}},\n  {"name": "c2", "vars": [{"name": "x", "coef": 1}, {"name": "y", "coef": 3}], "bnds": {"type": 3, "ub": 6, "lb": 0}}],\n "bounds": [{"name": "x", "type": 4, "lb": 0, "ub": 3}], "generals": ["y"]}',
  gold: (p) => JSON.stringify(toGlpkJson(p.id, p.model)),
  // glpk.js carries its wasm inside its JavaScript
  createRunner: async () => (await import('./runner.ts')).createGlpkJsonRunner(),
};
