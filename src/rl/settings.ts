// Every training setting in one table: its key, label, `evom train` flag, kind, bounds, choices,
// one-line help and default for each kind of model. The CLI's options, bounds and usage text
// (src/cli/settings-flags.ts), the Studio's form (src/studio/train-panel.tsx), run cards
// (src/rl/run-card.ts) and the trainer's defaults (trainerDefaults) are all generated from it.
//
// Defaults depend on the model: the built-in policy (public/models/evom-tiny, 0.2 M parameters)
// learns with a learning rate a Hub model would diverge with, and its completions are short.

import { DEFAULTS } from '../verifier/config.ts';
import { UsageError } from '../errors.ts';
import { DEFAULT_LORA, type LoraConfig } from './lora.ts';
import { LOSS_DEFAULTS } from './grpo.ts';
import { OPTIMIZER_DEFAULTS } from './optimizer.ts';
import { allTargets } from '../targets/registry.ts';
import { TOLERANCE_RULES, type ToleranceRule } from '../verifier/tolerance.ts';
import type { TrainerConfig } from './trainer.ts';

/** The policy-gradient algorithms: GRPO, DAPO and Dr. GRPO (loss defaults in src/rl/grpo.ts). */
export const ALGORITHMS = ['grpo', 'dapo', 'drgrpo'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];
/** How each algorithm is named in text. */
export const ALGORITHM_NAMES: Record<Algorithm, string> = { grpo: 'GRPO', dapo: 'DAPO', drgrpo: 'Dr. GRPO' };

/** Storage of the frozen base's layer weights (src/gpu/kernels/weights.ts): as stored, or group-wise q8 / q4. */
export const BASE_QUANT = ['none', 'q8', 'q4'] as const;
export type BaseQuant = (typeof BASE_QUANT)[number];

/** Whose defaults: the built-in policy (public/models/evom-tiny) or a Hub (or local) model. */
export type ModelKind = 'builtin' | 'hub';

/** Every setting of a run, named as `evom train`'s flags (camelCase). */
export interface TrainSettings {
  algo: Algorithm;
  target: string;
  tolerance: ToleranceRule;
  /** training steps (optimizer.totalSteps) */
  steps: number;
  /** completions per prompt (G) */
  group: number;
  promptsPerStep: number;
  /** AdamW learning rate */
  lr: number;
  /** KL coefficient β (0 = off) */
  kl: number;
  loraRank: number;
  loraAlpha: number;
  /** completion length cap, tokens */
  maxNewTokens: number;
  temperature: number;
  seed: number;
  /** sequences per forward/backward */
  microBatch: number;
  /** policy updates per batch of rollouts (μ) */
  updatesPerBatch: number;
  /** activation recomputation in the backward (absent in runs and cards from before it: off) */
  recompute?: boolean;
  /** storage of the frozen base's layer weights: as the checkpoint ('none') or quantized on load
   *  (absent in runs and cards from before it: 'none') */
  quant?: BaseQuant;
}

/** `evom train`'s settings that do not change what is learned (not in TrainSettings or run cards). */
export interface RunOptions {
  /** steps between checkpoints (the Studio saves one after every step) */
  checkpointEvery: number;
}

export type SettingKey = keyof TrainSettings | keyof RunOptions;

export interface SettingInfo {
  key: SettingKey;
  label: string;
  /** `evom train`'s flag */
  flag: string;
  /** the flag's value in the usage text (--steps N) */
  arg: string;
  /** boolean: a flag without a value (`--recompute`), a checkbox in the Studio */
  kind: 'int' | 'number' | 'choice' | 'boolean';
  /** inclusive bounds (int, number) */
  min?: number;
  max?: number;
  choices?: readonly string[];
  /** one line: what it does and when to change it */
  help: string;
  /** default for each kind of model; absent when it is required (target) or derived (derived) */
  default?: Readonly<Record<ModelKind, string | number | boolean>>;
  /** how a default without a fixed value is found, as the usage text says it */
  derived?: string;
  /** may be absent in runs and run cards from before the setting existed: its default then */
  optional?: boolean;
  /** `evom train` only: not a TrainSettings key (not in the Studio form or a run card) */
  cliOnly?: true;
}

/** `evom train --steps` default for a Hub model. */
export const DEFAULT_STEPS = 100;
/** Largest LoRA rank `evom train` accepts. */
export const MAX_LORA_RANK = 64;

const same = <V extends string | number | boolean>(v: V) => ({ builtin: v, hub: v }) as const;

