// Verifier performance: pool throughput (1 vs N workers), overhead per verification above the
// raw solve, and wasm solvers against native ones on models with ≥ 1,000 columns.
// Every figure is measured in this run; ratios compare runs of this same process.
//
//   npx tsx bench/verify.ts [--quick]
//
// Needs python3 with scipy (native HiGHS) and glpsol (Debian glpk-utils) for the native part.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { createRunners } from '../src/targets/runners.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { generateBenchmark } from '../src/problems/generated.ts';
import type { Runners } from '../src/targets/runners.ts';
import type { VerifyJob } from '../src/verifier/verify.ts';
import { Rng } from '../src/problems/rng.ts';

const QUICK = process.argv.includes('--quick');
const ROOT = join(import.meta.dirname, '..');
const GOLD_DIR = join(ROOT, 'test', 'fixtures', 'benchmark-gold');
const SOLVE = { time_limit_s: 60, memory_limit_bytes: 2048 * 1048576, max_log_lines: 50 };

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ms = (x: number) => `${x.toFixed(3)} ms`;
const wrap = (code: string) => `<think>model</think>\n<code>\n${code}\n</code>`;

async function jobsFromFixturesAndGenerator(targets: Runners): Promise<VerifyJob[]> {
  const jobs: VerifyJob[] = [];
  const manifest = JSON.parse(readFileSync(join(GOLD_DIR, 'manifest.json'), 'utf8')) as { id: string; answer: number | null }[];
  for (const m of manifest) {
    const answer = m.answer === null ? 'infeasible' as const : m.answer;
    jobs.push({ completion: wrap(readFileSync(join(GOLD_DIR, `${m.id}.lp`), 'utf8')), target: 'highs', answer });
    jobs.push({ completion: wrap(readFileSync(join(GOLD_DIR, `${m.id}.mod`), 'utf8')), target: 'glpk', answer });
  }
  for (const p of await generateBenchmark({ count: QUICK ? 12 : 36, seed: 11, difficulty: 3 }, targets)) {
    for (const [t, gold] of Object.entries(p.gold)) if (targets[t]) jobs.push({ completion: wrap(gold), target: t, answer: p.answer });
  }
  return jobs;
}

/** Transportation LP: m suppliers × n customers (m·n columns), as LP text and MathProg. */
function transportation(m: number, n: number, seed: number): { lp: string; mod: string; cols: number } {
  const rng = new Rng(seed);
  const cost = Array.from({ length: m }, () => Array.from({ length: n }, () => rng.int(1, 99)));
  const demand = Array.from({ length: n }, () => rng.int(10, 60));
  const total = demand.reduce((a, b) => a + b, 0);
  const supply = Array.from({ length: m }, () => Math.ceil((total * 1.2) / m) + rng.int(0, 10));
  const x = (i: number, j: number) => `x_${i}_${j}`;
  const lp = [
    'Minimize', ' cost: ' + cost.flatMap((r, i) => r.map((c, j) => `${c} ${x(i, j)}`)).join(' + '), 'Subject To',
    ...supply.map((s, i) => ` s${i}: ` + demand.map((_, j) => x(i, j)).join(' + ') + ` <= ${s}`),
    ...demand.map((d, j) => ` d${j}: ` + supply.map((_, i) => x(i, j)).join(' + ') + ` >= ${d}`),
    'End', '',
  ].join('\n');
  const mod = [
    `set I := 0..${m - 1};`, `set J := 0..${n - 1};`, 'param c{I, J};', 'param s{I};', 'param d{J};',
    'var x{I, J} >= 0;', 'minimize cost: sum{i in I, j in J} c[i,j] * x[i,j];',
    's.t. sup{i in I}: sum{j in J} x[i,j] <= s[i];', 's.t. dem{j in J}: sum{i in I} x[i,j] >= d[j];',
    'solve;', 'data;',
    'param c : ' + demand.map((_, j) => j).join(' ') + ' :=', ...cost.map((r, i) => `  ${i} ${r.join(' ')}`), ';',
    'param s := ' + supply.map((v, i) => `${i} ${v}`).join(' ') + ';',
    'param d := ' + demand.map((v, j) => `${j} ${v}`).join(' ') + ';',
    'end;', '',
  ].join('\n');
  return { lp, mod, cols: m * n };
}

