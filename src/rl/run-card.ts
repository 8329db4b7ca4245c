// Run cards, metrics export and classroom share links, shared by the CLI and EVOM Studio (the
// training settings they record are src/rl/settings.ts's table, re-exported here). A run card is
// one JSON file that names the model, data, every setting, the seed and this software's version,
// with the metrics, evaluations and the `npx evom` lines that reproduce it.

import pkg from '../../package.json' with { type: 'json' };
import { DataError, UsageError } from '../errors.ts';
import type { EvalSummary } from '../verifier/evaluate.ts';
import { wilson, type Interval } from '../verifier/stats.ts';
import { parseJsonl } from '../problems/benchmarks.ts';
import { FAMILIES } from '../problems/generator.ts';
import { OUTCOME_CLASSES } from '../verifier/outcome.ts';
import { TOLERANCE_RULES } from '../verifier/tolerance.ts';
import type { StepMetrics } from './trainer.ts';
import { SETTINGS, validateSettings, type TrainSettings } from './settings.ts';

// ---- settings (the table is src/rl/settings.ts; re-exported here for the code that reads them with run cards) ----

export {
  ALGORITHMS, DEFAULT_STEPS, MAX_LORA_RANK, SETTING_TABLE, SETTINGS, defaultRunOptions, defaultSettings, settingDefault, settingInfo,
  settingProblem, trainerConfigFrom, validateSettings,
} from './settings.ts';
export type { Algorithm, ModelKind, RunOptions, SettingFlag, SettingInfo, SettingKey, TrainSettings } from './settings.ts';

const shown = (v: unknown) => (typeof v === 'number' ? String(v) : JSON.stringify(v) ?? String(v));

// ---- run cards -------------------------------------------------------------------------------

export interface RunCard {
  format: 'evom-run-card';
  version: 1;
  software: { name: string; version: string };
  /** ISO 8601 */
  created: string;
  title?: string;
  /** builtin: evom-tiny; hub: a Hub id; local: files picked in the browser */
  model: { kind: 'builtin' | 'hub' | 'local'; id: string };
  data: { description: string; train_file: 'train.jsonl'; eval_file: 'eval.jsonl'; train_items: number; eval_items: number; train_sha256?: string };
  settings: TrainSettings;
  /** the run whose adapter this one continued from (solver transfer) */
  adapter_from?: string;
  metrics: StepMetrics[];
  evaluations: { label: string; target: string; summary: EvalSummary }[];
  /** `npx evom` lines that reproduce the run from the exported files */
  cli: { train: string; eval: string };
}

export interface RunCardInput {
  title?: string;
  model: RunCard['model'];
  settings: TrainSettings;
  data: { description: string; train_items: number; eval_items: number; train_sha256?: string };
  metrics?: StepMetrics[];
  evaluations?: RunCard['evaluations'];
  adapter_from?: string;
  /** ISO 8601; now when absent */
  created?: string;
}

export function makeRunCard(i: RunCardInput): RunCard {
  const card: RunCard = {
    format: 'evom-run-card', version: 1, software: { name: pkg.name, version: pkg.version },
    created: i.created ?? new Date().toISOString(),
    ...(i.title ? { title: i.title } : {}),
    model: { kind: i.model.kind, id: i.model.id },
    data: {
      description: i.data.description, train_file: 'train.jsonl', eval_file: 'eval.jsonl',
      train_items: i.data.train_items, eval_items: i.data.eval_items, ...(i.data.train_sha256 ? { train_sha256: i.data.train_sha256 } : {}),
    },
    settings: { ...i.settings },
    ...(i.adapter_from ? { adapter_from: i.adapter_from } : {}),
    metrics: i.metrics ?? [],
    evaluations: i.evaluations ?? [],
    cli: { train: '', eval: '' },
  };
  card.cli = cliCommands(card);
  return card;
}

