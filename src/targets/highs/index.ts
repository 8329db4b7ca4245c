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
  example: 'Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nGeneral\n y\nEnd',
  gold: (p) => toLp(p.model),
  assets: { wasm: WASM },
  createRunner: async (env) => (await import('./runner.ts')).createHighsRunner(() => env.asset(WASM), async (text) => {
    // When HiGHS rejects a text the checker passed, GLPK's LP reader often says where.
    const glpk = env.runner('glpk') as GlpkRunner | undefined;
    return glpk ? glpk.readCplexLp(text) : [];
  }),
};
