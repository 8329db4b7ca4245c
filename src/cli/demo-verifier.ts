// `evom demo --verifier`: the reward environment alone. Generated problems, completions of four
// kinds per target (the gold model, the gold model with its objective sense flipped, the model cut
// in half, prose without code), verified through the worker pool; a table of classes and rewards.

import { generateProblems, goldModels, type GeneratedProblem } from '../problems/generator.ts';
import { solveGold } from '../problems/generated.ts';
import type { Runners } from '../targets/runners.ts';
import { workerTargetNames } from '../targets/registry.ts';
import type { OutcomeClass } from '../verifier/outcome.ts';
import type { VerifierPool } from '../verifier/pool.ts';

export const DEMO_VARIANTS = ['gold', 'flipped_sense', 'truncated', 'no_code'] as const;
type Variant = (typeof DEMO_VARIANTS)[number];

function variant(target: string, p: GeneratedProblem, v: Variant): string {
  const gold = p.gold[target]!;
  switch (v) {
    case 'gold': return `<think>Define the decision variables, objective and constraints.</think>\n<code>\n${gold}\n</code>`;
    case 'flipped_sense': {
      // the same model with max and min swapped, written by the target's own gold serializer
      const flipped = goldModels(p.id, { model: { ...p.model, sense: p.model.sense === 'max' ? 'min' : 'max' }, written: {} })[target];
      return `<think>…</think>\n<code>\n${flipped}\n</code>`;
    }
    case 'truncated': return `<think>…</think>\n<code>\n${gold.slice(0, Math.floor(gold.length / 2))}\n</code>`;
    case 'no_code': return 'The optimal plan is to produce as much as possible of the most profitable item.';
  }
}

export interface DemoRow { target: string; variant: Variant; classes: Partial<Record<OutcomeClass, number>>; mean_reward: number; mean_wall_ms: number }

export async function runVerifierDemo(pool: VerifierPool, targets: Runners, opts: { count: number; seed: number }): Promise<DemoRow[]> {
  const problems = generateProblems({ count: opts.count, seed: opts.seed, difficulty: 2 });
  const answers: number[] = [];
  for (const p of problems) answers.push(await solveGold(p, targets));
  const rows: DemoRow[] = [];
  for (const target of workerTargetNames().filter((t) => problems.every((p) => p.gold[t] !== undefined))) {
    for (const v of DEMO_VARIANTS) {
      const outs = await pool.verifyAll(problems.map((p, i) => ({ completion: variant(target, p, v), target, answer: answers[i]!, question: p.question })));
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
