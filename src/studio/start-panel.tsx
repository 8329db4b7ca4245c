// Start: what EVOM Studio is, in a few sentences; the class demo in one click (class-demo.ts) with
// its progress and a before/after card; a transfer trial set up in one click; what to do next. A
// share link opens it with the students' checklist, each step ticked as it gets done.
import { useEffect, useRef, useState } from 'preact/hooks';
import { readJsonFile } from '../host/run-store-opfs.ts';
import { formatAccuracy, formatDifference } from '../verifier/stats.ts';
import { noWebGpuAdvice, tabLabel, useStudio, type TabId } from './app.ts';
import { cancelClassDemo, DEMO_SIZES, DEMO_STAGES, demoCommand, demoRunning, demoSizeFromQuery, gainMeaning, runClassDemo, useClassDemo, type DemoOutcome, type DemoSize } from './class-demo.ts';
import type { StoredEval } from './evaluate-panel.tsx';
import { formatNumber, pct, plural } from './format.ts';
import { NeedsLink, focusControl } from './needs.tsx';
import { ProgressBar } from './progress.tsx';
import { datasetIsFrom, prepareProblems } from './problems-panel.tsx';
import { listRuns } from './runs.ts';
import { sharedChecklist, type SharedChecklist } from './state.ts';
import { DEMO } from '../rl/demo.ts';

/** The tabs in the order a first session uses them, each with what it is for. */
const NEXT: readonly (readonly [TabId, string])[] = [
  ['playground', 'type a word problem, watch the model write its model token by token and the solver judge it; then edit it by hand'],
  ['model', 'pick the model: the built-in one, or one from the Hugging Face Hub (check its memory plan first)'],
  ['problems', 'choose the word problems: generated ones, a bundled benchmark or your own file'],
  ['targets', 'choose the solver that checks the models, and how close an answer must be'],
  ['evaluate', 'measure the model on the held-out problems, and open any answer to see why it was scored so'],
  ['train', 'train it with GRPO, watching reward, accuracy and the rollouts step by step'],
  ['transfer', 'does what is learnt under one solver carry to another?'],
  ['export', 'take the adapter, metrics and run card away (they reproduce the run from the command line)'],
  ['classroom', 'share a configuration as a link; students send their runs to the teacher\'s server, where the teacher watches them live'],
];

/** One number of the card: a big accuracy, its interval and n beneath. */
function Figure({ id, title, a }: { id: string; title: string; a: DemoOutcome['before'] }) {
  const [lo, hi] = a.accuracy.ci95;
  return (
    <div class="demo-figure" id={id}>
      <h4>{title}</h4>
      <p class="demo-big">{pct(a.accuracy.value)}</p>
      <p class="demo-interval">95 % interval {pct(lo)} to {pct(hi)}, n = {plural(a.accuracy.items, 'problem')}</p>
      <p class="help">{pct(a.execution_rate)} of the written models ran. As <code>evom demo</code> prints it: <span class="demo-accuracy">{formatAccuracy(a.accuracy)}</span></p>
    </div>
  );
}

/** The before/after card: accuracy before and after with intervals and n, the paired gain and what it means. */
export function DemoCard({ r }: { r: DemoOutcome }) {
  const s = useStudio();
  const g = r.gain;
  return (
    <section class="demo-card" id="demo-card" aria-labelledby="demo-card-h">
      <h3 id="demo-card-h">Class demo: {plural(r.size.evalCount, 'held-out problem')}, {plural(r.size.steps, 'training step')}</h3>
      <div class="demo-figures">
        <Figure id="demo-before" title="Before training" a={r.before} />
        <p class="demo-arrow" aria-hidden="true">→</p>
        <Figure id="demo-after" title={`After ${plural(r.size.steps, 'step')}`} a={r.after} />
      </div>
      <p class="demo-gain" id="demo-gain"><strong>Paired gain:</strong> {formatDifference(g)}</p>
      <p id="demo-meaning">{gainMeaning(g)}</p>
      {r.rewards.length > 0 && <p class="help" id="demo-rewards">Mean reward per training step: {r.rewards.map((x) => formatNumber(x, 3)).join(', ')}.</p>}
      <p class="help">Accuracy: share of the held-out problems whose model, solved in this browser by {DEMO.target}, gives the expected answer (within 5 %); one sample each at temperature {DEMO.evalTemperature}. The gain compares the same problems with the same sampling seeds before and after (bootstrap 95 % interval); "detectable" is the smallest true gain this many problems finds with 80 % power.
        {' '}The same run from the command line: <code>{demoCommand(r.size)}</code>.</p>
      <p class="row">
        <span>Run <code id="demo-run-id">{r.runId}</code> is saved in this browser.</span>
        <button type="button" class="secondary" onClick={() => s.go('evaluate', () => focusControl('#eval-adapter'))}>Evaluate it again → Evaluate</button>
        <button type="button" class="secondary" onClick={() => s.go('export')}>Export it → Export</button>
      </p>
    </section>
  );
}

