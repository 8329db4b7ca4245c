// The training loop's controller, outside any component so it keeps running while the user moves
// between tabs. Each step runs in the engine worker's host, which saves the metrics, rollouts and
// checkpoint to the run store (OPFS, src/host/run-store.ts) before answering; the page only records which run is active (localStorage), so
// a reload offers to resume it from its last checkpoint. A step that loses the GPU device fails the
// run ('failed'); Resume opens it again, from its last checkpoint, on a new device.
import { useEffect, useState } from 'preact/hooks';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { keepRollouts, type RunData, type RunRecord, type StepRollouts } from '../host/run-store.ts';
import type { StepMetrics, StepPhase, StepProgress } from '../rl/trainer.ts';
import type { Studio } from './app.ts';
import { engineWorker, proxy } from './clients.ts';
import type { Progress } from './progress.tsx';
import { activeRun, runSaved } from './state.ts';
import { UsageError } from '../errors.ts';
import { plural } from './format.ts';

export type TrainStatus = 'idle' | 'opening' | 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed';

export interface TrainState {
  run: RunRecord | null;
  status: TrainStatus;
  metrics: StepMetrics[];
  rollouts: StepRollouts[];
  message: string;
}

export type { RunData };
/** A run as the Studio drafts it (the checkpoint interval is the Studio's own). */
export type RunDraft = Omit<RunRecord, 'checkpointEvery'> & { checkpointEvery?: number };
/** A Studio run saves a checkpoint after every step (a reload loses nothing). */
export const STUDIO_CHECKPOINT_EVERY = 1;

let state: TrainState = { run: null, status: 'idle', metrics: [], rollouts: [], message: '' };
const listeners = new Set<(s: TrainState) => void>();
/** the run whose session is open in the engine worker */
let openRun: string | null = null;
let request: 'pause' | 'stop' | null = null;

function set(patch: Partial<TrainState>): void {
  state = { ...state, ...patch };
  for (const l of listeners) l(state);
  if (state.run) {
    const persisted = state.status === 'running' || state.status === 'opening' || state.status === 'pausing' || state.status === 'stopping' ? 'running'
      : state.status === 'paused' || state.status === 'failed' ? 'paused' : state.status === 'done' ? 'done' : 'stopped';
    activeRun.set({ id: state.run.id, status: persisted, steps: state.metrics.length });
  }
}

/** Each phase of a step as the Train tab names it, and what it counts. */
export const STEP_PHASES: Record<StepPhase, { label: string; unit: string }> = {
  generate: { label: 'Generating completions', unit: 'completion' },
  verify: { label: 'Verifying: solving the completions\' models', unit: 'completion' },
  reference: { label: 'Reference log-probabilities (for the KL term)', unit: 'micro-batch' },
  backward: { label: 'Backward pass', unit: 'micro-batch' },
  update: { label: 'Updating the adapter (AdamW)', unit: 'update' },
  save: { label: 'Saving metrics, rollouts and the checkpoint', unit: 'checkpoint' },
};

/** Where the running step is: its number, when it started, and its current phase as a Progress (null between steps). */
export interface StepView { step: number; total: number; startedAt: number; phase: Progress | null; kind: StepPhase | null }
let stepView: StepView | null = null;
const stepListeners = new Set<(s: StepView | null) => void>();
function setStep(v: StepView | null): void {
  stepView = v;
  for (const l of stepListeners) l(v);
}
/** The running step's progress (kept apart from TrainState: it changes many times a step and is not persisted). */
export function useStepProgress(): StepView | null {
  const [v, setV] = useState(stepView);
  useEffect(() => { stepListeners.add(setV); setV(stepView); return () => { stepListeners.delete(setV); }; }, []);
  return v;
}

/** A step's phase report as a Progress (its count restarts, with its clock, when the phase changes);
 *  `stop()` once the step has answered (a report can arrive after the answer: it crosses on its own port). */
function onStepProgress(step: number, total: number, startedAt: number): { report: (p: StepProgress) => void; stop: () => void } {
  let phaseStarted = Date.now(), last: StepPhase | null = null, live = true;
  return { stop: () => { live = false; }, report: (p) => {
    if (!live) return;
    if (p.phase !== last) { last = p.phase; phaseStarted = Date.now(); }
    const { label, unit } = STEP_PHASES[p.phase];
    setStep({ step, total, startedAt, kind: p.phase, phase: { label: `Step ${step}: ${label}`, done: p.done, total: Math.max(p.total, p.done), unit, startedAt: phaseStarted } });
  } };
}

