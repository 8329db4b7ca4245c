// FlatZinc, the language MiniZinc compiles a model to for one solver, read back by the host: the
// model the solver receives is judged here, not anything the completion prints (integrity.ts).
//   parseFlatZinc  text → variables, constraints, solve item
//   linearModel    the model as rows and bounds when every constraint is linear (the HiGHS
//                  backend's re-solve, an infeasible run's core)
//   factsModel     the numbers the model states, as integrity.ts reads them (any backend)
//   readDzn        a FlatZinc solver's `name = value;` output

import type { SolvedModel } from '../../verifier/integrity.ts';
import type { LpWritable } from '../highs/lp-writer.ts';

export type FznValue = number | boolean | string | FznValue[] | { range: [number, number] } | { set: number[] } | { call: string; args: FznValue[] };
/** an identifier reference, kept apart from string literals */
export interface FznRef { ref: string }
type Arg = FznValue | FznRef;

export interface FznVar {
  name: string;
  type: 'int' | 'float' | 'bool' | 'set';
  /** domain bounds, null = none */
  lo: number | null;
  hi: number | null;
  /** the domain is a set of values, not an interval (int vars) */
  holes: boolean;
  /** introduced by the compiler and defined by a constraint: its domain was computed, not stated */
  introducedDefined: boolean;
  output: boolean;
  /** `= value` of the declaration (an alias or a fixed value) */
  value: Arg | null;
}

export interface FznConstraint { name: string; args: Arg[]; defines: string | null }

export interface FlatZinc {
  vars: Map<string, FznVar>;
  /** parameter arrays and scalars by name */
  params: Map<string, FznValue>;
  /** output arrays: name → member variable names (or fixed values) */
  outputArrays: Map<string, Arg[]>;
  constraints: FznConstraint[];
  solve: { kind: 'satisfy' } | { kind: 'minimize' | 'maximize'; objective: Arg };
}

export class FlatZincError extends Error {}

// ── tokenizer ───────────────────────────────────────────────────────────────────────────────────

type Tok = { t: 'id' | 'num' | 'str' | 'p'; v: string };

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  const re = /\s+|%[^\n]*|([A-Za-z_][A-Za-z0-9_]*)|(-?\d+\.\d+(?:[eE][-+]?\d+)?|-?\d+[eE][-+]?\d+|-?0x[0-9a-fA-F]+|-?\d+)|("(?:[^"\\]|\\.)*")|(::|\.\.|[[\](){},;:=])/y;
  let i = 0;
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw new FlatZincError(`unexpected character ${JSON.stringify(text[i])} at offset ${i}`);
    i = re.lastIndex;
    if (m[1]) toks.push({ t: 'id', v: m[1] });
    else if (m[2]) toks.push({ t: 'num', v: m[2] });
    else if (m[3]) toks.push({ t: 'str', v: m[3] });
    else if (m[4]) toks.push({ t: 'p', v: m[4] });
  }
  return toks;
}

// ── parser ──────────────────────────────────────────────────────────────────────────────────────

