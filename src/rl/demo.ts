// The class demo's problems, evaluation and training settings, in one place for `evom demo`
// (src/cli/demo.ts) and the Studio's "Run the class demo" (src/studio/class-demo.ts): both generate
// the same held-out and training problems and sample them with the same seeds.
import type { BenchmarkItem } from '../problems/benchmarks.ts';
import type { GeneratedItem } from '../problems/generated.ts';
import type { Family } from '../problems/generator.ts';
import { pairedDifference, pairItems, tallyByItem, type ItemTally, type PairedDifference, type PairedStratum } from '../verifier/stats.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import { defaultSettings, type TrainSettings } from './settings.ts';
import type { TrainItem } from './trainer.ts';

/**
 * The demo's data and evaluation (flags override steps, seeds, eval count and out). Its training
 * settings are the built-in policy's defaults in the settings table (src/rl/settings.ts).
 */
export const DEMO = {
  families: ['knapsack', 'production'] as Family[],
  difficulty: 2,
  target: 'highs',
  tolerance: 'rel5pct' as ToleranceRule,
  /** held-out problems per seed (the floor: 100 paired items) */
  evalCount: 120,
  /** samples per held-out problem; the same sampling seeds before and after (a paired comparison) */
  evalSamples: 1,
  trainCount: 256,
  seed: 1,
  /** evaluation samples at the training temperature (1.0): the accuracy of the policy as trained */
  evalTemperature: 1,
  /** prompts decoded together in an evaluation */
  evalBatch: 16,
};

/** Generator seed of the held-out problems of a demo seed (apart from the training problems'). */
export const demoEvalDataSeed = (seed: number): number => 1_000_000 + seed;
/** Generator seed of the training problems of a demo seed; a question also held out leaves training. */
export const demoTrainDataSeed = (seed: number): number => 2_000_000 + seed;
/** Sampling seed of both evaluations (item i samples with this + i): before and after are paired. */
export const demoSamplingSeed = (seed: number): number => 7 + seed;
/** The run's data description, as `evom demo` writes it. */
export const demoDataDescription = (): string => `generator:${DEMO.families.join(',')} difficulty ${DEMO.difficulty}`;

/** The demo's training settings: the built-in policy's defaults (src/rl/settings.ts). */
export function demoSettings(seed: number, steps: number, base: TrainSettings = defaultSettings('builtin', 'grpo', DEMO.target)): TrainSettings {
  return { ...base, seed, steps };
}

/** The training steps `evom demo` takes by default (the built-in policy's default). */
export const demoDefaultSteps = (): number => defaultSettings('builtin', 'grpo', DEMO.target).steps;

/** Generated problems with their gold answers: the node generator or the Studio's problems worker. */
export type GenerateProblems = (o: { families: Family[]; count: number; seed: number; difficulty: number }) => Promise<GeneratedItem[]>;

/**
 * The held-out and training problems of a demo seed: disjoint generator seeds, and a question that
 * is also held out leaves training.
 */
export async function demoProblemSets(generate: GenerateProblems, seed: number, evalCount: number, between?: () => void): Promise<{ evalItems: BenchmarkItem[]; train: TrainItem[] }> {
  const gen = (count: number, s: number) => generate({ families: [...DEMO.families], count, seed: s, difficulty: DEMO.difficulty });
  const evalItems: BenchmarkItem[] = (await gen(evalCount, demoEvalDataSeed(seed))).map(({ id, question, answer, ...extra }) => ({ id, question, answer, extra }));
  between?.();
  const held = new Set(evalItems.map((i) => i.question));
  const train = (await gen(DEMO.trainCount, demoTrainDataSeed(seed))).filter((i) => !held.has(i.question)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
  return { evalItems, train };
}

type ScoredResult = Parameters<typeof tallyByItem>[0][number];

/** The paired gain after − before over the items scored in both evaluations (same sampling seeds). */
export function demoPairedGain(before: readonly ScoredResult[], after: readonly ScoredResult[]): {
  before: ItemTally[]; after: ItemTally[]; pair: PairedStratum; gain: PairedDifference;
} {
  const tb = tallyByItem(before), ta = tallyByItem(after);
  const pair = pairItems(tb, ta);
  return { before: [...tb.values()], after: [...ta.values()], pair, gain: pairedDifference([pair]) };
}
