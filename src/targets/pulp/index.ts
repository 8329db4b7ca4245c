// Target pulp: Python with PuLP, run in Pyodide (CPython in WebAssembly) in the browser and the CLI,
// every PuLP solve served by HiGHS in WebAssembly; with --server, the sandbox server runs it with
// CPython and CBC instead (src/targets/python/harness.py on both). PuLP 2.6.0 (MIT, Debian's
// python3-pulp, vendor/) is shipped with the app; Pyodide 314.0.8 (MPL-2.0) is npm's.

import type { TargetModule } from '../target.ts';
import { PYTHON_RULES } from '../python/index.ts';
import { toPulp } from './gold.ts';

export const pulp: TargetModule = {
  name: 'pulp',
  language: 'Python with PuLP',
  runs: 'worker',
  serverNative: true,
  costly: true,
  startAllowanceMs: 60_000,
  example: 'import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 3)\ny = pulp.LpVariable("y", 0, cat="Integer")\nprob += 3 * x + 2 * y\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\nprint("Optimal value:", pulp.value(prob.objective))',
  fences: ['python', 'py', 'python3'],
  rules: [...PYTHON_RULES, 'Only PuLP and the standard library are available; prob.solve() with any PuLP solver (the default, PULP_CBC_CMD, HiGHS_CMD) solves it.'],
  gold: (p) => toPulp(p.model),
  assets: {
    pyodide: { package: 'pyodide', file: 'pyodide.mjs' },
    pyodideAsm: { package: 'pyodide', file: 'pyodide.asm.mjs' },
    pyodideWasm: { package: 'pyodide', file: 'pyodide.asm.wasm' },
    pyodideStdlib: { package: 'pyodide', file: 'python_stdlib.zip' },
    pyodideLock: { package: 'pyodide', file: 'pyodide-lock.json' },
    // HiGHS for PuLP's solves inside the interpreter, as a module of its own (browsers: isolate-browser.ts)
    highsModule: { package: 'highs', file: 'build/highs.mjs' },
    highsWasm: { package: 'highs', file: 'build/highs.wasm' },
  },
  createRunner: async (env) => (await import('./runner.ts')).createPulpRunner(env),
};
