// The runners of every 'worker' target in the registry, for one thread (a verifier worker, the
// problems worker, a test). Built eagerly, cheaply: each runner loads and compiles its wasm the
// first time it solves.

import { allTargets } from './registry.ts';
import type { AssetLoader, TargetRunner } from './target.ts';

/** target name → its runner in this thread */
export type Runners = Record<string, TargetRunner>;

export function createRunners(asset: AssetLoader): Runners {
  const runners: Runners = {};
  const env = { asset, runner: (name: string) => runners[name] };
  for (const t of allTargets()) if (t.runs === 'worker' && t.createRunner) runners[t.name] = t.createRunner(env);
  return runners;
}
