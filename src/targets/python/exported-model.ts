// What the harness exports of the model a Python solve was given, read outside the code's reach.
// The harness (harness.py) writes each solve's model with the library's own writer (PuLP writeMPS,
// gurobipy/coptpy write, OR-Tools ExportModelAsMpsFormat, GLPK glp_write_mps) or, for array APIs
// (SciPy linprog/milp, cvxopt), as the arrays the solver received ("linear" JSON). This file parses
// either into a SolvedModel, writes it as CPLEX LP text for the re-solve with HiGHS, and checks a
// reported solution against it. Nothing here trusts a number the code reported.

import type { LpWritable } from '../highs/lp-writer.ts';

/** One solve's model as the harness exported it. */
export type ExportedModel =
  | { format: 'mps'; text: string; sense?: 'min' | 'max'; constant?: number }
  | { format: 'linear'; sense: 'min' | 'max'; constant?: number; c: (number | null)[]; names?: string[];
      rows: { terms: [number, number][]; lo: number | null; hi: number | null }[];
      lo: (number | null)[]; hi: (number | null)[]; integer: boolean[] };

/** A model with integrality and sense, as the re-solve needs it (what toLpText writes). */
export interface ExportedLinear extends LpWritable {
  /** every column, in order: bounds (null = infinite) and integrality */
  columns: { name: string; lo: number | null; hi: number | null; integer: boolean }[];
}

export class ExportError extends Error {
  override name = 'ExportError';
}

const num = (s: string | undefined, what: string): number => {
  const x = Number(s);
  if (s === undefined || !Number.isFinite(x)) throw new ExportError(`MPS: ${what} is not a number (${s})`);
  return x;
};
/** ±1e30 and beyond mean infinite in MPS writers. */
const bound = (x: number): number | null => (Math.abs(x) >= 1e30 ? null : x);

