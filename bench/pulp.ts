// The pulp target (Python with PuLP in Pyodide, one bubblewrap'd interpreter per run) beside HiGHS on
// the same generated problems. Prints:
//   - the snapshot (a fresh interpreter with PuLP imported; made once, cached on disk) and a restored
//     interpreter's start (what each run costs, off the critical path when the pool keeps ahead);
//   - a run's latency with no interpreter prepared (cold) and with one prepared ahead (warm);
//   - verifications per second through the verifier pool, against highs in the same run, and CPU per
//     run: an interpreter's process (its own count, start to report) and this process's.
// Figures only; no thresholds.
//
//   npx tsx bench/pulp.ts [--count 24] [--workers 2]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateProblems } from '../src/problems/generator.ts';
import { NodePyodideHost } from '../src/targets/pulp/isolate-node.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';

const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : fallback; };
const COUNT = arg('--count', 24);
const WORKERS = arg('--workers', 2);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of this process and of its reaped children (/proc/self/stat utime, stime, cutime, cstime);
 *  the interpreters' processes are killed, not reaped through their sandbox, so theirs is printed above. */
function cpuSeconds(): number {
  const f = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
}

async function main(): Promise<void> {
  const problems = generateProblems({ count: COUNT, seed: 11, difficulty: 2 });
  const job = (code: string) => ({ code, cfg: { target: 'pulp', solver_time_limit: 10 }, memoryBytes: 1024 * 1048576, wallMs: 30_000, startMs: 60_000, maxLogLines: 50 });

  // the snapshot, made in a cache folder of its own so that it is really made
  const cache = mkdtempSync(join(tmpdir(), 'evom-pulp-bench-'));
  const saved = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  try {
    const cold = new NodePyodideHost(0);
    const first = await cold.run(job(problems[0]!.gold.pulp!));
    const snapshotMs = (await cold.stats()).snapshotMs!;
    console.log(`snapshot of a fresh interpreter (Pyodide start, PuLP and the harness imported), once per build: ${snapshotMs.toFixed(0)} ms (first run in all ${first.kind === 'report' ? (first.waitMs + first.runMs).toFixed(0) : first.kind} ms)`);
    const coldMs: number[] = [];
    const coldRun: number[] = [];
    const cpuMs: number[] = [];
    for (const p of problems.slice(1, 6)) {
      const t = performance.now();
      const r = await cold.run(job(p.gold.pulp!));
      coldMs.push(performance.now() - t);
      if (r.kind === 'report') { coldRun.push(r.runMs); cpuMs.push(r.cpuMs ?? 0); }
    }
    await cold.close();
    const warm = new NodePyodideHost(1);
    await warm.run(job(problems[0]!.gold.pulp!));
    const warmMs: number[] = [];
    for (const p of problems.slice(1, 6)) {
      await sleep(2500); // the pool keeps ahead: the next interpreter is ready before the run
      const t = performance.now();
      await warm.run(job(p.gold.pulp!));
      warmMs.push(performance.now() - t);
    }
    await warm.close();
    console.log(`a run with no interpreter prepared (median of 5): ${median(coldMs).toFixed(0)} ms, of which the code's run (PuLP model, HiGHS solve, export) ${median(coldRun).toFixed(0)} ms`);
    console.log(`CPU of an interpreter's process, start to report (median of 5): ${median(cpuMs).toFixed(0)} ms`);
    console.log(`a run while the pool keeps one interpreter ahead (median of 5): ${median(warmMs).toFixed(0)} ms`);
  } finally {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME; else process.env.XDG_CACHE_HOME = saved;
    rmSync(cache, { recursive: true, force: true });
  }

  const pool = createNodePool({ size: WORKERS });
  try {
    const answers = await pool.verifyAll(problems.map((p) => ({ completion: p.gold.highs!, raw_code: true, target: 'highs', answer: 0 })));
    // warm every worker on both targets
    await pool.verifyAll(Array.from({ length: WORKERS * 2 }, (_, i) => ({ completion: problems[i % problems.length]!.gold[i % 2 ? 'pulp' : 'highs']!, raw_code: true, target: i % 2 ? 'pulp' : 'highs', answer: 0 })));
    const rows: string[] = [];
    let highsRate = 0;
    for (const target of ['highs', 'pulp']) {
      const cpu0 = cpuSeconds();
      const t0 = performance.now();
      const outs = await pool.verifyAll(problems.map((p, i) => ({ completion: p.gold[target]!, raw_code: true, target, answer: answers[i]!.objective ?? 0, question: p.question })));
      const wall = (performance.now() - t0) / 1000;
      await sleep(3000); // the interpreters started ahead finish their start, so their CPU is counted
      const cpu = cpuSeconds() - cpu0;
      const rate = outs.length / wall;
      if (target === 'highs') highsRate = rate;
      const correct = outs.filter((o) => o.class === 'correct').length;
      rows.push(`| ${target} | ${correct}/${outs.length} | ${rate.toFixed(2)} | ${(rate / highsRate).toFixed(3)} | ${(outs.reduce((a, o) => a + o.solve_ms, 0) / outs.length).toFixed(0)} | ${(cpu * 1000 / outs.length).toFixed(0)} |`);
    }
    console.log(`\n${COUNT} generated problems (difficulty 2), ${WORKERS} pool workers; ratio against highs in the same run`);
    console.log('| target | correct | verifications/s | ratio to highs | mean solve ms | CPU ms per run (this process) |\n|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await pool.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
