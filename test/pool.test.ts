// The worker pool with real worker_threads and real wasm solvers.
import { afterAll, describe, expect, it } from 'vitest';
import { VerifierPool } from '../src/verifier/pool.ts';
import { createNodePool, spawnNodeVerifier, type NodeWorkerHandle } from '../src/verifier/pool-node.ts';

/** A model whose optimum is `ub` without stating it (two bounds that add up to it: the integrity rule). */
const MOD_OK = (ub: number) => `<think>t</think><code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= ${Math.floor(ub / 2)};\ns.t. c2: y <= ${ub - Math.floor(ub / 2)};\nend;\n</code>`;
// MathProg that computes for minutes while generating: only the wall-clock limit stops it.
const MOD_SPIN = '<code>\nparam s := sum{i in 1..2000000000} i;\nvar x >= 0;\nmaximize z: x;\ns.t. c: x <= s;\nend;\n</code>';

describe('verifier pool', () => {
  const pool = createNodePool({ size: 2 });
  afterAll(() => pool.close());

  it('gives every job exactly one outcome, in order', async () => {
    const jobs = Array.from({ length: 40 }, (_, i) => ({ completion: MOD_OK(i + 1), target: 'glpk', answer: i + 1 }));
    const seen: number[] = [];
    const outs = await pool.verifyAll(jobs, (_o, i) => seen.push(i));
    expect(outs.map((o) => o.objective)).toEqual(jobs.map((j) => j.answer));
    expect(outs.every((o) => o.class === 'correct')).toBe(true);
    expect(seen.sort((a, b) => a - b)).toEqual(jobs.map((_, i) => i));
  });

  it('kills a runaway job at the wall-clock limit and keeps serving queued jobs', async () => {
    const before = pool.stats();
    const spin = pool.verify({ completion: MOD_SPIN, target: 'glpk', answer: 1, config: { wall_limit_ms: 1500 } });
    const others = Array.from({ length: 6 }, (_, i) => pool.verify({ completion: MOD_OK(i + 2), target: 'glpk', answer: i + 2 }));
    const o = await spin;
    expect(o.class).toBe('timeout');
    expect(o.messages.map((m) => m.text).join(' ')).toMatch(/1500 ms wall-clock limit/);
    expect((await Promise.all(others)).map((x) => x.class)).toEqual(Array(6).fill('correct'));
    const after = pool.stats();
    expect(after.timeouts - before.timeouts).toBe(1);
    // the replacement worker serves the next job
    expect((await pool.verify({ completion: MOD_OK(9), target: 'glpk', answer: 9 })).class).toBe('correct');
  });

  it('enforces the per-run memory ceiling on solver memory', async () => {
    const bomb = '<code>\nset I := 1..30000000;\nvar x{I} >= 0;\nminimize z: sum{i in I} x[i];\nend;\n</code>';
    const o = await pool.verify({ completion: bomb, target: 'glpk', answer: 0, config: { memory_limit_mb: 64, wall_limit_ms: 20000 } });
    expect(o.class).toBe('runtime_error');
    expect(o.messages.map((m) => m.text).join(' ')).toMatch(/64 MiB memory limit/);
    expect((await pool.verify({ completion: MOD_OK(3), target: 'glpk', answer: 3 })).class).toBe('correct');
  });
});

describe('a worker that dies mid-job', () => {
  it('fails only that job; queued jobs run on a fresh worker', async () => {
    const workers: NodeWorkerHandle[] = [];
    const pool = new VerifierPool(() => {
      const h = spawnNodeVerifier();
      workers.push(h);
      return h;
    }, { size: 1 });
    const spin = pool.verify({ completion: MOD_SPIN, target: 'glpk', answer: 1, config: { wall_limit_ms: 60000 } });
    const queued = [pool.verify({ completion: MOD_OK(4), target: 'glpk', answer: 4 }), pool.verify({ completion: MOD_OK(5), target: 'glpk', answer: 5 })];
    await new Promise((r) => setTimeout(r, 1500));
    // Kill the thread behind the pool's back: to the pool this is a crash ('exit' event).
    await workers[0]!.thread.terminate();
    const o = await spin;
    expect(o.class).toBe('solver_error');
    expect(o.messages.map((m) => m.text).join(' ')).toMatch(/worker died/);
    expect((await Promise.all(queued)).map((x) => x.class)).toEqual(['correct', 'correct']);
    expect(workers.length).toBe(2);
    expect(pool.stats()).toMatchObject({ crashes: 1, completed: 3 });
    await pool.close();
  });
});

describe('closing a pool whose results nobody will read (a cancelled evaluation)', () => {
  it('close({ dropQueued }) answers the queued jobs not_evaluated at once; the running one finishes', async () => {
    const pool = createNodePool({ size: 1 });
    // the running job: a solve that spins until its 3 s wall-clock limit
    const running = pool.verify({ completion: MOD_SPIN, target: 'glpk', answer: 1, config: { wall_limit_ms: 3000 } });
    const queued = Array.from({ length: 5 }, (_, i) => pool.verify({ completion: MOD_OK(i + 2), target: 'glpk', answer: i + 2 }));
    expect(pool.stats().queued).toBe(5);
    const closing = pool.close({ dropQueued: true });
    // the queued jobs are answered before the running one ends
    const settled = await Promise.race([Promise.all(queued).then((q) => ({ q })), running.then(() => null)]);
    expect(settled).not.toBeNull();
    for (const o of settled!.q) {
      expect(o.class).toBe('not_evaluated');
      expect(o.messages.map((m) => m.text).join(' ')).toMatch(/closed before this job ran/);
    }
    expect((await running).class).toBe('timeout');
    await closing;
    // a closed pool takes no more work
    expect((await pool.verify({ completion: MOD_OK(3), target: 'glpk', answer: 3 })).class).toBe('not_evaluated');
  });
});
