// The class demo in the browser: what `npx evom demo` does (src/cli/demo.ts), driven through the
// engine worker. The same generated problems (src/rl/demo.ts: families, difficulty, generator seeds),
// the built-in evom-tiny, the held-out problems sampled at temperature 1 with fixed seeds, GRPO steps
// with the built-in defaults, the same problems and seeds again; the paired gain with its interval.
// Its state lives here, outside any component, so it keeps running while the user changes tabs.
// The run it trains is saved in the run store like any Train run; both evaluations go to its evals.json.
import { useEffect, useState } from 'preact/hooks';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { RUN_FILES, type RunRecord } from '../host/run-store.ts';
import type { EvalPhase, ModelRef } from '../host/engine-host.ts';
import type { BenchmarkItem } from '../problems/benchmarks.ts';
import type { StepPhase, StepProgress, TrainItem } from '../rl/trainer.ts';
import { DEMO, demoDataDescription, demoDefaultSteps, demoPairedGain, demoProblemSets, demoSamplingSeed, demoSettings } from '../rl/demo.ts';
import type { PairedDifference } from '../verifier/stats.ts';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { EvomError, UsageError } from '../errors.ts';
import { appBase, type Studio } from './app.ts';
import { engineWorker, problemsWorker, proxy } from './clients.ts';
import type { StoredEval } from './evaluate-panel.tsx';
import type { Progress } from './progress.tsx';
import { newRunId } from './state.ts';
import { isTraining, STUDIO_CHECKPOINT_EVERY, trainingState } from './training.ts';
import { plural } from './format.ts';

/** A demo size: held-out problems and GRPO steps (training problems and settings are the CLI's). */
export interface DemoSize { id: 'quick' | 'full' | 'custom'; evalCount: number; steps: number; label: string; time: string }

export const DEMO_SIZES: readonly DemoSize[] = [
  { id: 'quick', evalCount: 40, steps: 4, label: 'Quick look', time: 'about 2 minutes without a GPU (2 CPU cores), less with one' },
  { id: 'full', evalCount: DEMO.evalCount, steps: demoDefaultSteps(), label: 'Full size, as the command line', time: 'about 6 minutes without a GPU (2 CPU cores), less with one' },
];

/** A size from the address (`?demo=8,1`: 8 held-out problems, 1 step), for tests and short sessions. */
export function demoSizeFromQuery(search: string): DemoSize | null {
  const m = /^(\d+),(\d+)$/.exec(new URLSearchParams(search).get('demo') ?? '');
  if (!m) return null;
  const evalCount = Number(m[1]), steps = Number(m[2]);
  if (!(evalCount >= 2 && evalCount <= 1000 && steps >= 1 && steps <= 100)) return null;
  return { id: 'custom', evalCount, steps, label: 'Size from the address', time: 'depends on the size' };
}

/** The command line that runs the same demo. */
export const demoCommand = (z: DemoSize): string =>
  `npx evom demo${z.evalCount !== DEMO.evalCount ? ` --eval-count ${z.evalCount}` : ''}${z.steps !== demoDefaultSteps() ? ` --steps ${z.steps}` : ''}`;

/** One evaluation as the card shows it: accuracy with its interval and n, and the rates. */
export interface DemoEvalView { accuracy: ReturnType<typeof summaryAccuracy>; execution_rate: number; format_rate: number }
export interface DemoOutcome {
  size: DemoSize; runId: string; before: DemoEvalView; after: DemoEvalView; gain: PairedDifference;
  /** mean reward per training step */
  rewards: number[]; finished: string;
}

export type DemoStage = 'problems' | 'before' | 'train' | 'after';
export const DEMO_STAGES: readonly (readonly [DemoStage, string])[] = [
  ['problems', 'Generate the problems'], ['before', 'Evaluate the model'], ['train', 'Train (GRPO)'], ['after', 'Evaluate again'],
];

export interface DemoState {
  status: 'idle' | 'running' | 'cancelling' | 'cancelled' | 'done' | 'failed';
  stage: DemoStage | null;
  progress: Progress | null;
  message: string;
  result: DemoOutcome | null;
}

const RESULT_KEY = 'evom-studio-demo-result';
const storedResult = (): DemoOutcome | null => { try { return JSON.parse(localStorage.getItem(RESULT_KEY) ?? 'null') as DemoOutcome | null; } catch { return null; } };

let state: DemoState = { status: 'idle', stage: null, progress: null, message: '', result: storedResult() };
const listeners = new Set<(s: DemoState) => void>();
let cancelRequested = false;

function set(patch: Partial<DemoState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
}

