// The first page: verify a pasted completion in this browser and show the outcome and reward.

import { createBrowserPool } from '../verifier/pool-browser.ts';
import { RemoteVerifier } from '../verifier/remote.ts';
import { allTargets } from '../targets/registry.ts';
import { exampleCompletion, EXAMPLE_ANSWER, EXAMPLE_QUESTION } from '../problems/prompt.ts';
import { parseAnswer } from '../verifier/outcome.ts';
import { TOLERANCE_DESCRIPTIONS, TOLERANCE_RULES, type ToleranceRule } from '../verifier/tolerance.ts';
import { DEFAULTS } from '../verifier/config.ts';
import { preparePyodide, targetUsesPyodide } from '../verifier/pyodide-link.ts';
import type { Outcome } from '../verifier/outcome.ts';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const pool = createBrowserPool({ size: 1, warm: true });

const toleranceSelect = $<HTMLSelectElement>('tolerance');
for (const rule of TOLERANCE_RULES) {
  const opt = document.createElement('option');
  opt.value = rule;
  opt.textContent = `${rule} — ${TOLERANCE_DESCRIPTIONS[rule]}`;
  opt.selected = rule === DEFAULTS.tolerance;
  toleranceSelect.append(opt);
}

const completionBox = $<HTMLTextAreaElement>('completion');
const targetSelect = $<HTMLSelectElement>('target');
// every in-browser target of the registry (the page lists the first three without script)
for (const t of allTargets()) {
  if (t.runs !== 'worker' || [...targetSelect.options].some((o) => o.value === t.name)) continue;
  const opt = document.createElement('option');
  opt.value = t.name;
  opt.textContent = `${t.name} — ${t.language}`;
  targetSelect.append(opt);
}
const answerInput = $<HTMLInputElement>('answer');
const questionBox = $<HTMLTextAreaElement>('question');
const loadExample = () => {
  completionBox.value = exampleCompletion(targetSelect.value);
  answerInput.value = String(EXAMPLE_ANSWER);
  questionBox.value = EXAMPLE_QUESTION;
};
$('example').addEventListener('click', loadExample);
if (!completionBox.value) loadExample();

// A target run in the page's Python isolates (pulp): its first interpreter is prepared when it is
// chosen, so that the first verification does not spend its wall clock loading Python.
function prepareTarget(): void {
  if (!targetUsesPyodide(targetSelect.value)) return;
  const busy = $('busy');
  if (!busy.textContent) busy.textContent = 'Preparing Python…';
  void preparePyodide(DEFAULTS).then(() => { if (busy.textContent === 'Preparing Python…') busy.textContent = 'Python is ready.'; });
}
targetSelect.addEventListener('change', prepareTarget);
prepareTarget();

function show(o: Outcome): void {
  $('result').hidden = false;
  const badge = $('class');
  badge.textContent = o.class;
  badge.className = `badge ${o.class}`;
  $('reward').textContent = String(o.reward);
  const b = o.reward_breakdown;
  $('breakdown').textContent = `format ${b.format} × ${b.weights.format} + answer ${b.answer} × ${b.weights.answer} + executed ${b.exec} × ${b.weights.exec}`;
  $('status').textContent = o.status;
  $('objective').textContent = o.objective === null ? '—' : String(o.objective);
  $('rule').textContent = `${o.tolerance}: ${TOLERANCE_DESCRIPTIONS[o.tolerance]}`;
  $('time').textContent = `${o.wall_ms.toFixed(1)} ms end to end, ${o.solve_ms.toFixed(1)} ms in the solver`;
  const list = $('messages');
  const items = o.messages.map((m) => {
    const li = document.createElement('li');
    li.className = m.severity;
    li.textContent = `[${m.source}] ${m.text}`;
    return li;
  });
  if (items.length === 0) {
    const li = document.createElement('li');
    li.textContent = 'none';
    items.push(li);
  }
  list.replaceChildren(...items);
  const tbody = $('variables').querySelector('tbody')!;
  tbody.replaceChildren(...Object.entries(o.variables).map(([k, v]) => {
    const tr = document.createElement('tr');
    const a = document.createElement('td'); a.textContent = k;
    const c = document.createElement('td'); c.textContent = String(v);
    tr.append(a, c);
    return tr;
  }));
  $('log').textContent = o.log.join('\n');
  $('json').textContent = JSON.stringify(o, null, 2);
}

// Sandbox servers for Python targets: URL(s) and token kept in this browser only.
const urlInput = $<HTMLInputElement>('server-url');
const tokenInput = $<HTMLInputElement>('server-token');
urlInput.value = localStorage.getItem('evom.server.urls') ?? '';
tokenInput.value = localStorage.getItem('evom.server.token') ?? '';
$('connect').addEventListener('click', async () => {
  const status = $('server-status');
  const urls = urlInput.value.split(',').map((u) => u.trim()).filter(Boolean);
  if (urls.length === 0 || !tokenInput.value) { status.textContent = 'Enter the server URL and the token.'; return; }
  localStorage.setItem('evom.server.urls', urls.join(','));
  localStorage.setItem('evom.server.token', tokenInput.value);
  const remote = new RemoteVerifier({ urls, token: tokenInput.value });
  status.textContent = 'Connecting…';
  const infos = await remote.targets();
  const usable = [...new Set(infos.filter((t) => t.available).map((t) => t.name))];
  const errors = infos.filter((t) => t.name === '*').map((t) => t.reason);
  if (usable.length === 0) { status.textContent = `No Python target reachable. ${errors.join(' ')}`; return; }
  pool.useRemote(remote);
  for (const name of usable) {
    if ([...targetSelect.options].some((o) => o.value === name)) continue;
    const opt = document.createElement('option');
    opt.value = name;
    opt.textContent = `${name} — Python, on the sandbox server`;
    targetSelect.append(opt);
  }
  status.textContent = `Connected: ${usable.join(', ')}${errors.length ? ` (unreachable: ${errors.join(' ')})` : ''}`;
});

$<HTMLFormElement>('verify-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const busy = $('busy');
  let answer;
  try {
    answer = parseAnswer(answerInput.value);
  } catch (e) {
    busy.textContent = `Expected answer: ${(e as Error).message}`;
    answerInput.focus();
    return;
  }
  busy.textContent = 'Verifying…';
  const button = $<HTMLButtonElement>('verify');
  button.disabled = true;
  try {
    const o = await pool.verify({
      completion: completionBox.value, target: targetSelect.value, answer,
      ...(questionBox.value.trim() ? { question: questionBox.value } : {}),
      config: { tolerance: toleranceSelect.value as ToleranceRule },
    });
    show(o);
    busy.textContent = `Done: ${o.class}`;
  } finally {
    button.disabled = false;
  }
});