export function useTraining(): TrainState {
  const [s, setS] = useState(state);
  useEffect(() => { listeners.add(setS); setS(state); return () => { listeners.delete(setS); }; }, []);
  return s;
}

export const trainingState = (): TrainState => state;
export const isTraining = (): boolean => ['opening', 'running', 'pausing', 'stopping'].includes(state.status);

/**
 * Save a new run (settings, data; the adapter of the run it adapts, when it has one) and train it
 * to its step count (or until paused/stopped).
 */
export async function startRun(s: Studio, draft: RunDraft, data: RunData): Promise<TrainStatus> {
  const store = browserRunStore();
  const run: RunRecord = { ...draft, checkpointEvery: draft.checkpointEvery ?? STUDIO_CHECKPOINT_EVERY };
  await store.createRun(run, data, run.adapterFrom ? await store.adapter(run.adapterFrom, 'to adapt from') : undefined);
  s.runsChanged();
  set({ run, metrics: [], rollouts: [], status: 'opening', message: 'Loading the model…' });
  return continueRun(s, run);
}

/** Resume a saved run from its checkpoint (after a pause, a reload or a crash). */
export async function resumeRun(s: Studio, runId: string): Promise<TrainStatus> {
  const store = browserRunStore();
  const run = await store.readRun(runId);
  if (!run) throw new UsageError(`run ${runId} is not in this browser's storage any more`);
  set({ run, metrics: await store.readMetrics(runId), rollouts: await store.readRollouts(runId), status: 'opening', message: 'Loading the model and the checkpoint…' });
  return continueRun(s, run);
}

async function closeSession(): Promise<void> {
  if (openRun) await engineWorker().trainClose().catch(() => undefined);
  openRun = null;
}

async function continueRun(s: Studio, run: RunRecord): Promise<TrainStatus> {
  request = null;
  try {
    if (openRun !== run.id) {
      await closeSession();
      const r = await engineWorker().trainOpen({ run: run.id, model: s.modelChoiceFor(run.model), ...(s.remote() ? { remote: s.remote()! } : {}) });
      openRun = run.id;
      set({ metrics: r.metrics });
    }
    set({ status: 'running' });
    while (state.metrics.length < run.settings.steps) {
      if (request) break;
      const k = state.metrics.length + 1;
      set({ message: `Step ${k} of ${run.settings.steps}: ${plural(run.settings.group, 'completion')} for each of ${plural(run.settings.promptsPerStep, 'problem')}, solved, then one update.` });
      const startedAt = Date.now();
      setStep({ step: k, total: run.settings.steps, startedAt, kind: null, phase: null });
      const progress = onStepProgress(k, run.settings.steps, startedAt);
      const r = await engineWorker().trainStep(proxy(progress.report)).finally(progress.stop);
      setStep(null);
      set({ metrics: [...state.metrics, r.metrics], rollouts: keepRollouts(state.rollouts, { step: r.metrics.step, groups: r.rollouts }) });
      runSaved.emit({ run: run.id, step: r.metrics.step }); // saved by the host: a class gets it (class-client.ts)
    }
    const done = state.metrics.length >= run.settings.steps;
    const status: TrainStatus = done ? 'done' : request === 'pause' ? 'paused' : 'stopped';
    if (status !== 'paused') await closeSession();
    set({ status, message: done ? `Done: ${plural(state.metrics.length, 'step')}.` : status === 'paused' ? `Paused after step ${state.metrics.length}.` : `Stopped after step ${state.metrics.length}.` });
    s.runsChanged();
    return status;
  } catch (e) {
    await closeSession();
    // the GPU device lost or out of memory in a step (src/host/engine-host.ts): the host says what is saved
    if ((e as Error).name === 'RunStoppedError') {
      const message = `${(e as Error).message} Press Resume to continue from the last checkpoint on a new GPU device.`;
      set({ status: 'failed', message });
      throw Object.assign(new Error(message), { name: 'RunStoppedError' });
    }
    set({ status: 'failed', message: `Stopped by an error after step ${state.metrics.length}; the last checkpoint is kept and the run can be resumed.` });
    throw e;
  } finally {
    request = null;
    setStep(null);
  }
}

export function requestPause(): void { if (isTraining()) { request = 'pause'; set({ status: 'pausing', message: 'Pausing after this step…' }); } }
export function requestStop(): void {
  if (isTraining()) { request = 'stop'; set({ status: 'stopping', message: 'Stopping after this step…' }); return; }
  if (state.status === 'paused') void closeSession().then(() => set({ status: 'stopped', message: `Stopped after step ${state.metrics.length}.` }));
}
