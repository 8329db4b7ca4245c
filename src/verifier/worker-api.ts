// What a verifier worker exposes over comlink. Shared by the browser and Node worker entries.

import { installMemoryCeiling } from '../targets/memory-ceiling.ts';
import { allTargets } from '../targets/registry.ts';
import { createRunners } from '../targets/runners.ts';
import type { AssetLoader, RunnerEnv } from '../targets/target.ts';
import { resolveConfig } from './config.ts';
import type { TargetRun } from './outcome.ts';
import { prepare, type Prepared, type VerifyJob } from './score.ts';
import { runCode, type RunJob } from './verify.ts';

export interface VerifierApi {
  /** Extract a job's code (the protocol, the size limits), with its target's checker to choose among fences. */
  prepare(job: VerifyJob): Promise<Prepared>;
  /** Run extracted code on a target; the pool scores the run. */
  run(job: RunJob): Promise<TargetRun>;
  /** Load and compile every solver now (by solving each target's example), so the first job is not slowed by it. */
  warm(): Promise<void>;
  ping(): string;
}

/** extra: what the environment provides the runners beyond files (browsers: the page's Python isolates) */
export function createVerifierApi(assets: AssetLoader, extra: Pick<RunnerEnv, 'pyodide'> = {}): VerifierApi {
  installMemoryCeiling();
  const made = createRunners(assets, extra);
  return {
    prepare: async (job) => prepare(job, resolveConfig(job.config), (await made)[job.target]),
    run: async (job) => runCode(job, await made),
    async warm() {
      const runners = await made;
      const tiny = { time_limit_s: 1, memory_limit_bytes: 256 * 1048576, max_log_lines: 10 };
      for (const t of allTargets()) if (runners[t.name] && !t.costly) await runners[t.name]!.solve(t.example, tiny);
    },
    ping: () => 'pong',
  };
}
