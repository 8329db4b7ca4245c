// A class on the teacher's sandbox server (server/class-store.ts, /v1/class/*). A student joins with
// the server's address, the class's student token and a pseudonym: after each training step, and
// after each evaluation of a run, the run's card (the Export tab's, metrics and evaluation summaries
// included; never the adapter, the problems or a token) goes to the class. The teacher lists the
// class's runs with the teacher token, polling with an ETag. Uploads never hold up or fail training:
// they run beside it, one at a time, keeping only each run's latest pending upload; what happened
// shows as one status line.
import { useEffect, useState } from 'preact/hooks';
import type { RunCard } from '../rl/run-card.ts';
import { PSEUDONYM, RUN_ID, type ClassListing } from '../rl/class-runs.ts';
export type { ClassListing };
import { browserRunStore } from '../host/run-store-opfs.ts';
import { UsageError } from '../errors.ts';
import { runCardOf } from './export-panel.tsx';
import { isUnreachable, unreachableMessage } from './messages.ts';
import { listRuns } from './runs.ts';
import { classToken, runSaved, type RunSaved } from './state.ts';
import { trainingState } from './training.ts';

/** How often the teacher's view asks for changes, ms. */
export const POLL_MS = 2500;
/** The longest a 429's Retry-After is waited before the one retry, s. */
const MAX_RETRY_S = 60;


/** The server answered with an error: its status and its own message (`{error}`), and what to do. */
export class ClassServerError extends UsageError {
  constructor(readonly status: number, readonly serverMessage: string, advice: string, readonly retryAfterS: number | null = null) {
    super(`${serverMessage} (HTTP ${status}). ${advice}`);
  }
}

/** "http://host:port" without a trailing slash; a UsageError when it is not an http(s) address. */
export function classBase(url: string): string {
  const u = url.trim().replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+/.test(u)) throw new UsageError(`"${url}" is not a server address: write it as http://host:port (ask your teacher)`);
  return u;
}

/** Whether a pseudonym is acceptable, else why not. */
export function pseudonymProblem(p: string): string | null {
  if (!p) return 'choose a pseudonym (a nickname, not your name)';
  if ([...p].length > 40) return 'a pseudonym has at most 40 characters';
  return PSEUDONYM.test(p) ? null : 'a pseudonym may hold letters, digits, spaces and . _ - and starts with a letter or digit';
}

/** What a student does about a refused upload. */
function studentAdvice(status: number): string {
  switch (status) {
    case 400: return 'The server refused this run card: export it (Export tab) and show it to your teacher. Training goes on.';
    case 401: return 'The class token was not accepted: check it with your teacher (the student token, not the teacher\'s). Sending is off until you join again.';
    case 403: return 'Use the browser that first sent under this pseudonym, or choose another and join again. Sending is off until then.';
    case 409: return 'Choose another pseudonym and join again. Sending is off until then.';
    case 404: return 'This server does not collect class runs: check the address with your teacher. Sending is off until you join again.';
    case 413: return 'This run is too big for the class server: ask your teacher (class_max_upload_bytes). Training goes on.';
    case 429: return 'The class server is busy: the next step is sent again. Training goes on.';
    case 507: return 'The class has used all its storage on the server: ask your teacher to delete old runs. Training goes on.';
    default: return 'Training goes on; the next step tries again.';
  }
}

/** What a teacher does about a refused request. */
function teacherAdvice(status: number): string {
  if (status === 401) return 'The token was not accepted: use the class\'s teacher token from the server\'s classes file.';
  if (status === 403) return 'This token cannot read the class: the teacher view needs the class\'s teacher token, not the student token.';
  if (status === 404) return 'This server has no classes: start it with a classes_file (evom serve).';
  return 'Check the server (its log says more).';
}

