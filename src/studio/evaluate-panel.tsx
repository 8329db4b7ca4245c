// Evaluate: the policy (base, or with a run's adapter) on the held-out problems under the target:
// a results table (execution rate, accuracy under the tolerance rule, counts per outcome class, each
// with its definition) and a drill-down per item laid out like the verifier page (outcome badge,
// reward breakdown, messages, the completion with its model marked, the solver log folded). While an
// evaluation runs: a progress bar from the first moment (loading, generating k of n, verifying k of
// n) with the time left and Cancel, and the previous result marked stale.
import { NeedsLink } from './needs.tsx';
import { useEffect, useRef, useState } from 'preact/hooks';
import { OUTCOME_CLASSES } from '../verifier/outcome.ts';
import { browserRunStore, readJsonFile, writeFile } from '../host/run-store-opfs.ts';
import { RUN_FILES } from '../host/run-store.ts';
import type { EvalItemView, EvalPhase, EvalReport } from '../host/engine-host.ts';
import { useStudio, type Studio } from './app.ts';
import { formatAnswer, formatDuration, formatNumber, latexToPlain, pct, plural } from './format.ts';
import { Glossary, Outcome, OutcomeBadge, Term } from './glossary.tsx';
import { METRICS, OUTCOME_DEFINITIONS } from './labels.ts';
import { engineWorker, proxy } from './clients.ts';
import { ProgressBar, type Progress } from './progress.tsx';
import { listRuns, type RunListing } from './runs.ts';
import { isCancelled, UsageError } from '../errors.ts';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { runSaved } from './state.ts';
import { formatDifference, pairedDifference, pairItems, tallyByItem, type PairedDifference } from '../verifier/stats.ts';

export interface StoredEval { label: string; target: string; adapterRun: string | null; created: string; report: EvalReport }

/** An evaluation's phases as its bar names them (loading first, before the engine reports anything). */
const EVAL_PHASES: Record<'load' | EvalPhase, string> = {
  load: 'Loading the model',
  generate: 'Generating completions (the model writes its optimization models)',
  verify: 'Verifying: solving the completions\' models',
};

/** An evaluation's bar from its first moment: loading, then k of n generated, then k of n verified. */
export function evalProgress(items: number, samples: number, prefix = ''): { initial: Progress; next: (phase: EvalPhase, done: number, total: number) => Progress } {
  const total = items * samples;
  let phase: 'load' | EvalPhase = 'load', startedAt = Date.now();
  return {
    initial: { label: `${prefix}${EVAL_PHASES.load}`, done: 0, total, unit: 'completion', startedAt },
    next: (p, done, n) => {
      if (p !== phase) { phase = p; startedAt = Date.now(); }
      return { label: `${prefix}${EVAL_PHASES[p]}`, done, total: n, unit: 'completion', startedAt };
    },
  };
}

/** Stop the evaluation running in the engine worker (it fails with a CancelledError: see isCancelled). */
export const cancelEvaluation = (): Promise<boolean> => engineWorker().evalCancel();

/**
 * Run one evaluation and keep it (with the run's evaluations; and as the Studio's last one unless
 * `keepAsLast` is false). `progress`: the bar's state from the first moment; `onProgress`: the same
 * as one line of text. A cancelled evaluation rejects with a CancelledError (isCancelled).
 */
