// Model: the built-in policy, a Hub id or local files; the memory plan against this adapter before
// anything large is downloaded; download with a progress bar per file (bytes of total, speed, time
// left) and Cancel (what is on hand stays cached: the next Download resumes); the storage panel.
import { useEffect, useState } from 'preact/hooks';
import { HUB_TOKENS_PAGE, HUB_URL, type DownloadProgress } from '../model/hub.ts';
import { formatBytes } from '../gpu/memory-plan.ts';
import { deleteStored, listStorage, type StoredEntry } from '../host/run-store-opfs.ts';
import type { PlanReport } from '../host/engine-host.ts';
import { isCancelled } from '../errors.ts';
import { useStudio } from './app.ts';
import { engineWorker, proxy } from './clients.ts';
import { listRuns } from './runs.ts';
import { hubProblem } from './messages.ts';
import { plural } from './format.ts';
import { hubToken } from './state.ts';
import { ProgressBar, type Progress } from './progress.tsx';

const MB = 1e6;
/** A file's download as a bar: megabytes of total, the speed in the label, the time left at that speed. */
export function downloadProgress(p: DownloadProgress, now = Date.now()): Progress {
  const total = p.total ?? p.loaded;
  const bps = p.bytesPerSecond;
  const speed = bps > 0 ? ` at ${bps >= MB ? `${(bps / MB).toFixed(1)} MB/s` : `${Math.max(1, Math.round(bps / 1e3))} kB/s`}` : '';
  const what = p.phase === 'verify' ? 'Checking' : 'Downloading';
  // the clock set back so that the bar's rate is the download's own (resumed bytes came earlier)
  const startedAt = p.bytesPerSecond > 0 ? now - (1000 * p.loaded) / p.bytesPerSecond : now;
  return { label: `${what} ${p.file}${speed}${p.resumedFrom ? ` (resumed from ${formatBytes(p.resumedFrom)})` : ''}`, done: Math.round(p.loaded / MB * 10) / 10, total: Math.round(total / MB * 10) / 10, unit: 'megabyte', startedAt };
}

/** A finished or cached file, in one line. */
function FileDone({ p }: { p: DownloadProgress }) {
  return <li>{p.file}: {formatBytes(p.total ?? p.loaded)} {p.phase === 'cached' ? 'already in this browser' : 'downloaded and checked'}</li>;
}

export function StoragePanel() {
  const s = useStudio();
  const [entries, setEntries] = useState<StoredEntry[] | null>(null);
  const [titles, setTitles] = useState<Record<string, string>>({});
  const [estimate, setEstimate] = useState<StorageEstimate | null>(null);
  const refresh = async () => {
    try {
      setEntries(await listStorage());
      setTitles(Object.fromEntries((await listRuns()).map((r) => [r.id, `${r.title ? `${r.title} — ` : ''}${plural(r.steps, 'step')}, ${r.target}`])));
      setEstimate(await navigator.storage.estimate());
    } catch (e) { s.setError((e as Error).message); }
  };
  useEffect(() => { void refresh(); }, [s.runsVersion]);
  return (
    <section aria-labelledby="storage-h">
      <h3 id="storage-h">Storage in this browser</h3>
      {estimate && <p>Used {formatBytes(estimate.usage ?? 0)} of {formatBytes(estimate.quota ?? 0)} allowed to this site.</p>}
      {entries && entries.length === 0 && <p>No cached models or saved runs.</p>}
      {entries && entries.length > 0 && (
        <table id="storage-table">
          <thead><tr><th scope="col">Kind</th><th scope="col">Name</th><th scope="col">Size</th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{entries.map((e) => (
            <tr>
              <td>{e.kind === 'model' ? 'cached model' : 'run'}</td><td>{e.name}{titles[e.name] ? <span class="help"> ({titles[e.name]})</span> : ''}</td><td>{formatBytes(e.bytes)}</td>
              <td><button type="button" class="secondary" aria-label={`Delete ${e.kind} ${e.name}`} disabled={!!s.busy} onClick={async () => {
                if (!confirm(`Delete ${e.kind === 'model' ? 'the cached model' : 'the run'} ${e.name}?`)) return;
                await deleteStored(e.path); s.runsChanged();
              }}>Delete</button></td>
            </tr>))}
          </tbody>
        </table>
      )}
      <button type="button" class="secondary" onClick={refresh}>Refresh</button>
    </section>
  );
}

