// Solver transfer, as in the paper's tables: train under target A, evaluate zero-shot under B,
// adapt under B (continued training from A's adapter). One wizard; progress is saved, so a reload
// continues where it stopped.
import { useState } from 'preact/hooks';
import { IN_BROWSER } from './targets-panel.tsx';
import { pct, useStudio } from './app.ts';
import { accuracyCell, runEvaluation, SummaryTable, type StoredEval } from './evaluate-panel.tsx';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { newRun } from './train-panel.tsx';
import { resumeRun, startRun } from './training.ts';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { UsageError } from '../errors.ts';

interface TransferState {
  a: string; b: string; stepsA: number; stepsB: number;
  runA?: string; runB?: string;
  /** stage key → evaluation */
  evals: Partial<Record<StageKey, StoredEval>>;
}
type StageKey = 'a_on_a' | 'a_on_b' | 'b_on_b';
const STAGES: [StageKey, string][] = [['a_on_a', 'Trained under A, evaluated under A'], ['a_on_b', 'Zero-shot under B'], ['b_on_b', 'Adapted under B']];
const KEY = 'evom-studio-transfer';

const load = (): TransferState => { try { return JSON.parse(localStorage.getItem(KEY) ?? 'null') ?? { a: 'highs', b: 'glpk-json', stepsA: 2, stepsB: 1, evals: {} }; } catch { return { a: 'highs', b: 'glpk-json', stepsA: 2, stepsB: 1, evals: {} }; } };

function Bars({ st }: { st: TransferState }) {
  const rows = STAGES.filter(([k]) => st.evals[k]);
  const W = 520, H = 180, bw = 36;
  return (
    <svg id="transfer-chart" viewBox={`0 0 ${W} ${H + 40}`} width={W} height={H + 40} role="img" aria-label="accuracy and execution rate per stage">
      <line x1="30" y1={H} x2={W} y2={H} stroke="#555" />
      <text x="0" y="14" font-size="11">100%</text><text x="8" y={H} font-size="11">0</text>
      {rows.map(([k, label], i) => {
        const m = st.evals[k]!.report.summary, x = 50 + i * 160;
        return (<g>
          <rect x={x} y={H - H * m.accuracy} width={bw} height={H * m.accuracy} fill="#1d4ed8"><title>accuracy {accuracyCell(m)}, n = {summaryAccuracy(m).items}</title></rect>
          <line class="ci" x1={x + bw / 2} x2={x + bw / 2} y1={H - H * summaryAccuracy(m).ci95[0]} y2={H - H * summaryAccuracy(m).ci95[1]} stroke="#111" stroke-width="2" />
          <rect x={x + bw + 4} y={H - H * m.execution_rate} width={bw} height={H * m.execution_rate} fill="#15803d"><title>executed {pct(m.execution_rate)}</title></rect>
          <text x={x} y={H + 16} font-size="11">{label.replace('evaluated under', 'on').slice(0, 24)}</text>
          <text x={x} y={H + 30} font-size="11">{pct(m.accuracy)} / {pct(m.execution_rate)}</text>
        </g>);
      })}
    </svg>
  );
}

