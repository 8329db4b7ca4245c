// The generator's gold model in MiniZinc: one declaration per column, one constraint per row, the
// objective last. Integer columns are `var int` (binaries `var 0..1`), continuous ones `var float`;
// MiniZinc converts an int to float where a row mixes them.

import type { LinearModel, Term } from '../../problems/linear-model.ts';

// MiniZinc's keywords and the library functions a column name must not shadow
const RESERVED = new Set([
  'ann', 'annotation', 'any', 'array', 'bool', 'case', 'constraint', 'diff', 'div', 'else', 'elseif', 'endif', 'enum', 'false', 'float',
  'function', 'if', 'in', 'include', 'int', 'intersect', 'let', 'list', 'maximize', 'minimize', 'mod', 'not', 'of', 'op', 'opt', 'output',
  'par', 'predicate', 'record', 'satisfy', 'set', 'solve', 'string', 'subset', 'superset', 'symdiff', 'test', 'then', 'true', 'tuple',
  'type', 'union', 'var', 'where', 'xor', 'sum', 'max', 'min', 'abs', 'pow', 'sqrt', 'exp', 'ln', 'log', 'product', 'forall', 'exists',
]);

/** A MiniZinc identifier for a column name (letters, digits and _, starting with a letter, no keyword). */
export function mznName(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(n)) n = `v_${n}`;
  return RESERVED.has(n) ? `${n}_` : n;
}

/** A number as a MiniZinc literal (floats keep a '.' before any exponent: 1.0e-5). */
export function mznNumber(x: number): string {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
  const s = String(x);
  return s.includes('e') && !s.split('e')[0]!.includes('.') ? s.replace('e', '.0e') : s;
}

function expr(terms: Term[], name: (v: string) => string): string {
  if (terms.length === 0) return '0';
  return terms.map((t, i) => {
    const a = Math.abs(t.c);
    const body = a === 1 ? name(t.v) : `${mznNumber(a)} * ${name(t.v)}`;
    return t.c < 0 ? (i === 0 ? `-${body}` : `- ${body}`) : i === 0 ? body : `+ ${body}`;
  }).join(' ');
}

export function toMiniZinc(m: LinearModel): string {
  const names = new Map(m.cols.map((c) => [c.name, mznName(c.name)]));
  const name = (v: string) => names.get(v) ?? mznName(v);
  const out = [`% ${m.title.replace(/\n/g, ' ')}`];
  for (const c of m.cols) {
    if (c.kind === 'bin') { out.push(`var 0..1: ${name(c.name)};`); continue; }
    const lb = c.lb ?? 0;
    const type = c.kind === 'int' ? 'int' : 'float';
    const lit = (x: number) => (type === 'float' && Number.isInteger(x) ? `${x}.0` : mznNumber(x));
    const integral = c.kind !== 'int' || (Number.isInteger(lb) && (c.ub === undefined || Number.isInteger(c.ub)));
    if (c.ub !== undefined && integral) out.push(`var ${lit(lb)}..${lit(c.ub)}: ${name(c.name)};`);
    else {
      out.push(`var ${type}: ${name(c.name)};`);
      out.push(`constraint ${name(c.name)} >= ${mznNumber(lb)};`);
      if (c.ub !== undefined) out.push(`constraint ${name(c.name)} <= ${mznNumber(c.ub)};`);
    }
  }
  for (const r of m.rows) out.push(`constraint ${expr(r.terms, name)} ${r.op === '=' ? '=' : r.op} ${mznNumber(r.rhs)}; % ${r.name}`);
  out.push(`solve ${m.sense === 'max' ? 'maximize' : 'minimize'} ${expr(m.obj, name)};`, '');
  return out.join('\n');
}