export function parseFlatZinc(text: string): FlatZinc {
  const toks = tokenize(text);
  let k = 0;
  const peek = (v?: string) => (v === undefined ? toks[k] : toks[k]?.v === v ? toks[k] : undefined);
  const next = () => { const t = toks[k++]; if (!t) throw new FlatZincError('unexpected end of FlatZinc'); return t; };
  const expect = (v: string) => { const t = next(); if (t.v !== v) throw new FlatZincError(`expected "${v}", found "${t.v}"`); };
  const num = (t: Tok) => (t.v.includes('0x') ? (t.v.startsWith('-') ? -1 : 1) * parseInt(t.v.replace('-', ''), 16) : Number(t.v));

  function expr(): Arg {
    const t = next();
    if (t.t === 'num') {
      const a = num(t);
      if (peek('..')) { next(); return { range: [a, num(next())] }; }
      return a;
    }
    if (t.t === 'str') return t.v;
    if (t.v === '[') {
      const items: Arg[] = [];
      while (!peek(']')) { items.push(expr()); if (peek(',')) next(); }
      next();
      return items as FznValue[];
    }
    if (t.v === '{') {
      const items: number[] = [];
      while (!peek('}')) { items.push(num(next())); if (peek(',')) next(); }
      next();
      return { set: items };
    }
    if (t.t === 'id') {
      if (t.v === 'true' || t.v === 'false') return t.v === 'true';
      if (peek('(')) {
        next();
        const args: FznValue[] = [];
        while (!peek(')')) { args.push(expr() as FznValue); if (peek(',')) next(); }
        next();
        return { call: t.v, args };
      }
      if (peek('[')) { // x[3]: an element of an array (solve items may use it)
        next(); const i = num(next()); expect(']');
        return { call: '[]', args: [{ ref: t.v } as unknown as FznValue, i] };
      }
      return { ref: t.v };
    }
    throw new FlatZincError(`unexpected "${t.v}"`);
  }

  function annotations(): Arg[] {
    const anns: Arg[] = [];
    while (peek('::')) { next(); anns.push(expr()); }
    return anns;
  }
  const annName = (a: Arg) => (typeof a === 'object' && a !== null && 'ref' in a ? a.ref : typeof a === 'object' && a !== null && 'call' in a ? a.call : '');

  /** type: int, float, bool, lo..hi, {..}, set of …; returns the base type and the domain */
  function type(): { type: FznVar['type']; lo: number | null; hi: number | null; holes: boolean } {
    const t = next();
    if (t.v === 'int' || t.v === 'float' || t.v === 'bool') return { type: t.v, lo: null, hi: null, holes: false };
    if (t.v === 'set') { expect('of'); type(); return { type: 'set', lo: null, hi: null, holes: false }; }
    if (t.t === 'num') {
      expect('..');
      const lo = num(t), hi = num(next());
      return { type: t.v.includes('.') || t.v.includes('e') ? 'float' : 'int', lo, hi, holes: false };
    }
    if (t.v === '{') {
      const items: number[] = [];
      while (!peek('}')) { items.push(num(next())); if (peek(',')) next(); }
      next();
      const sorted = [...items].sort((a, b) => a - b);
      const contiguous = sorted.every((v, i) => i === 0 || v === sorted[i - 1]! + 1);
      return { type: 'int', lo: sorted[0] ?? null, hi: sorted.at(-1) ?? null, holes: !contiguous };
    }
    throw new FlatZincError(`unknown type "${t.v}"`);
  }

  const fzn: FlatZinc = { vars: new Map(), params: new Map(), outputArrays: new Map(), constraints: [], solve: { kind: 'satisfy' } };
  while (k < toks.length) {
    const t = next();
    if (t.v === 'predicate') { while (next().v !== ';'); continue; }
    if (t.v === 'constraint') {
      const c = expr();
      if (typeof c !== 'object' || c === null || !('call' in c)) throw new FlatZincError('a constraint that is not a call');
      const anns = annotations();
      expect(';');
      const def = anns.find((a) => annName(a) === 'defines_var') as { call: string; args: FznValue[] } | undefined;
      const target = def?.args[0];
      fzn.constraints.push({ name: c.call, args: c.args as Arg[], defines: target && typeof target === 'object' && 'ref' in target ? (target as FznRef).ref : null });
      continue;
    }
    if (t.v === 'solve') {
      annotations();
      const kind = next().v;
      if (kind === 'satisfy') fzn.solve = { kind: 'satisfy' };
      else if (kind === 'minimize' || kind === 'maximize') fzn.solve = { kind, objective: expr() };
      else throw new FlatZincError(`unknown solve kind "${kind}"`);
      expect(';');
      continue;
    }
    if (t.v === 'array') {
      expect('['); expr(); expect(']'); expect('of');
      const isVar = !!peek('var');
      if (isVar) next();
      type();
      expect(':');
      const name = next().v;
      const anns = annotations();
      expect('=');
      const value = expr();
      expect(';');
      if (isVar) { if (anns.some((a) => annName(a) === 'output_array')) fzn.outputArrays.set(name, value as Arg[]); }
      else fzn.params.set(name, value as FznValue);
      continue;
    }
    if (t.v === 'var') {
      const ty = type();
      expect(':');
      const name = next().v;
      const anns = annotations();
      let value: Arg | null = null;
      if (peek('=')) { next(); value = expr(); }
      expect(';');
      const names = anns.map(annName);
      fzn.vars.set(name, {
        name, ...ty,
        introducedDefined: names.includes('is_defined_var') && (names.includes('var_is_introduced') || /^X_INTRODUCED_/.test(name)),
        output: names.includes('output_var'), value,
      });
      continue;
    }
    // a parameter: int: n = 3;  float: f = 1.5;  bool: b = true;  set of int: s = 1..3;
    k--;
    type();
    expect(':');
    const name = next().v;
    annotations();
    expect('=');
    fzn.params.set(name, expr() as FznValue);
    expect(';');
  }
  return fzn;
}

