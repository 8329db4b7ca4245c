// Export a run: PEFT adapter (zip, or a folder where the browser can write one), merged weights,
// metrics (JSONL, CSV), evaluation results, and the run card that reproduces it from the command
// line; "everything" bundles them with the exact train/eval files. The run folder (zip) is the run
// store's layout, as `evom train` writes it: `evom train --resume FOLDER` continues it, and a
// folder written by `evom train` (or such a zip) opens here.
import { zipSync, strToU8 } from 'fflate';
import { useEffect, useState } from 'preact/hooks';
import { makeRunCard, metricsCsv, metricsJsonl, type RunCard } from '../rl/run-card.ts';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { RUN_FILES } from '../host/run-store.ts';
import { download, useStudio } from './app.ts';
import { engineWorker } from './clients.ts';
import type { StoredEval } from './evaluate-panel.tsx';
import { listRuns, type RunListing } from './runs.ts';
import { importRunFiles, runFolderZip } from './run-folder.ts';
import type { RunData } from './training.ts';
import { UsageError } from '../errors.ts';
import { plural } from './format.ts';
import { NeedsLink } from './needs.tsx';
import { sharedChecklist } from './state.ts';

type Files = Record<string, string | Uint8Array>;
const u8 = (v: string | Uint8Array) => (typeof v === 'string' ? strToU8(v) : v);
const zip = (files: Files) => zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [k, u8(v)])), { level: 6 });
const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
/** One line per evaluated item: which evaluation, the completion and its result (outcome included). */
const evalResults = (evals: StoredEval[]) => jsonl(evals.flatMap((e) => e.report.items.map((it) => ({ evaluation: e.label, target: e.target, completion: it.completion, ...it.result }))));

export async function runCardOf(r: RunListing): Promise<{ card: RunCard; data: RunData; evals: StoredEval[] }> {
  const data = await browserRunStore().readJson<RunData>(r.id, RUN_FILES.data);
  if (!data) throw new UsageError(`run ${r.id} has no data file`);
  const evals = (await browserRunStore().readJson<StoredEval[]>(r.id, RUN_FILES.evals)) ?? [];
  const card = makeRunCard({
    title: r.run.title || r.id, model: r.run.model, settings: r.run.settings,
    data: { description: r.run.data.description, train_items: data.train.length, eval_items: data.eval.length },
    metrics: await browserRunStore().readMetrics(r.id), evaluations: evals.map((e) => ({ label: e.label, target: e.target, summary: e.report.summary })),
    ...(r.run.adapterFrom ? { adapter_from: r.run.adapterFrom } : {}),
  });
  return { card, data, evals };
}

