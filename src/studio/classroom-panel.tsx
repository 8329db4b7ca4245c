// Classroom: a link that pre-fills a whole run configuration (never a token); a class on the
// teacher's sandbox server (class-client.ts): students join with a pseudonym and their runs are sent
// after each step, the teacher's view lists them live and deletes them; and a compare view that
// overlays several students' exported run cards or metrics files.
import { useEffect, useRef, useState } from 'preact/hooks';
import { parseMetricsJsonl, parseRunCard, shareConfigFromHash, shareLinkFor, type RunCard, type ShareConfig } from '../rl/run-card.ts';
import type { StepMetrics } from '../rl/trainer.ts';
import { useStudio } from './app.ts';
import { formatNumber, pct, plural } from './format.ts';
import { Glossary, Term } from './glossary.tsx';
import { color, LineChart, Y_AXES } from './chart.tsx';
import { METRICS, modelLabel } from './labels.ts';
import { accuracyCell } from './evaluate-panel.tsx';
import { summaryAccuracy } from '../verifier/evaluate.ts';
import { stepAccuracy } from '../verifier/stats.ts';
import { classToken, sharedChecklist, teacherToken, type StudioForm } from './state.ts';
import { DataError, UsageError } from '../errors.ts';
import { ScrollRegion } from './scroll-region.tsx';
import { classBase, classJoin, ClassServerError, deleteClassRuns, fetchClass, joinClass, leaveClass, POLL_MS, useUploadStatus, type ClassListing } from './class-client.ts';

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


/** One run in a compare view: from a run card or a metrics file, or sent to the class by a student (`who`). */
interface Entry {
  name: string; model: string; target: string; metrics: StepMetrics[];
  evals: { label: string; accuracy: string; execution_rate: number }[];
  /** the class view: the student's pseudonym, the run's name and when the server received it */
  who?: string; run?: string; received?: string;
}

const evalsOf = (evaluations: RunCard['evaluations']): Entry['evals'] => evaluations.map((e) => ({ label: e.label, accuracy: `${accuracyCell(e.summary)}, n = ${summaryAccuracy(e.summary).items}`, execution_rate: e.summary.execution_rate }));