/** When each step of the checklist was done (null: not yet), read from the dataset, the last evaluation and the run store. */
interface ChecklistDone { evaluated: boolean; trained: string | null }

function Checklist({ c, onClose }: { c: SharedChecklist; onClose: () => void }) {
  const s = useStudio();
  const [done, setDone] = useState<ChecklistDone>({ evaluated: false, trained: null });
  useEffect(() => {
    void (async () => {
      const last = await readJsonFile<StoredEval>(['evom-studio'], 'last-eval.json').catch(() => null);
      const runs = await listRuns().catch(() => []);
      const trained = runs.find((r) => r.run.created >= c.opened && r.steps >= r.run.settings.steps && r.steps > 0);
      setDone({ evaluated: !!last && last.adapterRun === null && last.created >= c.opened, trained: trained?.id ?? null });
    })();
  }, [s.runsVersion, s.busy, c.opened]);
  const prepared = datasetIsFrom(s.dataset, c.data);
  const steps: { key: string; title: string; ok: boolean; action: preact.ComponentChildren }[] = [
    { key: 'config', title: `Configuration loaded${c.title ? `: ${c.title}` : ''}`, ok: true, action: null },
    {
      key: 'prepare', title: 'Prepare the problems', ok: prepared,
      action: <button type="button" id="checklist-prepare" disabled={!!s.busy} onClick={() => void s.job('Preparing problems', () => prepareProblems(s))}>{prepared ? 'Prepare again' : 'Prepare the problems'}</button>,
    },
    {
      key: 'evaluate', title: 'Evaluate the base model', ok: done.evaluated,
      action: <>{prepared ? <button type="button" class="secondary" onClick={() => s.go('evaluate', () => focusControl('#evaluate'))}>Go to Evaluate</button> : <NeedsLink need="problems" />}</>,
    },
    {
      key: 'train', title: 'Train', ok: done.trained !== null,
      action: <>{prepared ? <button type="button" class="secondary" onClick={() => s.go('train', () => focusControl('#start'))}>Go to Train</button> : <NeedsLink need="problems" />}</>,
    },
    {
      key: 'export', title: 'Export or send the run', ok: c.exported !== null,
      action: <>{done.trained ? <button type="button" class="secondary" onClick={() => s.go('export', () => focusControl('#export-all'))}>Go to Export</button> : <NeedsLink need="run" />}</>,
    },
  ];
  const left = steps.filter((x) => !x.ok).length;
  return (
    <section class="checklist" id="checklist" aria-labelledby="checklist-h">
      <h3 id="checklist-h">Your checklist{c.title ? `: ${c.title}` : ''}</h3>
      <p class="help" id="checklist-summary">{left ? `${plural(steps.length - left, 'step')} of ${steps.length} done.` : 'All done: send the exported run to your teacher.'} Steps count when done after the link was opened.</p>
      <ol>
        {steps.map((x) => (
          <li class={x.ok ? 'done' : ''} id={`check-${x.key}`} data-done={x.ok ? 'yes' : 'no'}>
            <span class="tick" aria-hidden="true">{x.ok ? '✓' : ''}</span>
            <span class="check-title">{x.title}<span class="sr-only">{x.ok ? ' (done)' : ' (to do)'}</span></span>
            <span class="check-action">{x.action}</span>
          </li>
        ))}
      </ol>
      <button type="button" class="link" id="checklist-close" onClick={onClose}>Hide the checklist</button>
    </section>
  );
}

