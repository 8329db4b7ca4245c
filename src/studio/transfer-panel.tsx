// Solver transfer, as `evom demo --transfer` runs it (the plan in src/rl/transfer.ts): evaluate the
// base under A and B; GRPO under A; evaluate A's adapter under A and B (zero-shot transfer); k steps
// under B from A's adapter and k from the base, both evaluated under B; one table of paired
// differences with intervals. Evaluations sample at temperature 1 with one seed for every stage, so
// each comparison is paired by item and sample. Progress is saved: a reload continues where it stopped.
import { useState } from 'preact/hooks';
import { IN_BROWSER } from './targets-panel.tsx';
import { pct, useStudio } from './app.ts';
import { accuracyCell, pairedAgainst, runEvaluation, type StoredEval } from './evaluate-panel.tsx';
import { newRun } from './train-panel.tsx';
import { resumeRun, startRun } from './training.ts';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { UsageError } from '../errors.ts';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { formatDifference } from '../verifier/stats.ts';
import { defaultSettings } from '../rl/settings.ts';
import { problemsWorker } from './clients.ts';
import { writeFile } from '../host/run-store-opfs.ts';
import { DATASET_FILE } from './problems-panel.tsx';
import type { Dataset } from './app.ts';
import { TRANSFER_COMPARISONS, TRANSFER_DEMO, TRANSFER_STAGES, transferLabel, type StageKey } from '../rl/transfer.ts';

type RunKey = 'runA' | 'runBA' | 'runBB';
interface TransferState {
  a: string; b: string; stepsA: number; stepsB: number;
  runA?: string; runBA?: string; runBB?: string;
  /** stage key → evaluation */
  evals: Partial<Record<StageKey, StoredEval>>;
}
const KEY = 'evom-studio-transfer-v2';
const fresh = (): TransferState => ({ a: TRANSFER_DEMO.from, b: TRANSFER_DEMO.to, stepsA: TRANSFER_DEMO.steps, stepsB: TRANSFER_DEMO.adaptSteps, evals: {} });
const load = (): TransferState => { try { return JSON.parse(localStorage.getItem(KEY) ?? 'null') ?? fresh(); } catch { return fresh(); } };
/** one sampling seed for every stage: the comparisons are paired by item and by sample */
const SAMPLING = { n: TRANSFER_DEMO.evalSamples, temperature: TRANSFER_DEMO.evalTemperature, seed: 7 + TRANSFER_DEMO.seed };

