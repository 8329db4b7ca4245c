// What a verifier worker exposes over comlink. Shared by the browser and Node worker entries.

import { installMemoryCeiling } from '../targets/memory-ceiling.ts';
import type { Outcome } from './outcome.ts';
import { createTargets, type SolverAssets } from '../targets/runners.ts';
import { verifyInThread, type VerifyJob } from './verify.ts';

export interface VerifierApi {
  verify(job: VerifyJob): Promise<Outcome>;
  /** Load and compile every solver now, so the first job is not slowed by it. */
  warm(): Promise<void>;
  ping(): string;
}

export function createVerifierApi(assets: SolverAssets): VerifierApi {
  installMemoryCeiling();
  const targets = createTargets(assets);
  return {
    verify: (job) => verifyInThread(job, targets),
    async warm() {
      const tiny = { time_limit_s: 1, memory_limit_bytes: 256 * 1048576, max_log_lines: 10 };
      await targets.highs!.solve('Maximize\n obj: x\nSubject To\n c: x <= 1\nEnd\n', tiny);
      await targets.glpk!.solve('var x >= 0;\nmaximize z: x;\ns.t. c: x <= 1;\nend;\n', tiny);
      await targets['glpk-json']!.solve('{"name":"w","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":1}]},"subjectTo":[{"name":"c","vars":[{"name":"x","coef":1}],"bnds":{"type":3,"ub":1,"lb":0}}]}', tiny);
    },
    ping: () => 'pong',
  };
}