/**
 * THE table: one descriptor per setting, in form order. The built-in policy's defaults are the ones
 * `evom demo` trains with; a Hub model's are the CLI's (LoRA defaults from DEFAULT_LORA).
 */
export const SETTING_TABLE = [
  { key: 'algo', label: 'Algorithm', flag: '--algo', arg: ALGORITHMS.join('|'), kind: 'choice', choices: ALGORITHMS, default: same('grpo'),
    help: 'GRPO compares the G completions of each problem; DAPO also drops groups with no signal (all rewards equal), clips higher and penalizes overlong answers; Dr. GRPO drops the std normalization and the per-length averaging (no length bias). Try DAPO when most groups are all right or all wrong.' },
  { key: 'target', label: 'Target', flag: '--target', arg: 'T', kind: 'choice', get choices() { return allTargets().map((t) => t.name); }, derived: 'required',
    help: 'The language the policy writes and the solver that rewards it (highs: CPLEX LP, glpk: MathProg, glpk-json: JSON model); Python targets need a sandbox server and train only in the Studio.' },
  { key: 'tolerance', label: 'Tolerance', flag: '--tolerance', arg: 'R', kind: 'choice', choices: TOLERANCE_RULES, default: same(DEFAULTS.tolerance),
    help: 'How close the solver\'s objective must be to the answer to count as correct: rel5pct is EVOM\'s rule; rel1e-4 is stricter, int rounds first, sirl is SIRL/OptMATH\'s.' },
  { key: 'steps', label: 'Steps', flag: '--steps', arg: 'N', kind: 'int', min: 1, default: { builtin: 10, hub: DEFAULT_STEPS },
    help: 'Training steps (one batch of rollouts and its update each). Raise it while reward still climbs; stop when it plateaus.' },
  { key: 'group', label: 'Group G', flag: '--group', arg: 'G', kind: 'int', min: 2, default: same(8),
    help: 'Completions sampled per problem; advantages compare them within the group. Larger G gives a steadier signal at proportional cost (4–16 is typical).' },
  { key: 'promptsPerStep', label: 'Prompts per step', flag: '--prompts-per-step', arg: 'P', kind: 'int', min: 1, default: same(2),
    help: 'Problems per step, each with G completions. Raise it for smoother updates when time and memory allow.' },
  { key: 'lr', label: 'Learning rate', flag: '--lr', arg: 'LR', kind: 'number', min: 0, max: 1, default: { builtin: 5e-4, hub: 1e-5 },
    help: 'AdamW step size for the LoRA weights. About 1e-5 for large models; tiny models such as evom-tiny take 5e-4 (2e-3 fits the training problems but costs held-out accuracy). Lower it if reward collapses.' },
  { key: 'kl', label: 'KL β', flag: '--kl', arg: 'BETA', kind: 'number', min: 0, max: 100, default: same(0),
    help: 'Weight of the KL penalty that keeps the policy near the base model (0 = off). Raise it (e.g. 0.04) if the text drifts into nonsense.' },
  { key: 'loraRank', label: 'LoRA rank r', flag: '--lora-rank', arg: 'R', kind: 'int', min: 1, max: MAX_LORA_RANK, default: same(DEFAULT_LORA.rank),
    help: 'Rank of the LoRA adapter: capacity and memory grow with it. 8 is plenty for format and modeling habits.' },
  { key: 'loraAlpha', label: 'LoRA alpha α', flag: '--lora-alpha', arg: 'A', kind: 'number', min: 0.001, max: 1e6, derived: '2 × rank',
    help: 'LoRA scaling: the update is multiplied by α/r. Default 2 × rank; keep α/r fixed when you change the rank.' },
  { key: 'maxNewTokens', label: 'Max new tokens', flag: '--max-new-tokens', arg: 'K', kind: 'int', min: 1, default: { builtin: 112, hub: 256 },
    help: 'Longest completion in tokens; longer ones are cut off. Set it a little above a good answer\'s length: time and memory grow with it.' },
  { key: 'temperature', label: 'Temperature', flag: '--temperature', arg: 'T', kind: 'number', min: 0.01, max: 10, default: same(1),
    help: 'Sampling temperature of the rollouts. 1 samples the policy as it is; lower makes a group\'s completions more alike (less signal), higher more varied.' },
  { key: 'seed', label: 'Seed', flag: '--seed', arg: 'S', kind: 'int', min: 0, default: same(0),
    help: 'Seeds sampling, the data order and the adapter\'s initialization: the same seed and settings give the same run.' },
  { key: 'microBatch', label: 'Micro-batch', flag: '--micro-batch', arg: 'M', kind: 'int', min: 1, default: { builtin: 16, hub: 4 },
    help: 'Sequences per forward/backward pass; gradients add up, so the update is the same. Lower it when GPU memory runs out, raise it for speed.' },
  { key: 'updatesPerBatch', label: 'Updates per batch μ', flag: '--updates-per-batch', arg: 'U', kind: 'int', min: 1, default: same(1),
    help: 'Policy updates per batch of rollouts; above 1 reuses the samples with ratio clipping. Keep 1 unless generation dominates the step time.' },
  { key: 'quant', label: 'Frozen base', flag: '--quant', arg: BASE_QUANT.join('|'), kind: 'choice', choices: BASE_QUANT, default: same('none'), optional: true,
    help: 'Storage of the base model\'s layer weights while LoRA trains on top: none keeps the checkpoint\'s (f16/f32); q8 and q4 quantize them on load in groups of 32 (8.5 and 4.5 bits per weight) so a larger model fits. q8 is near lossless; q4 moves the logits noticeably on small models.' },
  { key: 'recompute', label: 'Recompute activations', flag: '--recompute', arg: '', kind: 'boolean', default: same(false), optional: true,
    help: 'Saves memory: keeps only each layer\'s input and recomputes the layer in the backward pass, for about 1/3 more compute and the same gradients. Turn it on when the memory plan does not fit.' },
  { key: 'checkpointEvery', label: 'Steps per checkpoint', flag: '--checkpoint-every', arg: 'N', kind: 'int', min: 1, default: same(10), cliOnly: true,
    help: 'Steps between checkpoints of `evom train` (a run resumes from its last one); the Studio saves one after every step.' },
] as const satisfies readonly SettingInfo[];

