// How the form's model choice is recorded in a run (no files, no tokens), whose training defaults it
// takes (src/rl/settings.ts), the one-line definitions of every metric and outcome class, and what a
// rollout group did for the update.
import type { RunModel } from '../host/run-store.ts';
import type { OutcomeClass } from '../verifier/outcome.ts';
import type { RolloutGroup } from '../rl/trainer.ts';
import type { ModelKind } from '../rl/settings.ts';
import type { Studio } from './app.ts';
import type { StudioForm } from './state.ts';

/** Whose default settings a model choice takes: the built-in policy's, or a Hub model's (a local model too). */
export function settingsModel(kind: StudioForm['model']['kind']): ModelKind {
  return kind === 'builtin' ? 'builtin' : 'hub';
}

export function modelLabel(s: Studio): RunModel {
  const m = s.form.model;
  if (m.kind === 'hub') return { kind: 'hub', id: m.hubId };
  if (m.kind === 'local') return { kind: 'local', id: s.localFiles[0]?.webkitRelativePath?.split('/')[0] || 'local files' };
  return { kind: 'builtin', id: m.builtinId ?? 'evom-tiny' };
}

// ---- definitions: one line per metric and per outcome class, wherever the Studio shows them ----

/** Each metric's name and what it means, in one line (the charts, tables and the rollout inspector show these). */
export const METRICS = {
  accuracy: { name: 'Accuracy', definition: 'share of completions whose model the solver solved to the expected answer, within the tolerance rule' },
  execution_rate: { name: 'Executed (execution rate)', definition: 'share of completions whose model parsed and solved to a definite status (optimal, infeasible or unbounded)' },
  format_rate: { name: 'Format (format rate)', definition: 'share of completions that follow the output protocol: one non-empty code block after the thinking' },
  mean_reward: { name: 'Mean reward', definition: 'average reward per completion (format, answer and execution rewards times their weights)' },
  reward_std: { name: 'Reward std', definition: 'spread of the rewards within a step; 0 means every completion scored the same' },
  reward: { name: 'Reward', definition: 'what one completion earned: R = w_format·format + w_answer·correct + w_exec·executed' },
  reward_weights: { name: 'Reward weights', definition: 'how much each part of the reward counts (defaults: format 1, answer 1, executed 0)' },
  advantage: { name: 'Advantage', definition: 'reward minus the group\'s mean, over the group\'s spread: above 0 the update makes this completion more likely, below 0 less' },
  no_model: { name: 'No model', definition: 'share of completions that typed the answer in instead of a model that computes it' },
  kl: { name: 'KL', definition: 'how far the trained policy has moved from the base model (KL divergence per token); 0 at the start' },
  entropy: { name: 'Entropy', definition: 'how unsure the policy is of its next token (nats per token); near 0 it writes the same text every time' },
  completion_length: { name: 'Length', definition: 'tokens per completion, on average' },
  clip_fraction: { name: 'Clip fraction', definition: 'share of tokens whose probability ratio was clipped (many: the updates are too large)' },
  tokens_per_s: { name: 'Tokens/s', definition: 'completion tokens generated per second' },
  step_seconds: { name: 'Seconds', definition: 'wall-clock time of the whole step' },
  stage_time: { name: 'Time per stage', definition: 'seconds per step spent generating, waiting for the solvers, training and updating' },
  items: { name: 'Items n', definition: 'problems scored (n); completions in brackets when several per problem' },
  objective: { name: 'Objective', definition: 'the objective value the solver found for the completion\'s model' },
  expected: { name: 'Expected', definition: 'the benchmark\'s answer: an optimal objective value, or infeasible' },
  tokens: { name: 'Tokens', definition: 'length of the completion in tokens' },
  paired: { name: 'Paired difference', definition: 'after − before on the same problems, with its 95 % interval' },
} as const;
export type MetricKey = keyof typeof METRICS;

/** What each outcome class means, in one line (README, "Outcomes and reward"; src/verifier/score.ts). */
export const OUTCOME_DEFINITIONS: Record<OutcomeClass, string> = {
  correct: 'solved, and the objective is within the tolerance of the expected answer (for an infeasible problem: infeasibility proved from its data)',
  wrong_answer: 'solved to optimality, but the objective is outside the tolerance of the expected answer (or the problem is infeasible)',
  no_model: 'the answer was typed in (a constant objective, a bound) instead of computed by a model: format reward only',
  format_error: 'no usable code block: missing, empty, unclosed, nested or duplicated',
  parse_error: 'the solver could not read the model (a syntax error, or a model over the size limit)',
  runtime_error: 'the code failed while it ran (an exception, an unknown name)',
  timeout: 'the run passed its time limit',
  infeasible: 'the solver found the model infeasible (or could not tell infeasible from unbounded), but the problem has an optimum',
  unbounded: 'the solver found the objective unbounded: a constraint is missing',
  solver_error: 'the solver stopped without a definite status (an error, an iteration limit)',
  not_evaluated: 'the code never ran (no sandbox server took it): no verdict, left out of the rates',
};

/**
 * Whether a group taught the update anything: with equal rewards every advantage is 0, so the group
 * adds nothing to the update (kept or dropped). Null when its rewards differ.
 */
export function noSignalNote(g: Pick<RolloutGroup, 'completions'>): string | null {
  const rewards = g.completions.map((c) => c.reward);
  if (rewards.length === 0 || Math.max(...rewards) - Math.min(...rewards) > 1e-9) return null;
  const n = rewards.length;
  const all = g.completions.every((c) => c.class === 'correct') ? 'correct' : g.completions.every((c) => c.class !== 'correct') ? 'wrong' : 'equal reward';
  return `all ${n} ${all}: no learning signal from this group (every advantage is 0)`;
}

/** What became of a group in the update, in one sentence. */
export function groupFate(g: Pick<RolloutGroup, 'completions' | 'kept'>): string {
  const none = noSignalNote(g);
  if (!g.kept) return `Dropped by dynamic sampling: ${none ?? 'all rewards equal'}.`;
  return none ? `${none[0]!.toUpperCase()}${none.slice(1)}.` : 'Used for the update: its advantages move the policy toward the completions that scored above the group\'s mean.';
}
