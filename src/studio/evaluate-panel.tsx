// Evaluate: the policy (base, or with a run's adapter) on the held-out problems under the target:
// a results table (execution rate, accuracy under the tolerance rule, counts per outcome class)
// and a drill-down per item (problem, completion, extracted model, solver log, reward breakdown).
import { useEffect, useState } from 'preact/hooks';
import { OUTCOME_CLASSES } from '../verifier/outcome.ts';
import { browserRunStore, readJsonFile, writeFile } from '../host/run-store-opfs.ts';
import { RUN_FILES } from '../host/run-store.ts';
import type { EvalItemView, EvalReport } from '../host/engine-host.ts';
import { pct, useStudio, type Studio } from './app.ts';
import { engineWorker, proxy } from './clients.ts';
import { listRuns, type RunListing } from './runs.ts';
import { UsageError } from '../errors.ts';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { formatDifference, pairedDifference, pairItems, tallyByItem, type PairedDifference } from '../verifier/stats.ts';

export interface StoredEval { label: string; target: string; adapterRun: string | null; created: string; report: EvalReport }

/** Run one evaluation and keep it (with the run's evaluations, or as the Studio's last one). */
export async function runEvaluation(s: Studio, opts: { target: string; adapterRun: string | null; label: string; onProgress?: (t: string) => void; sampling?: { n: number; temperature: number; seed: number } }): Promise<StoredEval> {
  if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
  const report = await engineWorker().evaluate({
    model: s.modelChoice(), adapter: opts.adapterRun ? { run: opts.adapterRun } : null,
    items: s.dataset.eval.map((it) => ({ id: it.id, question: it.question, answer: it.answer, extra: {} })),
    target: opts.target, tolerance: s.form.tolerance, ...(s.remote() ? { remote: s.remote()! } : {}),
    sampling: { ...(opts.sampling ?? { n: 1, temperature: 0 }), maxNewTokens: s.form.evalMaxNew }, batch: s.form.evalBatch,
  }, proxy((phase: string, done: number, total: number) => opts.onProgress?.(`${phase === 'generate' ? 'Writing models' : 'Solving'}: ${done}/${total}`)));
  const stored: StoredEval = { label: opts.label, target: opts.target, adapterRun: opts.adapterRun, created: new Date().toISOString(), report };
  if (opts.adapterRun) {
    const store = browserRunStore();
    const prev = (await store.readJson<StoredEval[]>(opts.adapterRun, RUN_FILES.evals)) ?? [];
    await store.files.write([opts.adapterRun, RUN_FILES.evals], JSON.stringify([...prev, stored]));
  }
  await writeFile(['evom-studio'], 'last-eval.json', JSON.stringify(stored));
  return stored;
}

/** A summary's accuracy as "62.5 % [47.0, 75.8]" (95 % interval) and its n (items). */
export function accuracyCell(m: EvalReport['summary']): string {
  const a = summaryAccuracy(m);
  return `${pct(a.value)} [${(100 * a.ci95[0]).toFixed(1)}, ${(100 * a.ci95[1]).toFixed(1)}]`;
}

/** Paired difference of accuracy, e against base, on the items both scored (null: fewer than 2 shared items). */
export function pairedAgainst(base: StoredEval, e: StoredEval): PairedDifference | null {
  const tally = (x: StoredEval) => tallyByItem(x.report.items.map((i) => i.result));
  const pair = pairItems(tally(base), tally(e));
  return pair.ids.length >= 2 ? pairedDifference([pair]) : null;
}

export function SummaryTable({ evals, compare = false }: { evals: StoredEval[]; compare?: boolean }) {
  const base = evals[0];
  const diffs = evals.map((e, i) => (compare && base && i > 0 ? pairedAgainst(base, e) : null));
  return (
    <>
      <table class="summary">
        <thead><tr><th scope="col">Evaluation</th><th scope="col">Target</th><th scope="col" title="items scored (n); completions in brackets when several per item">Items n</th><th scope="col">Executed</th><th scope="col" title="share correct, with its 95 % interval">Accuracy [95 % interval]</th>
          {compare && <th scope="col" title="after − before on the same items, bootstrap 95 % interval">vs. {base?.label ?? 'first'} (paired)</th>}
          <th scope="col">Format</th><th scope="col">Mean reward</th>
          {OUTCOME_CLASSES.map((c) => <th scope="col">{c.replace(/_/g, ' ')}</th>)}</tr></thead>
        <tbody>{evals.map((e, i) => { const m = e.report.summary; const a = summaryAccuracy(m); const d = diffs[i]; return (
          <tr><th scope="row">{e.label}</th><td>{e.target}</td><td>{a.items}{a.samples > a.items ? ` (${a.samples})` : ''}</td><td>{pct(m.execution_rate)}</td><td class="acc">{accuracyCell(m)}</td>
            {compare && <td class="paired">{d ? formatDifference(d) : '—'}</td>}
            <td>{pct(m.format_rate)}</td><td>{m.mean_reward.toFixed(3)}</td>
            {OUTCOME_CLASSES.map((c) => <td>{m.counts[c]}</td>)}</tr>); })}</tbody>
      </table>
      <p class="help">Accuracy: share of the scored completions that are correct, with its 95 % interval (Wilson; several samples of one item count as alike). n: items scored.{compare ? ' Paired: the same items; the smallest difference this size detects with 80 % power is given as "detectable".' : ''}</p>
    </>
  );
}