export async function runEvaluation(s: Studio, opts: {
  target: string; adapterRun: string | null; label: string; onProgress?: (t: string) => void; progress?: (p: Progress) => void;
  sampling?: { n: number; temperature: number; seed: number }; keepAsLast?: boolean; progressPrefix?: string;
}): Promise<StoredEval> {
  if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
  const sampling = opts.sampling ?? { n: 1, temperature: 0 };
  const bar = evalProgress(s.dataset.eval.length, sampling.n, opts.progressPrefix ?? '');
  opts.progress?.(bar.initial);
  opts.onProgress?.(bar.initial.label);
  // a report can arrive after the result (it crosses on its own port): then it is dropped
  let settled = false;
  const report = await engineWorker().evaluate({
    model: s.modelChoice(), adapter: opts.adapterRun ? { run: opts.adapterRun } : null,
    items: s.dataset.eval.map((it) => ({ id: it.id, question: it.question, answer: it.answer, extra: {} })),
    target: opts.target, tolerance: s.form.tolerance, ...(s.remote() ? { remote: s.remote()! } : {}),
    sampling: { ...sampling, maxNewTokens: s.form.evalMaxNew }, batch: s.form.evalBatch, fineProgress: true,
  }, proxy((phase: EvalPhase, done: number, total: number) => {
    if (settled) return;
    const p = bar.next(phase, done, total);
    opts.progress?.(p);
    opts.onProgress?.(`${p.label}: ${done} of ${plural(total, 'completion')}`);
  })).finally(() => { settled = true; });
  const stored: StoredEval = { label: opts.label, target: opts.target, adapterRun: opts.adapterRun, created: new Date().toISOString(), report };
  if (opts.adapterRun) {
    const store = browserRunStore();
    const prev = (await store.readJson<StoredEval[]>(opts.adapterRun, RUN_FILES.evals)) ?? [];
    await store.files.write([opts.adapterRun, RUN_FILES.evals], JSON.stringify([...prev, stored]));
    runSaved.emit({ run: opts.adapterRun, evaluation: opts.label });
  }
  if (opts.keepAsLast !== false) await writeFile(['evom-studio'], 'last-eval.json', JSON.stringify(stored));
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
        <thead><tr><th scope="col">Evaluation</th><th scope="col">Target</th><th scope="col"><Term k="items" /></th><th scope="col"><Term k="execution_rate">Executed</Term></th><th scope="col"><Term k="accuracy">Accuracy [95 % interval]</Term></th>
          {compare && <th scope="col"><Term k="paired">vs. {base?.label ?? 'first'} (paired)</Term></th>}
          <th scope="col"><Term k="format_rate">Format</Term></th><th scope="col"><Term k="mean_reward" /></th>
          {OUTCOME_CLASSES.map((c) => <th scope="col"><abbr title={OUTCOME_DEFINITIONS[c]}>{c.replace(/_/g, ' ')}</abbr></th>)}</tr></thead>
        <tbody>{evals.map((e, i) => { const m = e.report.summary; const a = summaryAccuracy(m); const d = diffs[i]; return (
          <tr><th scope="row">{e.label}</th><td>{e.target}</td><td>{a.items}{a.samples > a.items ? ` (${a.samples})` : ''}</td><td>{pct(m.execution_rate)}</td><td class="acc">{accuracyCell(m)}</td>
            {compare && <td class="paired">{d ? formatDifference(d) : '—'}</td>}
            <td>{pct(m.format_rate)}</td><td>{formatNumber(m.mean_reward, 3)}</td>
            {OUTCOME_CLASSES.map((c) => <td>{m.counts[c]}</td>)}</tr>); })}</tbody>
      </table>
      <p class="help">Accuracy: share of the scored completions that are correct, with its 95 % interval (Wilson; several samples of one item count as alike). n: items scored.{compare ? ' Paired: the same items; the smallest difference this size detects with 80 % power is given as "detectable".' : ''}</p>
      <Glossary id="summary-glossary" summary="What the columns mean" metrics={['items', 'execution_rate', 'accuracy', ...(compare ? ['paired' as const] : []), 'format_rate', 'mean_reward']} outcomes={OUTCOME_CLASSES} />
    </>
  );
}

/** The completion with the model the solver ran marked in it (so the code shows once); the model alone when the text does not hold it verbatim. */
function CompletionText({ completion, code }: { completion: string; code: string | null }) {
  const at = code ? completion.indexOf(code) : -1;
  if (!code || at < 0) {
    return (<>
      <pre class="code" id="drill-completion">{completion || '(empty)'}</pre>
      {code ? <><h5>Extracted model</h5><pre class="code" id="drill-model">{code}</pre></> : <p class="help">Extracted model: none (no code block could be taken from it).</p>}
    </>);
  }
  return (<>
    <pre class="code" id="drill-completion">{completion.slice(0, at)}<mark class="model" id="drill-model">{code}</mark>{completion.slice(at + code.length)}</pre>
    <p class="help"><mark class="model">Extracted model</mark>: the part of the completion the solver ran.</p>
  </>);
}

