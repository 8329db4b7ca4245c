// The glpk.js JSON model checker. glpk.js has traps (GUIDE §3): a string coefficient is reported
// optimal with a null objective, and invalid input aborts the instance. So the JSON is validated
// here first: syntax errors with line and column, structure errors with their JSON path.

import type { LP } from 'glpk.js/node';
import type { Message } from '../../verifier/outcome.ts';

// glpk.js constants
const GLP_MIN = 1, GLP_MAX = 2;
const GLP_FR = 1, GLP_LO = 2, GLP_UP = 3, GLP_DB = 4, GLP_FX = 5;

export type Issue = { path: string; message: string; line?: number; column?: number };

/** Line and column (1-based) of a character offset. */
function lineCol(text: string, offset: number): { line: number; column: number } {
  let line = 1, last = -1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) { line++; last = i; }
  return { line, column: offset - last };
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 30 ? v.slice(0, 30) + '…' : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

const JSON_HINTS: [RegExp, string][] = [
  [/^-?(NaN|Infinity)/, 'JSON has no NaN or Infinity; use a finite number'],
  [/^'/, 'JSON strings use double quotes'],
  [/^\/[/*]/, 'JSON has no comments'],
  [/^[A-Za-z_]/, 'JSON keys and strings must be in double quotes'],
];

/** First syntax error of a JSON text: offset and what was expected (iterative, linear). */
export function locateJsonError(text: string): { offset: number; message: string } | null {
  let i = 0;
  const ws = () => { while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++; };
  const fail = (expected: string) => {
    const rest = text.slice(i, i + 12);
    const hint = JSON_HINTS.find(([re]) => re.test(rest))?.[1];
    const found = i >= text.length ? 'the end of the text' : `'${rest.split('\n')[0]}'`;
    return { offset: i, message: `expected ${expected}, found ${found}${hint ? ` (${hint})` : ''}` };
  };
  const stack: ('{' | '[')[] = [];
  // state: what may come next
  let want: 'value' | 'key' | 'after' = 'value';
  let first = true; // first entry of the innermost container
  for (;;) {
    ws();
    if (want === 'value') {
      const c = text[i];
      if (c === '{' || c === '[') { stack.push(c); i++; ws(); first = true; want = c === '{' ? 'key' : 'value';
        if (text[i] === (c === '{' ? '}' : ']')) { stack.pop(); i++; want = 'after'; first = false; }
        continue; }
      if (c === '"') { const end = scanString(text, i); if (typeof end !== 'number') return end; i = end; want = 'after'; continue; }
      const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
      if (num && num[0] !== '' && num[0] !== '-') { i += num[0].length; want = 'after'; continue; }
      const lit = /^(true|false|null)/.exec(text.slice(i, i + 5));
      if (lit) { i += lit[0].length; want = 'after'; continue; }
      return fail(first && stack.at(-1) === '[' ? "a value or ']'" : 'a value');
    }
    if (want === 'key') {
      if (text[i] !== '"') return fail(first ? "a key in double quotes or '}'" : 'a key in double quotes');
      const end = scanString(text, i);
      if (typeof end !== 'number') return end;
      i = end; ws();
      if (text[i] !== ':') return fail("':' after the key");
      i++; want = 'value'; first = false;
      continue;
    }
    // after a value
    const top = stack.at(-1);
    if (!top) { ws(); return i < text.length ? fail('the end of the text (only one top-level value is allowed)') : null; }
    const close = top === '{' ? '}' : ']';
    if (text[i] === ',') { i++; ws(); if (text[i] === close) return fail(`another entry after ',' (no trailing commas in JSON)`); want = top === '{' ? 'key' : 'value'; first = false; continue; }
    if (text[i] === close) { stack.pop(); i++; want = 'after'; continue; }
    return fail(`',' or '${close}'`);
  }
}

/** End offset of the string starting at `start`, or an error. */
function scanString(text: string, start: number): number | { offset: number; message: string } {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) return i + 1; // closing quote
    if (c === 92) {             // backslash: a valid escape must follow
      const e = text[i + 1] ?? '';
      if (e === 'u' ? !/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6)) : !'"\\/bfnrt'.includes(e) || e === '') {
        return { offset: i, message: 'invalid escape sequence in a string' };
      }
      i++;
    } else if (c === 10) return { offset: start, message: 'a string is never closed on its line' };
    else if (c < 32) return { offset: i, message: 'a control character inside a string must be escaped' };
  }
  return { offset: start, message: 'a string is never closed' };
}