async function request(base: string, token: string, method: string, path: string, o: { body?: unknown; headers?: Record<string, string>; advice: (status: number) => string }): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${base}${path}`, {
      method, cache: 'no-store',
      headers: { authorization: `Bearer ${token}`, ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}), ...o.headers },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
  } catch (e) {
    const m = (e as Error).message;
    throw isUnreachable(m) || e instanceof TypeError
      ? new UsageError(`${unreachableMessage('the class server', base, { start: 'npx evom serve', cors: 'its cors_origins setting' })}\n${m}`) : e;
  }
  if (res.ok || res.status === 304) return res;
  const text = await res.text().catch(() => '');
  let message = text.trim().slice(0, 300) || res.statusText || 'no message';
  try { const j = JSON.parse(text) as { error?: unknown }; if (typeof j.error === 'string') message = j.error; } catch { /* not JSON: the text itself */ }
  const retry = Number(res.headers.get('retry-after'));
  throw new ClassServerError(res.status, message, o.advice(res.status), Number.isFinite(retry) && retry >= 0 ? retry : null);
}

// ---- the student: join, keys, uploads -------------------------------------------------------------

/** Where this browser sends its runs (the token is kept apart: state.ts classToken). */
export interface ClassJoin { url: string; pseudonym: string; on: boolean }
const JOIN_KEY = 'evom-studio-class';
const KEYS_KEY = 'evom-studio-class-keys';
export const classJoin = {
  get: (): ClassJoin | null => { try { return JSON.parse(localStorage.getItem(JOIN_KEY) ?? 'null') as ClassJoin | null; } catch { return null; } },
  set: (j: ClassJoin): void => localStorage.setItem(JOIN_KEY, JSON.stringify(j)),
};

/** A short digest of the token (FNV-1a; the key's slot, not a secret: the token itself is in localStorage). */
function tokenTag(token: string): string {
  let a = 0x811c9dc5, b = 0x01000193 ^ token.length;
  for (let i = 0; i < token.length; i++) { const c = token.charCodeAt(i); a = Math.imul(a ^ c, 0x01000193); b = Math.imul(b ^ c, 0x5bd1e995); }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
/** The key the server gave a pseudonym's first upload, per (server, class token, pseudonym). */
const pseudonymKeys = {
  /** the server tells pseudonyms apart without case (Ada = ada) */
  slot: (base: string, token: string, pseudonym: string) => `${base}|${tokenTag(token)}|${pseudonym.toLowerCase()}`,
  all: (): Record<string, string> => { try { return JSON.parse(localStorage.getItem(KEYS_KEY) ?? '{}') as Record<string, string>; } catch { return {}; } },
  get(base: string, token: string, pseudonym: string): string | undefined { return this.all()[this.slot(base, token, pseudonym)]; },
  set(base: string, token: string, pseudonym: string, key: string): void { localStorage.setItem(KEYS_KEY, JSON.stringify({ ...this.all(), [this.slot(base, token, pseudonym)]: key })); },
};

/** The uploader's state as the Classroom tab shows it. */
export interface UploadStatus { kind: 'off' | 'on' | 'sending' | 'sent' | 'error'; text: string }
let status: UploadStatus = initialStatus();
const statusListeners = new Set<(s: UploadStatus) => void>();
function initialStatus(): UploadStatus {
  const j = classJoin.get();
  return j?.on ? { kind: 'on', text: `Sending your runs to the class at ${j.url} as "${j.pseudonym}" after each training step.` } : { kind: 'off', text: '' };
}
function setStatus(s: UploadStatus): void { status = s; for (const l of statusListeners) l(s); }
export function useUploadStatus(): UploadStatus {
  const [s, setS] = useState(status);
  useEffect(() => { statusListeners.add(setS); setS(status); return () => { statusListeners.delete(setS); }; }, []);
  return s;
}

const hhmm = (d = new Date()) => d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
/** The run's name on the server: the Studio's run id (an imported run's odd characters become "-"). */
const runName = (id: string) => (RUN_ID.test(id) ? id : id.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64) || 'run');

/** Each run's latest pending upload (a later one for the same run replaces it: the card is built when sent). */
const pending = new Map<string, RunSaved>();
let pumping = false;

async function cardFor(runId: string): Promise<RunCard> {
  const run = await browserRunStore().readRun(runId);
  if (!run) throw new UsageError(`run ${runId} is not in this browser's storage any more`);
  return (await runCardOf({ id: runId, title: run.title, target: run.settings.target, steps: 0, run })).card;
}

/** Upload one run's current card; a 429 waits its Retry-After (at most a minute) and tries once more. */
async function sendRun(j: ClassJoin, e: RunSaved): Promise<void> {
  const base = classBase(j.url), token = classToken.get(), name = runName(e.run);
  for (let attempt = 0; ; attempt++) {
    const card = await cardFor(e.run); // built now: the latest steps and evaluations
    const key = pseudonymKeys.get(base, token, j.pseudonym);
    const what = `step ${card.metrics.length} of run ${name}${e.evaluation ? ` with the evaluation "${e.evaluation}"` : ''}`;
    setStatus({ kind: 'sending', text: `Sending ${what} to the class…` });
    try {
      const res = await request(base, token, 'POST', '/v1/class/runs', { body: { pseudonym: j.pseudonym, run: name, card, ...(key ? { key } : {}) }, advice: studentAdvice });
      const r = await res.json() as { key?: string };
      if (r.key) pseudonymKeys.set(base, token, j.pseudonym, r.key);
      if (!classJoin.get()?.on) return; // the student stopped sending meanwhile: that status stays
      setStatus({ kind: 'sent', text: `Sent ${what} to the class at ${hhmm()} (as "${j.pseudonym}").` });
      return;
    } catch (err) {
      if (err instanceof ClassServerError && err.status === 429 && attempt === 0) {
        const wait = Math.min(MAX_RETRY_S, err.retryAfterS ?? 5);
        setStatus({ kind: 'sending', text: `The class server is busy: sending ${what} again in ${wait} s…` });
        await new Promise((r) => setTimeout(r, wait * 1000));
        continue;
      }
      throw err;
    }
  }
}