export function useClassDemo(): DemoState {
  const [s, setS] = useState(state);
  useEffect(() => { listeners.add(setS); setS(state); return () => { listeners.delete(setS); }; }, []);
  return s;
}

export const demoRunning = (): boolean => state.status === 'running' || state.status === 'cancelling';

/** Stop: an evaluation at once (the engine's evalCancel), training after the step in progress. */
export function cancelClassDemo(): void {
  if (!demoRunning()) return;
  cancelRequested = true;
  set({ status: 'cancelling', message: state.stage === 'train' ? 'Cancelling after the step in progress…' : 'Cancelling…' });
  if (state.stage === 'before' || state.stage === 'after') void engineWorker().evalCancel().catch(() => undefined);
}

class DemoCancelled extends EvomError {
  constructor() { super('the class demo was cancelled', 'demo_cancelled'); }
}
const checkCancel = () => { if (cancelRequested) throw new DemoCancelled(); };

/** What a training step is doing, in a few words (the step's phases, src/rl/trainer.ts). */
const STEP_PHASE_WORDS: Record<StepPhase, string> = {
  generate: 'writing models', verify: 'solving them for the reward', reference: 'comparing with the base model',
  backward: 'computing the update', update: 'updating the adapter', save: 'saving the checkpoint',
};

/** The built-in policy the demo trains (the app's copy of public/models/evom-tiny). */
const demoModel = (): ModelRef => ({ kind: 'builtin', base: appBase(), id: 'evom-tiny' });

/** Evaluate the held-out problems as `evom demo` does (one call: item i samples with seed0 + i); Cancel stops it (evalCancel). */
async function evaluateDemo(items: BenchmarkItem[], adapterRun: string | null, maxNewTokens: number, seed0: number, label: string): Promise<StoredEval> {
  let phase = '', startedAt = Date.now();
  set({ progress: { label: `${label}: loading the model`, done: 0, total: items.length, unit: 'problem', startedAt } });
  const report = await engineWorker().evaluate({
    model: demoModel(), adapter: adapterRun ? { run: adapterRun } : null, items,
    target: DEMO.target, tolerance: DEMO.tolerance,
    sampling: { n: DEMO.evalSamples, temperature: DEMO.evalTemperature, maxNewTokens, seed: seed0 }, batch: DEMO.evalBatch, fineProgress: true,
  }, proxy((p: EvalPhase, done: number, total: number) => {
    if (p !== phase) { phase = p; startedAt = Date.now(); }
    const what = p === 'generate' ? 'the model writes a model for each problem' : 'the solver checks them';
    // done/total count completions (one per problem: DEMO.evalSamples is 1)
    if (!cancelRequested) set({ progress: { label: `${label}: ${what}`, done, total, unit: DEMO.evalSamples === 1 ? 'problem' : 'completion', startedAt } });
  }));
  return { label, target: DEMO.target, adapterRun, created: new Date().toISOString(), report };
}

/** What the card shows of an evaluation. */
export function demoEvalView(e: StoredEval): DemoEvalView {
  return { accuracy: summaryAccuracy(e.report.summary), execution_rate: e.report.summary.execution_rate, format_rate: e.report.summary.format_rate };
}

/** The paired gain after − before on the items scored in both (same sampling seeds). */
export function demoGain(before: StoredEval, after: StoredEval): PairedDifference {
  return demoPairedGain(before.report.items.map((i) => i.result), after.report.items.map((i) => i.result)).gain;
}

/** What a paired gain means, in one sentence. */
export function gainMeaning(g: PairedDifference): string {
  const mde = (100 * g.mde).toFixed(1);
  if (g.ci95[0] > 0) return 'The interval lies above 0: on these problems the trained model is more accurate, beyond what sampling noise explains.';
  if (g.ci95[1] < 0) return 'The interval lies below 0: on these problems training made the model less accurate, beyond what sampling noise explains.';
  return `The interval includes 0: this run cannot tell a gain from noise (with ${plural(g.n, 'problem')} it reliably detects only a change of about ${mde} points or more).`;
}

/** The demo's problems: the CLI's generator seeds and split (src/rl/demo.ts), generated in the problems worker. */
async function demoProblems(seed: number, evalCount: number): Promise<{ evalItems: BenchmarkItem[]; train: TrainItem[] }> {
  set({ progress: { label: `Generating ${plural(evalCount, 'held-out problem')} and solving them for their answers`, done: 0, total: 2, unit: 'problem set', startedAt: Date.now() } });
  return demoProblemSets((g) => problemsWorker().generate(g), seed, evalCount, () => {
    checkCancel();
    set({ progress: { label: `Generating ${plural(DEMO.trainCount, 'training problem')} and solving them`, done: 1, total: 2, unit: 'problem set', startedAt: state.progress!.startedAt } });
  });
}

