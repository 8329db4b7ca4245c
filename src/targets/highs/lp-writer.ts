// CPLEX LP text of a linear (mixed-integer) model, as HiGHS reads it: the server's re-solve of a
// Python run's exported model (src/targets/python/check-export.ts) and the feasibility solves behind an
// infeasible run's core (the highs runner, integrity.ts) write their models with it.

import type { SolvedModel } from '../../verifier/integrity.ts';

/** A model with sense and, for every column, its bounds (null = infinite) and integrality. */
export interface LpWritable {
  sense: 'min' | 'max';
  /** objective and rows (its `cols` are not read: `columns` are the columns) */
  model: SolvedModel;
  /** every column, in order; `semicontinuous`: 0 or within its bounds */
  columns: { name: string; lo: number | null; hi: number | null; integer: boolean; semicontinuous?: boolean }[];
}

const lpNum = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(17).replace(/\.?0+(e|$)/, '$1'));

/** CPLEX LP text, columns renamed x1…xn and rows c1…cm (the model's names need not be LP names). A
 *  row without bounds is left out (it constrains nothing). */
export function toLpText(m: LpWritable): string {
  const idx = new Map(m.columns.map((c, j) => [c.name, `x${j + 1}`]));
  const nameOf = (n: string) => {
    let v = idx.get(n);
    if (v === undefined) { v = `x${idx.size + 1}`; idx.set(n, v); }
    return v;
  };
  const expr = (ts: { name: string; coef: number }[]) => {
    const live = ts.filter((t) => t.coef !== 0);
    if (live.length === 0) return '0 x0';
    return live.map((t, i) => `${t.coef < 0 ? '- ' : i ? '+ ' : ''}${lpNum(Math.abs(t.coef))} ${nameOf(t.name)}`).join(' ');
  };
  const out = [m.sense === 'max' ? 'Maximize' : 'Minimize', ` obj: ${expr(m.model.objective)}${m.model.objectiveConstant ? ` ${m.model.objectiveConstant < 0 ? '-' : '+'} ${lpNum(Math.abs(m.model.objectiveConstant))}` : ''}`, 'Subject To'];
  m.model.rows.forEach((r, i) => {
    const e = expr(r.terms);
    if (r.lo !== null && r.hi !== null && r.lo === r.hi) out.push(` c${i + 1}: ${e} = ${lpNum(r.lo)}`);
    else {
      if (r.hi !== null) out.push(` c${i + 1}u: ${e} <= ${lpNum(r.hi)}`);
      if (r.lo !== null) out.push(` c${i + 1}l: ${e} >= ${lpNum(r.lo)}`);
    }
  });
  if (out.length === 3) out.push(' c0: 0 x0 >= 0');
  out.push('Bounds', ' x0 = 0');
  for (const c of m.columns) {
    const v = nameOf(c.name);
    if (c.lo === null && c.hi === null) out.push(` ${v} free`);
    else if (c.lo !== null && c.hi !== null && c.lo === c.hi) out.push(` ${v} = ${lpNum(c.lo)}`);
    else out.push(` ${c.lo === null ? '-inf' : lpNum(c.lo)} <= ${v} <= ${c.hi === null ? 'inf' : lpNum(c.hi)}`);
  }
  const ints = m.columns.filter((c) => c.integer && !c.semicontinuous).map((c) => nameOf(c.name));
  if (ints.length) out.push('General', ...ints.map((v) => ` ${v}`));
  const semis = m.columns.filter((c) => c.semicontinuous).map((c) => nameOf(c.name));
  if (semis.length) out.push('Semi-Continuous', ...semis.map((v) => ` ${v}`));
  out.push('End', '');
  return out.join('\n');
}