async function pump(): Promise<void> {
  if (pumping) return;
  pumping = true;
  try {
    for (let next = pending.entries().next(); !next.done; next = pending.entries().next()) {
      const [id, e] = next.value;
      pending.delete(id);
      const j = classJoin.get();
      if (!j?.on) { pending.clear(); return; }
      try {
        await sendRun(j, e);
      } catch (err) {
        const msg = (err as Error).message;
        const [head, ...rest] = msg.split('\n');
        // the token, the key or the pseudonym must change first: stop sending until the student joins again
        const stop = err instanceof ClassServerError && [401, 403, 404, 409].includes(err.status);
        if (stop) { classJoin.set({ ...j, on: false }); pending.clear(); }
        if (!stop && !classJoin.get()?.on) continue; // stopped meanwhile: that status stays
        setStatus({ kind: 'error', text: `Not sent at ${hhmm()}: ${head}${rest.length ? ` ${rest.join(' ')}` : ''}` });
      }
    }
  } finally {
    pumping = false;
  }
}

/** Send a run's card to the class when this browser has joined one (never waits, never throws). */
export function queueUpload(e: RunSaved): void {
  if (!classJoin.get()?.on) return;
  pending.set(e.run, { ...pending.get(e.run), ...e });
  void pump();
}
runSaved.on(queueUpload);

/**
 * Join a class: keep the address, token and pseudonym, and send the run being trained (else this
 * browser's latest run) now, so a pseudonym already taken shows at once. A UsageError when a field is wrong.
 */
export async function joinClass(url: string, token: string, pseudonym: string): Promise<void> {
  const base = classBase(url);
  if (!token.trim()) throw new UsageError('enter the class token your teacher gave you');
  const p = pseudonym.normalize('NFC').trim();
  const why = pseudonymProblem(p);
  if (why) throw new UsageError(why);
  classToken.set(token.trim());
  classJoin.set({ url: base, pseudonym: p, on: true });
  const latest = trainingState().run?.id ?? (await listRuns()).sort((a, b) => b.run.created.localeCompare(a.run.created))[0]?.id;
  if (!latest) { setStatus({ kind: 'on', text: `Joined the class at ${base} as "${p}": each training step of your runs will be sent.` }); return; }
  setStatus({ kind: 'on', text: `Joined the class at ${base} as "${p}".` });
  queueUpload({ run: latest });
}

/** Stop sending (what was sent stays on the server until the teacher deletes it). */
export function leaveClass(): void {
  const j = classJoin.get();
  if (j) classJoin.set({ ...j, on: false });
  pending.clear();
  setStatus({ kind: 'off', text: 'Not sending: your runs stay in this browser. What was sent stays with the class until your teacher deletes it.' });
}

// ---- the teacher: list, delete ---------------------------------------------------------------------

/** The class's runs; null when they have not changed since `etag` (304). */
export async function fetchClass(url: string, token: string, etag: string | null): Promise<{ listing: ClassListing; etag: string | null } | null> {
  const res = await request(classBase(url), token, 'GET', '/v1/class/runs', { headers: etag ? { 'if-none-match': etag } : {}, advice: teacherAdvice });
  if (res.status === 304) return null;
  return { listing: await res.json() as ClassListing, etag: res.headers.get('etag') };
}

/** Delete the class's runs (one student's with `pseudonym`); how many were deleted. */
export async function deleteClassRuns(url: string, token: string, pseudonym?: string): Promise<number> {
  const q = pseudonym ? `?pseudonym=${encodeURIComponent(pseudonym)}` : '';
  const res = await request(classBase(url), token, 'DELETE', `/v1/class/runs${q}`, { advice: teacherAdvice });
  return ((await res.json()) as { deleted: number }).deleted;
}
