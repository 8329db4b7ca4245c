// The runners of every 'worker' target in the registry, for one thread (a verifier worker, the
// problems worker, a test). Each target's runner code is imported here; its wasm is loaded and
// compiled the first time it solves.

import { allTargets } from './registry.ts';
import type { AssetLoader, TargetRunner } from './target.ts';

/** target name → its runner in this thread */
export type Runners = Record<string, TargetRunner>;

export async function createRunners(asset: AssetLoader): Promise<Runners> {
  const runners: Runners = {};
  const env = { asset, runner: (name: string) => runners[name] };
  const targets = allTargets().filter((t) => t.runs === 'worker' && t.createRunner);
  const made = await Promise.all(targets.map((t) => t.createRunner!(env)));
  targets.forEach((t, i) => { runners[t.name] = made[i]!; });
  return runners;
}
