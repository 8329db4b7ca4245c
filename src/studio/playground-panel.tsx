// Playground: a first contact with the whole loop on one screen. Type a word problem (or draw a
// generated one with its known answer), pick a target and the model, and watch the policy write its
// optimization model token by token; the solver then judges it as the evaluation does (outcome badge
// with its definition, reward and its parts, objective against the expected answer, messages, the
// solver log folded). The code area is editable: Check again (Ctrl+Enter) judges the edited text, and
// the verdict says it came from a hand edit. Stop ends a write and keeps what was written.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { GeneratedItem } from '../problems/generated.ts';
import { parseAnswer, type Answer, type Outcome } from '../verifier/outcome.ts';
import { TOLERANCE_DESCRIPTIONS } from '../verifier/tolerance.ts';
import { DEFAULTS } from '../verifier/config.ts';
import { preparePyodide, targetUsesPyodide } from '../verifier/pyodide-link.ts';
import { isCancelled } from '../errors.ts';
import { useStudio } from './app.ts';
import { engineWorker, proxy } from './clients.ts';
import { formatAnswer, formatNumber, plural } from './format.ts';
import { Glossary, OutcomeBadge, Term } from './glossary.tsx';
import { modelLabel, OUTCOME_DEFINITIONS } from './labels.ts';
import { listRuns, type RunListing } from './runs.ts';
import { NeedsLink } from './needs.tsx';
import { IN_BROWSER } from './targets-panel.tsx';
import { promptIdsFor, targetLanguage } from '../problems/prompt.ts';
import {
  drawExample, FIRST_EXAMPLE_SEED, JUDGING_CLASSES, pageTokenizer, playgroundPool, playgroundState,
  protocolText, verifyCompletion, type PlaygroundState,
} from './playground.ts';

/** One verdict: the outcome, the exact text it judged, and where that text came from. */
interface Verdict {
  outcome: Outcome;
  text: string;
  /** policy: the policy's completion as written; edit: the code area after a hand edit */
  source: 'policy' | 'edit';
  answer: Answer | null;
  /** the problem, target and expected answer's field as they were (a change makes the verdict stale) */
  question: string;
  target: string;
  answerText: string;
  /** how the policy wrote it (its model, adapter, temperature), for a policy verdict */
  how?: string;
}

type Phase = 'idle' | 'loading' | 'writing' | 'checking';

const BUILTIN_TARGETS = IN_BROWSER.map(([t]) => t);

function initialState(formTarget: string, maxNew: number): PlaygroundState {
  const saved = playgroundState.get();
  return {
    question: '', answer: '', example: null, drawn: 0, adapterRun: '', code: '', temperature: 0, maxNew,
    target: BUILTIN_TARGETS.includes(formTarget) ? formTarget : BUILTIN_TARGETS[0]!,
    ...saved,
    ...(saved.target && !BUILTIN_TARGETS.includes(saved.target) ? { target: BUILTIN_TARGETS[0]! } : {}),
  };
}

