// EVOM Studio: the zero-install app. Tabs for each concern (one file per panel); shared state in
// app.ts; the engine and verifiers run in workers (clients.ts); what the user enters is kept in
// localStorage, runs and caches in OPFS.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { readJsonFile } from '../host/run-store-opfs.ts';
import type { GpuReport, ModelRef } from '../host/engine-host.ts';
import { isBuiltinPolicy } from '../model/builtin.ts';
import { appBase, noWebGpuAdvice, StudioContext, TABS, type Dataset, type Studio, type TabId } from './app.ts';
import { engineWorker } from './clients.ts';
import { ClassroomPanel, DAMAGED_LINK, sharedConfigNotice } from './classroom-panel.tsx';
import { EvaluatePanel } from './evaluate-panel.tsx';
import { ExportPanel } from './export-panel.tsx';
import { ModelPanel } from './model-panel.tsx';
import { PlaygroundPanel } from './playground-panel.tsx';
import { DATASET_FILE, ProblemsPanel } from './problems-panel.tsx';
import { registerOffline, type OfflineState } from './offline.ts';
import { hubToken, loadForm, presentationMode, saveForm, serverToken, type StudioForm } from './state.ts';
import { StartPanel } from './start-panel.tsx';
import { TargetsPanel } from './targets-panel.tsx';
import { TrainPanel } from './train-panel.tsx';
import { TransferPanel } from './transfer-panel.tsx';
import './studio.css';
import { UsageError } from '../errors.ts';

/** The error banner: a message's first line, the lines after it folded under "Details". */
function ErrorBanner({ message, onDismiss }: { message: string; onDismiss: () => void }) {
  const [head, ...rest] = message.split('\n');
  const details = rest.join('\n').trim();
  return (
    <div class="error-banner" id="error" role="alert">
      <div><span id="error-message">{head}</span>{details && <details><summary>Details</summary><pre id="error-details">{details}</pre></details>}</div>
      <button type="button" class="secondary" onClick={onDismiss}>Dismiss</button>
    </div>
  );
}

const PANELS: Record<TabId, () => preact.JSX.Element> = {
  start: StartPanel, playground: PlaygroundPanel, model: ModelPanel, problems: ProblemsPanel, targets: TargetsPanel, evaluate: EvaluatePanel,
  train: TrainPanel, transfer: TransferPanel, export: ExportPanel, classroom: ClassroomPanel,
};