function ItemDetail({ item, onClose }: { item: EvalItemView; onClose: () => void }) {
  const o = item.result.outcome;
  const box = useRef<HTMLDivElement>(null);
  // opened below a long table: bring it into view, and the keyboard with it
  useEffect(() => { box.current?.scrollIntoView({ block: 'start' }); box.current?.focus({ preventScroll: true }); }, [item.id]);
  const b = o?.reward_breakdown;
  return (
    <div class="drill" id="drill" ref={box} tabIndex={-1} role="region" aria-labelledby="drill-h">
      <h4 id="drill-h">{item.id}: {o ? <OutcomeBadge cls={o.class} /> : 'not scored'} <button type="button" class="secondary" onClick={onClose}>Close</button></h4>
      {o && <p class="help" id="drill-class-definition"><code>{o.class}</code>: {OUTCOME_DEFINITIONS[o.class]}.</p>}
      <dl class="grid">
        <dt>Expected answer</dt><dd>{formatAnswer(item.result.answer)}</dd>
        {o && (<>
          <dt><Term k="objective" /></dt><dd>{o.objective === null ? 'none' : formatNumber(o.objective)} (solver status {o.status})</dd>
          <dt><Term k="reward" /></dt><dd>{formatNumber(o.reward)}</dd>
          <dt><Term k="reward_weights">Reward breakdown</Term></dt><dd>format {b!.format} × {b!.weights.format} + answer {b!.answer} × {b!.weights.answer} + executed {b!.exec} × {b!.weights.exec} = {formatNumber(o.reward)}<br /><span class="help">Each part earned (0 or 1) × its weight. Weights: {METRICS.reward_weights.definition}.</span></dd>
          <dt>Tolerance rule</dt><dd>{o.tolerance}</dd>
        </>)}
      </dl>
      <h5>Problem</h5><p class="question">{latexToPlain(item.question)}</p>
      {o && (<><h5>Messages</h5><ul id="drill-messages">{o.messages.length ? o.messages.map((m) => <li class={m.severity}>[{m.source}] {m.text}</li>) : <li>none</li>}</ul></>)}
      <h5>Completion</h5>
      <CompletionText completion={item.completion} code={o?.code ?? null} />
      {o && o.log.length > 0 && <details id="drill-log"><summary>Solver log ({plural(o.log.length, 'line')})</summary><pre class="log">{o.log.join('\n')}</pre></details>}
    </div>
  );
}

/** When an evaluation was made, for people ("7 Dec 2026, 06:12"). */
const madeAt = (iso: string) => new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });

/** An evaluation's results; `stale`: a new evaluation is running and will replace them. */
export function EvalView({ stored, stale = false }: { stored: StoredEval; stale?: boolean }) {
  const [open, setOpen] = useState<number | null>(null);
  const items = stored.report.items;
  return (
    <section aria-labelledby="eval-results-h" id="eval-results" class={stale ? 'stale' : ''} aria-busy={stale ? 'true' : 'false'}>
      {stale && <p class="stale-note" id="eval-stale" role="status">Stale: a new evaluation is running. These are the previous results ({stored.label}, {madeAt(stored.created)}); they will be replaced when it finishes.</p>}
      <h3 id="eval-results-h">Results: {stored.label}</h3>
      <p class="help" id="eval-made">Evaluated {madeAt(stored.created)}.</p>
      <SummaryTable evals={[stored]} />
      <p class="help">Accuracy rule: {stored.report.summary.tolerance_rule}</p>
      <table id="eval-items">
        <thead><tr><th scope="col">Item</th><th scope="col">Outcome</th><th scope="col"><Term k="reward" /></th><th scope="col"><Term k="objective" /></th><th scope="col"><Term k="expected" /></th></tr></thead>
        <tbody>{items.map((it, i) => (
          <tr class={open === i ? 'selected' : ''}>
            <td><button type="button" class="link" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>{it.id}</button></td>
            <td>{it.result.outcome ? <Outcome cls={it.result.outcome.class} /> : '—'}</td><td>{it.result.outcome ? formatNumber(it.result.outcome.reward) : '—'}</td><td>{formatAnswer(it.result.outcome?.objective)}</td><td>{formatAnswer(it.result.answer)}</td>
          </tr>))}</tbody>
      </table>
      {open !== null && items[open] && <ItemDetail item={items[open]!} onClose={() => setOpen(null)} />}
    </section>
  );
}

