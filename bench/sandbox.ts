// Cost of one sandboxed Python run, against baselines measured in the same run: a bare
// `python -I -c pass`, the harness without the sandbox, a full sandboxed run (bubblewrap, cgroups,
// privilege drop), a prewarmed one, and a real PuLP+CBC model. Also how long a run that sleeps past
// a 2 s limit takes to end (the wall-clock timer's slack). Prints medians in ms. Needs root.
//
//   npx tsx bench/sandbox.ts [--n 10]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARNESS_PATH, closeSandboxes, defaultSandboxConfig, prewarmSandboxes, runSandboxed, sandboxStats } from '../server/sandbox/sandbox.ts';

const N = Number(process.argv[process.argv.indexOf('--n') + 1] || 10);
const cfg = defaultSandboxConfig();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function time(f: () => Promise<unknown> | unknown, before?: () => Promise<void>): Promise<number> {
  await f();
  const ts: number[] = [];
  for (let i = 0; i < N; i++) {
    await before?.();
    const t = performance.now();
    await f();
    ts.push(performance.now() - t);
  }
  return median(ts);
}
const trivial = () => runSandboxed({ target: 'pulp', code: 'print("objective = 1")', timeLimitS: 10, memoryMb: 256 }, cfg);
const pulp = readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'python', 'pulp_lp.py'), 'utf8');

const bare = await time(() => spawnSync(cfg.python, ['-I', '-c', 'pass']));
const harnessOnly = await time(() => new Promise<void>((resolve) => {
  const p = spawn(cfg.python, ['-I', '-B', '-X', 'utf8', HARNESS_PATH, JSON.stringify({ target: 'pulp', python_path: cfg.pythonPath })], { stdio: ['pipe', 'ignore', 'ignore', 'pipe'] });
  p.stdin!.end('print("objective = 1")');
  p.on('close', () => resolve());
}));
const sandboxed = await time(trivial);
const pulpRun = await time(() => runSandboxed({ target: 'pulp', code: pulp, timeLimitS: 10, memoryMb: 1024 }, cfg));
prewarmSandboxes(2, cfg);
const ready = async () => { while (sandboxStats().idleReady < 1) await new Promise((r) => setTimeout(r, 20)); };
const warm = await time(trivial, ready);
closeSandboxes();
const t = performance.now();
await runSandboxed({ target: 'pulp', code: 'import time\ntime.sleep(100)\n', timeLimitS: 2, memoryMb: 256 }, cfg);
const sleepEnd = performance.now() - t;

console.log(JSON.stringify({
  n: N, python_bare_ms: +bare.toFixed(1), harness_unsandboxed_ms: +harnessOnly.toFixed(1), sandboxed_trivial_ms: +sandboxed.toFixed(1),
  sandbox_overhead_ms: +(sandboxed - harnessOnly).toFixed(1), prewarmed_trivial_ms: +warm.toFixed(1),
  prewarmed_vs_cold: +(warm / sandboxed).toFixed(2), sandboxed_pulp_cbc_ms: +pulpRun.toFixed(1), sleep_past_2s_limit_ended_after_ms: +sleepEnd.toFixed(0),
}));
process.exit(0);