/** Hex SHA-256 of a text's UTF-8 bytes (for data.train_sha256). */
export async function sha256Hex(text: string): Promise<string> {
  const h = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
  return Array.from(h, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** One argument for a POSIX shell: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Where the model is in a checkout, relative to the exported files. */
function modelArg(m: RunCard['model']): string {
  return m.kind === 'builtin' ? `public/models/${m.id || 'evom-tiny'}` : m.kind === 'hub' ? m.id : './model';
}

/**
 * The command lines that reproduce a run from its exported files (train.jsonl, eval.jsonl beside
 * them): every setting as its flag, output in ./run. A run that continued from another run's
 * adapter reads that run's exported adapter from ADAPTER_FROM/adapter.
 */
export function cliCommands(c: Pick<RunCard, 'model' | 'settings' | 'adapter_from'>): RunCard['cli'] {
  const model = modelArg(c.model);
  const train = ['npx', 'evom', 'train', '--model', model, '--data', 'train.jsonl'];
  // a boolean setting is a bare flag, given when on
  for (const d of SETTINGS) if (d.kind !== 'boolean') train.push(d.flag, String(c.settings[d.key])); else if (c.settings[d.key]) train.push(d.flag);
  if (c.adapter_from) train.push('--adapter', `${c.adapter_from}/adapter`);
  train.push('--out', 'run');
  const ev = ['npx', 'evom', 'eval', '--model', model, '--adapter', 'run/adapter', '--benchmark', 'eval.jsonl',
    '--target', c.settings.target, '--tolerance', c.settings.tolerance];
  return { train: train.map(shellQuote).join(' '), eval: ev.map(shellQuote).join(' ') };
}

type Fail = (msg: string) => Error;
type Rec = Record<string, unknown>;
const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);

function rec(v: unknown, name: string, fail: Fail): Rec {
  if (!isRec(v)) throw fail(`"${name}" must be an object; got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : shown(v)}`);
  return v;
}
function str(o: Rec, key: string, name: string, fail: Fail): string {
  if (typeof o[key] !== 'string') throw fail(o[key] === undefined ? `"${name}" is missing` : `"${name}" must be a string; got ${shown(o[key])}`);
  return o[key] as string;
}
function optStr(o: Rec, key: string, name: string, fail: Fail): string | undefined {
  return o[key] === undefined ? undefined : str(o, key, name, fail);
}
function count(o: Rec, key: string, name: string, fail: Fail): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw fail(v === undefined ? `"${name}" is missing` : `"${name}" must be an integer ≥ 0; got ${shown(v)}`);
  return v;
}
/** A metric value; null stands for NaN or ±Infinity (JSON.stringify writes them as null). */
function metric(o: Rec, key: string, name: string, fail: Fail): number {
  const v = o[key];
  if (v === null) return NaN;
  if (typeof v !== 'number') throw fail(v === undefined ? `"${name}" is missing` : `"${name}" must be a number; got ${shown(v)}`);
  return v;
}
function numbers(v: unknown, name: string, fail: Fail, keys?: readonly string[]): Record<string, number> {
  const o = rec(v, name, fail);
  const out: Record<string, number> = {};
  for (const k of keys ?? Object.keys(o)) out[k] = metric(o, k, `${name}.${k}`, fail);
  return out;
}
function oneOf<T extends string>(o: Rec, key: string, name: string, choices: readonly T[], fail: Fail): T {
  const v = str(o, key, name, fail);
  if (!(choices as readonly string[]).includes(v)) throw fail(`"${name}" must be one of ${choices.join(', ')}; got ${shown(v)}`);
  return v as T;
}

const METRIC_SCALARS = ['step', 'reward_mean', 'reward_std', 'accuracy', 'format_rate', 'exec_rate', 'groups_used', 'groups_dropped',
  'loss', 'kl', 'entropy', 'clip_fraction', 'completion_length', 'grad_norm', 'lr', 'tokens_per_s'] as const satisfies readonly (keyof StepMetrics)[];
const METRIC_MS = ['generate', 'verify_wait', 'train', 'update', 'total'] as const satisfies readonly (keyof StepMetrics['ms'])[];

