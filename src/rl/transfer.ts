// Solver transfer's plan, shared by `evom transfer` / `evom demo --transfer` (src/cli/transfer.ts)
// and the Studio's wizard (src/studio/transfer-panel.tsx): the stages, the paired comparisons, their
// labels, the demo's defaults and the result's shape.

import type { ToleranceRule } from '../verifier/tolerance.ts';
import type { Interval, PairedDifference } from '../verifier/stats.ts';

export type StageKey = 'base_on_a' | 'base_on_b' | 'a_on_a' | 'a_on_b' | 'b_from_a_on_b' | 'b_from_base_on_b';

/** The stages' labels, in order ({A}, {B}: the targets; {n}, {k}: "10 steps", "3 steps"), for the CLI's table and the Studio's wizard. */
export const TRANSFER_STAGES: readonly (readonly [StageKey, string])[] = [
  ['base_on_a', 'base model, evaluated under {A}'], ['base_on_b', 'base model, evaluated under {B}'],
  ['a_on_a', '{n} GRPO under {A}, evaluated under {A}'], ['a_on_b', '{n} GRPO under {A}, evaluated under {B} (zero-shot)'],
  ['b_from_a_on_b', 'the {A} adapter + {k} under {B}, evaluated under {B}'], ['b_from_base_on_b', 'base model + {k} under {B}, evaluated under {B}'],
];

/** The comparisons of the table: [key, after, before, what it says]. */
export const TRANSFER_COMPARISONS: readonly (readonly [string, StageKey, StageKey, string])[] = [
  ['gain_under_a', 'a_on_a', 'base_on_a', 'gain under {A} from GRPO under {A}'],
  ['transfer_to_b', 'a_on_b', 'base_on_b', 'zero-shot transfer: gain under {B} from GRPO under {A}'],
  ['adapt_from_a_vs_base', 'b_from_a_on_b', 'b_from_base_on_b', 'adaptation: {k} under {B} from the {A} adapter vs. from the base'],
  ['adapt_from_a', 'b_from_a_on_b', 'base_on_b', '{k} under {B} from the {A} adapter vs. the base'],
  ['adapt_from_base', 'b_from_base_on_b', 'base_on_b', '{k} under {B} from the base vs. the base'],
];

export const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/** A stage's or comparison's label with its targets and step counts filled in. */
export function transferLabel(label: string, r: { from: string; to: string; steps: number; adapt_steps: number }): string {
  return label.replace(/\{A\}/g, r.from).replace(/\{B\}/g, r.to).replace(/\{n\}/g, plural(r.steps, 'step')).replace(/\{k\}/g, plural(r.adapt_steps, 'step'));
}

export interface TransferEval { accuracy: number; ci95: Interval; n: number; samples: number; execution_rate: number; format_rate: number; target: string }
export interface TransferResult {
  from: string; to: string; steps: number; adapt_steps: number;
  evaluations: Record<StageKey, TransferEval>;
  comparisons: Record<string, PairedDifference & { after: StageKey; before: StageKey }>;
  /** zero-shot transfer over the gain under A (point estimate; null when there was no gain under A) */
  kept_share: number | null;
  evaluation: { items: number; samples_per_item: number; temperature: number; tolerance: ToleranceRule };
  runs: { a: string; b_from_a: string; b_from_base: string };
  wall_s: number;
}

/** `evom demo --transfer`'s defaults (the Studio's wizard takes the same). */
export const TRANSFER_DEMO = {
  from: 'highs', to: 'glpk', steps: 10, adaptSteps: 3, evalCount: 100, evalSamples: 1, evalTemperature: 1, evalBatch: 16,
  families: ['knapsack', 'production'] as const, difficulty: 2, trainCount: 256, seed: 1,
};

