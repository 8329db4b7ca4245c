// Solver transfer, as `evom demo --transfer` runs it (the plan in src/rl/transfer.ts): evaluate the
// base under A and B; GRPO under A; evaluate A's adapter under A and B (zero-shot transfer); k steps
// under B from A's adapter and k from the base, both evaluated under B; one table of paired
// differences with intervals. Evaluations sample at temperature 1 with one seed for every stage, so
// each comparison is paired by item and sample. Progress is saved: a reload continues where it stopped.
// While it runs: a stage bar (stage k of 6), the bar of the evaluation or training inside it, live
// charts of the training runs' reward and accuracy, and the table row being computed marked as such;
// a new trial keeps the previous trial's results, marked stale, until each is recomputed.
import { useEffect, useState } from 'preact/hooks';
import { IN_BROWSER } from './targets-panel.tsx';
import { pct, useStudio } from './app.ts';
import { accuracyCell, cancelEvaluation, pairedAgainst, runEvaluation, type StoredEval } from './evaluate-panel.tsx';
import { newRun, StepBars } from './train-panel.tsx';
import { isTraining, requestStop, resumeRun, startRun, useTraining } from './training.ts';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { isCancelled, UsageError } from '../errors.ts';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { formatDifference } from '../verifier/stats.ts';
import { defaultSettings } from '../rl/settings.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { problemsWorker } from './clients.ts';
import { writeFile } from '../host/run-store-opfs.ts';
import { DATASET_FILE } from './problems-panel.tsx';
import type { Dataset } from './app.ts';
import { ProgressBar, type Progress } from './progress.tsx';
import { LineChart, Y_AXES } from './chart.tsx';
import { TRANSFER_COMPARISONS, TRANSFER_DEMO, TRANSFER_STAGES, transferLabel, type StageKey } from '../rl/transfer.ts';

type RunKey = 'runA' | 'runBA' | 'runBB';
interface TransferState {
  a: string; b: string; stepsA: number; stepsB: number;
  runA?: string; runBA?: string; runBB?: string;
  /** stage key → evaluation */
  evals: Partial<Record<StageKey, StoredEval>>;
  /** the previous trial's evaluations (New trial): shown marked stale until this trial recomputes them */
  previous?: Partial<Record<StageKey, StoredEval>>;
}

/** The training runs of the trial: which stage trains which, and how the charts name it. */
const RUNS: readonly (readonly [RunKey, string])[] = [['runA', 'A ({A})'], ['runBA', 'B ({B}) from A'], ['runBB', 'B ({B}) from the base']];

/** The stage running now: its number (1–6), key and label, and when it started. */
interface StageView { index: number; key: StageKey; label: string }
const KEY = 'evom-studio-transfer-v2';
const fresh = (): TransferState => ({ a: TRANSFER_DEMO.from, b: TRANSFER_DEMO.to, stepsA: TRANSFER_DEMO.steps, stepsB: TRANSFER_DEMO.adaptSteps, evals: {} });
const load = (): TransferState => { try { return JSON.parse(localStorage.getItem(KEY) ?? 'null') ?? fresh(); } catch { return fresh(); } };
/** one sampling seed for every stage: the comparisons are paired by item and by sample */
const SAMPLING = { n: TRANSFER_DEMO.evalSamples, temperature: TRANSFER_DEMO.evalTemperature, seed: 7 + TRANSFER_DEMO.seed };