/** A StepMetrics object; `at` prefixes field names in messages ('metrics[3].' in a card, '' in a JSONL line). */
function stepMetricsOf(o: Rec, at: string, fail: Fail): StepMetrics {
  const m = {} as Rec;
  for (const k of METRIC_SCALARS) m[k] = metric(o, k, `${at}${k}`, fail);
  if (!Number.isInteger(m.step) || (m.step as number) < 0) throw fail(`"${at}step" must be an integer ≥ 0; got ${shown(o.step)}`);
  m.classes = numbers(o.classes, `${at}classes`, fail);
  m.ms = numbers(o.ms, `${at}ms`, fail, METRIC_MS);
  return m as unknown as StepMetrics;
}

function settingsOf(v: unknown, name: string, fail: Fail): TrainSettings {
  const o = rec(v, name, fail);
  const s = {} as Rec;
  for (const d of SETTINGS) {
    // a setting newer than the card may be absent: its default
    if (o[d.key] === undefined && d.optional) { s[d.key] = d.default!.hub; continue; }
    if (o[d.key] === undefined) throw fail(`"${name}.${d.key}" is missing`);
    s[d.key] = o[d.key];
  }
  const problems = validateSettings(s as unknown as TrainSettings);
  if (problems.length) throw fail(`"${name}": ${problems.join('; ')}`);
  return s as unknown as TrainSettings;
}

function intervalOf(o: Record<string, unknown>, name: string, fail: Fail): { accuracy_ci95: Interval; items_scored: number } {
  const items = o.items_scored === undefined ? count(o, 'scored', `${name}.scored`, fail) : count(o, 'items_scored', `${name}.items_scored`, fail);
  if (o.accuracy_ci95 === undefined) return { accuracy_ci95: wilson(metric(o, 'accuracy', `${name}.accuracy`, fail), items), items_scored: items };
  const ci = o.accuracy_ci95;
  if (!Array.isArray(ci) || ci.length !== 2 || !ci.every((x) => typeof x === 'number' && x >= 0 && x <= 1) || ci[0] > ci[1]) {
    throw fail(`"${name}.accuracy_ci95" must be [low, high] with 0 ≤ low ≤ high ≤ 1`);
  }
  return { accuracy_ci95: [ci[0], ci[1]], items_scored: items };
}

function summaryOf(v: unknown, name: string, fail: Fail): EvalSummary {
  const o = rec(v, name, fail);
  return {
    target: str(o, 'target', `${name}.target`, fail),
    tolerance: oneOf(o, 'tolerance', `${name}.tolerance`, TOLERANCE_RULES, fail),
    tolerance_rule: str(o, 'tolerance_rule', `${name}.tolerance_rule`, fail),
    benchmark_items: count(o, 'benchmark_items', `${name}.benchmark_items`, fail),
    count: count(o, 'count', `${name}.count`, fail),
    scored: count(o, 'scored', `${name}.scored`, fail),
    missing: count(o, 'missing', `${name}.missing`, fail),
    // older cards did not count completions that never ran (every one was evaluated or a failure)
    not_evaluated: o.not_evaluated === undefined ? 0 : count(o, 'not_evaluated', `${name}.not_evaluated`, fail),
    execution_rate: metric(o, 'execution_rate', `${name}.execution_rate`, fail),
    accuracy: metric(o, 'accuracy', `${name}.accuracy`, fail),
    // cards before intervals: Wilson's over the scored completions (one sample per item)
    ...intervalOf(o, name, fail),
    // cards before 0.1.1 have no accuracy over all items: with one sample per item it is this
    accuracy_all_items: o.accuracy_all_items === undefined
      ? metric(o, 'accuracy', `${name}.accuracy`, fail) * count(o, 'scored', `${name}.scored`, fail) / Math.max(1, count(o, 'scored', `${name}.scored`, fail) + count(o, 'missing', `${name}.missing`, fail))
      : metric(o, 'accuracy_all_items', `${name}.accuracy_all_items`, fail),
    format_rate: metric(o, 'format_rate', `${name}.format_rate`, fail),
    mean_reward: metric(o, 'mean_reward', `${name}.mean_reward`, fail),
    counts: numbers(o.counts, `${name}.counts`, fail) as EvalSummary['counts'],
    // cards before 0.1.1 scored the benchmarks' own answers and knew no errata
    answers: o.answers === 'errata' ? 'errata' : 'original',
    errata_items: o.errata_items === undefined ? 0 : count(o, 'errata_items', `${name}.errata_items`, fail),
    accuracy_all_items_other: typeof o.accuracy_all_items_other === 'number' ? metric(o, 'accuracy_all_items_other', `${name}.accuracy_all_items_other`, fail) : null,
    wall_ms: metric(o, 'wall_ms', `${name}.wall_ms`, fail),
  };
}