export function TransferPanel() {
  const s = useStudio();
  const [st, setSt] = useState<TransferState>(load);
  const [progress, setProgress] = useState('');
  const save = (n: TransferState) => { localStorage.setItem(KEY, JSON.stringify(n)); setSt(n); };
  const run = () => s.job('Solver-transfer trial', async () => {
    if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
    if (st.a === st.b) throw new UsageError('targets A and B must differ');
    let cur = st;
    const put = (p: Partial<TransferState>) => { cur = { ...cur, ...p }; save(cur); };
    const trainTo = async (runKey: 'runA' | 'runB', target: string, steps: number, from?: string) => {
      const id = cur[runKey];
      const saved = id ? await browserRunStore().readRun(id) : null;
      if (id && saved) {
        const status = await resumeRun(s, id);
        if (status !== 'done') throw new UsageError(`training under ${target} was ${status}; press Run to continue`);
        return id;
      }
      const r = newRun(s, { ...s.form.settings, target, steps }, { title: `transfer ${runKey === 'runA' ? 'A' : 'B'} (${target})`, ...(from ? { adapterFrom: from } : {}) });
      put({ [runKey]: r.id });
      const status = await startRun(s, r, s.dataset!);
      if (status !== 'done') throw new UsageError(`training under ${target} was ${status}; press Run to continue`);
      return r.id;
    };
    setProgress(`Stage 1: training under ${cur.a}`);
    const runA = await trainTo('runA', cur.a, cur.stepsA);
    for (const [k, target, label] of [['a_on_a', cur.a, `A (${cur.a}) on ${cur.a}`], ['a_on_b', cur.b, `A (${cur.a}) zero-shot on ${cur.b}`]] as const) {
      if (cur.evals[k]) continue;
      setProgress(`Evaluating ${label}`);
      put({ evals: { ...cur.evals, [k]: await runEvaluation(s, { target, adapterRun: runA, label, onProgress: (t) => setProgress(`${label}: ${t}`) }) } });
    }
    setProgress(`Stage 3: adapting under ${cur.b}`);
    const runB = await trainTo('runB', cur.b, cur.stepsB, runA);
    if (!cur.evals.b_on_b) put({ evals: { ...cur.evals, b_on_b: await runEvaluation(s, { target: cur.b, adapterRun: runB, label: `adapted on ${cur.b}`, onProgress: (t) => setProgress(`adapted: ${t}`) }) } });
    setProgress('Done.');
  });
  const targetSelect = (id: string, v: string, on: (v: string) => void) => (
    <select id={id} value={v} onChange={(e) => on((e.target as HTMLSelectElement).value)}>{IN_BROWSER.map(([t, l]) => <option value={t}>{l}</option>)}</select>
  );
  const editable = !st.runA;
  return (
    <div>
      <p>Train under target A, evaluate the adapter zero-shot under target B, then adapt it under B with a few more steps. Uses the problems and settings of the other tabs.</p>
      <div class="row">
        <label>Target A {targetSelect('transfer-a', st.a, (a) => save({ ...st, a }))}</label>
        <label>Steps under A <input id="transfer-steps-a" type="number" min={1} value={st.stepsA} disabled={!editable} onInput={(e) => save({ ...st, stepsA: Number((e.target as HTMLInputElement).value) })} /></label>
        <label>Target B {targetSelect('transfer-b', st.b, (b) => save({ ...st, b }))}</label>
        <label>Steps under B <input id="transfer-steps-b" type="number" min={1} value={st.stepsB} disabled={!editable} onInput={(e) => save({ ...st, stepsB: Number((e.target as HTMLInputElement).value) })} /></label>
      </div>
      <div class="row">
        <button type="button" id="transfer-run" disabled={!!s.busy || !s.dataset} onClick={run}>{st.runA ? 'Continue the trial' : 'Run the trial'}</button>
        <button type="button" class="secondary" id="transfer-reset" disabled={!!s.busy} onClick={() => save({ a: st.a, b: st.b, stepsA: st.stepsA, stepsB: st.stepsB, evals: {} })}>New trial</button>
        <span role="status" id="transfer-progress">{progress}</span>
      </div>
      <ol class="stages">{STAGES.map(([k, label]) => <li>{label}: {st.evals[k] ? <strong>{accuracyCell(st.evals[k]!.report.summary)} accuracy (n = {summaryAccuracy(st.evals[k]!.report.summary).items}), {pct(st.evals[k]!.report.summary.execution_rate)} executed</strong> : 'pending'}</li>)}</ol>
      {Object.keys(st.evals).length > 0 && (<>
        <div id="transfer-table"><SummaryTable compare evals={STAGES.map(([k]) => st.evals[k]).filter((e): e is StoredEval => !!e)} /></div>
        <Bars st={st} />
        <p class="help">Blue: accuracy, with its 95 % interval as a black line; green: execution rate.</p>
      </>)}
    </div>
  );
}
