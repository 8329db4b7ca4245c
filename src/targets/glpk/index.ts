// Target 'glpk': the model writes GNU MathProg (GMPL), with an optional data section; GLPK 5.0
// (npm `glpk-wasm`, its `full` build with the MathProg translator) solves it.
//   runner.ts  translate → generate → solve → TargetRun (GLPK's own messages, with line numbers)
//   gold.ts    the generator's LinearModel as MathProg, one statement per row

import type { TargetModule } from '../target.ts';
import { toMathProg } from './gold.ts';

const WASM = { package: 'glpk-wasm', file: 'dist/glpk.full.wasm' };

export const glpk: TargetModule = {
  name: 'glpk',
  language: 'GNU MathProg / GMPL (solved by GLPK)',
  runs: 'worker',
  fences: ['mathprog', 'gmpl', 'mod', 'ampl', 'glpk'],
  rules: [
    'Declare every variable: var x >= 0; an integer one with var n >= 0, integer; a 0/1 one with var b, binary;',
    'Every statement ends with ";". Multiply with * (3*x). One objective: maximize name: ...; or minimize name: ...;',
    'Constraints: s.t. name: expression <= number; with only <=, >= or = (not < or >).',
    'Sets and params are welcome (values in a data; section after the model); the file ends with end;',
  ],
  example: 'var x >= 0, <= 3;\nvar y >= 0, integer;\nmaximize obj: 3*x + 2*y;\ns.t. c1: x + y <= 4;\ns.t. c2: x + 3*y <= 6;\nsolve;\nend;',
  gold: (p) => toMathProg(p.model),
  assets: { wasm: WASM },
  createRunner: async (env) => (await import('./runner.ts')).createGlpkRunner(() => env.asset(WASM)),
};