// ── the model as rows and bounds ────────────────────────────────────────────────────────────────

/** A linear term list: variable name → coefficient, and a constant. */
interface Lin { terms: Map<string, number>; constant: number }

/** The linear model of a FlatZinc model, or the names of the constraints that are not linear. */
export interface LinearFzn {
  sense: 'min' | 'max' | 'satisfy';
  /** the objective as the solver sees it */
  objective: Lin;
  rows: { name: string; terms: Map<string, number>; lo: number | null; hi: number | null }[];
  cols: { name: string; lo: number | null; hi: number | null; integer: boolean }[];
  /** constraint predicates the linear reading does not know (a CP backend's globals, reified
   *  constraints): empty when the whole model is linear */
  nonlinear: string[];
  /** constraint index → its row in `rows`, -1 for a constraint that made none */
  rowOfConstraint: number[];
}

const NUMERIC = new Set(['int', 'float', 'bool']);

export function linearize(fzn: FlatZinc): LinearFzn {
  const nonlinear = new Set<string>();
  const value = (a: Arg): Arg => (typeof a === 'object' && a !== null && 'ref' in a && fzn.params.has(a.ref) ? fzn.params.get(a.ref)! : a);
  /** a scalar argument: a constant or a variable */
  const scalar = (a: Arg): { c: number } | { v: string } | null => {
    const x = value(a);
    if (typeof x === 'number') return { c: x };
    if (typeof x === 'boolean') return { c: x ? 1 : 0 };
    if (typeof x === 'object' && x !== null && 'ref' in x) {
      const v = fzn.vars.get(x.ref);
      if (v && v.value !== null) return scalar(v.value);
      return v ? { v: x.ref } : null;
    }
    return null;
  };
  const list = (a: Arg): Arg[] | null => { const x = value(a); return Array.isArray(x) ? x as Arg[] : null; };
  const lin = (coefs: Arg, vars: Arg): Lin | null => {
    const cs = list(coefs), vs = list(vars);
    if (!cs || !vs || cs.length !== vs.length) return null;
    const out: Lin = { terms: new Map(), constant: 0 };
    for (let i = 0; i < cs.length; i++) {
      const c = scalar(cs[i]!), v = scalar(vs[i]!);
      if (!c || !('c' in c) || !v) return null;
      if ('c' in v) out.constant += c.c * v.c;
      else out.terms.set(v.v, (out.terms.get(v.v) ?? 0) + c.c);
    }
    return out;
  };
  const rows: LinearFzn['rows'] = [];
  const rowOfConstraint: number[] = [];
  const add = (name: string, l: Lin | null, lo: number | null, hi: number | null) => {
    if (!l) { nonlinear.add(name); return; }
    rowOfConstraint[ci] = rows.length;
    rows.push({ name, terms: l.terms, lo: lo === null ? null : lo - l.constant, hi: hi === null ? null : hi - l.constant });
  };
  /** a - b as a Lin, for two scalars */
  const diff = (a: Arg, b: Arg): Lin | null => {
    const x = scalar(a), y = scalar(b);
    if (!x || !y) return null;
    const l: Lin = { terms: new Map(), constant: 0 };
    if ('c' in x) l.constant += x.c; else l.terms.set(x.v, 1);
    if ('c' in y) l.constant -= y.c; else l.terms.set(y.v, (l.terms.get(y.v) ?? 0) - 1);
    return l;
  };
  /** a constant argument's value; NaN for a variable */
  const constant = (a: Arg | undefined): number => { const s = a === undefined ? null : scalar(a); return s && 'c' in s ? s.c : NaN; };
  let ci = 0;
  for (; ci < fzn.constraints.length; ci++) {
    const c = fzn.constraints[ci]!;
    rowOfConstraint[ci] = -1;
    const [a, b, r] = c.args;
    switch (c.name) {
      case 'int_lin_le': case 'float_lin_le': add(c.name, lin(a!, b!), null, constant(r)); break;
      case 'int_lin_eq': case 'float_lin_eq': case 'bool_lin_eq': add(c.name, lin(a!, b!), constant(r), constant(r)); break;
      case 'int_le': case 'float_le': case 'bool_le': add(c.name, diff(a!, b!), null, 0); break;
      case 'int_lt': add(c.name, diff(a!, b!), null, -1); break;
      case 'int_eq': case 'float_eq': case 'bool_eq': case 'int2float': case 'bool2int': add(c.name, diff(a!, b!), 0, 0); break;
      default: nonlinear.add(c.name);
    }
  }
  for (const r of rows) if (Number.isNaN(r.lo) || Number.isNaN(r.hi)) nonlinear.add('a linear constraint with a variable right-hand side');
  const cols: LinearFzn['cols'] = [];
  for (const v of fzn.vars.values()) {
    if (v.value !== null) {
      // an alias or a fixed variable: a row v = value
      const d = diff({ ref: v.name }, v.value);
      if (d) rows.push({ name: 'fixed', terms: d.terms, lo: -d.constant, hi: -d.constant });
      else nonlinear.add('a variable defined by an expression');
    }
    if (!NUMERIC.has(v.type)) { nonlinear.add(`${v.type} variables`); continue; }
    if (v.holes) nonlinear.add('a domain with holes');
    const bool = v.type === 'bool';
    cols.push({ name: v.name, lo: bool ? 0 : v.lo, hi: bool ? 1 : v.hi, integer: v.type !== 'float' });
  }
  let objective: Lin = { terms: new Map(), constant: 0 };
  if (fzn.solve.kind !== 'satisfy') {
    const s = scalar(fzn.solve.objective);
    if (!s) nonlinear.add('an objective that is not a variable');
    else if ('c' in s) objective = { terms: new Map(), constant: s.c };
    else objective = { terms: new Map([[s.v, 1]]), constant: 0 };
  }
  return { sense: fzn.solve.kind === 'satisfy' ? 'satisfy' : fzn.solve.kind === 'minimize' ? 'min' : 'max', objective, rows, cols, nonlinear: [...nonlinear], rowOfConstraint };
}

