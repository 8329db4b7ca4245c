// MiniZinc beside HiGHS on the same generated problems: verifications per second through the worker
// pool (each MiniZinc run a fresh wasm instance: compile to FlatZinc, read back, re-solve), the
// one-time start-up of a worker (load and compile the 18 MB wasm), and the per-run overhead of a
// fresh MiniZinc instance (an empty model's --version, against a model's full run). CPU per run is
// the process's user+system time over the runs. Figures only; no thresholds.
//
//   npx tsx bench/minizinc.ts [--count 24] [--workers 2]

import { generateProblems } from '../src/problems/generator.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { MiniZincEngine } from '../src/targets/minizinc/engine.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';

const arg = (name: string, fallback: number) => { const i = process.argv.indexOf(name); return i >= 0 ? Number(process.argv[i + 1]) : fallback; };
const COUNT = arg('--count', 24);
const WORKERS = arg('--workers', 2);

async function main(): Promise<void> {
  // start-up and per-run overhead, in this thread
  const engine = new MiniZincEngine(nodeAssets);
  let t = performance.now();
  await engine.load();
  const loadMs = performance.now() - t;
  const overhead: number[] = [];
  for (let i = 0; i < 5; i++) { t = performance.now(); await engine.run(['--version'], {}); overhead.push(performance.now() - t); }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  console.log(`MiniZinc wasm load + compile, once per worker: ${loadMs.toFixed(0)} ms`);
  console.log(`fresh MiniZinc instance per run (--version, median of 5): ${median(overhead).toFixed(0)} ms`);

  const problems = generateProblems({ count: COUNT, seed: 11, difficulty: 2 });
  const pool = createNodePool({ size: WORKERS });
  try {
    // warm every worker on both targets (the one-time compile is reported above)
    await pool.verifyAll(Array.from({ length: WORKERS * 2 }, (_, i) => ({ completion: `<code>\n${problems[i % problems.length]!.gold[i % 2 ? 'minizinc' : 'highs']}\n</code>`, target: i % 2 ? 'minizinc' : 'highs', answer: 0 })));
    const rows: string[] = [];
    let highsRate = 0;
    for (const target of ['highs', 'minizinc', 'minizinc-cbc', 'minizinc-gecode', 'minizinc-chuffed']) {
      const gold = target === 'highs' ? 'highs' : 'minizinc';
      const answers = await pool.verifyAll(problems.map((p) => ({ completion: `<code>\n${p.gold.highs}\n</code>`, target: 'highs', answer: 0 })));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const outs = await pool.verifyAll(problems.map((p, i) => ({ completion: `<code>\n${p.gold[gold]}\n</code>`, target, answer: answers[i]!.objective ?? 0, question: p.question })));
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const rate = outs.length / wall;
      if (target === 'highs') highsRate = rate;
      const correct = outs.filter((o) => o.class === 'correct').length;
      const perRunCpuMs = (cpu.user + cpu.system) / 1000 / outs.length;
      const meanSolve = outs.reduce((a, o) => a + o.solve_ms, 0) / outs.length;
      rows.push(`| ${target} | ${correct}/${outs.length} | ${rate.toFixed(2)} | ${(rate / highsRate).toFixed(3)} | ${meanSolve.toFixed(0)} | ${perRunCpuMs.toFixed(0)} |`);
    }
    console.log(`\n${COUNT} generated problems (difficulty 2), ${WORKERS} pool workers; ratio against highs in the same run`);
    console.log('| target | correct | verifications/s | ratio to highs | mean solve ms | CPU ms per run |\n|---|---|---|---|---|---|');
    for (const r of rows) console.log(r);
  } finally {
    await pool.close();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
