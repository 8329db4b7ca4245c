// Train: every setting with its default and a one-line explanation; start, pause, resume, stop;
// the run's progress (step k of N with the time left, and the running step's phase: generating,
// verifying, backward, update, saving); live charts of every metric, each with its definition and
// unit; the rollout inspector (the G completions of a problem with their rewards and advantages,
// and whether the group taught the update anything); past runs from the run store, each with its
// status, settings and charts (they outlive a reload).
import { NeedsLink } from './needs.tsx';
import { useEffect, useState } from 'preact/hooks';
import { ALGORITHM_NAMES, defaultSettings, SETTINGS, validateSettings, type ModelKind, type TrainSettings } from '../rl/settings.ts';
import type { RunDraft } from './training.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { useStudio, type Studio } from './app.ts';
import { color, LineChart, Y_AXES, type YAxis } from './chart.tsx';
import { activeRun, newRunId } from './state.ts';
import { isTraining, requestPause, requestStop, resumeRun, startRun, useStepProgress, useTraining, type TrainState } from './training.ts';
import { ProgressBar, type Progress } from './progress.tsx';
import { listRuns, type RunListing } from './runs.ts';
import { browserRunStore } from '../host/run-store-opfs.ts';
import { groupFate, METRICS, modelLabel, noSignalNote, settingsModel, type MetricKey } from './labels.ts';
import { formatAnswer, formatDuration, formatNumber, latexToPlain, pct, plural } from './format.ts';
import { Glossary, Outcome, Term } from './glossary.tsx';
import { UsageError } from '../errors.ts';
import { stepAccuracy } from '../verifier/stats.ts';

const MODEL_NAME: Record<ModelKind, string> = { builtin: 'the built-in model', hub: 'a Hub or local model' };
const ALGO_NAME: Record<string, string> = ALGORITHM_NAMES;

/** Settings that hold the other kind of model's default where the two kinds' defaults differ. */
export function otherModelDefaults(settings: TrainSettings, model: ModelKind): (keyof TrainSettings)[] {
  const other = model === 'builtin' ? 'hub' : 'builtin';
  return SETTINGS.filter((d) => d.default && d.default.builtin !== d.default.hub && settings[d.key] === d.default[other]).map((d) => d.key);
}

/** The settings table as a form: every setting with its bounds, help, this model's default and its CLI flag. */
export function SettingsForm({ settings, onChange, model, skip = [] }: { settings: TrainSettings; onChange: (s: TrainSettings) => void; model: ModelKind; skip?: (keyof TrainSettings)[] }) {
  const defaults = defaultSettings(model, settings.algo, settings.target);
  return (
    <div class="settings">
      {SETTINGS.filter((d) => !skip.includes(d.key)).map((d) => {
        const id = `set-${d.key}`;
        const v = settings[d.key];
        const set = (raw: string | boolean) => onChange({ ...settings, [d.key]: d.kind === 'choice' || d.kind === 'boolean' ? raw : Number(raw) });
        return (
          <div class="setting">
            <label for={id}>{d.label}</label>
            {d.kind === 'boolean'
              ? <input id={id} type="checkbox" checked={v === true} aria-describedby={`${id}-help`} onChange={(e) => set((e.target as HTMLInputElement).checked)} />
              : d.kind === 'choice'
              ? <select id={id} value={String(v)} aria-describedby={`${id}-help`} onChange={(e) => set((e.target as HTMLSelectElement).value)}>{(d.choices ?? []).map((c) => <option value={c}>{d.key === 'algo' ? ALGO_NAME[c] ?? c : c}</option>)}</select>
              : <input id={id} type="number" step="any" min={d.min} max={d.max} value={String(v)} aria-describedby={`${id}-help`} onInput={(e) => set((e.target as HTMLInputElement).value)} />}
            <span class="help" id={`${id}-help`}>{d.help} Default {d.key === 'loraAlpha' ? `2 × rank (${defaults.loraAlpha})` : String(defaults[d.key])}{d.default && d.default.builtin !== d.default.hub ? ` for ${MODEL_NAME[model]}` : ''}; CLI <code>{d.flag}</code>.</span>
          </div>
        );
      })}
    </div>
  );
}

