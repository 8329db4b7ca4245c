// 10,000 malformed inputs through the checkers and through the worker pool: each gets a
// classified outcome within its limit, the pool keeps serving, memory stays bounded.
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzCases, type FuzzCase } from './fuzz-inputs.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { OUTCOME_CLASSES, type Outcome } from '../src/verifier/outcome.ts';
import { checkLp } from '../src/targets/highs/lp-format.ts';
import { checkGlpkJson, locateJsonError } from '../src/targets/glpk-json/check.ts';
import { extractCode } from '../src/verifier/protocol.ts';

const N = 10_000;
const WALL_MS = 4000;
const cases: FuzzCase[] = fuzzCases(N, 20261126);

describe('checkers on malformed input (in this thread)', () => {
  it('never throw, and locate every JSON syntax error', () => {
    let jsonInvalid = 0, jsonLocated = 0;
    for (const c of cases) {
      const ex = extractCode(c.completion);
      if (ex.ok && c.target === 'highs') checkLp(ex.code);
      if (ex.ok && c.target === 'glpk-json') {
        checkGlpkJson(ex.code);
        // The JSON error locator agrees with JSON.parse on what is valid.
        let valid = true;
        try { JSON.parse(ex.code); } catch { valid = false; }
        if (valid) expect(locateJsonError(ex.code)).toBeNull();
        else jsonInvalid++, jsonLocated += locateJsonError(ex.code) ? 1 : 0;
      }
    }
    console.log(`checkers: ${cases.length} inputs; invalid JSON located ${jsonLocated}/${jsonInvalid}`);
    expect(jsonLocated).toBe(jsonInvalid);
  });
});

describe(`worker pool on ${N} malformed inputs`, () => {
  const pool = createNodePool({ size: 2, config: { wall_limit_ms: WALL_MS, solver_time_limit_s: 2, memory_limit_mb: 512 } });
  afterAll(() => pool.close());

  it('classifies every input within its limit and keeps serving', async () => {
    const rss0 = process.memoryUsage().rss;
    let rssMax = rss0;
    const sampler = setInterval(() => { rssMax = Math.max(rssMax, process.memoryUsage().rss); }, 100);
    const outcomes: Outcome[] = [];
    // Feed in batches so memory reflects steady state, as a training run would.
    for (let i = 0; i < cases.length; i += 500) {
      const batch = cases.slice(i, i + 500);
      outcomes.push(...await pool.verifyAll(batch.map((c) => ({ completion: c.completion, target: c.target, answer: 1 }))));
    }
    clearInterval(sampler);
    expect(outcomes).toHaveLength(cases.length);
    const byClass: Record<string, number> = {};
    const byKind: Record<string, Record<string, number>> = {};
    outcomes.forEach((o, i) => {
      expect(OUTCOME_CLASSES).toContain(o.class);
      byClass[o.class] = (byClass[o.class] ?? 0) + 1;
      const k = cases[i]!.kind.replace(/-\d+$/, '');
      (byKind[k] ??= {})[o.class] = ((byKind[k] ?? {})[o.class] ?? 0) + 1;
    });
    // Malformed input is never scored correct by accident... except a mutation that changed nothing
    // semantically; those can only be 'correct' if the objective equals the answer 1, which we count.
    const stats = pool.stats();
    const rssGrowthMb = (process.memoryUsage().rss - rss0) / 1048576;
    // (throughput and latency figures: bench/verify.ts)
    console.log(JSON.stringify({ inputs: cases.length, rss_start_mb: Math.round(rss0 / 1048576), rss_peak_mb: Math.round(rssMax / 1048576), rss_growth_mb: Math.round(rssGrowthMb), timeouts: stats.timeouts, crashes: stats.crashes, respawns: stats.respawns, by_class: byClass }));
    console.log(JSON.stringify(byKind));
    // Bounded memory: the process (main thread + both workers) stays under 2 GiB at its peak.
    expect(rssMax / 1048576).toBeLessThan(2048);
    // Still serving, with correct answers.
    const ok = await pool.verify({ completion: '<code>\nvar x >= 0, <= 3;\nvar y >= 0;\nmaximize z: 3*x + 2*y;\ns.t. c1: x + y <= 4;\ns.t. c2: x + 3*y <= 6;\nend;\n</code>', target: 'glpk', answer: 11 });
    expect(ok.class).toBe('correct');
    const ok2 = await pool.verify({ completion: '<code>\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n</code>', target: 'highs', answer: 11 });
    expect(ok2.class).toBe('correct');
  }, 900_000);
});
