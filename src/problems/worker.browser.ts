// Problems worker for browsers: generates word problems and solves their gold models with the wasm
// solvers (glpk.js can only load its wasm synchronously inside a worker), and reads benchmark
// files off the page's thread.
import * as Comlink from 'comlink';
import { loadBenchmarkFrom, parseBenchmark } from './benchmarks.ts';
import { DataError } from '../errors.ts';
import { generateBenchmark } from './generated.ts';
import { createRunners } from '../targets/runners.ts';
import { browserAssets } from '../targets/assets-browser.ts';

// made on first use (and never awaited at the top: messages sent before expose() would be lost)
let runners: ReturnType<typeof createRunners> | null = null;
const api = {
  generate: async (opts: Parameters<typeof generateBenchmark>[0]) => generateBenchmark(opts, await (runners ??= createRunners(browserAssets))),
  /** A benchmark from a URL or a picked File; errors name the line and the reason. */
  load: async (input: string | Blob, name: string) => {
    try {
      return typeof input === 'string' ? await loadBenchmarkFrom(input) : parseBenchmark(await input.text(), name);
    } catch (e) {
      // in words for the page (the CLI keeps the compiler-style file:line: form)
      if (e instanceof DataError) throw new Error(`${e.source}${e.line ? `, line ${e.line}` : ''}: ${e.reason}`);
      throw e;
    }
  },
};
export type ProblemsApi = typeof api;
Comlink.expose(api);