/** Free-format MPS (what PuLP, GLPK, Gurobi, COPT and OR-Tools write), whitespace-separated names. */
export function parseMps(text: string, senseHint?: 'min' | 'max'): ExportedLinear {
  let section = '';
  let sense: 'min' | 'max' = senseHint ?? 'min';
  let objRow: string | null = null;
  const rowType = new Map<string, string>();
  const rowOrder: string[] = [];
  const terms = new Map<string, { name: string; coef: number }[]>();
  const rhs = new Map<string, number>();
  const range = new Map<string, number>();
  const cols = new Map<string, { lo: number | null; hi: number | null; integer: boolean; loSet: boolean; hiSet: boolean }>();
  const objective: { name: string; coef: number }[] = [];
  let constant = 0;
  let inInteger = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (/^\*SENSE:\s*max/i.test(line)) { sense = 'max'; continue; }
    if (/^\*SENSE:\s*min/i.test(line)) { sense = 'min'; continue; }
    if (line.trim() === '' || line.startsWith('*')) continue;
    const tok = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) {
      section = tok[0]!.toUpperCase();
      if (section === 'OBJSENSE' && tok[1]) sense = /^MAX/i.test(tok[1]) ? 'max' : 'min';
      if (section === 'ENDATA') break;
      continue;
    }
    switch (section) {
      case 'OBJSENSE': sense = /^MAX/i.test(tok[0]!) ? 'max' : 'min'; break;
      case 'ROWS': {
        const [type, name] = [tok[0]!.toUpperCase(), tok[1]!];
        if (type === 'N') { if (objRow === null) objRow = name; else rowType.set(name, 'FREE'); continue; }
        if (!['L', 'G', 'E'].includes(type)) throw new ExportError(`MPS: unknown row type ${type}`);
        rowType.set(name, type);
        rowOrder.push(name);
        break;
      }
      case 'COLUMNS': {
        if (tok[1] === "'MARKER'") { inInteger = tok[2] === "'INTORG'"; continue; }
        const col = tok[0]!;
        if (!cols.has(col)) cols.set(col, { lo: 0, hi: null, integer: inInteger, loSet: false, hiSet: false });
        for (let k = 1; k + 1 < tok.length; k += 2) {
          const row = tok[k]!, v = num(tok[k + 1], `the coefficient of ${col} in ${row}`);
          if (row === objRow) objective.push({ name: col, coef: v });
          else if (rowType.get(row) === 'FREE') continue;
          else if (rowType.has(row)) { if (!terms.has(row)) terms.set(row, []); terms.get(row)!.push({ name: col, coef: v }); }
          else throw new ExportError(`MPS: column ${col} names an undeclared row ${row}`);
        }
        break;
      }
      case 'RHS':
      case 'RANGES': {
        const pairs = tok.length % 2 === 1 ? tok.slice(1) : tok; // the set name is optional
        for (let k = 0; k + 1 < pairs.length; k += 2) {
          const row = pairs[k]!, v = num(pairs[k + 1], `the ${section} of ${row}`);
          if (section === 'RHS' && row === objRow) constant = -v;
          else if (section === 'RHS') rhs.set(row, v);
          else range.set(row, v);
        }
        break;
      }
      case 'BOUNDS': {
        const type = tok[0]!.toUpperCase();
        // "TYPE SET COL [VALUE]", the set name optional when the value is there or the type takes none
        const valued = !['FR', 'MI', 'PL', 'BV'].includes(type);
        const col = valued ? (tok.length >= 4 ? tok[2]! : tok[1]!) : (tok.length >= 3 ? tok[2]! : tok[1]!);
        const v = valued ? num(tok[tok.length - 1], `the ${type} bound of ${col}`) : 0;
        if (!cols.has(col)) cols.set(col, { lo: 0, hi: null, integer: false, loSet: false, hiSet: false });
        const c = cols.get(col)!;
        if (type === 'UP') { c.hi = bound(v); c.hiSet = true; if (v < 0 && !c.loSet) c.lo = null; }
        else if (type === 'LO') { c.lo = bound(v); c.loSet = true; }
        else if (type === 'FX') { c.lo = c.hi = v; c.loSet = c.hiSet = true; }
        else if (type === 'FR') { c.lo = null; c.hi = null; c.loSet = c.hiSet = true; }
        else if (type === 'MI') { c.lo = null; c.loSet = true; }
        else if (type === 'PL') { c.hi = null; c.hiSet = true; }
        else if (type === 'BV') { c.lo = 0; c.hi = 1; c.integer = true; c.loSet = c.hiSet = true; }
        else if (type === 'LI') { c.lo = bound(v); c.integer = true; c.loSet = true; }
        else if (type === 'UI') { c.hi = bound(v); c.integer = true; c.hiSet = true; }
        else throw new ExportError(`MPS: bound type ${type} is not supported`);
        break;
      }
      case 'NAME': break;
      default: throw new ExportError(`MPS: section ${section || '(none)'} is not supported`);
    }
  }
  if (objRow === null) throw new ExportError('MPS: no objective row (N)');
  const rows = rowOrder.map((name) => {
    const type = rowType.get(name)!, b = rhs.get(name) ?? 0, r = range.get(name);
    let lo: number | null = type === 'L' ? null : b, hi: number | null = type === 'G' ? null : b;
    if (r !== undefined) {
      if (type === 'L') lo = b - Math.abs(r);
      else if (type === 'G') hi = b + Math.abs(r);
      else if (r > 0) hi = b + r; else lo = b + r;
    }
    return { name, terms: terms.get(name) ?? [], lo, hi };
  });
  const columns = [...cols].map(([name, c]) => ({ name, lo: c.lo, hi: c.hi, integer: c.integer }));
  return {
    sense,
    model: { objective, objectiveConstant: constant, rows, cols: columns.map(({ name, lo, hi }) => ({ name, lo, hi })) },
    columns,
  };
}

