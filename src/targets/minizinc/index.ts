// Target 'minizinc' (and its backends 'minizinc-cbc', 'minizinc-gecode', 'minizinc-chuffed'): the
// model writes MiniZinc; MiniZinc 2.10 in WebAssembly (npm `minizinc`) compiles it to FlatZinc and
// the host judges the FlatZinc: re-solved by HiGHS (default) or solved by the named backend.
//   engine.ts    MiniZinc's wasm in this thread, a fresh instance per run, output capped
//   flatzinc.ts  FlatZinc read back: the linear model, the numbers the integrity rule reads
//   runner.ts    compile → judge → TargetRun
//   gold.ts      the generator's LinearModel as MiniZinc

import type { GoldInput, TargetModule } from '../target.ts';
import { MINIZINC_ASSETS } from './engine.ts';
import { toMiniZinc } from './gold.ts';
import type { MiniZincBackend } from './runner.ts';

const RULES = [
  'Declare every decision variable with var and its type: var int (or a range such as var 0..10) for whole numbers, var float for quantities; state bounds as constraints (constraint x >= 0;) or in the range.',
  'One constraint item per constraint: constraint 2 * x + 3 * y <= 40; every item ends with a semicolon.',
  'Parameters and arrays are welcome (int: n = 3; array[1..n] of int: cost = [4, 5, 6]; sum(i in 1..n)(cost[i] * x[i])).',
  'End with exactly one solve item: solve maximize <expression>; or solve minimize <expression>; (not solve satisfy). No output item is needed: the verifier reads the solver\'s objective.',
  'Keep it linear: no products or divisions of two variables.',
];
// Gecode and Chuffed search over finite integer ranges: an unbounded var float is refused, and a
// continuous objective is searched step by step (Gecode enumerates ever larger tiny floats)
const CP_RULES = [...RULES, 'Give every variable a finite integer range (var 0..100: n): this solver searches over integer ranges; it refuses unbounded var float and is very slow on continuous objectives.'];
/** the same example, with x whole (its optimum is whole: x = 3) */
const CP_EXAMPLE = 'var 0..3: x;\nvar 0..10: y;\nconstraint x + y <= 4;\nconstraint x + 3 * y <= 6;\nsolve maximize 3 * x + 2 * y;';

const EXAMPLE = 'var 0.0..3.0: x;\nvar 0..10: y;\nconstraint x + y <= 4;\nconstraint x + 3 * y <= 6;\nsolve maximize 3 * x + 2 * y;';

function minizincTarget(name: string, backend: MiniZincBackend, solverName: string): TargetModule {
  return {
    // the generator's gold model is written once, for the default backend: the others read the same text
    ...(backend === 'highs' ? { gold: (p: GoldInput) => toMiniZinc(p.model) } : {}),
    name,
    language: `MiniZinc (solved by ${solverName})`,
    runs: 'worker',
    fences: ['minizinc', 'mzn'],
    rules: backend === 'gecode' || backend === 'chuffed' ? CP_RULES : RULES,
    example: backend === 'gecode' || backend === 'chuffed' ? CP_EXAMPLE : EXAMPLE,
    assets: MINIZINC_ASSETS,
    // ~0.5 s a run: not warmed by pools, not solved for every generated problem
    costly: true,
    createRunner: async (env) => (await import('./runner.ts')).createMiniZincRunner(env.asset, backend, () => env.runner('highs')),
  };
}

export const MINIZINC_TARGETS: readonly TargetModule[] = [
  minizincTarget('minizinc', 'highs', 'HiGHS'),
  minizincTarget('minizinc-cbc', 'cbc', 'COIN-BC'),
  minizincTarget('minizinc-gecode', 'gecode', 'Gecode'),
  minizincTarget('minizinc-chuffed', 'chuffed', 'Chuffed'),
];