function ItemDetail({ item }: { item: EvalItemView }) {
  const o = item.result.outcome;
  return (
    <div class="drill" id="drill">
      <h4>{item.id}: {o?.class ?? 'not scored'}{o ? `, reward ${o.reward}` : ''}</h4>
      <h5>Problem</h5><p class="question">{item.question}</p>
      <p>Expected answer: {String(item.result.answer)}{o ? `; the model's objective: ${o.objective ?? 'none'} (${o.status})` : ''}</p>
      <h5>Completion</h5><pre class="code">{item.completion || '(empty)'}</pre>
      <h5>Extracted model</h5><pre class="code">{o?.code ?? '(none could be extracted)'}</pre>
      {o && o.messages.length > 0 && (<><h5>Messages</h5><ul>{o.messages.map((m) => <li>{m.severity} from {m.source}{m.line ? ` (line ${m.line})` : ''}: {m.text}</li>)}</ul></>)}
      {o && (<><h5>Reward breakdown</h5><p>format {o.reward_breakdown.format} × {o.reward_breakdown.weights.format} + answer {o.reward_breakdown.answer} × {o.reward_breakdown.weights.answer} + executed {o.reward_breakdown.exec} × {o.reward_breakdown.weights.exec} = {o.reward}</p></>)}
      {o && o.log.length > 0 && (<><h5>Solver log</h5><pre class="log">{o.log.join('\n')}</pre></>)}
    </div>
  );
}

export function EvalView({ stored }: { stored: StoredEval }) {
  const [open, setOpen] = useState<number | null>(null);
  const items = stored.report.items;
  return (
    <section aria-labelledby="eval-results-h">
      <h3 id="eval-results-h">Results: {stored.label}</h3>
      <SummaryTable evals={[stored]} />
      <p class="help">Accuracy rule: {stored.report.summary.tolerance_rule}</p>
      <table id="eval-items">
        <thead><tr><th scope="col">Item</th><th scope="col">Outcome</th><th scope="col">Reward</th><th scope="col">Objective</th><th scope="col">Expected</th></tr></thead>
        <tbody>{items.map((it, i) => (
          <tr class={open === i ? 'selected' : ''}>
            <td><button type="button" class="link" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>{it.id}</button></td>
            <td>{it.result.outcome?.class ?? '—'}</td><td>{it.result.outcome?.reward ?? '—'}</td><td>{it.result.outcome?.objective ?? '—'}</td><td>{String(it.result.answer)}</td>
          </tr>))}</tbody>
      </table>
      {open !== null && items[open] && <ItemDetail item={items[open]!} />}
    </section>
  );
}

export function EvaluatePanel() {
  const s = useStudio();
  const [runs, setRuns] = useState<RunListing[]>([]);
  const [adapterRun, setAdapterRun] = useState('');
  const [progress, setProgress] = useState('');
  const [last, setLast] = useState<StoredEval | null>(null);
  useEffect(() => { void listRuns().then(setRuns); void readJsonFile<StoredEval>(['evom-studio'], 'last-eval.json').then((e) => e && setLast(e)); }, [s.runsVersion]);
  const go = () => s.job('Evaluating', async () => {
    const run = runs.find((r) => r.id === adapterRun);
    const label = `${s.form.model.kind === 'hub' ? s.form.model.hubId : s.form.model.kind === 'local' ? 'local model' : 'evom-tiny'}${run ? ` + ${run.id} (step ${run.steps})` : ' (base)'} on ${s.form.target}`;
    setLast(await runEvaluation(s, { target: s.form.target, adapterRun: adapterRun || null, label, onProgress: setProgress }));
    setProgress('');
  });
  return (
    <div>
      <div class="row">
        <label>Adapter <select id="eval-adapter" value={adapterRun} onChange={(e) => setAdapterRun((e.target as HTMLSelectElement).value)}>
          <option value="">none (the base model)</option>
          {runs.filter((r) => r.steps > 0).map((r) => <option value={r.id}>{r.title || r.id} — step {r.steps}, {r.target}</option>)}
        </select></label>
        <label>Max new tokens <input id="eval-max-new" type="number" min={8} value={s.form.evalMaxNew} onInput={(e) => s.update({ evalMaxNew: Number((e.target as HTMLInputElement).value) })} /></label>
        <label>Prompts decoded together <input id="eval-batch" type="number" min={1} max={64} value={s.form.evalBatch} onInput={(e) => s.update({ evalBatch: Number((e.target as HTMLInputElement).value) })} /></label>
        <button type="button" id="evaluate" disabled={!!s.busy || !s.dataset} onClick={go}>Evaluate on {s.dataset ? `${s.dataset.eval.length} held-out problems` : '…'}</button>
      </div>
      {!s.dataset && <p class="help">Prepare problems first (Problems tab).</p>}
      <p role="status" id="eval-progress">{progress}</p>
      <p class="help">Greedy decoding, one completion per problem, target {s.form.target}, tolerance {s.form.tolerance}.</p>
      {last && <EvalView stored={last} />}
    </div>
  );
}