/** The variable the objective is, when it is one. */
export function objectiveVariable(fzn: FlatZinc): string | null {
  if (fzn.solve.kind === 'satisfy') return null;
  const o = fzn.solve.objective;
  return typeof o === 'object' && o !== null && 'ref' in o && fzn.vars.has(o.ref) ? o.ref : null;
}

/** The LP a linear FlatZinc model is (for HiGHS, lp-writer.ts). */
export function lpOf(m: LinearFzn): LpWritable {
  const terms = (t: Map<string, number>) => [...t].filter(([, c]) => c !== 0).map(([name, coef]) => ({ name, coef }));
  return {
    sense: m.sense === 'max' ? 'max' : 'min',
    model: {
      objective: terms(m.objective.terms), objectiveConstant: m.objective.constant,
      rows: m.rows.map((r) => ({ name: null, terms: terms(r.terms), lo: r.lo, hi: r.hi })),
      cols: m.cols.map((c) => ({ name: c.name, lo: c.lo, hi: c.hi })),
    },
    columns: m.cols.map((c) => ({ ...c, lo: c.lo, hi: c.hi })),
  };
}

/**
 * What the integrity rule reads (integrity.ts): the model with the objective written out in the
 * variables that define it (MiniZinc introduces one variable for `solve maximize 3*x + 2*y` and a
 * row defining it; its computed domain is no number the completion stated), the other rows, and
 * the stated domains. Constraints that are not linear contribute their numbers as rows without
 * variables, so that no number the model states is hidden from the rule.
 */