/** Capacitated facility location (weak form): f facilities × c customers + f binaries. */
function facility(f: number, c: number, seed: number): { lp: string; mod: string; cols: number } {
  const rng = new Rng(seed);
  const open = Array.from({ length: f }, () => rng.int(300, 900));
  const cap = Array.from({ length: f }, () => rng.int(80, 160));
  const dem = Array.from({ length: c }, () => rng.int(5, 35));
  const cost = Array.from({ length: f }, () => Array.from({ length: c }, () => rng.int(1, 60)));
  const x = (i: number, j: number) => `x_${i}_${j}`;
  const lp = [
    'Minimize', ' total: ' + open.map((o, i) => `${o} y_${i}`).join(' + ') + ' + ' + cost.flatMap((r, i) => r.map((k, j) => `${k} ${x(i, j)}`)).join(' + '),
    'Subject To',
    ...dem.map((_, j) => ` serve${j}: ` + open.map((_, i) => x(i, j)).join(' + ') + ' = 1'),
    ...cap.map((k, i) => ` cap${i}: ` + dem.map((d, j) => `${d} ${x(i, j)}`).join(' + ') + ` - ${k} y_${i} <= 0`),
    'Bounds', ...open.flatMap((_, i) => dem.map((_, j) => ` ${x(i, j)} <= 1`)),
    'Binary', ' ' + open.map((_, i) => `y_${i}`).join(' '), 'End', '',
  ].join('\n');
  const mod = [
    `set F := 0..${f - 1};`, `set C := 0..${c - 1};`, 'param o{F};', 'param k{F};', 'param d{C};', 'param t{F, C};',
    'var y{F} binary;', 'var x{F, C} >= 0, <= 1;',
    'minimize total: sum{i in F} o[i]*y[i] + sum{i in F, j in C} t[i,j]*x[i,j];',
    's.t. serve{j in C}: sum{i in F} x[i,j] = 1;', 's.t. cap{i in F}: sum{j in C} d[j]*x[i,j] <= k[i]*y[i];',
    'solve;', 'data;',
    'param o := ' + open.map((v, i) => `${i} ${v}`).join(' ') + ';',
    'param k := ' + cap.map((v, i) => `${i} ${v}`).join(' ') + ';',
    'param d := ' + dem.map((v, j) => `${j} ${v}`).join(' ') + ';',
    'param t : ' + dem.map((_, j) => j).join(' ') + ' :=', ...cost.map((r, i) => `  ${i} ${r.join(' ')}`), ';',
    'end;', '',
  ].join('\n');
  return { lp, mod, cols: f * c + f };
}

function glpsolMs(args: string[], repeats: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const p = spawnSync('glpsol', args, { encoding: 'utf8' });
    if (p.status !== 0) throw new Error(`glpsol ${args.join(' ')} failed: ${p.stdout.slice(-300)}`);
    out.push(performance.now() - t0);
  }
  return out;
}

