// Target 'highs': the model writes CPLEX LP text; HiGHS (npm `highs`, WebAssembly) solves it.
//   lp-format.ts  the LP checker (HiGHS's reader aborts without saying where)
//   runner.ts     check → solve → TargetRun
//   gold.ts       the generator's LinearModel as LP text

import type { GlpkRunner } from '../glpk/runner.ts';
import type { TargetModule } from '../target.ts';
import { toLp } from './gold.ts';

const WASM = { package: 'highs', file: 'build/highs.wasm' };

export const highs: TargetModule = {
  name: 'highs',
  language: 'CPLEX LP format (solved by HiGHS)',
  runs: 'worker',
  fences: ['lp', 'cplex', 'cplex-lp'],
  rules: [
    'Sections in this order: Maximize or Minimize, Subject To, then optionally Bounds, General (integer variables) and Binary (0/1 variables); the last line is End.',
    'Each constraint on its own line, named like "c1:", with only <=, >= or = (not < or >).',
    'Variables on the left of the operator and a single number on the right: no constants on the left, no variables on the right (move "- 3 y" to the left as "+ 3 y").',
    'A coefficient and its variable with a space: 3 x (not 3x or 3*x); no parentheses, no products of variables, no division.',
    'Each variable once in the objective: write 5 x, not 2 x + 3 x.',
    'Names: letters, digits and _, starting with a letter; not a reserved word (max, min, st, end, free, bounds, general, gen, integer, binary, bin, subject).',
    'Variables are >= 0 unless Bounds says otherwise (x free, -inf <= x <= 10).',
  ],
  example: 'Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nGeneral\n y\nEnd',
  gold: (p) => toLp(p.model),
  assets: { wasm: WASM },
  createRunner: async (env) => (await import('./runner.ts')).createHighsRunner(() => env.asset(WASM), async (text) => {
    // When HiGHS rejects a text the checker passed, GLPK's LP reader often says where.
    const glpk = env.runner('glpk') as GlpkRunner | undefined;
    return glpk ? glpk.readCplexLp(text) : [];
  }),
};
