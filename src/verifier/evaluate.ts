// Evaluate completions against a benchmark: per-item outcomes and a summary.

import { scoringAnswer, type BenchmarkItem, type CompletionRecord } from '../problems/benchmarks.ts';
import type { ProtocolStrictness } from './config.ts';
import { DataError } from '../errors.ts';
import { OUTCOME_CLASSES, type Outcome, type OutcomeClass } from './outcome.ts';
import type { VerifierPool } from './pool.ts';
import { executed } from './score.ts';
import { TOLERANCE_DESCRIPTIONS, type ToleranceRule } from './tolerance.ts';
import { accuracyOf, formatAccuracy, tallyByItem, wilson as wilsonOf, type Interval } from './stats.ts';

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
  /** scored completions whose code never ran (no sandbox server took it): left out of every rate below */
  not_evaluated: number;
  execution_rate: number;
  /** correct share of the scored completions that were evaluated (the items that have one) */
  accuracy: number;
  /** 95 % interval of accuracy (src/verifier/stats.ts: Wilson's, samples of one item counted as alike) */
  accuracy_ci95: Interval;
  /** items with at least one scored, evaluated completion: the n of accuracy */
  items_scored: number;
  /** the same over every benchmark item with an answer: an item without a completion counts as not
   *  correct; an item with several samples counts the share of them that are correct */
  accuracy_all_items: number;
  format_rate: number;
  mean_reward: number;
  counts: Record<OutcomeClass, number>;
  /** which answers scored: the benchmark's own ('original', comparable with the papers) or its errata */
  answers: 'original' | 'errata';
  /** items of this benchmark with a corrected answer (public/benchmarks/errata.jsonl) */
  errata_items: number;
  /** accuracy_all_items under the other set of answers, when errata_items > 0 (both are reported) */
  accuracy_all_items_other: number | null;
  wall_ms: number;
}

export async function evaluateCompletions(
  items: BenchmarkItem[], completions: CompletionRecord[], pool: VerifierPool,
  opts: { target: string; tolerance: ToleranceRule; protocol?: ProtocolStrictness; source?: string; errata?: boolean; onProgress?: (done: number, total: number) => void },
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
  const useErrata = Boolean(opts.errata);
  const config = { tolerance: opts.tolerance, ...(opts.protocol ? { protocol: opts.protocol } : {}) };
  /** item id → correct under the other set of answers, per sample (items with an erratum only) */
  const other = new Map<string, boolean[]>();
  const results: ItemResult[] = await Promise.all(planned.map(async ({ c, item, sample }) => {
    const answer = scoringAnswer(item, useErrata);
    if (item.answer_errata) {
      const alt = scoringAnswer(item, !useErrata);
      const o = alt === null ? null : await pool.verify({ completion: c.completion, target: opts.target, answer: alt, question: item.question, config });
      (other.get(c.id) ?? other.set(c.id, []).get(c.id)!)[sample] = Boolean(o?.correct);
    }
    if (answer === null) {
      opts.onProgress?.(++done, planned.length);
      return { id: c.id, sample, answer: null, scored: false, outcome: null };
    }
    const outcome = await pool.verify({ completion: c.completion, target: opts.target, answer, question: item.question, config });
    opts.onProgress?.(++done, planned.length);
    return { id: c.id, sample, answer, scored: true, outcome };
  }));
  const counts = Object.fromEntries(OUTCOME_CLASSES.map((k) => [k, 0])) as Record<OutcomeClass, number>;
  let correct = 0, exec = 0, fmt = 0, reward = 0;
  // a completion whose code never ran has no verdict: counted apart, out of every rate
  const scored = results.filter((r) => r.outcome && r.outcome.class !== 'not_evaluated');
  const notEvaluated = results.filter((r) => r.outcome?.class === 'not_evaluated').length;
  counts.not_evaluated = notEvaluated;
  for (const r of scored) {
    const o = r.outcome!;
    counts[o.class]++;
    if (o.correct) correct++;
    if (executed(o.class)) exec++;
    if (o.class !== 'format_error') fmt++;
    reward += o.reward;
  }
  const n = scored.length;
  const perItem = new Map<string, { ok: number; n: number }>();
  for (const r of scored) {
    const e = perItem.get(r.id) ?? { ok: 0, n: 0 };
    e.n++;
    if (r.outcome!.correct) e.ok++;
    perItem.set(r.id, e);
  }
  const acc = accuracyOf([...tallyByItem(results).values()]);
  const answerable = items.filter((it) => scoringAnswer(it, useErrata) !== null);
  const itemScore = answerable.reduce((a, it) => { const e = perItem.get(it.id); return a + (e ? e.ok / e.n : 0); }, 0);
  // the same measure under the other answers: items with an erratum swap their share of correct samples
  const errataItems = items.filter((it) => it.answer_errata);
  const otherAnswerable = items.filter((it) => scoringAnswer(it, !useErrata) !== null);
  const otherScore = otherAnswerable.reduce((a, it) => {
    const alt = other.get(it.id);
    if (it.answer_errata) return a + (alt?.length ? alt.filter(Boolean).length / alt.length : 0);
    const e = perItem.get(it.id);
    return a + (e ? e.ok / e.n : 0);
  }, 0);
  const summary: EvalSummary = {
    target: opts.target,
    tolerance: opts.tolerance,
    tolerance_rule: TOLERANCE_DESCRIPTIONS[opts.tolerance],
    benchmark_items: items.length,
    count: results.length,
    scored: n,
    missing: items.filter((it) => !sampleIndex.has(it.id)).length,
    not_evaluated: notEvaluated,
    execution_rate: n ? exec / n : 0,
    accuracy: n ? correct / n : 0,
    accuracy_ci95: acc.ci95,
    items_scored: acc.items,
    accuracy_all_items: answerable.length ? itemScore / answerable.length : 0,
    format_rate: n ? fmt / n : 0,
    mean_reward: n ? reward / n : 0,
    counts,
    answers: useErrata ? 'errata' : 'original',
    errata_items: errataItems.length,
    accuracy_all_items_other: errataItems.length ? (otherAnswerable.length ? otherScore / otherAnswerable.length : 0) : null,
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
    ...(s.not_evaluated ? [`NOT EVALUATED: ${s.not_evaluated} completions never ran (no sandbox server could take them); the rates below leave them out`] : []),
    `accuracy ${formatAccuracy(summaryAccuracy(s))} (95 % interval, n items) of the completions scored; ${pct(s.accuracy_all_items)} of all benchmark items with an answer (those without a completion count as not correct)`,
    `execution rate ${pct(s.execution_rate)}  format rate ${pct(s.format_rate)}  mean reward ${s.mean_reward.toFixed(3)}`,
    `classes: ${classes || 'none'}`,
    ...(s.errata_items ? [`answers: ${s.answers === 'errata' ? 'corrected (--errata)' : "the benchmark's own"}; ${s.errata_items} items have errata; `
      + `with ${s.answers === 'errata' ? "the benchmark's own answers" : 'the corrected answers (--errata)'}: ${pct(s.accuracy_all_items_other ?? 0)} of all items`] : []),
  ].join('\n');
}

/** A summary's accuracy with its interval and n; cards written before intervals get Wilson's over the scored completions. */
export function summaryAccuracy(s: EvalSummary): { value: number; ci95: Interval; items: number; samples: number } {
  const items = s.items_scored ?? s.scored;
  return { value: s.accuracy, ci95: s.accuracy_ci95 ?? wilsonOf(s.accuracy, items), items, samples: s.scored };
}