function App() {
  const [form, setForm] = useState<StudioForm>(() => sharedConfigNotice.apply(loadForm()));
  // the Start tab on a first visit, when no other tab was chosen, and when a share link opens (its checklist)
  const [tab, setTab] = useState<TabId>(() => {
    const saved = localStorage.getItem('evom-studio-tab');
    return sharedConfigNotice.opened || !TABS.some(([id]) => id === saved) ? 'start' : saved as TabId;
  });
  const [hint, setHint] = useState<string | null>(null);
  const [presenting, setPresenting] = useState(presentationMode.get);
  /** what to do once the tab asked for is on screen (s.go's `then`) */
  const afterGo = useRef<(() => void) | null>(null);
  const [goCount, setGoCount] = useState(0);
  const [dataset, setDataset] = useState<Dataset | null>(null);
  const [localFiles, setLocalFiles] = useState<File[]>([]);
  const [gpu, setGpu] = useState<GpuReport | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [runsVersion, setRunsVersion] = useState(0);
  const [offline, setOffline] = useState<OfflineState | null>(null);
  const [linkDismissed, setLinkDismissed] = useState(false);
  useEffect(() => { saveForm(form); }, [form]);
  useEffect(() => { localStorage.setItem('evom-studio-tab', tab); }, [tab]);
  useEffect(() => { const then = afterGo.current; afterGo.current = null; then?.(); }, [tab, goCount]);
  useEffect(() => { presentationMode.set(presenting); }, [presenting]);
  useEffect(() => {
    void engineWorker().gpuReport().then(setGpu);
    void registerOffline(setOffline);
    void readJsonFile<Dataset>(DATASET_FILE, 'dataset.json').then((d) => d && setDataset(d)).catch(() => undefined);
  }, []);
  const modelChoiceFor = (m: { kind: string; id: string }): ModelRef => {
    if (m.kind === 'hub') {
      const token = hubToken.get();
      return { kind: 'hub', id: m.id, ...(form.model.hubUrl ? { hubUrl: form.model.hubUrl } : {}), ...(token ? { token } : {}) };
    }
    if (m.kind === 'local') {
      if (!localFiles.length) throw new UsageError('this run uses model files from this computer: pick the model folder again (Model tab)');
      return { kind: 'local', files: localFiles };
    }
    return { kind: 'builtin', base: appBase(), id: isBuiltinPolicy(m.id) ? m.id : form.model.builtinId ?? 'evom-tiny' };
  };
  const s: Studio = {
    form, update: (patch) => setForm((f) => ({ ...f, ...patch })),
    dataset, setDataset, localFiles, setLocalFiles, gpu, busy, error, setError,
    job: async (label, fn) => {
      if (gpu && !gpu.ok) { setError(`${gpu.message} ${noWebGpuAdvice()}`); return undefined; }
      setBusy(label); setError(null);
      try { return await fn(); } catch (e) { setError((e as Error).message); return undefined; } finally { setBusy(null); }
    },
    modelChoice: () => modelChoiceFor(form.model.kind === 'hub' ? { kind: 'hub', id: form.model.hubId } : { kind: form.model.kind, id: '' }),
    modelChoiceFor,
    remote: () => (form.remoteUrl ? { urls: [form.remoteUrl], token: serverToken.get() } : undefined),
    runsVersion, runsChanged: () => setRunsVersion((v) => v + 1),
    go: (t, then) => { afterGo.current = then ?? null; setHint(null); setTab(t); setGoCount((k) => k + 1); },
    hint: setHint,
  };
  const choose = (t: TabId) => { setHint(null); setTab(t); };
  const Panel = PANELS[tab];
  const onTabKey = (e: KeyboardEvent) => {
    const focused = (document.activeElement?.id ?? '').replace(/^tab-/, '');
    const i = TABS.findIndex(([id]) => id === (TABS.some(([x]) => x === focused) ? focused : tab));
    const next = e.key === 'ArrowRight' ? (i + 1) % TABS.length : e.key === 'ArrowLeft' ? (i + TABS.length - 1) % TABS.length : -1;
    if (next < 0) return;
    choose(TABS[next]![0]);
    (document.getElementById(`tab-${TABS[next]![0]}`) as HTMLElement | null)?.focus();
  };
  return (
    <StudioContext.Provider value={s}>
      <header class="top">
        <div><h1>EVOM Studio</h1><p>Train language models to write optimization models, in this browser, rewarded by solving them.</p></div>
        <div class="header-side">
          <p class="status-bar" id="gpu-status">{gpu == null ? 'Looking for a GPU…' : gpu.ok ? `GPU: ${gpu.adapter}` : 'No WebGPU in this browser'}{offline ? <span id="offline-status"> · {offline.message}</span> : ''} · <a href="verify.html">verify a completion</a></p>
          <button type="button" class="header-toggle" id="presentation-toggle" aria-pressed={presenting} title="Larger type and thicker chart lines, for a projector" onClick={() => setPresenting((on) => !on)}>Presentation mode</button>
        </div>
      </header>
      <nav role="tablist" aria-label="Studio sections" onKeyDown={onTabKey}>
        {TABS.map(([id, label]) => (
          <button type="button" role="tab" id={`tab-${id}`} aria-selected={tab === id} aria-controls="panel" tabIndex={tab === id ? 0 : -1} onClick={() => choose(id)}>{label}</button>
        ))}
      </nav>
      <main>
        {gpu && !gpu.ok && (
          <div class="error-banner" id="no-webgpu" role="alert">
            <div><strong>This browser cannot run the policy: {gpu.message}</strong><br />{noWebGpuAdvice()} Problems, targets, benchmark files, checking models in the Playground, and the class views still work.</div>
          </div>
        )}
        {sharedConfigNotice.text && <div class="notice" id="shared-notice" role="status">{sharedConfigNotice.text}</div>}
        {sharedConfigNotice.damaged !== null && !linkDismissed && (
          <div class="error-banner" id="shared-link-error" role="alert">
            <div><strong>{DAMAGED_LINK}</strong><details><summary>Details</summary><pre>{sharedConfigNotice.damaged}</pre></details></div>
            <button type="button" class="secondary" onClick={() => { sharedConfigNotice.dismiss(); setLinkDismissed(true); }}>Dismiss</button>
          </div>
        )}
        {error && <ErrorBanner message={error} onDismiss={() => setError(null)} />}
        {busy && <p class="busy" role="status" id="busy">{busy}…</p>}
        {hint && <p class="notice" id="hint" role="status">{hint}</p>}
        {/* focusable, as a tab panel should be; wide content scrolls inside it, never the page */}
        <section id="panel" role="tabpanel" aria-labelledby={`tab-${tab}`} tabIndex={0}>
          <h2>{TABS.find(([id]) => id === tab)![1]}</h2>
          <Panel />
        </section>
      </main>
    </StudioContext.Provider>
  );
}

document.body.classList.toggle('presentation', presentationMode.get()); // before the first paint
const root = document.getElementById('app')!;
root.replaceChildren(); // the static "Loading…" line
render(<App />, root);
