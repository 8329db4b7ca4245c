// Attacks from the security review (/work/shared/reference/security-review.md) on the in-process
// verifier, through the real worker pool: one run must not see another run's files (v01), and the
// files a run writes count against its memory limit and are freed after it (v05).
import { afterAll, describe, expect, it } from 'vitest';
import { createNodePool } from '../src/verifier/pool-node.ts';

/** `<code>` around MathProg: optimum 3 (two bounds that add up to it: the integrity rule). */
const OK = '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nend;\n</code>';

describe('GLPK files do not outlive their run (v01)', () => {
  // one worker, so both runs meet the same GLPK instance
  const pool = createNodePool({ size: 1 });
  afterAll(() => pool.close());

  it.each([
    ['after solve;', 'var x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nprintf "k,v\\n" > "/tmp/leak.csv";\nprintf "a,7\\n" >> "/tmp/leak.csv";\nend;\n'],
    ['before solve;', 'var x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nprintf "k,v\\n" > "/tmp/leak.csv";\nprintf "a,7\\n" >> "/tmp/leak.csv";\nend;\n'],
    ['in a new directory', 'var x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nprintf "k,v\\na,7\\n" > "/dev/shm/tmp/leak.csv";\nend;\n'],
  ])('a file written %s is gone in the next run', async (_where, writer) => {
    const a = await pool.verify({ completion: `<code>\n${writer}</code>`, target: 'glpk', answer: 3 });
    expect(a.class).toBe('correct'); // writing a file is allowed; keeping it is not
    const path = writer.includes('/dev/shm') ? '/dev/shm/tmp/leak.csv' : '/tmp/leak.csv';
    // reads v = 7 from the earlier run's file: optimum 7 if the file were still there
    const reader = `set K;\nparam v{K};\ntable t IN "CSV" "${path}": K <- [k], v;\nvar x >= 0;\nmaximize z: x;\ns.t. c: x <= sum{k in K} v[k];\nend;\n`;
    const b = await pool.verify({ completion: `<code>\n${reader}</code>`, target: 'glpk', answer: 7 });
    expect(b.class).not.toBe('correct');
    expect(b.class).toBe('runtime_error');
    expect(b.objective).toBeNull();
    expect(b.log.join('\n')).toMatch(/unable to open .*leak\.csv/);
  });
});

describe('GLPK file data counts against the memory limit (v05)', () => {
  const pool = createNodePool({ size: 1 });
  afterAll(() => pool.close());

  it('ends a run that writes more than the limit as a runtime_error naming it; the next job is correct', async () => {
    // 10^5 lines of 1,000 bytes = 100 MB, far beyond a 32 MiB limit
    const flood = '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nfor {i in 1..100000} printf "%0999d\\n", i >> "/tmp/flood.txt";\nend;\n</code>';
    const o = await pool.verify({ completion: flood, target: 'glpk', answer: 3, config: { memory_limit_mb: 32, wall_limit_ms: 30_000 } });
    expect(o.class).toBe('runtime_error');
    expect(o.messages.map((m) => m.text).join(' ')).toMatch(/wrote more than \d+ MiB to files: file data counts against the 32 MiB memory limit/);
    expect((await pool.verify({ completion: OK, target: 'glpk', answer: 3 })).class).toBe('correct');
  });

  it('charges each file a run creates, so many small files hit the limit too', async () => {
    // 10^5 files of 2 bytes each: the data is tiny, the MEMFS nodes are not (1 KiB charged each)
    const files = '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nfor {i in 1..100000} printf "%d\\n", 1 > ("/tmp/f" & i);\nend;\n</code>';
    const small = await pool.verify({ completion: files, target: 'glpk', answer: 3, config: { memory_limit_mb: 20, wall_limit_ms: 30_000 } });
    expect(small.class).toBe('runtime_error');
    expect(small.messages.map((m) => m.text).join(' ')).toMatch(/to files: file data counts against the 20 MiB memory limit/);
    // under the default 1 GiB limit, the count of files stops it
    const many = await pool.verify({ completion: files, target: 'glpk', answer: 3, config: { wall_limit_ms: 30_000 } });
    expect(many.class).toBe('runtime_error');
    expect(many.messages.map((m) => m.text).join(' ')).toMatch(/created more than 10000 files/);
    expect((await pool.verify({ completion: OK, target: 'glpk', answer: 3 })).class).toBe('correct');
  });

  it('counts the bytes files hold, not every byte written: a file rewritten 30,000 times holds 1 KB', async () => {
    // '>' reopens (truncates) the file at each printf: 30 MB written in all (beyond the 32 MiB
    // limit less the solver's memory), 1,000 bytes kept
    const rewrite = '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nfor {i in 1..30000} printf "%0999d\\n", i > "/tmp/one.txt";\nend;\n</code>';
    const o = await pool.verify({ completion: rewrite, target: 'glpk', answer: 3, config: { memory_limit_mb: 32, wall_limit_ms: 30_000 } });
    expect(o.class).toBe('correct');
  });

  it('lets a run write files within the limit, run after run', async () => {
    // 10 MB each, 5 runs in one worker under a 64 MiB limit: each run starts with no files
    const write = '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c1: x <= 1;\ns.t. c2: y <= 2;\nsolve;\nfor {i in 1..10000} printf "%0999d\\n", i >> "/tmp/ten.txt";\nend;\n</code>';
    for (let k = 0; k < 5; k++) {
      const o = await pool.verify({ completion: write, target: 'glpk', answer: 3, config: { memory_limit_mb: 64 } });
      expect(o.class).toBe('correct');
    }
  });
});