export function EvaluatePanel() {
  const s = useStudio();
  const [runs, setRuns] = useState<RunListing[]>([]);
  const [adapterRun, setAdapterRun] = useState('');
  const [progress, setProgress] = useState<Progress | null>(null);
  const [running, setRunning] = useState(false);
  const [outcome, setOutcome] = useState('');
  const [cancelling, setCancelling] = useState(false);
  const [last, setLast] = useState<StoredEval | null>(null);
  useEffect(() => { void listRuns().then(setRuns); void readJsonFile<StoredEval>(['evom-studio'], 'last-eval.json').then((e) => e && setLast(e)); }, [s.runsVersion]);
  const go = () => s.job('Evaluating', async () => {
    const run = runs.find((r) => r.id === adapterRun);
    const label = `${s.form.model.kind === 'hub' ? s.form.model.hubId : s.form.model.kind === 'local' ? 'local model' : s.form.model.builtinId ?? 'evom-tiny'}${run ? ` + ${run.id} (step ${run.steps})` : ' (base)'} on ${s.form.target}`;
    setOutcome(''); setCancelling(false); setRunning(true);
    const t0 = Date.now();
    try {
      const stored = await runEvaluation(s, { target: s.form.target, adapterRun: adapterRun || null, label, progress: setProgress });
      setLast(stored);
      const n = stored.report.items.length;
      // the bar stays, full, until the next evaluation
      setProgress({ label: 'Done: generated and verified', done: n, total: n, unit: 'completion', startedAt: t0 });
      setOutcome(`Done: ${plural(n, 'completion')} generated and verified in ${formatDuration((Date.now() - t0) / 1000)}.`);
    } catch (e) {
      setProgress(null);
      // Cancel is not a failure: no error banner, the previous results stay (no longer stale)
      if (!isCancelled(e)) throw e;
      setOutcome('Cancelled: nothing of this evaluation was kept; the results below are the previous ones.');
    } finally {
      setRunning(false); setCancelling(false);
    }
  });
  const cancel = () => { setCancelling(true); void cancelEvaluation(); };
  return (
    <div>
      <div class="row">
        <label>Adapter <select id="eval-adapter" value={adapterRun} onChange={(e) => setAdapterRun((e.target as HTMLSelectElement).value)}>
          <option value="">none (the base model)</option>
          {runs.filter((r) => r.steps > 0).map((r) => <option value={r.id}>{r.title || r.id} — step {r.steps}, {r.target}</option>)}
        </select></label>
        <label>Max new tokens <input id="eval-max-new" type="number" min={8} value={s.form.evalMaxNew} onInput={(e) => s.update({ evalMaxNew: Number((e.target as HTMLInputElement).value) })} /></label>
        <label>Prompts decoded together <input id="eval-batch" type="number" min={1} max={64} value={s.form.evalBatch} onInput={(e) => s.update({ evalBatch: Number((e.target as HTMLInputElement).value) })} /></label>
        <button type="button" id="evaluate" disabled={!!s.busy || !s.dataset} onClick={go}>Evaluate on {s.dataset ? plural(s.dataset.eval.length, 'held-out problem') : '…'}</button>
      </div>
      <NeedsLink need="problems" id="eval-needs-problems" when={!s.dataset} />
      {progress && <ProgressBar id="eval-bar" progress={cancelling ? { ...progress, label: `Cancelling: ${progress.label.toLowerCase()}` } : progress} {...(cancelling || !running ? {} : { onCancel: cancel })} />}
      <p role="status" id="eval-progress">{outcome}</p>
      <p class="help">Greedy decoding, one completion per problem, target {s.form.target}, tolerance {s.form.tolerance}.</p>
      {last && <EvalView stored={last} stale={running} />}
    </div>
  );
}