function list(v: unknown, name: string, fail: Fail): unknown[] {
  if (!Array.isArray(v)) throw fail(v === undefined ? `"${name}" is missing` : `"${name}" must be an array`);
  return v;
}

/** Read a run card (JSON text); DataError naming the field and the reason when it is not one. */
export function parseRunCard(text: string, source: string): RunCard {
  const fail: Fail = (msg) => new DataError(msg, source);
  let v: unknown;
  try { v = JSON.parse(text); } catch (e) { throw fail(`not valid JSON (${(e as Error).message})`); }
  if (!isRec(v)) throw fail('a run card must be a JSON object');
  if (v.format !== 'evom-run-card') throw fail(`not an EVOM run card ("format" must be "evom-run-card"; got ${shown(v.format)})`);
  if (v.version !== 1) throw fail(`run card version ${shown(v.version)} is not supported (this software reads version 1)`);
  const software = rec(v.software, 'software', fail);
  const created = str(v, 'created', 'created', fail);
  if (Number.isNaN(Date.parse(created))) throw fail(`"created" must be an ISO 8601 date; got ${shown(created)}`);
  const title = optStr(v, 'title', 'title', fail);
  const model = rec(v.model, 'model', fail);
  const data = rec(v.data, 'data', fail);
  const train_sha256 = optStr(data, 'train_sha256', 'data.train_sha256', fail);
  if (train_sha256 !== undefined && !/^[0-9a-f]{64}$/.test(train_sha256)) throw fail(`"data.train_sha256" must be 64 lowercase hex digits; got ${shown(train_sha256)}`);
  const adapter_from = optStr(v, 'adapter_from', 'adapter_from', fail);
  const cli = rec(v.cli, 'cli', fail);
  return {
    format: 'evom-run-card', version: 1,
    software: { name: str(software, 'name', 'software.name', fail), version: str(software, 'version', 'software.version', fail) },
    created,
    ...(title !== undefined ? { title } : {}),
    model: { kind: oneOf(model, 'kind', 'model.kind', ['builtin', 'hub', 'local'] as const, fail), id: str(model, 'id', 'model.id', fail) },
    data: {
      description: str(data, 'description', 'data.description', fail),
      train_file: oneOf(data, 'train_file', 'data.train_file', ['train.jsonl'] as const, fail),
      eval_file: oneOf(data, 'eval_file', 'data.eval_file', ['eval.jsonl'] as const, fail),
      train_items: count(data, 'train_items', 'data.train_items', fail),
      eval_items: count(data, 'eval_items', 'data.eval_items', fail),
      ...(train_sha256 !== undefined ? { train_sha256 } : {}),
    },
    settings: settingsOf(v.settings, 'settings', fail),
    ...(adapter_from !== undefined ? { adapter_from } : {}),
    metrics: list(v.metrics, 'metrics', fail).map((m, i) => stepMetricsOf(rec(m, `metrics[${i}]`, fail), `metrics[${i}].`, fail)),
    evaluations: list(v.evaluations, 'evaluations', fail).map((e, i) => {
      const o = rec(e, `evaluations[${i}]`, fail);
      return { label: str(o, 'label', `evaluations[${i}].label`, fail), target: str(o, 'target', `evaluations[${i}].target`, fail), summary: summaryOf(o.summary, `evaluations[${i}].summary`, fail) };
    }),
    cli: { train: str(cli, 'train', 'cli.train', fail), eval: str(cli, 'eval', 'cli.eval', fail) },
  };
}