async function main() {
  const cores = availableParallelism();
  console.log(`# EVOM Web verifier bench (${new Date().toISOString()}, Node ${process.version}, ${cores} cores${QUICK ? ', quick' : ''})\n`);
  const targets = await createRunners(nodeAssets);
  const jobs = await jobsFromFixturesAndGenerator(targets);
  console.log(`jobs: ${jobs.length} gold completions (benchmark fixtures in highs and glpk; generated problems in all three targets)`);

  // 1. Overhead through the pool: one job at a time. The worker reports the time spent inside
  // the solver (outcome.solve_ms); the caller measures the whole round trip. The difference is
  // everything the verifier adds: extraction, checks, classification, structured clone, comlink,
  // scheduling.
  const REPS = QUICK ? 3 : 7;
  const seqPool = createNodePool({ size: 1 });
  await seqPool.warm();
  for (let k = 0; k < 3; k++) for (const j of jobs) await seqPool.verify(j); // JIT tier-up of wasm and JS
  const solveMs: number[] = [], wallMs: number[] = [], overhead: number[] = [];
  for (const j of jobs) {
    const o: number[] = [], sm: number[] = [], wm: number[] = [];
    for (let k = 0; k < REPS; k++) {
      const t0 = performance.now();
      const out = await seqPool.verify(j);
      const wall = performance.now() - t0;
      if (!out.correct) throw new Error(`gold job is not correct: ${out.class} ${out.messages.map((m) => m.text).join('; ')}`);
      o.push(wall - out.solve_ms); sm.push(out.solve_ms); wm.push(wall);
    }
    overhead.push(median(o)); solveMs.push(median(sm)); wallMs.push(median(wm));
  }
  await seqPool.close();
  const small = overhead.filter((_, i) => jobs[i]!.completion.length < 4096);
  console.log(`\n## Overhead per verification (1 worker, one job at a time; median of ${REPS} repeats per job)`);
  console.log(`time in the solver (worker-measured)   mean ${ms(mean(solveMs))}  median ${ms(median(solveMs))}`);
  console.log(`round trip (caller-measured)           mean ${ms(mean(wallMs))}  median ${ms(median(wallMs))}`);
  console.log(`overhead = round trip − solver         mean ${ms(mean(overhead))}  median ${ms(median(overhead))}  p90 ${ms([...overhead].sort((a, b) => a - b)[Math.floor(overhead.length * 0.9)]!)}   (target ≤ 1 ms)`);
  console.log(`  models under 4 KB (${small.length} jobs)          mean ${ms(mean(small))}  median ${ms(median(small))}`);

  // 3. Throughput: all jobs submitted at once, 1 worker vs one per core.
  const copies = QUICK ? 2 : 6;
  const load = Array.from({ length: copies }, () => jobs).flat();
  const throughput: Record<number, number> = {};
  for (const size of [1, cores]) {
    const pool = createNodePool({ size });
    await pool.warm();
    await pool.verifyAll(jobs); // warm every worker's instances
    const t0 = performance.now();
    const outs = await pool.verifyAll(load);
    const secs = (performance.now() - t0) / 1000;
    await pool.close();
    if (!outs.every((o) => o.correct)) throw new Error('a gold job was not correct under load');
    throughput[size] = load.length / secs;
  }
  console.log(`\n## Pool throughput (${load.length} verifications, all submitted at once)`);
  console.log(`1 worker: ${throughput[1]!.toFixed(1)}/s   ${cores} workers: ${throughput[cores]!.toFixed(1)}/s   ratio ${(throughput[cores]! / throughput[1]!).toFixed(2)}×   (target ≥ 1.7× on 2 cores)`);

  // 4. Wasm against native on models with ≥ 1,000 columns.
  const dir = mkdtempSync(join(tmpdir(), 'evom-bench-'));
  const models = [
    { name: 'transportation 40×40', ...transportation(40, 40, 1) },
    { name: 'transportation 80×80', ...transportation(80, 80, 2) },
    { name: 'facility location 20×50 (MILP)', ...facility(20, 50, 3) },
  ];
  const NREP = QUICK ? 2 : 5;
  writeFileSync(join(dir, 'tiny.mod'), 'var x >= 1;\nminimize z: x;\nsolve;\nend;\n');
  const glpsolStart = median(glpsolMs(['--math', join(dir, 'tiny.mod')], 9));
  console.log(`\n## Wasm vs native (median of ${NREP} after warm-up; both sides parse the model text and solve; glpsol wall time minus its start-up on a tiny model, ${ms(glpsolStart)})`);
  console.log('| model | columns | HiGHS wasm | HiGHS native (scipy) | ratio | GLPK wasm (MathProg) | glpsol --math | ratio |');
  console.log('|---|---|---|---|---|---|---|---|');
  const ratios: { highs: number[]; glpk: number[] } = { highs: [], glpk: [] };
  for (const m of models) {
    const lpPath = join(dir, `${m.cols}.lp`), modPath = join(dir, `${m.cols}.mod`);
    writeFileSync(lpPath, m.lp);
    writeFileSync(modPath, m.mod);
    const hw: number[] = [], gw: number[] = [];
    let hObj = NaN, gObj = NaN;
    const WARM = 8; // V8 tiers wasm up to its optimizing compiler over the first solves
    for (let k = 0; k < NREP + WARM; k++) {
      const h = await targets.highs!.solve(m.lp, SOLVE);
      const g = await targets.glpk!.solve(m.mod, SOLVE);
      if (k < WARM) continue;
      hw.push(h.solve_ms); gw.push(g.solve_ms);
      hObj = h.objective ?? NaN; gObj = g.objective ?? NaN;
    }
    let hn = NaN, nObj = NaN;
    try {
      const out = JSON.parse(execFileSync('python3', [join(ROOT, 'bench', 'native_highs.py'), String(NREP), lpPath], { encoding: 'utf8' }));
      hn = out[lpPath].median_ms; nObj = out[lpPath].objective;
    } catch (e) {
      console.log(`(native HiGHS unavailable: ${String(e).split('\n')[0]})`);
    }
    let gn = NaN;
    try {
      gn = Math.max(0.001, median(glpsolMs(['--math', modPath], NREP)) - glpsolStart);
    } catch (e) {
      console.log(`(glpsol unavailable: ${String(e).split('\n')[0]})`);
    }
    if (Math.abs(hObj - gObj) > 1e-6 * Math.max(1, Math.abs(hObj)) || (Number.isFinite(nObj) && Math.abs(hObj - nObj) > 1e-6 * Math.max(1, Math.abs(hObj)))) {
      throw new Error(`solvers disagree on ${m.name}: wasm HiGHS ${hObj}, wasm GLPK ${gObj}, native HiGHS ${nObj}`);
    }
    const rh = median(hw) / hn, rg = median(gw) / gn;
    ratios.highs.push(rh); ratios.glpk.push(rg);
    console.log(`| ${m.name} | ${m.cols} | ${ms(median(hw))} | ${ms(hn)} | ${rh.toFixed(2)}× | ${ms(median(gw))} | ${ms(gn)} | ${rg.toFixed(2)}× |`);
  }
  console.log('(target: wasm ≤ 1.5× native on models with ≥ 1,000 columns; HiGHS wasm is 1.15, native is the 1.12 inside scipy)');

  const summary = {
    jobs: jobs.length, cores,
    overhead_ms_mean: mean(overhead), overhead_ms_median: median(overhead), overhead_ms_median_small: median(small),
    throughput_1: throughput[1], [`throughput_${cores}`]: throughput[cores], throughput_ratio: throughput[cores]! / throughput[1]!,
    wasm_native_ratio_highs: ratios.highs, wasm_native_ratio_glpk: ratios.glpk,
  };
  console.log('\n' + JSON.stringify(summary));
}

await main();
process.exit(0);