/** A time for people: "14:03:05" today, else with its date. */
function receivedAt(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString('en-GB') : d.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Several runs overlaid: mean reward and accuracy per step, and a table of each run's last step; `prefix` names the ids. */
function RunsCompare({ entries, prefix, label, action }: { entries: Entry[]; prefix: string; label: string; action?: { header: string; cell: (e: Entry) => preact.JSX.Element } }) {
  const steps = [...new Set(entries.flatMap((e) => e.metrics.map((m) => m.step)))].sort((a, b) => a - b);
  const overlay = (f: (m: StepMetrics) => number) => entries.map((e, i) => ({ label: e.name, color: color(i), values: steps.map((k) => { const m = e.metrics.find((x) => x.step === k); return m ? f(m) : null; }) }));
  const cls = entries.some((e) => e.who !== undefined);
  return (<>
    <div class="charts">
      <LineChart id={`${prefix}-reward`} title="Mean reward" y={Y_AXES.reward()} note={`Mean reward: ${METRICS.mean_reward.definition}.`} x={steps} series={overlay((m) => m.reward_mean)} />
      <LineChart id={`${prefix}-accuracy`} title="Accuracy (training samples)" y={Y_AXES.rate} note={`Accuracy: ${METRICS.accuracy.definition}.`} x={steps} series={overlay((m) => m.accuracy)} />
    </div>
    <ScrollRegion label={label}><table id={`${prefix}-table`}>
      <thead><tr>{cls ? <><th scope="col">Pseudonym</th><th scope="col">Run</th></> : <th scope="col">Run</th>}<th scope="col">Model</th><th scope="col">Target</th><th scope="col">Steps</th><th scope="col"><Term k="mean_reward">Last reward</Term></th><th scope="col"><Term k="accuracy">Last accuracy</Term> [95 %] of n samples</th><th scope="col">Evaluations</th>
        {cls && <th scope="col">Received</th>}{action && <th scope="col">{action.header}</th>}</tr></thead>
      <tbody>{entries.map((e) => { const last = e.metrics[e.metrics.length - 1]; return (
        <tr>{cls ? <><th scope="row">{e.who}</th><td>{e.run}</td></> : <th scope="row">{e.name}</th>}<td>{e.model}</td><td>{e.target}</td><td>{e.metrics.length}</td><td>{last ? formatNumber(last.reward_mean, 4) : '—'}</td><td>{last ? stepAccuracy(last) : '—'}</td>
          <td>{e.evals.map((v) => `${v.label}: ${v.accuracy} correct, ${pct(v.execution_rate)} executed`).join('; ') || '—'}</td>
          {cls && <td>{e.received ? receivedAt(e.received) : '—'}</td>}{action && <td>{action.cell(e)}</td>}</tr>); })}</tbody>
    </table></ScrollRegion>
    <Glossary id={`${prefix}-glossary`} summary="What the columns mean" metrics={['mean_reward', 'accuracy', 'execution_rate']} />
  </>);
}

/** A student: send this browser's runs to a class on the teacher's sandbox server. */
function JoinClass() {
  const s = useStudio();
  const saved = classJoin.get();
  const [url, setUrl] = useState(saved?.url ?? '');
  const [token, setToken] = useState(classToken.get());
  const [pseudonym, setPseudonym] = useState(saved?.pseudonym ?? '');
  const st = useUploadStatus();
  const on = !!classJoin.get()?.on;
  const join = async () => {
    s.setError(null);
    try { await joinClass(url, token, pseudonym); } catch (e) { s.setError((e as Error).message); }
  };
  return (
    <section aria-labelledby="join-h">
      <h3 id="join-h">Join a class</h3>
      <p>Your teacher gives you the class server's address and the class token. After each training step (and each evaluation of a run) the run's card is sent to the class: its model, settings, metrics and evaluation results, as the Export tab writes it; never the adapter, the problems or a token.</p>
      <div class="row">
        <label>Class server address <input id="class-url" type="url" size={28} placeholder="http://192.168.1.20:8787" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value.trim())} /></label>
        <label>Class token <input id="class-token" type="password" autocomplete="off" size={22} value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} /></label>
        <label>Pseudonym <input id="class-pseudonym" type="text" autocomplete="off" maxLength={40} size={18} aria-describedby="class-pseudonym-help" value={pseudonym} onInput={(e) => setPseudonym((e.target as HTMLInputElement).value)} /></label>
      </div>
      <p class="help" id="class-pseudonym-help">Choose a nickname, not your name: the teacher sees it; no account or e-mail.</p>
      <div class="row">
        <button type="button" id="class-join" onClick={() => void join()}>Send my runs to this class</button>
        {on && <button type="button" id="class-leave" class="secondary" onClick={leaveClass}>Stop sending</button>}
      </div>
      <p id="class-status" role="status" aria-live="polite" class={`class-status ${st.kind}`}>{st.text}</p>
      <p class="help">The class token is kept only in this browser (never in share links, run cards or exports).</p>
    </section>
  );
}

const TEACHER_URL_KEY = 'evom-studio-class-teacher-url';
/** The class being watched when the tab was left: watching resumes on return. */
let watchingNow: { url: string; token: string } | null = null;