// The keys glpk.js reads at each level. glpk.js ignores any other key silently (`integers` for
// `generals` would solve the LP relaxation), so an unknown key is an error naming the likely one.
const KEYS = {
  model: ['name', 'objective', 'subjectTo', 'bounds', 'generals', 'binaries', 'options'],
  objective: ['direction', 'name', 'vars'],
  term: ['name', 'coef'],
  row: ['name', 'vars', 'bnds'],
  bnds: ['type', 'lb', 'ub'],
  bound: ['name', 'type', 'lb', 'ub'],
} as const;
const SYNONYMS: Record<string, string> = {
  integers: 'generals', integer: 'generals', ints: 'generals', int: 'generals', general: 'generals', generalintegers: 'generals',
  binary: 'binaries', bins: 'binaries', bin: 'binaries', booleans: 'binaries',
  constraints: 'subjectTo', subject_to: 'subjectTo', subjectto: 'subjectTo', st: 'subjectTo', rows: 'subjectTo',
  bound: 'bounds', var_bounds: 'bounds', variablebounds: 'bounds',
  sense: 'direction', dir: 'direction', objsense: 'direction',
  variables: 'vars', terms: 'vars', coefficients: 'vars',
  coefficient: 'coef', value: 'coef', weight: 'coef', c: 'coef',
  bnd: 'bnds', limits: 'bnds', range: 'bnds',
  lower: 'lb', low: 'lb', lo: 'lb', min: 'lb', upper: 'ub', up: 'ub', hi: 'ub', max: 'ub', kind: 'type',
};

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) {
    d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
  }
  return d[a.length]![b.length]!;
}

/** The key a writer most likely meant: a known synonym, else a close spelling among the allowed keys. */
export function likelyKey(key: string, allowed: readonly string[]): string | null {
  const k = key.toLowerCase();
  const syn = SYNONYMS[k];
  if (syn && allowed.includes(syn)) return syn;
  const near = allowed.map((a) => [a, editDistance(k, a.toLowerCase())] as const).filter(([, d]) => d <= 2).sort((x, y) => x[1] - y[1]);
  return near[0]?.[0] ?? null;
}

/** What checkGlpkJson finds: the model (options stripped) or the issues that stop it. */
export interface GlpkJsonCheck {
  model: LP | null;
  issues: Issue[];
  warnings: Issue[];
  /** rows and columns whose lower bound is above their upper bound (also among `warnings`): the
   *  model is infeasible, which glpk.js cannot say (it reports "undefined"), so the runner does */
  contradictions: Issue[];
}