function Bars({ st, names }: { st: TransferState; names: Parameters<typeof transferLabel>[1] }) {
  const rows = TRANSFER_STAGES.filter(([k]) => st.evals[k]);
  const W = 640, H = 180, slot = W / 6, bw = 28;
  return (
    <svg id="transfer-chart" viewBox={`0 0 ${W + 50} ${H + 60}`} width="100%" style={{ maxWidth: '52rem' }} role="img" aria-label="accuracy (with its 95 % interval) and execution rate per stage">
      <line x1="30" y1={H} x2={W} y2={H} stroke="#555" />
      <text x="0" y="14" font-size="11">100%</text><text x="8" y={H} font-size="11">0</text>
      {rows.map(([k, label], i) => {
        const m = st.evals[k]!.report.summary, a = summaryAccuracy(m), x = 40 + i * slot;
        return (<g>
          <rect x={x} y={H - H * m.accuracy} width={bw} height={H * m.accuracy} fill="#1d4ed8"><title>{transferLabel(label, names)}: accuracy {accuracyCell(m)}, n = {a.items}</title></rect>
          <line class="ci" x1={x + bw / 2} x2={x + bw / 2} y1={H - H * a.ci95[0]} y2={H - H * a.ci95[1]} stroke="#111" stroke-width="2" />
          <rect x={x + bw + 3} y={H - H * m.execution_rate} width={bw} height={H * m.execution_rate} fill="#15803d"><title>executed {pct(m.execution_rate)}</title></rect>
          <text x={x} y={H + 16} font-size="11">{i + 1}. {pct(m.accuracy)}</text>
          <text x={x} y={H + 30} font-size="10">{k.replace(/_on_/, ' on ').replace(/_/g, ' ')}</text>
        </g>);
      })}
    </svg>
  );
}

/** The user pressed Cancel: the wizard stops after what is running (an evaluation stops at once, a training run after its step). */
class WizardCancelled extends Error {}
let cancelRequested = false;

/** The three training runs' reward and accuracy per step, live for the one training. */
function TrainingCharts({ st, metrics, names }: { st: TransferState; metrics: Partial<Record<RunKey, StepMetrics[]>>; names: Parameters<typeof transferLabel>[1] }) {
  const runs = RUNS.filter(([k]) => metrics[k]?.length);
  if (!runs.length) return null;
  const steps = Math.max(...runs.map(([k]) => metrics[k]!.length ? metrics[k]![metrics[k]!.length - 1]!.step : 0));
  const x = Array.from({ length: steps }, (_, i) => i + 1);
  const line = (f: (m: StepMetrics) => number) => runs.map(([k, label]) => ({
    label: `run ${transferLabel(label, names)}`, values: x.map((step) => { const m = metrics[k]!.find((q) => q.step === step); return m ? f(m) : null; }),
  }));
  return (
    <div class="charts" id="transfer-training-charts">
      <LineChart id="transfer-chart-reward" title="Mean reward per training step" y={Y_AXES.reward()} x={x} series={line((m) => m.reward_mean)} note={`Training samples of each run (${st.a} for run A, ${st.b} for the B runs); the dashed line is the highest reward a completion can earn.`} />
      <LineChart id="transfer-chart-accuracy" title="Accuracy per training step" y={Y_AXES.rate} x={x} series={line((m) => m.accuracy)} note="Share of each step's completions solved to the expected answer (training problems, not the held-out ones)." />
    </div>
  );
}

