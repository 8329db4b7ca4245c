// The built-in demo of the reward environment: generated problems, completions of four kinds
// per target (the gold model, its objective sense flipped, the model cut in half, prose without
// code), verified through the worker pool; a table of classes and rewards per target.

import { generateBenchmark } from '../problems/generated.ts';
import type { VerifierPool } from '../verifier/pool.ts';
import { IN_BROWSER_TARGETS } from '../targets/target.ts';
import type { TargetRegistry } from '../verifier/verify.ts';
import type { OutcomeClass } from '../verifier/outcome.ts';

export const DEMO_VARIANTS = ['gold', 'flipped_sense', 'truncated', 'no_code'] as const;
type Variant = (typeof DEMO_VARIANTS)[number];

function swapSense(kw: string): string {
  const flipped = /^max/i.test(kw) ? 'minimize' : 'maximize';
  return kw[0] === kw[0]!.toUpperCase() ? flipped[0]!.toUpperCase() + flipped.slice(1) : flipped;
}

function variant(target: string, gold: string, v: Variant): string {
  switch (v) {
    case 'gold': return `<think>Define the decision variables, objective and constraints.</think>\n<code>\n${gold}\n</code>`;
    case 'flipped_sense': {
      const flipped = target === 'glpk-json'
        ? gold.replace(/"direction":([12])/, (_m, d) => `"direction":${d === '1' ? 2 : 1}`)
        // the objective keyword at the start of a line (LP section header, MathProg statement), not in comments
        : gold.replace(/^(\s*)(maximize|minimize)\b/im, (_m, ws: string, kw: string) => ws + swapSense(kw));
      return `<think>…</think>\n<code>\n${flipped}\n</code>`;
    }
    case 'truncated': return `<think>…</think>\n<code>\n${gold.slice(0, Math.floor(gold.length / 2))}\n</code>`;
    case 'no_code': return 'The optimal plan is to produce as much as possible of the most profitable item.';
  }
}

export interface DemoRow { target: string; variant: Variant; classes: Partial<Record<OutcomeClass, number>>; mean_reward: number; mean_wall_ms: number }

export async function runVerifierDemo(pool: VerifierPool, targets: TargetRegistry, opts: { count: number; seed: number }): Promise<DemoRow[]> {
  const items = await generateBenchmark({ count: opts.count, seed: opts.seed, difficulty: 2 }, targets);
  const rows: DemoRow[] = [];
  for (const target of IN_BROWSER_TARGETS) {
    for (const v of DEMO_VARIANTS) {
      const outs = await pool.verifyAll(items.map((it) => ({ completion: variant(target, it.gold[target], v), target, answer: it.answer })));
      const classes: Partial<Record<OutcomeClass, number>> = {};
      for (const o of outs) classes[o.class] = (classes[o.class] ?? 0) + 1;
      rows.push({
        target, variant: v, classes,
        mean_reward: outs.reduce((a, o) => a + o.reward, 0) / outs.length,
        mean_wall_ms: outs.reduce((a, o) => a + o.wall_ms, 0) / outs.length,
      });
    }
  }
  return rows;
}

export function formatDemo(rows: DemoRow[], count: number): string {
  const lines = [`${count} generated problems per row; reward = format + answer (tolerance rel5pct)`, '',
    '| target | completion | outcome classes | mean reward | mean ms |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const cls = Object.entries(r.classes).map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`| ${r.target} | ${r.variant} | ${cls} | ${r.mean_reward.toFixed(2)} | ${r.mean_wall_ms.toFixed(1)} |`);
  }
  return lines.join('\n');
}