const series = (ms: StepMetrics[], f: (m: StepMetrics) => number) => ms.map(f);

/** The definitions under a chart: "Name: definition." for each metric it plots. */
const chartNote = (keys: MetricKey[]) => keys.map((k) => `${METRICS[k].name}: ${METRICS[k].definition}.`).join(' ');

/** Every metric's chart, with its unit and range; `prefix` names the charts' ids ("chart-reward"). */
export function MetricCharts({ metrics, prefix = 'chart', id = 'charts' }: { metrics: StepMetrics[]; prefix?: string; id?: string }) {
  const x = metrics.map((m) => m.step);
  const c = (key: string, title: string, y: YAxis, keys: MetricKey[], list: [string, (m: StepMetrics) => number][]) =>
    <LineChart id={`${prefix}-${key}`} title={title} y={y} note={chartNote(keys)} x={x} series={list.map(([label, f], i) => ({ label, values: series(metrics, f), color: color(i) }))} />;
  return (
    <div class="charts" id={id}>
      {c('reward', 'Mean reward', Y_AXES.reward(), ['mean_reward', 'reward_std'], [['reward', (m) => m.reward_mean], ['reward std', (m) => m.reward_std]])}
      {c('rates', 'Accuracy, format and execution rates', Y_AXES.rate, ['accuracy', 'format_rate', 'execution_rate'], [['accuracy', (m) => m.accuracy], ['format', (m) => m.format_rate], ['executed', (m) => m.exec_rate]])}
      {c('no-model', 'No model: the answer written in, not solved for', Y_AXES.rate, ['no_model'], [['no model', (m) => (m.classes.no_model ?? 0) / Math.max(1, Object.values(m.classes).reduce((a, b) => a + b, 0))]])}
      {c('kl', 'KL to the base policy', Y_AXES.kl, ['kl'], [['KL', (m) => m.kl]])}
      {c('entropy', 'Entropy', Y_AXES.entropy, ['entropy'], [['entropy', (m) => m.entropy]])}
      {c('length', 'Completion length', Y_AXES.tokens, ['completion_length'], [['length', (m) => m.completion_length]])}
      {c('clip', 'Clipped-ratio fraction', Y_AXES.tokenShare, ['clip_fraction'], [['clip fraction', (m) => m.clip_fraction]])}
      {c('tps', 'Generation speed', Y_AXES.tokensPerSecond, ['tokens_per_s'], [['tokens/s', (m) => m.tokens_per_s]])}
      {c('time', 'Time per stage', Y_AXES.seconds, ['stage_time'], [['generate', (m) => m.ms.generate / 1000], ['verify wait', (m) => m.ms.verify_wait / 1000], ['train', (m) => m.ms.train / 1000], ['update', (m) => m.ms.update / 1000]])}
    </div>
  );
}

/** The run's progress: step k of N with the time left (from the steps' own times), and the running step's phase. */
export function StepBars({ t, onStop }: { t: TrainState; onStop?: () => void }) {
  const view = useStepProgress();
  if (!t.run || !['opening', 'running', 'pausing', 'stopping'].includes(t.status)) return null;
  const steps = t.run.settings.steps, done = t.metrics.length;
  // the rate so far: the finished steps' own times (a resumed run counts its earlier steps too)
  const spent = t.metrics.reduce((a, m) => a + m.ms.total, 0);
  const overall: Progress = { label: t.status === 'opening' ? t.message : `Training ${t.run.title || t.run.id}: step ${Math.min(done + 1, steps)} of ${steps}`, done, total: steps, unit: 'step', startedAt: Date.now() - spent };
  const phase: Progress = view?.phase ?? { label: view ? `Step ${view.step}: starting` : t.status === 'opening' ? 'Loading the model and the checkpoint' : 'Between steps', done: 0, total: 1, unit: 'phase', startedAt: Date.now() };
  return (
    <div class="step-bars" id="train-progress">
      <ProgressBar id="train-steps" progress={overall} {...(onStop && t.status === 'running' ? { onCancel: onStop, cancelLabel: 'Stop after this step' } : {})} />
      <ProgressBar id="step-phase" progress={phase} />
    </div>
  );
}