export function StartPanel() {
  const s = useStudio();
  const demo = useClassDemo();
  const fromUrl = demoSizeFromQuery(location.search);
  const sizes: readonly DemoSize[] = fromUrl ? [...DEMO_SIZES, fromUrl] : DEMO_SIZES;
  const [sizeId, setSizeId] = useState<DemoSize['id']>(fromUrl ? 'custom' : 'quick');
  const size = sizes.find((z) => z.id === sizeId) ?? sizes[0]!;
  const [checklist, setChecklist] = useState(sharedChecklist.get);
  // the export tab marks the checklist; read it again whenever the Studio changes
  useEffect(() => { setChecklist(sharedChecklist.get()); }, [s.runsVersion, s.busy]);
  const noGpu = s.gpu !== null && !s.gpu.ok;
  // a demo that finishes while this tab is shown brings its card into view (not one shown again on a visit)
  const wasRunning = useRef(demoRunning());
  useEffect(() => {
    if (wasRunning.current && demo.status === 'done') document.getElementById('demo-card')?.scrollIntoView({ block: 'nearest', behavior: 'smooth' });
    wasRunning.current = demoRunning();
  }, [demo.status]);
  const running = demoRunning();
  const tryTransfer = () => {
    s.go('transfer', () => {
      const setup = document.getElementById('transfer-demo-setup') as HTMLButtonElement | null;
      if (setup && !setup.disabled) setup.click();
      s.hint('The transfer demo\'s problems, policy (evom-tiny-multi) and settings are loaded: press "Run the trial" below.');
      focusControl('#transfer-run');
    });
  };
  return (
    <div class="start">
      {checklist && <Checklist c={checklist} onClose={() => { sharedChecklist.set(null); setChecklist(null); }} />}
      <section class="intro" aria-labelledby="intro-h">
        <h3 id="intro-h">What this is</h3>
        <p>A small language model reads a word problem (“a plant makes two products…”) and writes an optimization model for it. A solver running in this browser solves that model and checks its answer against the known one. That check is the reward: reinforcement learning (GRPO) trains the model to write models that solve to the right answer, all on this computer.</p>
      </section>
      <div class="start-actions">
        <section class="start-action" aria-labelledby="demo-h">
          <h3 id="demo-h">See it learn</h3>
          <fieldset class="demo-size">
            <legend>Size</legend>
            {sizes.map((z) => (
              <label class="inline"><input type="radio" name="demo-size" value={z.id} checked={z.id === size.id} disabled={running} onChange={() => setSizeId(z.id)} />
                <span><strong>{z.label}</strong>: {plural(z.evalCount, 'held-out problem')}, {plural(z.steps, 'step')} <span class="help">({z.time})</span></span></label>
            ))}
          </fieldset>
          <button type="button" class="big" id="start-demo" disabled={!!s.busy || running || noGpu} onClick={() => void runClassDemo(s, size)}>Run the class demo</button>
          {noGpu && <NeedsLink need="gpu" id="start-demo-needs" />}
          {(running || demo.status === 'cancelled' || demo.status === 'failed') && (
            <div class="demo-run" role="group" aria-label="Class demo in progress">
              <ol class="stages" aria-label="Stages">
                {DEMO_STAGES.map(([k, label], i) => {
                  const at = DEMO_STAGES.findIndex(([x]) => x === demo.stage);
                  return <li class={k === demo.stage ? 'now' : at > i ? 'done' : ''} aria-current={k === demo.stage ? 'step' : undefined}>{label}</li>;
                })}
              </ol>
              {running && demo.progress && <ProgressBar id="demo-progress" progress={demo.progress} onCancel={demo.status === 'running' ? cancelClassDemo : undefined} />}
              <p id="demo-status" role="status">{demo.message}</p>
            </div>
          )}
          <p class="help">The built-in model (evom-tiny) on generated {DEMO.families.join(' and ')} problems: evaluated, trained, evaluated again on the same problems. The same as <code>{demoCommand(size)}</code>.</p>
        </section>
        <section class="start-action" aria-labelledby="transfer-h">
          <h3 id="transfer-h">Change the solver</h3>
          <p>Train under one solver’s modelling language, then test under another’s: does the skill carry over?</p>
          <button type="button" class="big secondary" id="start-transfer" disabled={!!s.busy} onClick={tryTransfer}>Try a transfer trial</button>
          <p class="help">Opens the Solver transfer tab with the set-up of <code>npx evom demo --transfer</code>.</p>
        </section>
      </div>
      {noGpu && <p class="help" id="start-no-gpu">{noWebGpuAdvice()}</p>}
      {!running && demo.result && <DemoCard r={demo.result} />}
      <section aria-labelledby="next-h">
        <h3 id="next-h">What to do next</h3>
        <ol class="next">
          {NEXT.map(([id, what]) => <li><button type="button" class="link" onClick={() => s.go(id)}>{tabLabel(id)}</button>: {what}{/[?.]$/.test(what) ? '' : '.'}</li>)}
        </ol>
      </section>
    </div>
  );
}