/** A teacher: the class's runs as the students' browsers send them, listed live; delete a student's or the whole class's runs. */
function TeacherView() {
  const s = useStudio();
  const [url, setUrl] = useState(() => localStorage.getItem(TEACHER_URL_KEY) ?? '');
  const [token, setToken] = useState(teacherToken.get());
  const [watch, setWatch] = useState(watchingNow);
  const [listing, setListing] = useState<ClassListing | null>(null);
  const [checked, setChecked] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<{ pseudonym: string | null; runs: number } | null>(null);
  const [deleting, setDeleting] = useState(false);
  const [deleted, setDeleted] = useState('');
  const etag = useRef<string | null>(null);
  /** bumps when the class is changed here (a delete): a poll answered before it is dropped */
  const generation = useRef(0);
  const noButton = useRef<HTMLButtonElement>(null);
  useEffect(() => { watchingNow = watch; }, [watch]);
  useEffect(() => { if (confirm) noButton.current?.focus(); }, [confirm]);
  useEffect(() => {
    if (!watch) return;
    let live = true, timer = 0, first = true;
    etag.current = null;
    const tick = async () => {
      const gen = generation.current;
      try {
        const r = await fetchClass(watch.url, watch.token, etag.current);
        if (!live) return;
        if (gen === generation.current) {
          if (r) { etag.current = r.etag; setListing(r.listing); }
          setChecked(new Date().toLocaleTimeString('en-GB')); setProblem(null);
        }
      } catch (e) {
        if (!live) return;
        // a wrong address or token at the start, or a token refused later: stop, and say why in the banner
        if (first || (e instanceof ClassServerError && [401, 403, 404].includes(e.status))) { setWatch(null); setListing(null); s.setError((e as Error).message); return; }
        setProblem(`Could not update at ${new Date().toLocaleTimeString('en-GB')}: ${(e as Error).message.split('\n')[0]} Trying again.`);
      }
      first = false;
      if (live) timer = window.setTimeout(() => void tick(), POLL_MS);
    };
    void tick();
    return () => { live = false; clearTimeout(timer); };
  }, [watch]);
  const start = () => {
    s.setError(null);
    try {
      const base = classBase(url);
      if (!token.trim()) throw new UsageError('enter the class\'s teacher token (from the server\'s classes file)');
      localStorage.setItem(TEACHER_URL_KEY, base);
      teacherToken.set(token.trim());
      setListing(null); setDeleted(''); setConfirm(null);
      setWatch({ url: base, token: token.trim() });
    } catch (e) { s.setError((e as Error).message); }
  };
  const remove = async () => {
    if (!watch || !confirm) return;
    setDeleting(true);
    try {
      const who = confirm.pseudonym;
      const n = await deleteClassRuns(watch.url, watch.token, who ?? undefined);
      generation.current++; etag.current = null;
      setListing((l) => l && { ...l, runs: who ? l.runs.filter((r) => r.pseudonym !== who) : [] });
      setDeleted(who ? `Deleted ${plural(n, 'run')} of "${who}".` : `Deleted ${plural(n, 'run')}: this class's data is gone from the server.`);
      setConfirm(null);
    } catch (e) { s.setError((e as Error).message); } finally { setDeleting(false); }
  };
  const runs = [...(listing?.runs ?? [])].sort((a, b) => a.pseudonym.localeCompare(b.pseudonym) || a.run.localeCompare(b.run));
  const students = new Set(runs.map((r) => r.pseudonym));
  const perStudent = (p: string) => runs.filter((r) => r.pseudonym === p).length;
  const entries: Entry[] = runs.map((r) => ({
    name: perStudent(r.pseudonym) > 1 ? `${r.pseudonym}: ${r.card.title || r.run}` : r.pseudonym,
    who: r.pseudonym, run: r.card.title && r.card.title !== r.run ? `${r.card.title} (${r.run})` : r.run, received: r.received,
    model: r.card.model?.id ?? '?', target: r.card.settings?.target ?? '?', metrics: r.card.metrics ?? [], evals: evalsOf(r.card.evaluations ?? []),
  }));
  return (
    <section aria-labelledby="teacher-h">
      <h3 id="teacher-h">Teacher view: the class's runs, live</h3>
      <p>Students join with your sandbox server's address, the class's student token and a pseudonym; their runs appear here after each training step. The numbers are reported by each student's browser: the server keeps what it is sent and does not re-run it.</p>
      <div class="row">
        <label>Class server address <input id="teacher-url" type="url" size={28} placeholder="http://192.168.1.20:8787" value={url} onInput={(e) => setUrl((e.target as HTMLInputElement).value.trim())} /></label>
        <label>Teacher token <input id="teacher-token" type="password" autocomplete="off" size={22} value={token} onInput={(e) => setToken((e.target as HTMLInputElement).value)} /></label>
        <button type="button" id="class-watch" onClick={start}>Watch the class</button>
        {watch && <button type="button" id="class-unwatch" class="secondary" onClick={() => { setWatch(null); setListing(null); }}>Stop watching</button>}
      </div>
      <p class="help">The teacher token is kept only in this browser. The list refreshes every {POLL_MS / 1000} s while this tab is open.</p>
      {watch && (<>
        <p id="class-summary" role="status" aria-live="polite">{listing ? `Class ${listing.class}: ${plural(runs.length, 'run')} from ${plural(students.size, 'student')}.` : `Connecting to ${watch.url}…`}</p>
        {listing && <p class="help" id="class-usage">{usageLine(listing)}{checked ? ` Checked at ${checked}.` : ''}</p>}
        {problem && <p class="class-status error" id="class-problem">{problem}</p>}
        {deleted && <p class="notice" id="class-deleted" role="status">{deleted}</p>}
        {listing && runs.length === 0 && <p id="class-empty">No runs yet: they appear here once a student who joined finishes a training step.</p>}
        {runs.length > 0 && <RunsCompare entries={entries} prefix="class" label="The class's runs (table)" action={{
          header: 'Delete',
          cell: (e) => <button type="button" class="secondary small" disabled={deleting} aria-label={`Delete ${e.who}'s runs`} onClick={() => { setDeleted(''); setConfirm({ pseudonym: e.who!, runs: perStudent(e.who!) }); }}>Delete</button>,
        }} />}
        {listing && (
          <div class="row">
            <button type="button" id="class-delete" class="danger" disabled={deleting || runs.length === 0} onClick={() => { setDeleted(''); setConfirm({ pseudonym: null, runs: runs.length }); }}>Delete this class's data</button>
          </div>
        )}
        {confirm && (
          <div class="confirm" id="class-confirm" role="group" aria-labelledby="class-confirm-q">
            <span id="class-confirm-q">{confirm.pseudonym ? `Delete the ${plural(confirm.runs, 'run')} of "${confirm.pseudonym}"?` : `Delete ${plural(confirm.runs, 'run')}?`} They leave the server for good.</span>
            <button type="button" id="class-confirm-yes" class="danger" disabled={deleting} onClick={() => void remove()}>Yes</button>
            <button type="button" id="class-confirm-no" class="secondary" ref={noButton} disabled={deleting} onClick={() => setConfirm(null)}>No</button>
          </div>
        )}
      </>)}
    </section>
  );
}

