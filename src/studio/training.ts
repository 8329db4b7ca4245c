// The training loop's controller, outside any component so it keeps running while the user moves
// between tabs. Each step runs in the engine worker, which saves the checkpoint, metrics and
// rollouts to OPFS before answering; the page only records which run is active (localStorage), so
// a reload offers to resume it from its last checkpoint.
import { useEffect, useState } from 'preact/hooks';
import { keepRollouts, loadMetrics, readJsonFile, RUN_FILES, runPath, writeFile, type StepRollouts } from '../host/run-store-opfs.ts';
import type { StudioRun } from '../host/studio-engine.ts';
import type { StepMetrics, TrainItem } from '../rl/trainer.ts';
import { appBase, type Studio } from './app.ts';
import { engineWorker } from './clients.ts';
import { activeRun } from './state.ts';
import { UsageError } from '../errors.ts';

export type TrainStatus = 'idle' | 'opening' | 'running' | 'pausing' | 'paused' | 'stopping' | 'stopped' | 'done' | 'failed';

export interface TrainState {
  run: StudioRun | null;
  status: TrainStatus;
  metrics: StepMetrics[];
  rollouts: StepRollouts[];
  message: string;
}

export interface RunData { train: TrainItem[]; eval: TrainItem[]; description: string }

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

export function useTraining(): TrainState {
  const [s, setS] = useState(state);
  useEffect(() => { listeners.add(setS); setS(state); return () => { listeners.delete(setS); }; }, []);
  return s;
}

export const trainingState = (): TrainState => state;
export const isTraining = (): boolean => ['opening', 'running', 'pausing', 'stopping'].includes(state.status);

/** Save a new run (settings, data) and train it to its step count (or until paused/stopped). */
export async function startRun(s: Studio, run: StudioRun, data: RunData): Promise<TrainStatus> {
  await writeFile(runPath(run.id), RUN_FILES.run, JSON.stringify(run, null, 1));
  await writeFile(runPath(run.id), RUN_FILES.data, JSON.stringify(data));
  s.runsChanged();
  set({ run, metrics: [], rollouts: [], status: 'opening', message: 'Loading the model…' });
  return continueRun(s, run);
}

/** Resume a saved run from its checkpoint (after a pause, a reload or a crash). */
export async function resumeRun(s: Studio, runId: string): Promise<TrainStatus> {
  const run = await readJsonFile<StudioRun>(runPath(runId), RUN_FILES.run);
  if (!run) throw new UsageError(`run ${runId} is not in this browser's storage any more`);
  const rollouts = (await readJsonFile<StepRollouts[]>(runPath(runId), RUN_FILES.rollouts)) ?? [];
  set({ run, metrics: await loadMetrics(runId), rollouts, status: 'opening', message: 'Loading the model and the checkpoint…' });
  return continueRun(s, run);
}

async function closeSession(): Promise<void> {
  if (openRun) await engineWorker().trainClose().catch(() => undefined);
  openRun = null;
}

async function continueRun(s: Studio, run: StudioRun): Promise<TrainStatus> {
  request = null;
  try {
    if (openRun !== run.id) {
      await closeSession();
      const data = await readJsonFile<RunData>(runPath(run.id), RUN_FILES.data);
      if (!data) throw new UsageError(`run ${run.id} has lost its data file`);
      const r = await engineWorker().trainOpen({ base: appBase(), model: s.modelChoiceFor(run.model), run, train: data.train, ...(s.remote() ? { remote: s.remote()! } : {}) });
      openRun = run.id;
      set({ metrics: r.metrics });
    }
    set({ status: 'running' });
    while (state.metrics.length < run.settings.steps) {
      if (request) break;
      const k = state.metrics.length + 1;
      set({ message: `Step ${k}/${run.settings.steps}: generating ${run.settings.group} completions per problem, solving them, updating…` });
      const r = await engineWorker().trainStep();
      set({ metrics: [...state.metrics, r.metrics], rollouts: keepRollouts(state.rollouts, { step: r.metrics.step, groups: r.rollouts }) });
    }
    const done = state.metrics.length >= run.settings.steps;
    const status: TrainStatus = done ? 'done' : request === 'pause' ? 'paused' : 'stopped';
    if (status !== 'paused') await closeSession();
    set({ status, message: done ? `Done: ${state.metrics.length} steps.` : status === 'paused' ? `Paused after step ${state.metrics.length}.` : `Stopped after step ${state.metrics.length}.` });
    s.runsChanged();
    return status;
  } catch (e) {
    await closeSession();
    set({ status: 'failed', message: `Stopped by an error after step ${state.metrics.length}; the last checkpoint is kept and the run can be resumed.` });
    throw e;
  } finally {
    request = null;
  }
}

export function requestPause(): void { if (isTraining()) { request = 'pause'; set({ status: 'pausing', message: 'Pausing after this step…' }); } }
export function requestStop(): void {
  if (isTraining()) { request = 'stop'; set({ status: 'stopping', message: 'Stopping after this step…' }); return; }
  if (state.status === 'paused') void closeSession().then(() => set({ status: 'stopped', message: `Stopped after step ${state.metrics.length}.` }));
}