/** The verdict, laid out like the evaluation's drill-down and the verifier page. */
function VerdictView({ v, stale }: { v: Verdict; stale: boolean }) {
  const o = v.outcome;
  const judged = v.answer !== null || !JUDGING_CLASSES.includes(o.class);
  const b = o.reward_breakdown;
  return (
    <section id="pg-verdict" class={`pg-verdict${stale ? ' stale' : ''}`} aria-labelledby="pg-verdict-h">
      <h3 id="pg-verdict-h">Verdict {judged ? <OutcomeBadge cls={o.class} /> : <span class="badge not-judged" id="pg-not-judged">not judged</span>}{' '}
        <span class="pg-source" id="pg-verdict-source">{v.source === 'edit' ? 'from a hand edit of the code' : 'from the policy\'s completion'}</span></h3>
      {stale && <p class="stale-note" id="pg-verdict-stale">The code, problem, target or expected answer changed since this verdict: Check again (Ctrl+Enter) to judge it.</p>}
      {v.how && <p class="help" id="pg-verdict-how">{v.how}</p>}
      {judged
        ? <p class="help" id="pg-class-definition"><code>{o.class}</code>: {OUTCOME_DEFINITIONS[o.class]}.</p>
        : <p class="help" id="pg-class-definition">No expected answer was given: the solver's objective is reported, but whether it is right is not judged, and no answer reward is paid. Enter an expected answer to judge it.</p>}
      <dl class="grid">
        <dt><Term k="reward" /></dt><dd id="pg-reward">{formatNumber(o.reward)}</dd>
        <dt><Term k="reward_weights">Reward breakdown</Term></dt>
        <dd id="pg-breakdown">format {b.format} × {b.weights.format} + answer {b.answer} × {b.weights.answer} + executed {b.exec} × {b.weights.exec} = {formatNumber(o.reward)}</dd>
        <dt><Term k="objective" /></dt><dd id="pg-objective">{o.objective === null ? 'none' : formatNumber(o.objective)} (solver status {o.status})</dd>
        <dt><Term k="expected">Expected answer</Term></dt><dd id="pg-expected">{v.answer === null ? 'none given (not judged)' : formatAnswer(v.answer)}</dd>
        <dt>Tolerance rule</dt><dd>{o.tolerance}: {TOLERANCE_DESCRIPTIONS[o.tolerance]}</dd>
      </dl>
      <h4>Messages</h4>
      <ul id="pg-messages">{o.messages.length ? o.messages.map((m) => <li class={m.severity}>[{m.source}] {m.text}</li>) : <li>none</li>}</ul>
      {o.code !== null
        ? <details id="pg-extracted"><summary>The model the solver ran ({plural(o.code.split('\n').length, 'line')})</summary><pre class="code">{o.code}</pre></details>
        : <p class="help">The solver ran nothing: no code block could be taken from the text.</p>}
      {o.log.length > 0 && <details id="pg-log"><summary>Solver log ({plural(o.log.length, 'line')})</summary><pre class="log">{o.log.join('\n')}</pre></details>}
      <Glossary id="pg-glossary" summary="What these mean" metrics={['reward', 'reward_weights', 'objective']} outcomes={judged ? [o.class] : []} />
    </section>
  );
}

export function PlaygroundPanel() {
  const s = useStudio();
  const [st, setSt] = useState<PlaygroundState>(() => initialState(s.form.target, s.form.evalMaxNew));
  const [phase, setPhase] = useState<Phase>('idle');
  const [tokens, setTokens] = useState(0);
  const [status, setStatus] = useState('');
  const [verdict, setVerdict] = useState<Verdict | null>(null);
  const [answerError, setAnswerError] = useState<string | null>(null);
  const [runs, setRuns] = useState<RunListing[]>([]);
  const [drawing, setDrawing] = useState(false);
  /** the policy's last completion as written (a check of the same text is not a hand edit) */
  const written = useRef<string | null>(null);
  /** set by Stop: the write in progress ends */
  const stop = useRef<(() => void) | null>(null);
  const codeBox = useRef<HTMLTextAreaElement>(null);
  const set = (patch: Partial<PlaygroundState>) => setSt((x) => ({ ...x, ...patch }));
  const m = modelLabel(s);
  const modelName = m.kind === 'builtin' ? `${m.id} (built-in)` : m.kind === 'hub' ? `${m.id} (Hugging Face Hub)` : `${m.id} (files on this computer)`;

  useEffect(() => { playgroundState.set(st); }, [st]);
  useEffect(() => { void listRuns().then(setRuns); }, [s.runsVersion]);
  // the verifier worker starts with the tab (its solvers load while the problem is read)
  useEffect(() => { playgroundPool(); }, []);
  useEffect(() => { if (targetUsesPyodide(st.target)) void preparePyodide(DEFAULTS); }, [st.target]);
  // the first visit draws the first example (the same one on every screen)
  useEffect(() => { if (!st.example && !st.question) void newExample(FIRST_EXAMPLE_SEED); }, []);
  // leaving the tab stops a write (what it wrote would have nowhere to go)
  useEffect(() => () => stop.current?.(), []);
  // the code follows the policy as it writes
  useEffect(() => { const el = codeBox.current; if (el && phase === 'writing') el.scrollTop = el.scrollHeight; }, [st.code, phase]);

  const newExample = async (seed = Math.floor(Math.random() * 2 ** 31)) => {
    setDrawing(true);
    try {
      const ex: GeneratedItem = await drawExample(seed, st.drawn);
      // a new problem: the model and verdict of the last one go
      setSt((x) => ({ ...x, example: ex, question: ex.question, answer: String(ex.answer), drawn: x.drawn + 1, code: '' }));
      setAnswerError(null); setVerdict(null); setStatus(''); written.current = null;
    } catch (e) {
      s.setError(`Could not draw an example: ${(e as Error).message}`);
    } finally {
      setDrawing(false);
    }
  };

  /** The expected answer as the verifier takes it (null: none given), or undefined when it does not parse (said beside the field). */
  const expected = (): Answer | null | undefined => {
    if (!st.answer.trim()) { setAnswerError(null); return null; }
    try { const a = parseAnswer(st.answer); setAnswerError(null); return a; } catch (e) {
      setAnswerError(`${(e as Error).message}; or leave it empty to see the objective without a verdict`);
      return undefined;
    }
  };

  const check = async (text: string, source: Verdict['source'], how?: string) => {
    const answer = expected();
    if (answer === undefined) { document.getElementById('pg-answer')?.focus(); return; }
    setPhase('checking');
    setStatus('Checking: the solver runs the model…');
    try {
      const outcome = await verifyCompletion({ completion: text, target: st.target, answer, question: st.question, tolerance: s.form.tolerance });
      setVerdict({ outcome, text, source, answer, question: st.question, target: st.target, answerText: st.answer, ...(how ? { how } : {}) });
      const judged = answer !== null || !JUDGING_CLASSES.includes(outcome.class);
      setStatus(`Verdict ${source === 'edit' ? 'on your edit' : 'on the policy\'s model'}: ${judged ? outcome.class.replace(/_/g, ' ') : 'not judged (no expected answer)'}, reward ${formatNumber(outcome.reward)}${outcome.objective !== null ? `, objective ${formatNumber(outcome.objective)}` : ''}.`);
    } catch (e) {
      setStatus('');
      s.setError(`Checking failed: ${(e as Error).message}`);
    } finally {
      setPhase('idle');
    }
  };

  const checkAgain = () => {
    if (phase !== 'idle') return;
    const text = codeBox.current?.value ?? st.code;
    void check(text, text === written.current ? 'policy' : 'edit');
  };

  const write = () => s.job('Writing the model', async () => {
    const answer = expected();
    if (answer === undefined) { document.getElementById('pg-answer')?.focus(); return; }
    if (!st.question.trim()) { s.setError('Type a word problem first (or draw an example).'); return; }
    const model = s.modelChoice(); // throws (to the banner) when a local model's files must be picked again
    const run = runs.find((r) => r.id === st.adapterRun);
    const seed = st.temperature > 0 ? Math.floor(Math.random() * 2 ** 31) : 0;
    const how = `Written by ${modelName}${run ? ` + adapter ${run.title || run.id} (step ${run.steps})` : ''} at temperature ${st.temperature}${st.temperature > 0 ? ` (seed ${seed})` : ' (greedy)'}, for target ${st.target}.`;
    let stopped = false, finished = false;
    stop.current = () => { stopped = true; void engineWorker().generateCancel().catch(() => undefined); };
    // the code area empties at once: what it shows from now on is this write's
    setPhase('loading'); setTokens(0); setVerdict(null); written.current = null; set({ code: '' });
    setStatus('Loading the model…');
    try {
      // the tokenizer's code loads with the first write (a chunk of its own)
      const [tok, { createStreamDecoder }] = await Promise.all([pageTokenizer(model), import('../model/tokenizer.ts')]);
      if (stopped) { setStatus('Stopped before the model started writing.'); return; }
      const prompt = promptIdsFor(tok, st.question, st.target);
      const stream = createStreamDecoder(tok, { skipSpecialTokens: true });
      let n = 0;
      const onToken = (_p: number, _s: number, id: number) => {
        // a token can cross after the result (its own port): the final text is the result's
        if (finished) return;
        if (n === 0) { setPhase('writing'); setStatus('Writing: the policy samples its model token by token…'); }
        setTokens(++n);
        const piece = stream.push(id);
        if (piece) setSt((x) => ({ ...x, code: x.code + piece }));
      };
      let ids: number[];
      try {
        const r = await engineWorker().generate({
          model, adapter: run ? { run: run.id } : null, prompts: [prompt], batchPrompts: 1,
          params: { n: 1, temperature: st.temperature, maxNewTokens: st.maxNew, seed, stopTokenIds: [...tok.eosTokenIds] },
        }, proxy({ token: onToken, progress: () => undefined }));
        ids = r.completions[0]![0]!.ids;
      } catch (e) {
        finished = true;
        if (!isCancelled(e) && !stopped) throw e;
        // Stop is not a failure: what was written stays, to read, edit and check
        const rest = stream.flush();
        if (rest) setSt((x) => ({ ...x, code: x.code + rest }));
        setStatus(n ? `Stopped after ${plural(n, 'token')}: the partial text is kept. Edit it and Check it (Ctrl+Enter), or write again.` : 'Stopped before the model started writing.');
        return;
      } finally {
        finished = true;
      }
      const text = tok.decode(ids, { skipSpecialTokens: true });
      written.current = text;
      set({ code: text });
      setTokens(ids.length);
      await check(text, 'policy', `${how} ${plural(ids.length, 'token')}.`);
    } finally {
      stop.current = null;
      setPhase((p) => (p === 'loading' || p === 'writing' ? 'idle' : p));
    }
  });

  const generating = phase === 'loading' || phase === 'writing';
  const noGpu = s.gpu !== null && !s.gpu.ok;
  const isExample = st.example !== null && st.question === st.example.question;
  const gold = isExample ? st.example!.gold[st.target] : undefined;
  const stale = verdict !== null && !generating && (verdict.text !== st.code || verdict.question !== st.question || verdict.target !== st.target || verdict.answerText !== st.answer);
  const onCodeKey = (e: KeyboardEvent) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); checkAgain(); } };
  const onQuestionKey = (e: KeyboardEvent) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !s.busy) { e.preventDefault(); void write(); } };
  return (
    <div class="playground">
      <p class="help pg-intro">Type a word problem, let the policy write a model and watch the solver judge it; then edit the model and check it again.</p>
      <div class="pg-grid">
        <section class="pg-side" aria-labelledby="pg-problem-h">
          <h3 id="pg-problem-h" class="sr-only">Problem and settings</h3>
          <label for="pg-question">Word problem</label>
          <textarea id="pg-question" rows={7} value={st.question} placeholder={drawing ? 'Drawing an example…' : 'A workshop makes tables and chairs…'}
            aria-describedby="pg-example-note" onInput={(e) => set({ question: (e.target as HTMLTextAreaElement).value })} onKeyDown={onQuestionKey} />
          <div class="row pg-answer-row">
            <label>Expected answer <input id="pg-answer" type="text" inputMode="decimal" size={12} value={st.answer} aria-invalid={answerError ? 'true' : 'false'}
              aria-describedby={answerError ? 'pg-answer-error' : 'pg-answer-help'} onInput={(e) => set({ answer: (e.target as HTMLInputElement).value })} /></label>
            <button type="button" class="secondary" id="pg-new-example" disabled={drawing || generating} onClick={() => void newExample()}>New example</button>
          </div>
          {answerError
            ? <p class="pg-error" id="pg-answer-error" role="alert">Expected answer: {answerError}</p>
            : <p class="help" id="pg-answer-help">The optimal objective or "infeasible"; empty: the objective only, no verdict.</p>}
          <p class="help" id="pg-example-note">{st.example
            ? isExample
              ? <>Generated example <code>{st.example.id}</code> ({st.example.family}, difficulty {st.example.difficulty}): its answer {formatNumber(st.example.answer)} is known from solving the generator's reference models.</>
              : <>Your own problem: the expected answer is whatever you enter.</>
            : drawing ? 'Drawing an example…' : 'Your own problem: the expected answer is whatever you enter.'}</p>
          <div class="row pg-settings">
            <label>Target <select id="pg-target" value={st.target} disabled={generating} onChange={(e) => set({ target: (e.target as HTMLSelectElement).value })}>
              {IN_BROWSER.map(([v]) => <option value={v}>{v} — {targetLanguage(v)}</option>)}
            </select></label>
            <label>Adapter <select id="pg-adapter" value={st.adapterRun} disabled={generating} onChange={(e) => set({ adapterRun: (e.target as HTMLSelectElement).value })}>
              <option value="">none (the base model)</option>
              {runs.filter((r) => r.steps > 0).map((r) => <option value={r.id}>{r.title || r.id} — step {r.steps}, {r.target}</option>)}
            </select></label>
            <label>Temperature (0: greedy) <input id="pg-temperature" type="number" min={0} max={2} step={0.1} value={st.temperature} disabled={generating}
              onInput={(e) => set({ temperature: Math.max(0, Number((e.target as HTMLInputElement).value) || 0) })} /></label>
            <label>Max new tokens <input id="pg-max-new" type="number" min={8} max={4096} value={st.maxNew} disabled={generating}
              onInput={(e) => set({ maxNew: Math.max(8, Math.floor(Number((e.target as HTMLInputElement).value) || 8)) })} /></label>
          </div>
          <p class="help" id="pg-model">Model: {modelName} · <button type="button" class="link" onClick={() => s.go('model')}>change it in the Model tab</button></p>
          <div class="row pg-actions">
            <button type="button" class="big" id="pg-write" disabled={!!s.busy || drawing || phase === 'checking' || noGpu} onClick={() => void write()}>Write the model</button>
            {generating && <button type="button" class="secondary" id="pg-stop" onClick={() => stop.current?.()}>Stop</button>}
            <span class="pg-tokens" id="pg-tokens">{generating ? plural(tokens, 'token') : ''}</span>
          </div>
          {noGpu && <p class="help" id="pg-no-gpu">Writing needs WebGPU; without it, type or paste a model and Check it. <NeedsLink need="gpu" id="pg-needs-gpu" /></p>}
          <p role="status" id="pg-status" class="pg-status">{status}</p>
        </section>
        <section class="pg-main" aria-labelledby="pg-code-label">
          <label id="pg-code-label" for="pg-code">The model (editable: change it and Check again)</label>
          <textarea id="pg-code" ref={codeBox} rows={14} spellcheck={false} value={st.code} readOnly={generating} aria-busy={generating ? 'true' : 'false'}
            aria-describedby="pg-code-help" placeholder="The policy's completion appears here as it writes: <think>…</think> then <code>…</code>."
            onInput={(e) => set({ code: (e.target as HTMLTextAreaElement).value })} onKeyDown={onCodeKey} />
          <div class="row pg-check-row">
            <button type="button" id="pg-check" disabled={generating || phase === 'checking' || !st.code.trim()} onClick={checkAgain}>Check again</button>
            {gold !== undefined && <button type="button" class="secondary" id="pg-gold" disabled={generating}
              onClick={() => { set({ code: protocolText(`The reference model of ${st.example!.id}, written by the problem generator.`, gold) }); codeBox.current?.focus(); }}>Show a reference model</button>}
          </div>
          <p class="help" id="pg-code-help">Ctrl+Enter checks the code. The solver runs the part inside <code>&lt;code&gt;…&lt;/code&gt;</code>; the same rules as in training apply (a model that only states the answer earns no answer reward).</p>
          {verdict && <VerdictView v={verdict} stale={stale} />}
        </section>
      </div>
    </div>
  );
}