// ---- metrics export --------------------------------------------------------------------------

/** One JSON line per step (the format of `evom train`'s DIR/metrics.jsonl). */
export function metricsJsonl(m: readonly StepMetrics[]): string {
  return m.map((x) => JSON.stringify(x) + '\n').join('');
}

/** RFC 4180 field: quoted when it holds a comma, quote, CR or LF (quotes doubled). */
function csvField(v: unknown): string {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : typeof v === 'number' ? String(v) : JSON.stringify(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Columns of a StepMetrics row, nested objects flattened (classes.correct, ms.generate, …). */
const CSV_COLUMNS = [
  ...METRIC_SCALARS.slice(0, 6), ...OUTCOME_CLASSES.map((c) => `classes.${c}`), ...METRIC_SCALARS.slice(6), ...METRIC_MS.map((k) => `ms.${k}`),
];

/** CSV with a header row (StepMetrics' columns, then any others the rows carry); CRLF line ends. */
export function metricsCsv(m: readonly StepMetrics[]): string {
  const rows = m.map((x) => {
    const flat: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(x)) {
      if (isRec(v)) for (const [k2, v2] of Object.entries(v)) flat[`${k}.${k2}`] = v2;
      else flat[k] = v;
    }
    return flat;
  });
  const cols = [...CSV_COLUMNS];
  for (const r of rows) for (const k of Object.keys(r)) if (!cols.includes(k)) cols.push(k);
  return [cols, ...rows.map((r) => cols.map((c) => r[c]))].map((row) => row.map(csvField).join(',') + '\r\n').join('');
}

/** Read a metrics.jsonl (CLI run folder or Studio export); errors name the line. */
export function parseMetricsJsonl(text: string, source: string): StepMetrics[] {
  const out = parseJsonl(text, source).map(({ line, value }) => {
    const fail: Fail = (msg) => new DataError(msg, source, line);
    if (!isRec(value)) throw fail('each line must be a JSON object (one step\'s metrics)');
    return stepMetricsOf(value, '', fail);
  });
  if (out.length === 0) throw new DataError('no metrics lines found', source);
  return out;
}

// ---- classroom share links -------------------------------------------------------------------

/** What a classroom link carries: nothing beyond these fields (never a server token or URL credentials). */
export interface ShareConfig {
  settings: TrainSettings;
  model: RunCard['model'];
  data:
    | { kind: 'generator'; families: string[]; difficulty: number; count: number; seed: number }
    | { kind: 'bundled'; file: string }
    | { kind: 'url'; url: string };
  /** share of the items held out for evaluation, [0, 1) */
  evalFraction: number;
  title?: string;
}

const SHARE_KEY = 'run';
const CREDENTIAL_PARAM = /token|secret|passw|auth|sig|key|credential|session/i;

function int(o: Rec, key: string, name: string, lo: number, hi: number, fail: Fail): number {
  const v = o[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw fail(v === undefined ? `"${name}" is missing` : `"${name}" must be an integer between ${lo} and ${hi}; got ${shown(v)}`);
  return v;
}

/** The whitelisted copy of a share config; anything else is dropped, anything doubtful refused. */
function shareConfigOf(v: unknown, fail: Fail): ShareConfig {
  const o = rec(v, 'config', fail);
  const m = rec(o.model, 'model', fail);
  const kind = oneOf(m, 'kind', 'model.kind', ['builtin', 'hub', 'local'] as const, fail);
  const id = str(m, 'id', 'model.id', fail);
  if (kind === 'hub' ? !/^[\w.-]+(\/[\w.-]+)?$/.test(id) : !/^[\w. -]{1,100}$/.test(id)) throw fail(`"model.id" is not a ${kind === 'hub' ? 'Hub model id (owner/name)' : 'model name'}: ${shown(id)}`);
  const d = rec(o.data, 'data', fail);
  let data: ShareConfig['data'];
  const dkind = str(d, 'kind', 'data.kind', fail);
  if (dkind === 'generator') {
    const fam = list(d.families, 'data.families', fail);
    const valid = [...FAMILIES, 'all'];
    const bad = fam.find((f) => typeof f !== 'string' || !valid.includes(f));
    if (fam.length === 0 || bad !== undefined) throw fail(`"data.families" must list families among ${valid.join(', ')}; got ${shown(fam.length ? bad : fam)}`);
    data = { kind: 'generator', families: fam as string[], difficulty: int(d, 'difficulty', 'data.difficulty', 1, 5, fail), count: int(d, 'count', 'data.count', 1, 100_000, fail), seed: int(d, 'seed', 'data.seed', 0, 2 ** 32 - 1, fail) };
  } else if (dkind === 'bundled') {
    const file = str(d, 'file', 'data.file', fail);
    if (!/^[\w-][\w.-]*\.jsonl$/.test(file)) throw fail(`"data.file" must be a bundled benchmark's file name (name.jsonl); got ${shown(file)}`);
    data = { kind: 'bundled', file };
  } else if (dkind === 'url') {
    const raw = str(d, 'url', 'data.url', fail);
    let u: URL;
    try { u = new URL(raw); } catch { throw fail(`"data.url" is not a URL: ${shown(raw)}`); }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') throw fail(`"data.url" must be an http(s) URL; got ${shown(raw)}`);
    if (u.username || u.password) throw fail('"data.url" carries a user name or password; links never carry credentials: share a URL that needs none');
    const secret = [...u.searchParams.keys()].find((k) => CREDENTIAL_PARAM.test(k));
    if (secret !== undefined) throw fail(`"data.url" carries what looks like a credential (query parameter "${secret}"); links never carry credentials: share a URL that needs none`);
    data = { kind: 'url', url: u.href };
  } else {
    throw fail(`"data.kind" must be one of generator, bundled, url; got ${shown(dkind)}`);
  }
  const evalFraction = o.evalFraction;
  if (typeof evalFraction !== 'number' || !(evalFraction >= 0 && evalFraction < 1)) throw fail(`"evalFraction" must be a number in [0, 1); got ${shown(evalFraction)}`);
  const title = optStr(o, 'title', 'title', fail);
  if (title !== undefined && title.length > 200) throw fail(`"title" must be at most 200 characters; got ${title.length}`);
  return { settings: settingsOf(o.settings, 'settings', fail), model: { kind, id }, data, evalFraction, ...(title ? { title } : {}) };
}

function toBase64Url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) throw new Error('not base64url');
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
  return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** `base#run=<base64url JSON>`: the page at `base` opens with this configuration. */
export function shareLinkFor(base: string, c: ShareConfig): string {
  const kind = (c.data as { kind?: unknown }).kind;
  if (kind === 'upload') throw new UsageError('an uploaded file cannot be shared in a link (it exists only in this browser): put it at a URL, or use the generator or a bundled benchmark');
  const clean = shareConfigOf(c, (msg) => new UsageError(`cannot share this configuration: ${msg}`));
  let page = base.split('#')[0]!;
  try {
    const u = new URL(page);
    u.username = ''; u.password = '';
    page = u.href;
  } catch { /* a relative base stays as it is */ }
  return `${page}#${SHARE_KEY}=${toBase64Url(JSON.stringify(clean))}`;
}

/** The configuration in a page's hash (`#run=…`); null when there is none, DataError when it is malformed. */
export function shareConfigFromHash(hash: string): ShareConfig | null {
  const part = hash.replace(/^#/, '').split('&').find((p) => p.startsWith(`${SHARE_KEY}=`));
  if (part === undefined) return null;
  const fail: Fail = (msg) => new DataError(msg, 'shared link');
  let json: string;
  try { json = fromBase64Url(decodeURIComponent(part.slice(SHARE_KEY.length + 1))); } catch { throw fail('the #run= part is not valid base64url (was the link cut short?)'); }
  let v: unknown;
  try { v = JSON.parse(json); } catch (e) { throw fail(`the configuration is not valid JSON (${(e as Error).message})`); }
  return shareConfigOf(v, fail);
}