/**
 * Run the class demo at a size, as a Studio job (one engine job at a time; errors go to the
 * banner). Cancel stops an evaluation at once, training after the step in progress.
 */
export function runClassDemo(s: Studio, size: DemoSize): Promise<DemoOutcome | null | undefined> {
  if (demoRunning()) return Promise.resolve(null);
  return s.job('Running the class demo', async () => {
    if (isTraining() || trainingState().status === 'paused') throw new UsageError('a training run is open in the Train tab: stop it there first (the demo trains its own run)');
    cancelRequested = false;
    set({ status: 'running', stage: 'problems', message: '', result: null });
    const seed = DEMO.seed;
    const settings = demoSettings(seed, size.steps);
    let runId: string | null = null, trainOpen = false;
    try {
      const { evalItems, train } = await demoProblems(seed, size.evalCount);
      checkCancel();
      set({ stage: 'before' });
      const before = await evaluateDemo(evalItems, null, settings.maxNewTokens, demoSamplingSeed(seed), 'evom-tiny before training');
      checkCancel();

      set({ stage: 'train', progress: { label: `Training: loading the model`, done: 0, total: size.steps, unit: 'step', startedAt: Date.now() } });
      const store = browserRunStore();
      const run: RunRecord = {
        id: newRunId('demo'), title: `Class demo (${size.evalCount} held-out, ${plural(size.steps, 'step')})`, created: new Date().toISOString(),
        model: { kind: 'builtin', id: 'evom-tiny' }, settings, checkpointEvery: STUDIO_CHECKPOINT_EVERY,
        data: { description: demoDataDescription(), train_items: train.length, eval_items: evalItems.length },
      };
      const evalData: TrainItem[] = evalItems.map((i) => ({ id: i.id, question: i.question, answer: i.answer! }));
      await store.createRun(run, { train, eval: evalData, description: demoDataDescription() });
      runId = run.id;
      await store.files.write([run.id, RUN_FILES.evals], JSON.stringify([before]));
      s.runsChanged();
      await engineWorker().trainOpen({ run: run.id, model: demoModel() });
      trainOpen = true;
      const rewards: number[] = [];
      const trainStart = Date.now();
      for (let k = 1; k <= size.steps; k++) {
        checkCancel();
        const stepLabel = `Training: step ${k} of ${size.steps} (${plural(settings.promptsPerStep, 'problem')} × ${settings.group} completions, solved and rewarded)`;
        set({ progress: { label: stepLabel, done: k - 1, total: size.steps, unit: 'step', startedAt: trainStart } });
        const onPhase = (p: StepProgress) => {
          if (!cancelRequested) set({ progress: { label: `${stepLabel}: ${STEP_PHASE_WORDS[p.phase]}`, done: k - 1, total: size.steps, unit: 'step', startedAt: trainStart } });
        };
        rewards.push((await engineWorker().trainStep(proxy(onPhase))).metrics.reward_mean);
      }
      await engineWorker().trainClose();
      trainOpen = false;
      s.runsChanged();
      checkCancel();

      set({ stage: 'after' });
      const after = await evaluateDemo(evalItems, run.id, settings.maxNewTokens, demoSamplingSeed(seed), `evom-tiny after ${plural(size.steps, 'step')} (${run.id})`);
      await store.files.write([run.id, RUN_FILES.evals], JSON.stringify([before, after]));
      s.runsChanged();
      const result: DemoOutcome = {
        size, runId: run.id, before: demoEvalView(before), after: demoEvalView(after), gain: demoGain(before, after), rewards, finished: new Date().toISOString(),
      };
      localStorage.setItem(RESULT_KEY, JSON.stringify(result));
      set({ status: 'done', stage: null, progress: null, message: '', result });
      return result;
    } catch (e) {
      if (trainOpen) await engineWorker().trainClose().catch(() => undefined);
      // an evaluation stopped by evalCancel rejects with the engine's CancelledError (its class does not cross the worker)
      if (e instanceof DemoCancelled || cancelRequested) {
        const kept = runId ? ` Run ${runId} is saved with the steps done so far (Export tab).` : ' Nothing was saved.';
        set({ status: 'cancelled', stage: null, progress: null, message: `Cancelled.${kept}`, result: null });
        return null;
      }
      set({ status: 'failed', stage: null, progress: null, message: `Stopped by an error: ${(e as Error).message}`, result: null });
      throw e;
    } finally {
      cancelRequested = false;
    }
  });
}