export function ModelPanel() {
  const s = useStudio();
  const m = s.form.model;
  const [plan, setPlan] = useState<PlanReport | null>(null);
  const [progress, setProgress] = useState<Record<string, DownloadProgress>>({});
  const [downloaded, setDownloaded] = useState<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [token, setToken] = useState(hubToken.get());
  const setModel = (patch: Partial<typeof m>) => { s.update({ model: { ...m, ...patch } }); setPlan(null); setDownloaded(null); };
  const st = s.form.settings;
  // the plan runs before problems are prepared, so prompts are taken as 256 tokens
  const checkPlan = (t = st) => s.job('Reading the model configuration', async () => {
    const r = await engineWorker().plan(s.modelChoice(), { group: t.group, microBatch: t.microBatch, promptTokens: 256, maxNewTokens: t.maxNewTokens, loraRank: t.loraRank, recompute: t.recompute ?? false, ...(t.quant && t.quant !== 'none' ? { weights: t.quant } : {}) }, s.form.budgetGiB * 2 ** 30)
      .catch((e: unknown) => { throw m.kind === 'hub' ? hubProblem(e, m.hubUrl) : e; });
    setPlan(r);
    if (r.problems.length) s.setError(`This model cannot be trained on this GPU adapter with these settings: ${r.problems.join('; ')}.`);
    return r;
  });
  const fetchModel = () => s.job('Downloading the model', async () => {
    const r = plan ?? await checkPlan();
    if (!r || r.problems.length) return;
    setProgress({}); setDownloaded(null); setCancelling(false);
    try {
      const { files } = await engineWorker().download(s.modelChoice(), proxy((p: DownloadProgress) => setProgress((old) => ({ ...old, [p.file]: p }))))
        .catch((e: unknown) => { throw isCancelled(e) ? e : hubProblem(e, m.hubUrl); });
      setDownloaded(`${plural(files.length, 'file')} ready (cached in this browser's private storage; interrupted downloads resume)`);
    } catch (e) {
      if (!isCancelled(e)) throw e;
      setDownloaded('Download cancelled. What was downloaded stays in this browser: Download again to resume.');
    } finally {
      setCancelling(false);
    }
    s.runsChanged();
  });
  const cancelDownload = () => { setCancelling(true); void engineWorker().downloadCancel(); };
  const files = Object.values(progress);
  const active = files.filter((p) => p.phase === 'download' || p.phase === 'verify');
  const finished = files.filter((p) => p.phase === 'done' || p.phase === 'cached');
  return (
    <div>
      <fieldset>
        <legend>Policy model</legend>
        <label class="inline"><input type="radio" name="model-kind" value="builtin" checked={m.kind === 'builtin' && (m.builtinId ?? 'evom-tiny') === 'evom-tiny'} onChange={() => setModel({ kind: 'builtin', builtinId: 'evom-tiny' })} /> Built-in evom-tiny (0.2 M parameters, 0.9 MB, warm-started on generated problems by a teacher that sometimes forgets integrality; writes CPLEX LP; trains in minutes without a GPU)</label>
        <label class="inline"><input type="radio" name="model-kind" value="builtin-multi" checked={m.kind === 'builtin' && m.builtinId === 'evom-tiny-multi'} onChange={() => setModel({ kind: 'builtin', builtinId: 'evom-tiny-multi' })} /> Built-in evom-tiny-multi (warm-started in several solver languages, for solver-transfer trials; trains in minutes without a GPU)</label>
        <label class="inline"><input type="radio" name="model-kind" value="hub" checked={m.kind === 'hub'} onChange={() => setModel({ kind: 'hub' })} /> A Hugging Face Hub model (Qwen2, Qwen2.5, Qwen3, Llama)</label>
        <label class="inline"><input type="radio" name="model-kind" value="local" checked={m.kind === 'local'} onChange={() => setModel({ kind: 'local' })} /> Files on this computer (a model folder: config.json, tokenizer.json, *.safetensors)</label>
        {m.kind === 'hub' && (<>
          <div class="row">
            <label>Hub id <input id="hub-id" type="text" size={34} value={m.hubId} onInput={(e) => setModel({ hubId: (e.target as HTMLInputElement).value.trim() })} /></label>
            <label>Hub address <input id="hub-url" type="url" size={30} placeholder={HUB_URL} value={m.hubUrl} onInput={(e) => setModel({ hubUrl: (e.target as HTMLInputElement).value.trim() })} /></label>
            <label>Hub token <input id="hub-token" type="password" autocomplete="off" size={24} placeholder="hf_…" aria-describedby="hub-token-help" value={token} onInput={(e) => { const t = (e.target as HTMLInputElement).value.trim(); setToken(t); hubToken.set(t); setPlan(null); }} /></label>
          </div>
          <p class="help" id="hub-token-help">Gated or private models need an access token (read access) from <a href={HUB_TOKENS_PAGE} target="_blank" rel="noopener">huggingface.co/settings/tokens</a>. It is kept only in this browser and sent only to the Hub (never in share links, run cards or exports).</p>
        </>)}
        {m.kind === 'local' && (
          <label>Model folder <input id="local-files" type="file" multiple {...{ webkitdirectory: true }} onChange={(e) => s.setLocalFiles(Array.from((e.target as HTMLInputElement).files ?? []))} />
            <span class="help">{s.localFiles.length ? `${plural(s.localFiles.length, 'file')} picked` : 'Pick the folder; files stay on this computer.'}</span></label>
        )}
        <label>GPU memory budget (GiB) <input id="budget" type="number" min={0.25} step={0.25} value={s.form.budgetGiB} onInput={(e) => s.update({ budgetGiB: Number((e.target as HTMLInputElement).value) })} />
          <span class="help">Browsers do not report free GPU memory; the plan refuses models whose training needs more than this.</span></label>
      </fieldset>
      <div class="row">
        <button type="button" id="check-plan" disabled={!!s.busy} onClick={() => checkPlan()}>Check the memory plan</button>
        {m.kind === 'hub' && <button type="button" id="download" disabled={!!s.busy || (plan?.problems.length ?? 0) > 0} onClick={fetchModel}>Download</button>}
      </div>
      {plan && (
        <div id="plan" class={plan.problems.length ? 'plan bad' : 'plan ok'}>
          <ul>{plan.lines.map((l) => <li>{l}</li>)}</ul>
          <p><strong>{plan.problems.length ? (plan.suggestion ? 'Does not fit with these settings.' : 'Does not fit this adapter.') : `Fits: training needs about ${formatBytes(plan.training)} of the ${formatBytes(plan.budget)} budget.`}</strong></p>
          {plan.problems.length > 0 && (plan.suggestion ? (() => {
            const fit = plan.suggestion!;
            const shorter = fit.maxNewTokens < st.maxNewTokens, recompute = fit.recompute && !st.recompute, quant = fit.quant;
            return (
              <p>
                <button type="button" id="use-fit" disabled={!!s.busy} onClick={() => {
                  const t = { ...st, microBatch: fit.microBatch, maxNewTokens: fit.maxNewTokens, recompute: fit.recompute, ...(quant ? { quant } : {}) };
                  s.update({ settings: t }); void checkPlan(t);
                }}>Use micro-batch {fit.microBatch}{recompute ? ', activation recomputation' : ''}{quant ? `, a ${quant === 'q4' ? '4' : '8'}-bit base` : ''}{shorter ? ` and max new tokens ${fit.maxNewTokens}` : ''}</button>{' '}
                <span class="help">needs about {formatBytes(fit.training)}. {shorter ? 'Completions longer than that are cut off.' : quant ? `The frozen base is quantized on load (${quant}: groups of 32 with f16 scales); LoRA trains on top, and the base's outputs move a little.` : recompute ? 'Recomputing activations gives the same update for about 1/3 more compute.' : 'A smaller micro-batch gives the same update, only slower.'}</span>
              </p>
            );
          })() : <p class="help" id="no-fit">No smaller micro-batch or shorter completion fits: this model needs an adapter with larger buffer limits or more memory (or a larger budget, if this GPU has it).</p>)}
        </div>
      )}
      {finished.length > 0 && <ul id="download-files" class="help">{finished.map((p) => <FileDone p={p} />)}</ul>}
      {s.busy === 'Downloading the model' && active.map((p) => <ProgressBar id={`download-${p.file.replace(/[^\w-]/g, '-')}`} progress={downloadProgress(p)} {...(cancelling ? {} : { onCancel: cancelDownload, cancelLabel: 'Cancel download' })} />)}
      {downloaded && <p id="download-done" role="status">{downloaded}</p>}
      <StoragePanel />
    </div>
  );
}