function Bars({ st, names }: { st: TransferState; names: Parameters<typeof transferLabel>[1] }) {
  const rows = TRANSFER_STAGES.filter(([k]) => st.evals[k]);
  const W = 640, H = 180, slot = W / 6, bw = 28;
  return (
    <svg id="transfer-chart" viewBox={`0 0 ${W} ${H + 60}`} width="100%" role="img" aria-label="accuracy (with its 95 % interval) and execution rate per stage">
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

export function TransferPanel() {
  const s = useStudio();
  const [st, setSt] = useState<TransferState>(load);
  const [progress, setProgress] = useState('');
  const save = (n: TransferState) => { localStorage.setItem(KEY, JSON.stringify(n)); setSt(n); };
  const names = { from: st.a, to: st.b, steps: st.stepsA, adapt_steps: st.stepsB };
  const run = () => s.job('Solver-transfer trial', async () => {
    if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
    if (st.a === st.b) throw new UsageError('targets A and B must differ');
    let cur = st;
    const put = (p: Partial<TransferState>) => { cur = { ...cur, ...p }; save(cur); };
    const trainTo = async (runKey: RunKey, target: string, steps: number, title: string, from?: string) => {
      const id = cur[runKey];
      const saved = id ? await browserRunStore().readRun(id) : null;
      if (id && saved) {
        const status = await resumeRun(s, id);
        if (status !== 'done') throw new UsageError(`training ${title} was ${status}; press Continue to go on`);
        return id;
      }
      const r = newRun(s, { ...s.form.settings, target, steps }, { title: `transfer: ${title}`, ...(from ? { adapterFrom: from } : {}) });
      put({ [runKey]: r.id });
      const status = await startRun(s, r, s.dataset!);
      if (status !== 'done') throw new UsageError(`training ${title} was ${status}; press Continue to go on`);
      return r.id;
    };
    const evaluate = async (k: StageKey, target: string, adapterRun: string | null) => {
      if (cur.evals[k]) return;
      const label = transferLabel(TRANSFER_STAGES.find(([x]) => x === k)![1], names);
      setProgress(`Evaluating: ${label}`);
      put({ evals: { ...cur.evals, [k]: await runEvaluation(s, { target, adapterRun, label, sampling: SAMPLING, onProgress: (t) => setProgress(`${label}: ${t}`) }) } });
    };
    await evaluate('base_on_a', cur.a, null);
    await evaluate('base_on_b', cur.b, null);
    setProgress(`Training under ${cur.a}`);
    const runA = await trainTo('runA', cur.a, cur.stepsA, `A (${cur.a})`);
    await evaluate('a_on_a', cur.a, runA);
    await evaluate('a_on_b', cur.b, runA);
    setProgress(`Adapting under ${cur.b} from A's adapter`);
    const runBA = await trainTo('runBA', cur.b, cur.stepsB, `B (${cur.b}) from A`, runA);
    setProgress(`Training under ${cur.b} from the base`);
    const runBB = await trainTo('runBB', cur.b, cur.stepsB, `B (${cur.b}) from the base`);
    await evaluate('b_from_a_on_b', cur.b, runBA);
    await evaluate('b_from_base_on_b', cur.b, runBB);
    setProgress('Done.');
  });
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
        <button type="button" class="secondary" id="transfer-reset" disabled={!!s.busy} onClick={() => save({ ...fresh(), a: st.a, b: st.b, stepsA: st.stepsA, stepsB: st.stepsB })}>New trial</button>
        <span role="status" id="transfer-progress">{progress}</span>
      </div>
      {!s.dataset && <p class="help">Prepare problems first (<button type="button" class="link" onClick={() => s.go('problems')}>Problems tab</button>).</p>}
      <table id="transfer-table" class="summary">
        <thead><tr><th scope="col">Stage</th><th scope="col">Target</th><th scope="col">Items n</th><th scope="col">Accuracy [95 % interval]</th><th scope="col">Executed</th></tr></thead>
        <tbody>{TRANSFER_STAGES.map(([k, label]) => { const e = st.evals[k]; const m = e?.report.summary; return (
          <tr class={e ? '' : 'pending'}><th scope="row">{transferLabel(label, names)}</th><td>{e?.target ?? (k.endsWith('_on_a') ? st.a : st.b)}</td>
            <td>{m ? summaryAccuracy(m).items : '—'}</td><td class="acc">{m ? accuracyCell(m) : 'pending'}</td><td>{m ? pct(m.execution_rate) : '—'}</td></tr>); })}</tbody>
      </table>
      <table id="transfer-comparisons" class="summary">
        <thead><tr><th scope="col">Paired comparison</th><th scope="col">Difference [95 % interval], n, detectable</th></tr></thead>
        <tbody>{comparisons.map((c) => <tr data-key={c.key}><th scope="row">{c.what}</th><td>{c.d ? formatDifference(c.d) : 'pending'}</td></tr>)}</tbody>
      </table>
      {gainA && transfer && <p id="transfer-kept">{gainA.value > 0 ? `Zero-shot transfer keeps ${(100 * transfer.value / gainA.value).toFixed(0)} % of the gain under ${st.a} (the paper's claim: most of it).` : `No gain under ${st.a} to transfer.`}</p>}
      {Object.keys(st.evals).length > 0 && (<>
        <Bars st={st} names={names} />
        <p class="help">Blue: accuracy, with its 95 % interval as a black line; green: execution rate. Differences: the same items and samples before and after (bootstrap interval); "detectable" is the smallest true difference this many items finds with 80 % power.</p>
      </>)}
    </div>
  );
}