/** The settings of a run (TrainSettings' keys), in form order: the Studio form, run cards, validation. */
export const SETTINGS: readonly (SettingInfo & { key: keyof TrainSettings })[] =
  (SETTING_TABLE as readonly SettingInfo[]).filter((d): d is SettingInfo & { key: keyof TrainSettings } => !d.cliOnly);

/** `evom train`'s flags of the table, without the dashes. */
export type SettingFlag = (typeof SETTING_TABLE)[number]['flag'] extends `--${infer F}` ? F : never;

export function settingInfo(key: SettingKey): SettingInfo {
  const d = (SETTING_TABLE as readonly SettingInfo[]).find((x) => x.key === key);
  if (!d) throw new Error(`no setting "${key}"`);
  return d;
}

/** The table's default of a setting for a kind of model (undefined: required or derived). */
export function settingDefault(key: SettingKey, model: ModelKind): string | number | boolean | undefined {
  return settingInfo(key).default?.[model];
}

const num = (key: SettingKey, model: ModelKind) => settingDefault(key, model) as number;

/** Defaults of a run for a kind of model: the table's, with the given algorithm and target (alpha = 2·rank). */
export function defaultSettings(model: ModelKind, algo: Algorithm, target: string): TrainSettings {
  if (model !== 'builtin' && model !== 'hub') throw new Error(`defaultSettings: model must be builtin or hub; got ${String(model)}`);
  const rank = num('loraRank', model);
  return {
    algo, target, tolerance: settingDefault('tolerance', model) as ToleranceRule, steps: num('steps', model), group: num('group', model),
    promptsPerStep: num('promptsPerStep', model), lr: num('lr', model), kl: num('kl', model), loraRank: rank, loraAlpha: 2 * rank,
    maxNewTokens: num('maxNewTokens', model), temperature: num('temperature', model), seed: num('seed', model),
    microBatch: num('microBatch', model), updatesPerBatch: num('updatesPerBatch', model),
    quant: settingDefault('quant', model) as BaseQuant, recompute: settingDefault('recompute', model) as boolean,
  };
}

/** `evom train`'s other defaults for a kind of model. */
export function defaultRunOptions(model: ModelKind): RunOptions {
  return { checkpointEvery: num('checkpointEvery', model) };
}

/**
 * DAPO's overlong buffer in tokens: the last quarter of the completion cap (DAPO's recipe: 4,096 of
 * 20,480). A fixed 64 tokens would penalize the built-in policy's answers past 48 of its 112 tokens.
 */