/** The class's use of the server: runs and bytes, with the limits the server reports. */
function usageLine(l: ClassListing): string {
  const { max_runs: maxRuns, max_bytes: maxBytes } = l.limits;
  const kb = (b: number) => `${formatNumber(b / 1024, 3)} kB`;
  return `Stored on the server: ${plural(l.runs_used, 'run')}${maxRuns ? ` of ${maxRuns}` : ''}, ${kb(l.bytes_used)}${maxBytes ? ` of ${kb(maxBytes)}` : ''}.`;
}

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
        out.push({ name: c.title || file.name, model: c.model.id, target: c.settings.target, metrics: c.metrics, evals: evalsOf(c.evaluations) });
      }
    }
    setEntries((old) => [...old, ...out]);
  });
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
      <JoinClass />
      <TeacherView />
      <section aria-labelledby="compare-h">
        <h3 id="compare-h">Compare runs</h3>
        <label>Run cards (.json) or metrics (.jsonl) <input id="compare-files" type="file" multiple accept=".json,.jsonl" onChange={(e) => { void load(Array.from((e.target as HTMLInputElement).files ?? [])); (e.target as HTMLInputElement).value = ''; }} /></label>
        {entries.length > 0 && (<>
          <button type="button" class="secondary" onClick={() => setEntries([])}>Clear</button>
          <RunsCompare entries={entries} prefix="compare" label="Compared runs (table)" />
        </>)}
      </section>
    </div>
  );
}
