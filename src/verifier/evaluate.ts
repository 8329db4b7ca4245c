// Evaluate completions against a benchmark: per-item outcomes and a summary.

import type { BenchmarkItem, CompletionRecord } from '../problems/benchmarks.ts';
import type { ProtocolStrictness } from './config.ts';
import { DataError } from '../errors.ts';
import { OUTCOME_CLASSES, type Outcome, type OutcomeClass } from './outcome.ts';
import type { VerifierPool } from './pool.ts';
import { executed } from './score.ts';
import { TOLERANCE_DESCRIPTIONS, type ToleranceRule } from './tolerance.ts';

export interface ItemResult {
  id: string;
  /** index of this completion among those for the same id (several samples per item are allowed) */
  sample: number;
  answer: Outcome['expected'] | null;
  scored: boolean;
  outcome: Outcome | null;
}

export interface EvalSummary {
  target: string;
  tolerance: ToleranceRule;
  tolerance_rule: string;
  benchmark_items: number;
  /** completions evaluated (scored ones: items with a known answer) */
  count: number;
  scored: number;
  /** items of the benchmark with no completion */
  missing: number;
  execution_rate: number;
  accuracy: number;
  format_rate: number;
  mean_reward: number;
  counts: Record<OutcomeClass, number>;
  wall_ms: number;
}

export async function evaluateCompletions(
  items: BenchmarkItem[], completions: CompletionRecord[], pool: VerifierPool,
  opts: { target: string; tolerance: ToleranceRule; protocol?: ProtocolStrictness; source?: string; onProgress?: (done: number, total: number) => void },
): Promise<{ results: ItemResult[]; summary: EvalSummary }> {
  const t0 = Date.now();
  const byId = new Map(items.map((it) => [it.id, it]));
  const unknown = completions.find((c) => !byId.has(c.id));
  if (unknown) throw new DataError(`completion id "${unknown.id}" is not in the benchmark`, opts.source ?? 'completions');
  const sampleIndex = new Map<string, number>();
  const planned = completions.map((c) => {
    const item = byId.get(c.id)!;
    const sample = sampleIndex.get(c.id) ?? 0;
    sampleIndex.set(c.id, sample + 1);
    return { c, item, sample };
  });
  let done = 0;
  const results: ItemResult[] = await Promise.all(planned.map(async ({ c, item, sample }) => {
    if (item.answer === null) {
      opts.onProgress?.(++done, planned.length);
      return { id: c.id, sample, answer: null, scored: false, outcome: null };
    }
    const config = { tolerance: opts.tolerance, ...(opts.protocol ? { protocol: opts.protocol } : {}) };
    const outcome = await pool.verify({ completion: c.completion, target: opts.target, answer: item.answer, question: item.question, config });
    opts.onProgress?.(++done, planned.length);
    return { id: c.id, sample, answer: item.answer, scored: true, outcome };
  }));
  const counts = Object.fromEntries(OUTCOME_CLASSES.map((k) => [k, 0])) as Record<OutcomeClass, number>;
  let correct = 0, exec = 0, fmt = 0, reward = 0;
  const scored = results.filter((r) => r.outcome);
  for (const r of scored) {
    const o = r.outcome!;
    counts[o.class]++;
    if (o.correct) correct++;
    if (executed(o.class)) exec++;
    if (o.class !== 'format_error') fmt++;
    reward += o.reward;
  }
  const n = scored.length;
  const summary: EvalSummary = {
    target: opts.target,
    tolerance: opts.tolerance,
    tolerance_rule: TOLERANCE_DESCRIPTIONS[opts.tolerance],
    benchmark_items: items.length,
    count: results.length,
    scored: n,
    missing: items.filter((it) => !sampleIndex.has(it.id)).length,
    execution_rate: n ? exec / n : 0,
    accuracy: n ? correct / n : 0,
    format_rate: n ? fmt / n : 0,
    mean_reward: n ? reward / n : 0,
    counts,
    wall_ms: Date.now() - t0,
  };
  return { results, summary };
}

export function formatSummary(s: EvalSummary): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const classes = Object.entries(s.counts).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ');
  return [
    `target ${s.target}; tolerance ${s.tolerance}: ${s.tolerance_rule}`,
    `completions ${s.count} (scored ${s.scored}); benchmark items ${s.benchmark_items}, without a completion ${s.missing}`,
    `accuracy ${pct(s.accuracy)}  execution rate ${pct(s.execution_rate)}  format rate ${pct(s.format_rate)}  mean reward ${s.mean_reward.toFixed(3)}`,
    `classes: ${classes || 'none'}`,
  ].join('\n');
}
