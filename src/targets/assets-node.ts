// Wasm binaries in Node: read from the installed npm packages.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { SolverAssets } from './runners.ts';

const require = createRequire(import.meta.url);

export const nodeSolverAssets: SolverAssets = {
  highs: () => readFile(join(dirname(require.resolve('highs')), 'highs.wasm')),
  glpkMathprog: () => readFile(join(dirname(require.resolve('glpk-wasm/full')), 'glpk.full.wasm')),
};