export function factsModel(fzn: FlatZinc, m: LinearFzn): SolvedModel {
  const terms = (t: Map<string, number>) => [...t].filter(([, c]) => c !== 0).map(([name, coef]) => ({ name, coef }));
  let objective = m.objective;
  let definingRow = -1;
  const ov = objectiveVariable(fzn);
  const fixed = ov ? fzn.vars.get(ov)! : null;
  if (fixed && fixed.lo !== null && fixed.lo === fixed.hi) {
    // a variable fixed to one value (`solve minimize 0;` becomes one): a constant objective
    objective = { terms: new Map(), constant: fixed.lo };
  } else if (ov) {
    // the row that defines it: a linear equation with the objective variable in it, preferring the
    // one marked defines_var
    const defining = fzn.constraints.findIndex((c) => c.defines === ov && /_lin_eq$/.test(c.name));
    const rowIdx = defining >= 0 ? m.rowOfConstraint[defining] ?? -1 : -1;
    const row = rowIdx >= 0 ? m.rows[rowIdx] : undefined;
    const a = row?.terms.get(ov);
    if (row && a && row.lo !== null && row.lo === row.hi) {
      // Σ b_i x_i + a·ov = rhs  ⇒  ov = rhs/a − Σ (b_i/a) x_i
      const t = new Map<string, number>();
      for (const [name, b] of row.terms) if (name !== ov) t.set(name, -b / a);
      objective = { terms: t, constant: row.lo / a };
      definingRow = rowIdx;
    }
  }
  const rows: SolvedModel['rows'] = m.rows.filter((_, i) => i !== definingRow).map((r) => ({ name: null, terms: terms(r.terms), lo: r.lo, hi: r.hi }));
  // numbers of the constraints the linear reading does not cover
  const numbersOf = (a: Arg, out: number[]) => {
    const x = typeof a === 'object' && a !== null && 'ref' in a && fzn.params.has(a.ref) ? fzn.params.get(a.ref)! : a;
    if (typeof x === 'number') out.push(x);
    else if (Array.isArray(x)) for (const y of x) numbersOf(y as Arg, out);
    else if (typeof x === 'object' && x !== null && 'range' in x) out.push(...x.range);
    else if (typeof x === 'object' && x !== null && 'set' in x) out.push(...x.set);
  };
  for (const [ci, c] of fzn.constraints.entries()) {
    if ((m.rowOfConstraint[ci] ?? -1) >= 0) continue;
    const nums: number[] = [];
    for (const a of c.args) numbersOf(a, nums);
    for (const n of new Set(nums)) rows.push({ name: c.name, terms: [], lo: n, hi: n });
  }
  const cols = m.cols.map((c) => {
    const v = fzn.vars.get(c.name);
    return v?.introducedDefined || v?.type === 'bool' ? { name: c.name, lo: null, hi: null } : { name: c.name, lo: c.lo, hi: c.hi };
  });
  return { objective: terms(objective.terms), objectiveConstant: objective.constant, rows, cols };
}

/** Add `:: output_var` to a variable's declaration in FlatZinc text (the objective, so that the
 *  solver prints its value). */
export function markOutput(text: string, name: string): string {
  const re = new RegExp(`^(var [^:\\n]+:\\s*${name.replace(/[$]/g, '\\$&')})((?:\\s*::[^;=\\n]*?)?)(\\s*(?:=[^;]*)?;)`, 'm');
  return text.replace(re, (_all, head: string, anns: string, tail: string) => (/output_var/.test(anns) ? `${head}${anns}${tail}` : `${head}${anns} :: output_var${tail}`));
}

/** A FlatZinc solver's solution text (`x = 3;`, `y = 1.5;`, `b = true;`, `x = array1d(1..3, [1, 2, 3]);`)
 *  → name → number (array elements as name[i]). */
export function readDzn(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  const val = (s: string) => (s === 'true' ? 1 : s === 'false' ? 0 : Number(s));
  for (const stmt of text.split(';')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*([\s\S]*)$/.exec(stmt);
    if (!m) continue;
    const [, name, rhs] = m as unknown as [string, string, string];
    const arr = /^array\d+d\(([\s\S]*)\)\s*$/.exec(rhs.trim());
    if (arr) {
      const items = /\[([\s\S]*)\]/.exec(arr[1]!)?.[1]?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
      items.forEach((s, i) => { const x = val(s); if (Number.isFinite(x)) out[`${name}[${i + 1}]`] = x; });
      continue;
    }
    const x = val(rhs.trim());
    if (Number.isFinite(x)) out[name!] = x;
  }
  return out;
}