export function dapoOverlongBuffer(maxNewTokens: number): number {
  return Math.floor(maxNewTokens / 4);
}

/**
 * The TrainerConfig of an algorithm with the table's defaults for a kind of model (a Hub model's
 * unless named), and the knobs that are not settings: top-p/top-k off, DAPO's dynamic sampling
 * (4 refills at most) and overlong buffer (dapoOverlongBuffer). maxNewTokens is the one completion cap: the
 * trainer hands it to the loss (loss.maxNewTokens, written here from the same value, is not read).
 */
export function trainerDefaults(algo: Algorithm, target: string, tolerance: ToleranceRule, model: ModelKind = 'hub'): TrainerConfig {
  const maxNewTokens = num('maxNewTokens', model);
  const dapo = algo === 'dapo';
  return {
    algo, target, tolerance, group: num('group', model), promptsPerStep: num('promptsPerStep', model), seed: num('seed', model), maxNewTokens,
    temperature: num('temperature', model), topP: 1, topK: 0, loss: { ...LOSS_DEFAULTS[algo], beta: num('kl', model), maxNewTokens },
    optimizer: { ...OPTIMIZER_DEFAULTS, lr: num('lr', model) }, updatesPerBatch: num('updatesPerBatch', model), microBatch: num('microBatch', model),
    dynamicSampling: dapo, maxRefill: dapo ? 4 : 0, overlongBuffer: dapo ? dapoOverlongBuffer(maxNewTokens) : 0,
  };
}

const shown = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

/** What is wrong with one value of a setting (null when it is fine); `name` starts the message. */
export function settingProblem(d: SettingInfo, v: unknown, name: string = d.label): string | null {
  // absent: off (runs and cards from before the setting)
  if (v === undefined && d.optional) return null;
  if (d.kind === 'boolean') return typeof v === 'boolean' ? null : `${name} must be true or false; got ${shown(v)}`;
  if (d.kind === 'choice') {
    return typeof v === 'string' && d.choices!.includes(v) ? null : `${name} must be one of ${d.choices!.join(', ')}; got ${shown(v)}`;
  }
  if (d.kind === 'int') {
    const ok = typeof v === 'number' && Number.isInteger(v) && v >= d.min! && (d.max === undefined || v <= d.max);
    return ok ? null : `${name} must be an integer ${d.max === undefined ? `≥ ${d.min}` : `between ${d.min} and ${d.max}`}; got ${shown(v)}`;
  }
  return typeof v === 'number' && Number.isFinite(v) && v >= d.min! && v <= d.max! ? null : `${name} must be a number between ${d.min} and ${d.max}; got ${shown(v)}`;
}

/** What is wrong with a settings object, one message per bad value (empty when it is fine). */
export function validateSettings(s: TrainSettings): string[] {
  const out: string[] = [];
  for (const d of SETTINGS) {
    const p = settingProblem(d, (s as unknown as Record<string, unknown>)[d.key]);
    if (p) out.push(p);
  }
  return out;
}

/** The TrainerConfig and LoRA config of a run: exactly what `evom train` builds for the same flags. */
export function trainerConfigFrom(s: TrainSettings): { cfg: TrainerConfig; lora: LoraConfig } {
  const problems = validateSettings(s);
  if (problems.length) throw new UsageError(`invalid training settings: ${problems.join('; ')}`);
  const cfg = trainerDefaults(s.algo, s.target, s.tolerance);
  cfg.group = s.group;
  cfg.promptsPerStep = s.promptsPerStep;
  cfg.seed = s.seed;
  cfg.maxNewTokens = s.maxNewTokens;
  cfg.loss.maxNewTokens = s.maxNewTokens; // the record's copy (the trainer reads cfg.maxNewTokens)
  if (cfg.overlongBuffer > 0) cfg.overlongBuffer = dapoOverlongBuffer(s.maxNewTokens);
  cfg.microBatch = s.microBatch;
  cfg.updatesPerBatch = s.updatesPerBatch;
  cfg.temperature = s.temperature;
  cfg.optimizer.lr = s.lr;
  cfg.loss.beta = s.kl;
  cfg.optimizer.totalSteps = s.steps;
  if (s.recompute) cfg.recompute = true;
  if (s.quant && s.quant !== 'none') cfg.quant = s.quant;
  return { cfg, lora: { ...DEFAULT_LORA, targets: [...DEFAULT_LORA.targets], rank: s.loraRank, alpha: s.loraAlpha } };
}