export function TransferPanel() {
  const s = useStudio();
  const t = useTraining();
  const [st, setSt] = useState<TransferState>(load);
  const [progress, setProgress] = useState('');
  const [stage, setStage] = useState<StageView | null>(null);
  const [inner, setInner] = useState<Progress | null>(null);
  const [computing, setComputing] = useState<StageKey | null>(null);
  const [session, setSession] = useState<{ start: number; doneAtStart: number } | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [runMetrics, setRunMetrics] = useState<Partial<Record<RunKey, StepMetrics[]>>>({});
  const loadRunMetrics = async (k: RunKey, id: string) => {
    const m = await browserRunStore().readMetrics(id).catch(() => [] as StepMetrics[]);
    setRunMetrics((old) => ({ ...old, [k]: m }));
  };
  useEffect(() => {
    setRunMetrics({});
    for (const [k] of RUNS) { const id = st[k]; if (id) void loadRunMetrics(k, id); }
  }, [st.runA, st.runBA, st.runBB]);
  // the run training now: its metrics as they arrive
  const liveKey = RUNS.find(([k]) => t.run && st[k] === t.run.id)?.[0];
  const metrics = liveKey && t.metrics.length ? { ...runMetrics, [liveKey]: t.metrics } : runMetrics;
  const save = (n: TransferState) => { localStorage.setItem(KEY, JSON.stringify(n)); setSt(n); };
  const names = { from: st.a, to: st.b, steps: st.stepsA, adapt_steps: st.stepsB };
  const run = () => s.job('Solver-transfer trial', async () => {
    if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
    if (st.a === st.b) throw new UsageError('targets A and B must differ');
    let cur = st;
    const put = (p: Partial<TransferState>) => { cur = { ...cur, ...p }; save(cur); };
    const sessionStart = Date.now();
    const doneAtStart = TRANSFER_STAGES.filter(([k]) => st.evals[k]).length;
    setSession({ start: sessionStart, doneAtStart });
    cancelRequested = false;
    setCancelling(false);
    const stopIfCancelled = () => { if (cancelRequested) throw new WizardCancelled(); };
    const trainTo = async (runKey: RunKey, target: string, steps: number, title: string, from?: string) => {
      const id = cur[runKey];
      const saved = id ? await browserRunStore().readRun(id) : null;
      const finish = (status: string, runId: string) => {
        void loadRunMetrics(runKey, runId);
        if (status === 'done') return runId;
        if (cancelRequested) throw new WizardCancelled();
        throw new UsageError(`training ${title} was ${status}; press Continue to go on`);
      };
      if (id && saved) return finish(await resumeRun(s, id), id);
      const r = newRun(s, { ...s.form.settings, target, steps }, { title: `transfer: ${title}`, ...(from ? { adapterFrom: from } : {}) });
      put({ [runKey]: r.id });
      return finish(await startRun(s, r, s.dataset!), r.id);
    };
    const evaluate = async (k: StageKey, target: string, adapterRun: string | null) => {
      if (cur.evals[k]) return;
      stopIfCancelled();
      const label = transferLabel(TRANSFER_STAGES.find(([x]) => x === k)![1], names);
      setProgress(`Evaluating: ${label}`);
      setComputing(k);
      try {
        // kept with its run (or nowhere else): the Evaluate tab's last result is not replaced
        const e = await runEvaluation(s, { target, adapterRun, label, sampling: SAMPLING, keepAsLast: false, progress: setInner });
        const previous = { ...(cur.previous ?? {}) };
        delete previous[k];
        put({ evals: { ...cur.evals, [k]: e }, previous });
      } finally {
        setComputing(null); setInner(null);
      }
    };
    const stage = (key: StageKey) => {
      stopIfCancelled();
      const index = TRANSFER_STAGES.findIndex(([x]) => x === key);
      setStage({ index: index + 1, key, label: transferLabel(TRANSFER_STAGES[index]![1], names) });
    };
    try {
      stage('base_on_a');
      await evaluate('base_on_a', cur.a, null);
      stage('base_on_b');
      await evaluate('base_on_b', cur.b, null);
      stage('a_on_a');
      setProgress(`Training under ${cur.a}`);
      const runA = await trainTo('runA', cur.a, cur.stepsA, `A (${cur.a})`);
      await evaluate('a_on_a', cur.a, runA);
      stage('a_on_b');
      await evaluate('a_on_b', cur.b, runA);
      // each adaptation run, then its evaluation (the same runs and evaluations as the CLI's, in stage order)
      stage('b_from_a_on_b');
      setProgress(`Adapting under ${cur.b} from A's adapter`);
      const runBA = await trainTo('runBA', cur.b, cur.stepsB, `B (${cur.b}) from A`, runA);
      await evaluate('b_from_a_on_b', cur.b, runBA);
      stage('b_from_base_on_b');
      setProgress(`Training under ${cur.b} from the base`);
      const runBB = await trainTo('runBB', cur.b, cur.stepsB, `B (${cur.b}) from the base`);
      await evaluate('b_from_base_on_b', cur.b, runBB);
      setProgress('Done.');
    } catch (e) {
      if (!(e instanceof WizardCancelled || isCancelled(e))) throw e;
      setProgress('Cancelled. The finished stages are kept: Continue the trial to go on from here.');
    } finally {
      setStage(null); setSession(null); setCancelling(false);
    }
  });
  const cancel = () => {
    cancelRequested = true;
    setCancelling(true);
    void cancelEvaluation();
    if (isTraining()) requestStop();
  };
  // the CLI's set-up (evom demo --transfer): its problems, policy and settings, so the figures agree
  const demoSetup = () => s.job('Preparing the transfer demo', async () => {
    const D = TRANSFER_DEMO;
    const gen = (count: number, seed: number) => problemsWorker().generate({ families: [...D.families], count, seed, difficulty: D.difficulty });
    const evalItems = (await gen(D.evalCount, 3_000_000 + D.seed)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
    const held = new Set(evalItems.map((i) => i.question));
    const train = (await gen(D.trainCount, 4_000_000 + D.seed)).filter((i) => !held.has(i.question)).map((i) => ({ id: i.id, question: i.question, answer: i.answer }));
    const ds: Dataset = { description: `evom demo --transfer: generated ${D.families.join(', ')}, difficulty ${D.difficulty}, seed ${D.seed}`, train, eval: evalItems, dropped: 0 };
    s.setDataset(ds);
    await writeFile(DATASET_FILE, 'dataset.json', JSON.stringify(ds));
    const settings = { ...defaultSettings('builtin', 'grpo', D.from), seed: D.seed };
    s.update({ model: { ...s.form.model, kind: 'builtin', builtinId: 'evom-tiny-multi' }, settings, target: D.from, tolerance: settings.tolerance, evalMaxNew: settings.maxNewTokens, evalBatch: D.evalBatch });
    save({ ...fresh() });
  });
  const targetSelect = (id: string, v: string, on: (v: string) => void) => (
    <select id={id} value={v} disabled={!!st.runA} onChange={(e) => on((e.target as HTMLSelectElement).value)}>{IN_BROWSER.map(([t, l]) => <option value={t}>{l}</option>)}</select>
  );
  const editable = !st.runA && Object.keys(st.evals).length === 0;
  const comparisons = TRANSFER_COMPARISONS.map(([key, after, before, what]) => {
    const e1 = st.evals[after], e0 = st.evals[before];
    return { key, what: transferLabel(what, names), d: e1 && e0 ? pairedAgainst(e0, e1) : null };
  });
  const gainA = comparisons.find((c) => c.key === 'gain_under_a')?.d, transfer = comparisons.find((c) => c.key === 'transfer_to_b')?.d;
  return (
    <div>
      <p>Does what GRPO teaches under one solver's language carry to another's? Evaluate the model under targets A and B; train under A; evaluate again under both (zero-shot transfer); then train a few steps under B from A's adapter and, for comparison, from the base model. The same problems and sampling seeds in every evaluation, so the differences are paired. Defaults as <code>npx evom demo --transfer</code>; uses the problems and settings of the other tabs.</p>
      <div class="row">
        <label>Target A {targetSelect('transfer-a', st.a, (a) => save({ ...st, a }))}</label>
        <label>Steps under A <input id="transfer-steps-a" type="number" min={1} value={st.stepsA} disabled={!editable} onInput={(e) => save({ ...st, stepsA: Number((e.target as HTMLInputElement).value) })} /></label>
        <label>Target B {targetSelect('transfer-b', st.b, (b) => save({ ...st, b }))}</label>
        <label>Steps under B (k) <input id="transfer-steps-b" type="number" min={1} value={st.stepsB} disabled={!editable} onInput={(e) => save({ ...st, stepsB: Number((e.target as HTMLInputElement).value) })} /></label>
      </div>
      <div class="row">
        <button type="button" id="transfer-run" disabled={!!s.busy || !s.dataset} onClick={run}>{Object.keys(st.evals).length || st.runA ? 'Continue the trial' : 'Run the trial'}</button>
        <button type="button" class="secondary" id="transfer-demo-setup" disabled={!!s.busy} onClick={demoSetup} title="the problems, policy (evom-tiny-multi) and settings of npx evom demo --transfer">Use the demo's set-up</button>
        <button type="button" class="secondary" id="transfer-reset" disabled={!!s.busy} onClick={() => save({ ...fresh(), a: st.a, b: st.b, stepsA: st.stepsA, stepsB: st.stepsB, previous: { ...(st.previous ?? {}), ...st.evals } })}>New trial</button>
        <span role="status" id="transfer-progress">{progress}</span>
      </div>
      {stage && <StageBar stage={stage} done={TRANSFER_STAGES.filter(([k]) => st.evals[k]).length} session={session} cancelling={cancelling} onCancel={cancel} />}
      {stage && inner && <ProgressBar id="transfer-inner" progress={inner} />}
      {stage && liveKey && <StepBars t={t} />}
      {!s.dataset && <p class="help">Prepare problems first (<button type="button" class="link" onClick={() => s.go('problems')}>Problems tab</button>).</p>}
      <table id="transfer-table" class="summary">
        <thead><tr><th scope="col">Stage</th><th scope="col">Target</th><th scope="col">Items n</th><th scope="col">Accuracy [95 % interval]</th><th scope="col">Executed</th></tr></thead>
        <tbody>{TRANSFER_STAGES.map(([k, label]) => {
          const e = st.evals[k], old = e ? undefined : st.previous?.[k];
          const shown = e ?? old, m = shown?.report.summary;
          const running = computing === k || (stage?.key === k && !e);
          const mark = running ? (old ? 'recomputing: the previous trial\'s result, stale' : 'computing now') : old ? 'stale: from the previous trial' : null;
          return (
            <tr class={e ? '' : old ? 'pending stale' : 'pending'} data-stage={k} aria-busy={running ? 'true' : 'false'}>
              <th scope="row">{transferLabel(label, names)}{mark && <span class="row-mark"> ({mark})</span>}</th><td>{shown?.target ?? (k.endsWith('_on_a') ? st.a : st.b)}</td>
              <td>{m ? summaryAccuracy(m).items : '—'}</td><td class="acc">{m ? accuracyCell(m) : running ? 'computing…' : 'pending'}</td><td>{m ? pct(m.execution_rate) : '—'}</td></tr>);
        })}</tbody>
      </table>
      <table id="transfer-comparisons" class="summary">
        <thead><tr><th scope="col">Paired comparison</th><th scope="col">Difference [95 % interval], n, detectable</th></tr></thead>
        <tbody>{comparisons.map((c) => <tr data-key={c.key}><th scope="row">{c.what}</th><td>{c.d ? formatDifference(c.d) : 'pending'}</td></tr>)}</tbody>
      </table>
      {gainA && transfer && <p id="transfer-kept">{gainA.value > 0 ? `Zero-shot transfer keeps ${(100 * transfer.value / gainA.value).toFixed(0)} % of the gain under ${st.a} (the paper's claim: most of it).` : `No gain under ${st.a} to transfer.`}</p>}
      <TrainingCharts st={st} metrics={metrics} names={names} />
      {Object.keys(st.evals).length > 0 && (<>
        <Bars st={st} names={names} />
        <p class="help">Blue: accuracy, with its 95 % interval as a black line; green: execution rate. Differences: the same items and samples before and after (bootstrap interval); "detectable" is the smallest true difference this many items finds with 80 % power.</p>
      </>)}
    </div>
  );
}

/** Stage k of 6 with its name; the time left from this session's finished stages (none before the first). */
function StageBar({ stage, done, session, cancelling, onCancel }: { stage: StageView; done: number; session: { start: number; doneAtStart: number } | null; cancelling: boolean; onCancel: () => void }) {
  const now = Date.now(), inSession = done - (session?.doneAtStart ?? done);
  // the bar's clock set so that its rate is this session's (stages done before a reload took their own time)
  const startedAt = session && inSession > 0 ? now - ((now - session.start) * done) / inSession : Number.MAX_SAFE_INTEGER;
  const progress: Progress = { label: `Stage ${stage.index} of ${TRANSFER_STAGES.length}: ${stage.label}${cancelling ? ' (cancelling…)' : ''}`, done, total: TRANSFER_STAGES.length, unit: 'stage', startedAt };
  return <ProgressBar id="transfer-stage" progress={progress} {...(cancelling ? {} : { onCancel, cancelLabel: 'Cancel the trial' })} />;
}
