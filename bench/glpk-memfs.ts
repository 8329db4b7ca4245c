// Security review v05: GLPK runs that each write ~50 MB to its in-memory filesystem (MEMFS), one
// after another in one pool worker. MEMFS keeps file data in JS typed arrays, outside wasm memory;
// before the fix every run's file stayed (123 MiB → 1,736 MiB over 30 runs). Now each run's files
// are removed after it and count against its memory limit, and a dropped GLPK instance is freed
// (glpk-wasm's glue pinned each one with process listeners), so the process RSS must stay flat.
// Prints the RSS (worker threads share the process) before, during and after; no thresholds.
//
//   npx tsx bench/glpk-memfs.ts [--runs 30]

import { createNodePool } from '../src/verifier/pool-node.ts';
import type { Outcome } from '../src/verifier/outcome.ts';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg('--runs', 30);
const MiB = 1048576;
const rssMiB = () => process.memoryUsage().rss / MiB;

/** Optimum 3, then `lines` lines of 1,000 bytes to /tmp/big.txt after `solve;` (50,000 lines ≈ 50 MB). */
const writer = (lines: number) =>
  `<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nfor {i in 1..${lines}} printf "%0999d\\n", i >> "/tmp/big.txt";\nend;\n</code>`;
const WRITE_50MB = writer(50_000);

async function main(): Promise<void> {
  const pool = createNodePool({ size: 1 }); // one worker: every run meets the same GLPK instance
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, rssMiB()); }, 50);
  try {
    const warm = await pool.verify({ completion: writer(1), target: 'glpk', answer: 3 });
    console.log(`warm-up job: ${warm.class}`);
    const before = rssMiB();
    peak = before;
    console.log(`process RSS before: ${before.toFixed(0)} MiB`);

    const phase = async (title: string, config: { memory_limit_mb?: number }) => {
      console.log(`\n${title}`);
      const classes = new Map<string, number>();
      let last: Outcome | null = null;
      const t0 = performance.now();
      for (let k = 1; k <= RUNS; k++) {
        last = await pool.verify({ completion: WRITE_50MB, target: 'glpk', answer: 3, config: { wall_limit_ms: 30_000, ...config } });
        classes.set(last.class, (classes.get(last.class) ?? 0) + 1);
        if (k % 5 === 0 || k === 1) console.log(`  after run ${String(k).padStart(2)}: RSS ${rssMiB().toFixed(0)} MiB (peak so far ${peak.toFixed(0)} MiB)`);
      }
      const secs = (performance.now() - t0) / 1000;
      console.log(`  outcomes: ${[...classes].map(([c, n]) => `${c} ${n}`).join(', ')}; ${secs.toFixed(1)} s (${(secs / RUNS).toFixed(2)} s a run)`);
      const failure = last?.messages.find((m) => m.severity === 'error');
      if (failure) console.log(`  last message: ${failure.text}`);
    };

    await phase(`${RUNS} runs writing ~50 MB each, default limits (1024 MiB): files removed after each run`, {});
    await phase(`${RUNS} runs writing ~50 MB each, memory_limit_mb 32: the file budget stops each run`, { memory_limit_mb: 32 });

    const good = await pool.verify({ completion: writer(1), target: 'glpk', answer: 3 });
    const after = rssMiB();
    console.log(`\nnext good job: ${good.class}`);
    await new Promise((r) => setTimeout(r, 3000));
    const idle = rssMiB();
    const delta = (x: number) => `${x - before >= 0 ? '+' : ''}${(x - before).toFixed(0)} MiB`;
    console.log(`process RSS before ${before.toFixed(0)} MiB, after ${after.toFixed(0)} MiB (${delta(after)}), 3 s later ${idle.toFixed(0)} MiB (${delta(idle)}), peak ${peak.toFixed(0)} MiB`);
    console.log(`pool: ${JSON.stringify(pool.stats())}`);
  } finally {
    clearInterval(sampler);
    await pool.close();
  }
}

await main();
