// What the user entered, kept in localStorage so a reload loses nothing. The sandbox-server token
// and the Hugging Face token are stored under their own keys and never leave this browser (not in
// links, run cards or exports; the Hub token goes only to the Hub, with its requests).
import { defaultSettings, type TrainSettings } from '../rl/settings.ts';
import type { ToleranceRule } from '../verifier/tolerance.ts';
import type { BuiltinPolicy } from '../model/builtin.ts';

export type DataSpec =
  | { kind: 'generator'; families: string; difficulty: number; count: number; seed: number }
  | { kind: 'bundled'; file: string }
  | { kind: 'url'; url: string }
  | { kind: 'upload'; name: string };

export interface StudioForm {
  /** builtinId: which built-in policy when kind is builtin (absent in forms saved before there were two) */
  model: { kind: 'builtin' | 'hub' | 'local'; hubId: string; hubUrl: string; builtinId?: BuiltinPolicy };
  data: DataSpec;
  /** share of the items held out for evaluation */
  evalFraction: number;
  /** score a benchmark against its corrected answers where it has errata (public/benchmarks/errata.jsonl) */
  errata: boolean;
  target: string;
  tolerance: ToleranceRule;
  remoteUrl: string;
  settings: TrainSettings;
  /** evaluation: max new tokens and prompts decoded together */
  evalMaxNew: number;
  evalBatch: number;
  /** GPU memory budget for the plan, GiB */
  budgetGiB: number;
  title: string;
}

const FORM_KEY = 'evom-studio-form';
const TOKEN_KEY = 'evom-studio-server-token';
const HUB_TOKEN_KEY = 'evom-studio-hub-token';

export function defaultForm(): StudioForm {
  // the form starts on the built-in policy, with its defaults (those `evom demo` trains with)
  const settings = defaultSettings('builtin', 'grpo', 'highs');
  return {
    model: { kind: 'builtin', hubId: 'Qwen/Qwen2.5-0.5B-Instruct', hubUrl: '' },
    data: { kind: 'generator', families: 'knapsack,production', difficulty: 2, count: 48, seed: 1 },
    evalFraction: 0.25, errata: false,
    target: settings.target, tolerance: settings.tolerance, remoteUrl: '',
    settings,
    evalMaxNew: settings.maxNewTokens, evalBatch: 8, budgetGiB: 4, title: '',
  };
}

export function loadForm(): StudioForm {
  const d = defaultForm();
  try {
    const saved = JSON.parse(localStorage.getItem(FORM_KEY) ?? 'null') as Partial<StudioForm> | null;
    if (!saved) return d;
    return { ...d, ...saved, model: { ...d.model, ...saved.model }, settings: { ...d.settings, ...saved.settings } };
  } catch {
    return d;
  }
}

export function saveForm(f: StudioForm): void {
  localStorage.setItem(FORM_KEY, JSON.stringify(f));
}

/** A secret kept under its own localStorage key, apart from the form. */
function storedSecret(key: string) {
  return {
    get: (): string => localStorage.getItem(key) ?? '',
    set: (t: string): void => { if (t) localStorage.setItem(key, t); else localStorage.removeItem(key); },
  };
}

export const serverToken = storedSecret(TOKEN_KEY);
/** A Hugging Face access token, for gated or private Hub models. */
export const hubToken = storedSecret(HUB_TOKEN_KEY);
/** A class's student token and teacher token (class-client.ts): like the sandbox-server token, never in links, exports or run cards. */
export const classToken = storedSecret('evom-studio-class-token');
export const teacherToken = storedSecret('evom-studio-class-teacher-token');

/**
 * A run's saved files changed: a training step finished (`step`), or an evaluation of its adapter
 * was kept (`evaluation`: its label). The class uploader (class-client.ts) listens; a listener
 * never delays or fails the work that emitted it.
 */
export interface RunSaved { run: string; step?: number; evaluation?: string }
const runSavedListeners = new Set<(e: RunSaved) => void>();
export const runSaved = {
  on: (f: (e: RunSaved) => void): (() => void) => { runSavedListeners.add(f); return () => { runSavedListeners.delete(f); }; },
  emit: (e: RunSaved): void => { for (const f of runSavedListeners) try { f(e); } catch { /* a listener's failure is its own */ } },
};

/** The run in progress or paused, so a reload offers to resume it. */
export interface ActiveRun { id: string; status: 'running' | 'paused' | 'stopped' | 'done'; steps: number }
const ACTIVE_KEY = 'evom-studio-active-run';
export const activeRun = {
  get: (): ActiveRun | null => { try { return JSON.parse(localStorage.getItem(ACTIVE_KEY) ?? 'null') as ActiveRun | null; } catch { return null; } },
  set: (a: ActiveRun | null): void => { if (a) localStorage.setItem(ACTIVE_KEY, JSON.stringify(a)); else localStorage.removeItem(ACTIVE_KEY); },
};

export function newRunId(prefix = 'run'): string {
  const t = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
  return `${prefix}-${t}-${Math.random().toString(36).slice(2, 6)}`;
}

/**
 * Presentation mode (a projector): larger type and thicker chart lines. The page marks it with the
 * class `presentation` on <body> and sends PRESENTATION_EVENT on window when it changes (charts redraw).
 */
const PRESENTATION_KEY = 'evom-studio-presentation';
export const PRESENTATION_CLASS = 'presentation';
export const PRESENTATION_EVENT = 'evom-presentation';
export const presentationMode = {
  get: (): boolean => localStorage.getItem(PRESENTATION_KEY) === 'on',
  set: (on: boolean): void => {
    if (on) localStorage.setItem(PRESENTATION_KEY, 'on'); else localStorage.removeItem(PRESENTATION_KEY);
    document.body.classList.toggle(PRESENTATION_CLASS, on);
    window.dispatchEvent(new CustomEvent(PRESENTATION_EVENT, { detail: on }));
  },
};
/** Whether the page is in presentation mode (for charts: thicker lines). */
export const isPresentation = (): boolean => document.body.classList.contains(PRESENTATION_CLASS);

/**
 * The students' checklist a share link opens (Start tab): which configuration, when it was opened
 * (work done before does not count), the problems it asks for, and whether its run was exported.
 */
export interface SharedChecklist { title: string; opened: string; data: DataSpec; exported: string | null }
const CHECKLIST_KEY = 'evom-studio-checklist';
export const sharedChecklist = {
  get: (): SharedChecklist | null => { try { return JSON.parse(localStorage.getItem(CHECKLIST_KEY) ?? 'null') as SharedChecklist | null; } catch { return null; } },
  set: (c: SharedChecklist | null): void => { if (c) localStorage.setItem(CHECKLIST_KEY, JSON.stringify(c)); else localStorage.removeItem(CHECKLIST_KEY); },
  /** a run was exported (downloaded) after the link was opened */
  markExported: (runId: string): void => { const c = sharedChecklist.get(); if (c) sharedChecklist.set({ ...c, exported: runId }); },
};
