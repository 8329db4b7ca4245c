// The runners of every 'worker' target in the registry, for one thread (a verifier worker, the
// problems worker, a test). Each target's runner code is imported here; its wasm is loaded and
// compiled the first time it solves.

import { allTargets } from './registry.ts';
import type { AssetLoader, RunnerEnv, TargetRunner } from './target.ts';

/** target name → its runner in this thread */
export type Runners = Record<string, TargetRunner>;

/** extra: what the environment provides beyond files (RunnerEnv.pyodide: the page's Python isolates) */
export async function createRunners(asset: AssetLoader, extra: Pick<RunnerEnv, 'pyodide'> = {}): Promise<Runners> {
  const runners: Runners = {};
  const env: RunnerEnv = { asset, runner: (name: string) => runners[name], ...(extra.pyodide ? { pyodide: extra.pyodide } : {}) };
  const targets = allTargets().filter((t) => t.runs === 'worker' && t.createRunner);
  const made = await Promise.all(targets.map((t) => t.createRunner!(env)));
  targets.forEach((t, i) => { runners[t.name] = made[i]!; });
  return runners;
}
