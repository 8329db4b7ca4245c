// The server's re-solves of exported models (check-export.ts): HiGHS in verifier workers, so a hard
// model never blocks the server's event loop. The pool starts on the first re-solve.

import type { LpResolver } from '../../src/targets/python/check-export.ts';
import type { VerifierPool } from '../../src/verifier/pool.ts';
import { createNodePool } from '../../src/verifier/pool-node.ts';

let pool: VerifierPool | null = null;

export const poolResolver: LpResolver = (text, timeLimitS) => {
  pool ??= createNodePool({ size: 2 });
  return pool.verify({
    completion: text, raw_code: true, target: 'highs', answer: 0,
    config: { solver_time_limit_s: timeLimitS, wall_limit_ms: (timeLimitS + 5) * 1000, memory_limit_mb: 2048 },
  }).then((o) => ({ status: o.status, objective: o.objective }));
};

export async function closeExportChecks(): Promise<void> {
  const p = pool;
  pool = null;
  await p?.close();
}
