// Classroom: a link that pre-fills a whole run configuration (never a token), and a compare view
// that overlays several students' exported run cards or metrics files.
import { useState } from 'preact/hooks';
import { parseMetricsJsonl, parseRunCard, shareConfigFromHash, shareLinkFor, type ShareConfig } from '../rl/run-card.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { useStudio } from './app.ts';
import { formatNumber, pct } from './format.ts';
import { Glossary, Term } from './glossary.tsx';
import { color, LineChart } from './chart.tsx';
import { METRICS, modelLabel } from './labels.ts';
import { accuracyCell } from './evaluate-panel.tsx';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { sharedChecklist, type StudioForm } from './state.ts';
import { DataError, UsageError } from '../errors.ts';
import { ScrollRegion } from './scroll-region.tsx';

/** What the page says of a #run= link it cannot read. */
export const DAMAGED_LINK = 'This shared link is incomplete or damaged: ask for it again.';

const clearHash = () => history.replaceState(null, '', location.pathname + location.search);

/** A configuration from the page's #run= link, applied once at start-up (then removed from the address). */
export const sharedConfigNotice = {
  text: '',
  /** a link was applied at this start-up (the page opens on the Start tab's checklist) */
  opened: false,
  /** why a #run= link could not be read (its details), or null */
  damaged: null as string | null,
  apply(form: StudioForm): StudioForm {
    let c: ShareConfig | null;
    try { c = shareConfigFromHash(location.hash); } catch (e) { this.damaged = e instanceof DataError ? e.reason : (e as Error).message; return form; }
    if (!c) return form;
    clearHash();
    this.text = `Configuration loaded from a shared link${c.title ? `: ${c.title}` : ''}. Follow the checklist on the Start tab.`;
    const data = c.data.kind === 'generator' ? { ...c.data, families: c.data.families.join(',') } : c.data;
    // the students' checklist (Start tab): what was done after this moment counts
    sharedChecklist.set({ title: c.title ?? '', opened: new Date().toISOString(), data, exported: null });
    this.opened = true;
    return {
      ...form, settings: c.settings, target: c.settings.target, tolerance: c.settings.tolerance, evalFraction: c.evalFraction, title: c.title ?? form.title, data,
      model: { ...form.model, kind: c.model.kind === 'hub' ? 'hub' : c.model.kind === 'local' ? 'local' : 'builtin', ...(c.model.kind === 'hub' ? { hubId: c.model.id } : {}) },
    };
  },
  /** The user has read that the link is damaged: it leaves the address too. */
  dismiss(): void { this.damaged = null; clearHash(); },
};

interface Entry { name: string; model: string; target: string; metrics: StepMetrics[]; evals: { label: string; accuracy: string; execution_rate: number }[] }

export function ClassroomPanel() {
  const s = useStudio();
  const [link, setLink] = useState('');
  const [entries, setEntries] = useState<Entry[]>([]);
  const make = () => s.job('Making the link', async () => {
    const f = s.form;
    if (f.data.kind === 'upload') throw new UsageError('an uploaded file cannot travel in a link: put it at a URL (or use the generator or a bundled benchmark)');
    const data: ShareConfig['data'] = f.data.kind === 'generator'
      ? { kind: 'generator', families: f.data.families.split(',').map((x) => x.trim()).filter(Boolean), difficulty: f.data.difficulty, count: f.data.count, seed: f.data.seed }
      : f.data;
    setLink(shareLinkFor(location.href.split('#')[0]!, { settings: f.settings, model: modelLabel(s), data, evalFraction: f.evalFraction, ...(f.title ? { title: f.title } : {}) }));
  });
  const load = (files: File[]) => s.job('Reading run files', async () => {
    const out: Entry[] = [];
    for (const file of files) {
      const text = await file.text();
      if (file.name.endsWith('.jsonl')) {
        out.push({ name: file.name, model: '?', target: '?', metrics: parseMetricsJsonl(text, file.name), evals: [] });
      } else {
        const c = parseRunCard(text, file.name);
        out.push({ name: c.title || file.name, model: c.model.id, target: c.settings.target, metrics: c.metrics, evals: c.evaluations.map((e) => ({ label: e.label, accuracy: `${accuracyCell(e.summary)}, n = ${summaryAccuracy(e.summary).items}`, execution_rate: e.summary.execution_rate })) });
      }
    }
    setEntries((old) => [...old, ...out]);
  });
  const steps = [...new Set(entries.flatMap((e) => e.metrics.map((m) => m.step)))].sort((a, b) => a - b);
  const overlay = (f: (m: StepMetrics) => number) => entries.map((e, i) => ({ label: e.name, color: color(i), values: steps.map((k) => { const m = e.metrics.find((x) => x.step === k); return m ? f(m) : null; }) }));
  return (
    <div>
      <section aria-labelledby="share-h">
        <h3 id="share-h">Share a configuration</h3>
        <p>The link carries the model, problems, split and every training setting of this Studio (never the sandbox-server token). Students who open it get the same run.</p>
        <button type="button" id="make-link" disabled={!!s.busy} onClick={make}>Make a link</button>
        {link && (<div class="row">
          <label class="grow">Link <input id="share-link" type="text" readOnly size={70} value={link} onFocus={(e) => (e.target as HTMLInputElement).select()} /></label>
          <button type="button" class="secondary" onClick={() => void navigator.clipboard?.writeText(link)}>Copy</button>
        </div>)}
      </section>
      <section aria-labelledby="compare-h">
        <h3 id="compare-h">Compare runs</h3>
        <label>Run cards (.json) or metrics (.jsonl) <input id="compare-files" type="file" multiple accept=".json,.jsonl" onChange={(e) => { void load(Array.from((e.target as HTMLInputElement).files ?? [])); (e.target as HTMLInputElement).value = ''; }} /></label>
        {entries.length > 0 && (<>
          <button type="button" class="secondary" onClick={() => setEntries([])}>Clear</button>
          <div class="charts">
            <LineChart id="compare-reward" title="Mean reward" note={`Mean reward: ${METRICS.mean_reward.definition}.`} x={steps} series={overlay((m) => m.reward_mean)} />
            <LineChart id="compare-accuracy" title="Accuracy (training samples)" note={`Accuracy: ${METRICS.accuracy.definition}.`} x={steps} series={overlay((m) => m.accuracy)} />
          </div>
          <ScrollRegion label="Compared runs (table)"><table id="compare-table">
            <thead><tr><th scope="col">Run</th><th scope="col">Model</th><th scope="col">Target</th><th scope="col">Steps</th><th scope="col"><Term k="mean_reward">Last reward</Term></th><th scope="col"><Term k="accuracy">Last accuracy</Term></th><th scope="col">Evaluations</th></tr></thead>
            <tbody>{entries.map((e) => { const last = e.metrics[e.metrics.length - 1]; return (
              <tr><th scope="row">{e.name}</th><td>{e.model}</td><td>{e.target}</td><td>{e.metrics.length}</td><td>{last ? formatNumber(last.reward_mean, 4) : '—'}</td><td>{last ? pct(last.accuracy) : '—'}</td>
                <td>{e.evals.map((v) => `${v.label}: ${v.accuracy} correct, ${pct(v.execution_rate)} executed`).join('; ') || '—'}</td></tr>); })}</tbody>
          </table></ScrollRegion>
          <Glossary id="compare-glossary" summary="What the columns mean" metrics={['mean_reward', 'accuracy', 'execution_rate']} />
        </>)}
      </section>
    </div>
  );
}