/** The "linear" JSON of array APIs (SciPy, cvxopt): objective c, rows of [column, coefficient] pairs. */
export function fromLinear(e: Extract<ExportedModel, { format: 'linear' }>): ExportedLinear {
  const n = e.c.length;
  if (![e.lo, e.hi, e.integer].every((a) => Array.isArray(a) && a.length === n)) throw new ExportError('linear export: c, lo, hi and integer differ in length');
  const name = (j: number) => e.names?.[j] ?? `x[${j}]`;
  const val = (x: number | null, what: string) => {
    if (x === null || !Number.isFinite(x)) throw new ExportError(`linear export: ${what} is not a finite number`);
    return x;
  };
  const columns = Array.from({ length: n }, (_, j) => ({ name: name(j), lo: e.lo[j] ?? null, hi: e.hi[j] ?? null, integer: Boolean(e.integer[j]) }));
  const rows = e.rows.map((r, i) => ({
    name: `r${i + 1}`,
    terms: r.terms.map(([j, a]) => {
      if (!Number.isInteger(j) || j < 0 || j >= n) throw new ExportError(`linear export: row ${i + 1} names column ${j} of ${n}`);
      return { name: name(j), coef: val(a, `a coefficient of row ${i + 1}`) };
    }),
    lo: r.lo, hi: r.hi,
  }));
  return {
    sense: e.sense,
    model: {
      objective: e.c.map((c, j) => ({ name: name(j), coef: val(c, `the objective coefficient of ${name(j)}`) })).filter((t) => t.coef !== 0),
      objectiveConstant: e.constant ?? 0,
      rows,
      cols: columns.map(({ name: nm, lo, hi }) => ({ name: nm, lo, hi })),
    },
    columns,
  };
}

export function readExport(e: ExportedModel): ExportedLinear {
  if (e.format === 'mps') {
    const m = parseMps(e.text, e.sense);
    if (e.constant !== undefined && Number.isFinite(e.constant)) m.model.objectiveConstant = e.constant;
    return m;
  }
  if (e.format === 'linear') return fromLinear(e);
  throw new ExportError(`unknown export format ${(e as { format?: unknown }).format}`);
}

/** CPLEX LP text of an exported model, columns renamed x1…xn and rows c1…cm (MPS names need not be LP names). */
export { toLpText } from '../highs/lp-writer.ts';

/** Whether `x` (column name → value) satisfies the model within `tol`, and its objective value. */
export function checkSolution(m: ExportedLinear, x: Record<string, number>, tol = 1e-6): { feasible: boolean; objective: number; problem?: string } {
  const get = (n: string) => x[n];
  for (const c of m.columns) {
    const v = get(c.name);
    if (v === undefined) return { feasible: false, objective: NaN, problem: `no value reported for ${c.name}` };
    if (c.lo !== null && v < c.lo - tol * Math.max(1, Math.abs(c.lo))) return { feasible: false, objective: NaN, problem: `${c.name} = ${v} is below its bound ${c.lo}` };
    if (c.hi !== null && v > c.hi + tol * Math.max(1, Math.abs(c.hi))) return { feasible: false, objective: NaN, problem: `${c.name} = ${v} is above its bound ${c.hi}` };
    if (c.integer && Math.abs(v - Math.round(v)) > 1e-5) return { feasible: false, objective: NaN, problem: `${c.name} = ${v} is not integer` };
  }
  for (const r of m.model.rows) {
    const a = r.terms.reduce((s, t) => s + t.coef * (get(t.name) ?? 0), 0);
    const scale = Math.max(1, Math.abs(r.lo ?? 0), Math.abs(r.hi ?? 0));
    if (r.lo !== null && a < r.lo - tol * scale) return { feasible: false, objective: NaN, problem: `row ${r.name} is ${a}, below ${r.lo}` };
    if (r.hi !== null && a > r.hi + tol * scale) return { feasible: false, objective: NaN, problem: `row ${r.name} is ${a}, above ${r.hi}` };
  }
  const objective = m.model.objectiveConstant + m.model.objective.reduce((s, t) => s + t.coef * (get(t.name) ?? 0), 0);
  return { feasible: true, objective };
}