/** Validate text as a glpk.js model. Returns the model (options stripped) or the issues found. */
export function checkGlpkJson(text: string): GlpkJsonCheck {
  const issues: Issue[] = [];
  const warnings: Issue[] = [];
  const contradictions: Issue[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    const found = locateJsonError(text);
    if (found) issues.push({ path: '$', message: `invalid JSON: ${found.message}`, ...lineCol(text, found.offset) });
    else issues.push({ path: '$', message: `invalid JSON: ${String((e as Error).message)}` });
    return { model: null, issues, warnings, contradictions };
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const known = (o: Record<string, unknown>, allowed: readonly string[], path: string) => {
    for (const k of Object.keys(o)) {
      if (allowed.includes(k)) continue;
      const guess = likelyKey(k, allowed);
      issues.push({ path: path ? `${path}.${k}` : k, message: `unknown key "${k}"${guess ? ` (did you mean "${guess}"?)` : ''}; glpk.js would ignore it silently. Keys here: ${allowed.join(', ')}` });
    }
  };
  const num = (v: unknown, path: string): boolean => {
    if (typeof v === 'number' && Number.isFinite(v)) return true;
    issues.push({ path, message: `must be a finite number, got ${describe(v)}` });
    return false;
  };
  const name = (v: unknown, path: string): boolean => {
    if (typeof v === 'string' && v.length > 0 && v.length <= 255) return true;
    issues.push({ path, message: `must be a non-empty name (string, at most 255 characters), got ${describe(v)}` });
    return false;
  };
  const terms = (v: unknown, path: string, requireSome: boolean) => {
    if (!Array.isArray(v)) { issues.push({ path, message: `must be an array of {name, coef}, got ${describe(v)}` }); return; }
    if (requireSome && v.length === 0) issues.push({ path, message: 'has no variables' });
    const seen = new Set<string>();
    v.forEach((t, i) => {
      const p = `${path}[${i}]`;
      if (!isObj(t)) { issues.push({ path: p, message: `must be {name, coef}, got ${describe(t)}` }); return; }
      known(t, KEYS.term, p);
      if (name(t.name, `${p}.name`)) {
        if (seen.has(t.name as string)) issues.push({ path: `${p}.name`, message: `variable "${t.name as string}" appears twice in the same row (GLPK rejects duplicates)` });
        seen.add(t.name as string);
      }
      num(t.coef, `${p}.coef`);
    });
  };
  const bnds = (v: unknown, path: string, check = true) => {
    if (!isObj(v)) { issues.push({ path, message: `must be {type, lb, ub}, got ${describe(v)}` }); return; }
    if (check) known(v, KEYS.bnds, path);
    const type = v.type;
    if (![GLP_FR, GLP_LO, GLP_UP, GLP_DB, GLP_FX].includes(type as number)) {
      issues.push({ path: `${path}.type`, message: `must be 1 (free), 2 (lower), 3 (upper), 4 (double) or 5 (fixed), got ${describe(type)}` });
      return;
    }
    const needLb = type === GLP_LO || type === GLP_DB || type === GLP_FX;
    const needUb = type === GLP_UP || type === GLP_DB || type === GLP_FX;
    if (needLb) num(v.lb, `${path}.lb`);
    if (needUb) num(v.ub, `${path}.ub`);
  };
  /** A contradiction when valid double bounds `b` leave no value; `what` names the row or column. */
  const contradictory = (b: Record<string, unknown>, path: string, what: string) => {
    if (b.type !== GLP_DB || !((b.lb as number) > (b.ub as number))) return;
    contradictions.push({ path, message: `the bounds of ${what} are contradictory (lower bound ${b.lb as number} > upper bound ${b.ub as number}): the model is infeasible` });
  };

  if (!isObj(raw)) {
    issues.push({ path: '$', message: `the model must be a JSON object, got ${describe(raw)}` });
    return { model: null, issues, warnings, contradictions };
  }
  known(raw, KEYS.model, '');
  if (raw.name !== undefined && typeof raw.name !== 'string') issues.push({ path: 'name', message: `must be a string, got ${describe(raw.name)}` });
  if (!isObj(raw.objective)) {
    issues.push({ path: 'objective', message: `is required: {direction, name, vars}, got ${describe(raw.objective)}` });
  } else {
    known(raw.objective, KEYS.objective, 'objective');
    const d = raw.objective.direction;
    if (d !== GLP_MIN && d !== GLP_MAX) issues.push({ path: 'objective.direction', message: `must be 1 (minimize) or 2 (maximize), got ${describe(d)}` });
    if (raw.objective.name !== undefined) name(raw.objective.name, 'objective.name');
    terms(raw.objective.vars, 'objective.vars', false);
  }
  if (!Array.isArray(raw.subjectTo)) {
    issues.push({ path: 'subjectTo', message: `is required: an array of constraints (may be empty), got ${describe(raw.subjectTo)}` });
  } else {
    const rowNames = new Set<string>();
    raw.subjectTo.forEach((c, i) => {
      const p = `subjectTo[${i}]`;
      if (!isObj(c)) { issues.push({ path: p, message: `must be {name, vars, bnds}, got ${describe(c)}` }); return; }
      known(c, KEYS.row, p);
      if (name(c.name, `${p}.name`)) {
        if (rowNames.has(c.name as string)) warnings.push({ path: `${p}.name`, message: `constraint name "${c.name as string}" is used twice` });
        rowNames.add(c.name as string);
      }
      terms(c.vars, `${p}.vars`, true);
      bnds(c.bnds, `${p}.bnds`);
    });
  }
  const names = (v: unknown, path: string) => {
    if (v === undefined) return;
    if (!Array.isArray(v)) { issues.push({ path, message: `must be an array of variable names, got ${describe(v)}` }); return; }
    v.forEach((n, i) => name(n, `${path}[${i}]`));
  };
  names(raw.generals, 'generals');
  names(raw.binaries, 'binaries');
  if (raw.bounds !== undefined) {
    if (!Array.isArray(raw.bounds)) issues.push({ path: 'bounds', message: `must be an array of {name, type, lb, ub}, got ${describe(raw.bounds)}` });
    else raw.bounds.forEach((b, i) => {
      if (!isObj(b)) { issues.push({ path: `bounds[${i}]`, message: `must be {name, type, lb, ub}, got ${describe(b)}` }); return; }
      known(b, KEYS.bound, `bounds[${i}]`);
      name(b.name, `bounds[${i}].name`);
      bnds(b, `bounds[${i}]`, false);
    });
  }
  if (raw.options !== undefined) warnings.push({ path: 'options', message: 'solver options in the model are ignored' });
  if (issues.length > 0) return { model: null, issues, warnings, contradictions };

  const model = raw as unknown as LP;
  model.subjectTo.forEach((c, i) => contradictory(c.bnds as unknown as Record<string, unknown>, `subjectTo[${i}].bnds`, `constraint "${c.name}"`));
  // glpk.js applies the bounds in order: a variable's last entry is the one that counts
  const lastBound = new Map<string, number>();
  (model.bounds ?? []).forEach((b, i) => lastBound.set(b.name, i));
  for (const i of lastBound.values()) contradictory(model.bounds![i] as unknown as Record<string, unknown>, `bounds[${i}]`, `"${model.bounds![i]!.name}"`);
  warnings.push(...contradictions);
  const used = new Set<string>();
  model.objective.vars.forEach((t) => used.add(t.name));
  model.subjectTo.forEach((c) => c.vars.forEach((t) => used.add(t.name)));
  if (used.size === 0) issues.push({ path: '$', message: 'the model has no variables' });
  for (const n of [...(model.generals ?? []), ...(model.binaries ?? [])]) {
    if (!used.has(n)) warnings.push({ path: 'generals/binaries', message: `integer variable "${n}" appears in no objective or constraint` });
  }
  const { options: _ignored, ...clean } = model;
  return { model: issues.length ? null : (clean as LP), issues, warnings, contradictions };
}

export function toMessage(i: Issue, severity: 'error' | 'warning'): Message {
  const where = i.line ? `line ${i.line}, column ${i.column}` : i.path;
  return { severity, source: 'checker', text: `${where}: ${i.message}`, line: i.line, column: i.column };
}