export function ExportPanel() {
  const s = useStudio();
  const [runs, setRuns] = useState<RunListing[]>([]);
  const [sel, setSel] = useState('');
  useEffect(() => { void listRuns().then((r) => { setRuns(r); setSel((cur) => cur || r[r.length - 1]?.id || ''); }); }, [s.runsVersion]);
  const r = runs.find((x) => x.id === sel);
  // every export counts for a share link's checklist ("export or send the run")
  const act = (label: string, fn: (r: RunListing) => Promise<void>) => () => s.job(label, async () => { if (!r) throw new UsageError('pick a run to export'); await fn(r); sharedChecklist.markExported(r.id); });
  const adapterZip = act('Exporting the adapter', async (r) => download(`${r.id}-adapter.zip`, zip(await engineWorker().adapterFiles(r.id)), 'application/zip'));
  const adapterFolder = act('Writing the adapter folder', async (r) => {
    const picker = (window as unknown as { showDirectoryPicker?: (o: object) => Promise<FileSystemDirectoryHandle> }).showDirectoryPicker;
    if (!picker) throw new UsageError('this browser cannot write folders: use "Adapter (zip)"');
    const dir = await (await picker({ mode: 'readwrite' })).getDirectoryHandle(`${r.id}-adapter`, { create: true });
    for (const [name, v] of Object.entries(await engineWorker().adapterFiles(r.id))) {
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(u8(v) as FileSystemWriteChunkType); await w.close();
    }
  });
  const merged = act('Merging the adapter into the weights', async (r) => download(`${r.id}-merged.zip`, zip(await engineWorker().mergedFiles(s.modelChoiceFor(r.run.model), r.id)), 'application/zip'));
  const metrics = (fmt: 'jsonl' | 'csv') => act('Exporting metrics', async (r) => {
    const m = await browserRunStore().readMetrics(r.id);
    download(`${r.id}-metrics.${fmt}`, fmt === 'csv' ? metricsCsv(m) : metricsJsonl(m), fmt === 'csv' ? 'text/csv' : 'application/jsonl');
  });
  const evals = act('Exporting evaluation results', async (r) => {
    const { evals } = await runCardOf(r);
    if (!evals.length) throw new UsageError(`run ${r.id} has no evaluations yet: evaluate it in the Evaluate tab`);
    download(`${r.id}-eval-results.jsonl`, evalResults(evals), 'application/jsonl');
  });
  const runFolder = act('Exporting the run folder', async (r) => download(`${r.id}-run.zip`, await runFolderZip(r.id), 'application/zip'));
  const importRun = (picked: FileList | null) => s.job('Opening the run folder', async () => {
    if (!picked?.length) return;
    const id = await importRunFiles([...picked]);
    s.runsChanged();
    setSel(id);
  });
  const card = act('Writing the run card', async (r) => download(`${r.id}-run-card.json`, JSON.stringify((await runCardOf(r)).card, null, 2), 'application/json'));
  const everything = act('Bundling the run', async (r) => {
    const { card, data, evals } = await runCardOf(r);
    const files: Files = {
      'run-card.json': JSON.stringify(card, null, 2), 'train.jsonl': jsonl(data.train), 'eval.jsonl': jsonl(data.eval),
      'metrics.jsonl': metricsJsonl(card.metrics), 'metrics.csv': metricsCsv(card.metrics),
      'README.txt': `EVOM Studio run ${r.id}\n\nReproduce it from the command line (in a checkout of evom-web, with these files beside you):\n\n  ${card.cli.train}\n  ${card.cli.eval}\n`,
    };
    if (evals.length) files['eval-results.jsonl'] = evalResults(evals);
    if (card.metrics.length) for (const [k, v] of Object.entries(await engineWorker().adapterFiles(r.id))) files[`adapter/${k}`] = v;
    download(`${r.id}.zip`, zip(files), 'application/zip');
  });
  return (
    <div>
      <label>Run <select id="export-run" value={sel} onChange={(e) => setSel((e.target as HTMLSelectElement).value)}>
        {runs.length === 0 && <option value="">no runs yet</option>}
        {runs.map((x) => <option value={x.id}>{x.title || x.id} — {plural(x.steps, 'step')}, {x.target}</option>)}
      </select></label>
      <div class="row">
        <button type="button" id="export-all" disabled={!r || !!s.busy} onClick={everything}>Everything (zip)</button>
        <button type="button" id="export-card" class="secondary" disabled={!r || !!s.busy} onClick={card}>Run card (JSON)</button>
        <button type="button" id="export-adapter" class="secondary" disabled={!r || !r.steps || !!s.busy} onClick={adapterZip}>PEFT adapter (zip)</button>
        <button type="button" id="export-adapter-folder" class="secondary" disabled={!r || !r.steps || !!s.busy} onClick={adapterFolder}>PEFT adapter (folder)</button>
        <button type="button" id="export-merged" class="secondary" disabled={!r || !r.steps || !!s.busy} onClick={merged}>Merged weights (zip)</button>
        <button type="button" id="export-metrics-jsonl" class="secondary" disabled={!r || !!s.busy} onClick={metrics('jsonl')}>Metrics (JSONL)</button>
        <button type="button" id="export-metrics-csv" class="secondary" disabled={!r || !!s.busy} onClick={metrics('csv')}>Metrics (CSV)</button>
        <button type="button" id="export-evals" class="secondary" disabled={!r || !!s.busy} onClick={evals}>Evaluation results (JSONL)</button>
        <button type="button" id="export-run-folder" class="secondary" disabled={!r || !!s.busy} onClick={runFolder}>Run folder (zip)</button>
      </div>
      <NeedsLink need="run" id="export-needs-run" when={runs.length === 0} text="No runs yet: train one (or run the class demo on the Start tab)" />
      <NeedsLink need="steps" id="export-needs-steps" when={!!r && !r.steps} text="The adapter and merged weights need a trained step: train this run" />
      <div class="row">
        <label>Open a run folder (from <code>evom train --out DIR</code>) <input type="file" id="import-run-folder" multiple {...{ webkitdirectory: true }} disabled={!!s.busy} onChange={(e) => void importRun((e.target as HTMLInputElement).files)} /></label>
        <label>or a run folder's zip <input type="file" id="import-run-zip" accept=".zip,application/zip" disabled={!!s.busy} onChange={(e) => void importRun((e.target as HTMLInputElement).files)} /></label>
      </div>
      <p class="help">The run card names the model, data, target, every setting, the seed and this software's version; its <code>cli.train</code> line reproduces the run from the exported <code>train.jsonl</code>. Sandbox-server tokens are never exported.</p>
    </div>
  );
}
