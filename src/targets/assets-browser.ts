// Wasm binaries in browsers: URLs that Vite emits as assets next to the bundle.

import highsWasmUrl from 'highs/runtime?url';
import glpkFullWasmUrl from 'glpk-wasm-full.wasm?url';
import type { SolverAssets } from './runners.ts';

async function fetchBytes(url: string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`could not load ${url}: HTTP ${res.status}`);
  return res.arrayBuffer();
}

export const browserSolverAssets: SolverAssets = {
  highs: () => fetchBytes(highsWasmUrl),
  glpkMathprog: () => fetchBytes(glpkFullWasmUrl),
};