/** What a saved run's state is, in words: running here, paused, stopped after k of N, done. */
function runStatus(r: RunListing, t: TrainState): string {
  const n = r.run.settings.steps;
  if (t.run?.id === r.id && isTraining()) return `running (step ${Math.min(t.metrics.length + 1, n)} of ${n})`;
  if (r.steps >= n) return `done (${plural(n, 'step')})`;
  const active = activeRun.get();
  if (active?.id === r.id && active.status === 'paused') return `paused after ${r.steps} of ${plural(n, 'step')}`;
  return r.steps === 0 ? `not started (0 of ${plural(n, 'step')})` : `stopped after ${r.steps} of ${plural(n, 'step')}`;
}

/** A run's settings in one line: algorithm, target, G × P, learning rate, completion cap. */
const settingsLine = (r: RunListing) => {
  const st = r.run.settings;
  return `${ALGO_NAME[st.algo] ?? st.algo}, target ${st.target}, G ${st.group} × ${plural(st.promptsPerStep, 'problem')} per step, lr ${formatNumber(st.lr)}, max ${st.maxNewTokens} new tokens, LoRA rank ${st.loraRank}`;
};

/** The runs saved in this browser (they outlive a reload): status, settings, last reward; one chosen shows its charts. */
export function RunHistory({ t, onResume, onRuns }: { t: TrainState; onResume: (id: string) => void; onRuns?: (count: number) => void }) {
  const s = useStudio();
  const [runs, setRuns] = useState<RunListing[] | null>(null);
  const [chosen, setChosen] = useState<string | null>(null);
  const [metrics, setMetrics] = useState<StepMetrics[]>([]);
  /** each run's last step (the table's last reward) */
  const [lastSteps, setLastSteps] = useState<Record<string, StepMetrics | undefined>>({});
  useEffect(() => {
    void listRuns().then(async (r) => {
      const sorted = r.sort((a, b) => b.run.created.localeCompare(a.run.created));
      setRuns(sorted);
      onRuns?.(sorted.length);
      const store = browserRunStore();
      setLastSteps(Object.fromEntries(await Promise.all(sorted.map(async (x) => [x.id, (await store.readMetrics(x.id).catch(() => [])).at(-1)] as const))));
    }).catch(() => { setRuns([]); onRuns?.(0); });
  }, [s.runsVersion, t.status, t.metrics.length]);
  // after a reload nothing is training: show the latest run's charts
  const shown = chosen ?? (!t.run && runs?.length ? runs[0]!.id : null);
  useEffect(() => { if (shown) void browserRunStore().readMetrics(shown).then(setMetrics).catch(() => setMetrics([])); else setMetrics([]); }, [shown, runs]);
  if (!runs) return null;
  const run = runs.find((r) => r.id === shown);
  const live = shown !== null && t.run?.id === shown;
  return (
    <section aria-labelledby="history-h" id="run-history">
      <h3 id="history-h">Runs in this browser</h3>
      {runs.length === 0 ? <p class="help">No runs yet: press Start training. Runs are saved in this browser and listed here after a reload.</p> : (
        <table id="history-table">
          <thead><tr><th scope="col">Run</th><th scope="col">Started</th><th scope="col">Model</th><th scope="col">Settings</th><th scope="col">Status</th><th scope="col"><Term k="mean_reward">Last reward</Term></th><th scope="col"><span class="sr-only">Actions</span></th></tr></thead>
          <tbody>{runs.map((r) => {
            const last = lastSteps[r.id];
            const canResume = r.steps < r.run.settings.steps && !(t.run?.id === r.id && isTraining());
            return (
              <tr class={r.id === shown ? 'selected' : ''} data-run={r.id}>
                <th scope="row">{r.title || r.id}{r.title ? <span class="help"> {r.id}</span> : ''}</th>
                <td>{new Date(r.run.created).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' })}</td>
                <td>{r.run.model.id}</td><td class="help">{settingsLine(r)}</td><td class="run-status">{runStatus(r, t)}</td>
                <td>{last ? formatNumber(last.reward_mean, 3) : '—'}</td>
                <td><button type="button" class="secondary" aria-pressed={r.id === shown} aria-label={`Charts of ${r.title || r.id}`} onClick={() => setChosen(r.id)}>Charts</button>
                  {canResume && <> <button type="button" class="secondary" disabled={!!s.busy || isTraining()} aria-label={`Resume ${r.title || r.id}`} onClick={() => onResume(r.id)}>Resume</button></>}</td>
              </tr>);
          })}</tbody>
        </table>
      )}
      {run && (
        <div id="history-charts" aria-labelledby="history-charts-h" role="region">
          <h4 id="history-charts-h">{run.title || run.id}: {runStatus(run, t)}</h4>
          <p class="help">{settingsLine(run)}; model {run.run.model.id}; data: {run.run.data.description} ({plural(run.run.data.train_items, 'training problem')}).{metrics.length ? ` ${plural(metrics.length, 'step')} in ${formatDuration(metrics.reduce((a, m) => a + m.ms.total, 0) / 1000)}.` : ''}</p>
          {live ? <p class="help">This run is the one training: its charts are above.</p>
            : metrics.length ? <MetricCharts metrics={metrics} prefix="history-chart" id="history-chart-grid" /> : <p class="help">No step finished yet: no charts.</p>}
        </div>
      )}
    </section>
  );
}

export function RolloutInspector({ rollouts }: { rollouts: TrainState['rollouts'] }) {
  const [step, setStep] = useState<number | null>(null);
  const [group, setGroup] = useState(0);
  const [open, setOpen] = useState<number | null>(null);
  const cur = rollouts.find((r) => r.step === step) ?? rollouts[rollouts.length - 1];
  if (!cur) return <p class="help">Rollouts appear after the first step.</p>;
  const g = cur.groups[Math.min(group, cur.groups.length - 1)];
  return (
    <section aria-labelledby="inspector-h" id="inspector">
      <h3 id="inspector-h">Rollout inspector</h3>
      <div class="row">
        <label>Step <select id="inspect-step" value={String(cur.step)} onChange={(e) => { setStep(Number((e.target as HTMLSelectElement).value)); setOpen(null); }}>{rollouts.map((r) => <option value={String(r.step)}>{r.step}</option>)}</select></label>
        <label>Problem <select id="inspect-group" value={String(group)} onChange={(e) => { setGroup(Number((e.target as HTMLSelectElement).value)); setOpen(null); }}>{cur.groups.map((x, i) => <option value={String(i)}>{x.id}{x.kept ? (noSignalNote(x) ? ' (no signal)' : '') : ' (dropped: no signal)'}</option>)}</select></label>
      </div>
      {g && (<>
        <p class="question">{latexToPlain(g.question)}</p>
        <p id="group-fate">Expected answer {formatAnswer(g.answer)}. {groupFate(g)}</p>
        <table id="rollout-table">
          <thead><tr><th scope="col">#</th><th scope="col">Outcome</th><th scope="col"><Term k="reward" /></th><th scope="col"><Term k="advantage" /></th><th scope="col"><Term k="objective" /></th><th scope="col"><Term k="tokens" /></th></tr></thead>
          <tbody>{g.completions.map((c, i) => (
            <tr><td><button type="button" class="link" aria-expanded={open === i} onClick={() => setOpen(open === i ? null : i)}>{i + 1}</button></td>
              <td><Outcome cls={c.class} /></td><td>{formatNumber(c.reward, 3)}</td><td>{formatNumber(c.advantage, 3)}</td><td>{formatAnswer(c.objective)}</td><td>{c.tokens}</td></tr>))}</tbody>
        </table>
        <Glossary id="inspector-glossary" summary="What the columns mean" metrics={['reward', 'advantage', 'objective', 'tokens']} outcomes={[...new Set(g.completions.map((c) => c.class))]} />
        {open !== null && g.completions[open] && <pre class="code" id="rollout-text">{g.completions[open]!.text}</pre>}
      </>)}
    </section>
  );
}

/** The metrics table's columns: a header (with the metric it shows) and a cell per step. */
const METRIC_COLUMNS: readonly [string, MetricKey | null, (m: StepMetrics) => string][] = [
  ['Step', null, (m) => String(m.step)],
  ['Reward', 'mean_reward', (m) => formatNumber(m.reward_mean, 4)],
  ['Accuracy [95 %] of n samples', 'accuracy', stepAccuracy],
  ['Format', 'format_rate', (m) => pct(m.format_rate)],
  ['Executed', 'execution_rate', (m) => pct(m.exec_rate)],
  ['KL', 'kl', (m) => formatNumber(m.kl, 4)],
  ['Entropy', 'entropy', (m) => formatNumber(m.entropy, 4)],
  ['Length', 'completion_length', (m) => formatNumber(m.completion_length, 4)],
  ['Clip', 'clip_fraction', (m) => formatNumber(m.clip_fraction, 3)],
  ['Tokens/s', 'tokens_per_s', (m) => formatNumber(m.tokens_per_s, 4)],
  ['Seconds', 'step_seconds', (m) => formatNumber(m.ms.total / 1000, 4)],
];

export function MetricsTable({ metrics }: { metrics: StepMetrics[] }) {
  return (<>
    <table id="metrics">
      <thead><tr>{METRIC_COLUMNS.map(([h, k]) => <th scope="col">{k ? <Term k={k}>{h}</Term> : h}</th>)}</tr></thead>
      <tbody>{metrics.map((m) => <tr>{METRIC_COLUMNS.map(([, , cell]) => <td>{cell(m)}</td>)}</tr>)}</tbody>
    </table>
    <Glossary id="metrics-glossary" summary="What the columns mean" metrics={METRIC_COLUMNS.flatMap(([, k]) => (k ? [k] : []))} />
  </>);
}

export function newRun(s: Studio, settings: TrainSettings, extra: Partial<RunDraft> = {}): RunDraft {
  return {
    id: newRunId(), title: s.form.title, created: new Date().toISOString(), model: modelLabel(s),
    data: { description: s.dataset!.description, train_items: s.dataset!.train.length, eval_items: s.dataset!.eval.length },
    settings, ...extra,
  };
}

export function TrainPanel() {
  const s = useStudio();
  const t = useTraining();
  const [resumable, setResumable] = useState(activeRun.get());
  useEffect(() => { setResumable(activeRun.get()); }, [t.status]);
  const settings = s.form.settings;
  const model = settingsModel(s.form.model.kind);
  // the model's defaults for an algorithm, with the target and tolerance chosen in the Targets tab
  const reset = (algo = settings.algo, keep: Partial<TrainSettings> = {}) =>
    s.update({ settings: { ...defaultSettings(model, algo, settings.target), tolerance: settings.tolerance, ...keep } });
  const foreign = otherModelDefaults(settings, model);
  const start = () => s.job('Training', async () => {
    const problems = validateSettings(settings);
    if (problems.length) throw new UsageError(`Check the settings: ${problems.join('; ')}`);
    if (!s.dataset) throw new UsageError('prepare problems first (Problems tab)');
    await startRun(s, newRun(s, settings), s.dataset);
  });
  const resume = (id: string) => s.job('Training', () => resumeRun(s, id));
  const interrupted = resumable && (resumable.status === 'running' || resumable.status === 'paused') && !isTraining() && t.status !== 'paused' ? resumable : null;
  // runs saved in this browser (null until listed): with none training here, the latest one's charts stand for the live ones
  const [savedRuns, setSavedRuns] = useState<number | null>(null);
  const idleWithRuns = !t.run && (savedRuns ?? 0) > 0;
  return (
    <div>
      {interrupted && (
        <div class="notice" id="resume-notice" role="status">
          Run {interrupted.id} {interrupted.status === 'running' ? 'was interrupted (the page was closed or reloaded)' : 'is paused'} after step {interrupted.steps}. Its checkpoint is saved in this browser.
          <button type="button" id="resume-saved" disabled={!!s.busy} onClick={() => resume(interrupted.id)}>Resume from step {interrupted.steps}</button>
        </div>
      )}
      <div class="row controls">
        <button type="button" id="start" disabled={!!s.busy || isTraining() || !s.dataset} onClick={start}>Start training</button>
        <NeedsLink need="problems" id="train-needs-problems" when={!s.dataset} />
        <button type="button" id="pause" class="secondary" disabled={!(t.status === 'running')} onClick={requestPause}>Pause</button>
        <button type="button" id="resume" class="secondary" disabled={!(t.status === 'paused' || t.status === 'stopped' || t.status === 'failed') || !t.run || !!s.busy} onClick={() => t.run && resume(t.run.id)}>Resume</button>
        <button type="button" id="stop" class="secondary" disabled={!(t.status === 'running' || t.status === 'paused')} onClick={requestStop}>Stop</button>
        <span id="train-status" role="status" aria-live="polite">{t.run ? `${t.run.id}: ${t.status}. ${t.message}` : ''}</span>
      </div>
      <details open={t.status === 'idle'}>
        <summary>Settings ({ALGO_NAME[settings.algo] ?? settings.algo}, target {settings.target})</summary>
        <label>Run title <input id="run-title" type="text" size={30} value={s.form.title} onInput={(e) => s.update({ title: (e.target as HTMLInputElement).value })} /></label>
        {foreign.length > 0 && (
          <p class="notice" id="settings-other-model" role="status">
            {SETTINGS.filter((d) => foreign.includes(d.key)).map((d) => d.label).join(', ')} {foreign.length === 1 ? 'holds' : 'hold'} the default of {MODEL_NAME[model === 'builtin' ? 'hub' : 'builtin']}, not of {MODEL_NAME[model]}.
          </p>
        )}
        <p class="row">
          <button type="button" class="secondary" id="reset-settings" disabled={isTraining()} onClick={() => reset()}>Use the defaults of {MODEL_NAME[model]}</button>
        </p>
        <SettingsForm settings={settings} model={model} onChange={(n) => {
          if (n.algo !== settings.algo) reset(n.algo, { steps: n.steps, seed: n.seed });
          else s.update({ settings: n, target: n.target, tolerance: n.tolerance });
        }} />
      </details>
      <StepBars t={t} onStop={requestStop} />
      {t.metrics.length === 0 && (
        <p class="help" id="charts-pending">{t.run
          ? `The charts fill in as steps finish: each step generates ${plural(t.run.settings.group * t.run.settings.promptsPerStep, 'completion')}, solves their models and updates the adapter.`
          : idleWithRuns ? 'No run is training here. The runs saved in this browser are listed below; choose one to see its charts (the latest is shown).'
          : 'No run is training here: the charts below fill in, step by step, once one starts.'}</p>
      )}
      {idleWithRuns && <RunHistory t={t} onResume={resume} onRuns={setSavedRuns} />}
      {!idleWithRuns && (t.run || savedRuns !== null) && (<>
        <MetricCharts metrics={t.metrics} />
        <MetricsTable metrics={t.metrics} />
        <RolloutInspector rollouts={t.rollouts} />
      </>)}
      {!idleWithRuns && <RunHistory t={t} onResume={resume} onRuns={setSavedRuns} />}
    </div>
  );
}
