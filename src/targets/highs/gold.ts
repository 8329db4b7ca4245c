// The generator's gold model in CPLEX LP format, as HiGHS reads it.

import { wrapLine, type LinearModel, type Term } from '../../problems/linear-model.ts';

function lpExprParts(terms: Term[]): string[] {
  return terms.map((t, i) => {
    const a = Math.abs(t.c);
    const body = a === 1 ? t.v : `${a} ${t.v}`;
    return t.c < 0 ? `- ${body}` : i === 0 ? body : `+ ${body}`;
  });
}

/** CPLEX LP text as read by HiGHS. */
export function toLp(m: LinearModel): string {
  const out: string[] = [`\\ ${m.title}`, m.sense === 'max' ? 'Maximize' : 'Minimize'];
  out.push(wrapLine(` ${m.objName}:`, lpExprParts(m.obj)));
  out.push('Subject To');
  for (const r of m.rows) out.push(wrapLine(` ${r.name}:`, lpExprParts(r.terms), `${r.op} ${r.rhs}`));
  const bounds: string[] = [];
  for (const c of m.cols) {
    if (c.kind === 'bin') continue;
    const lb = c.lb ?? 0;
    if (c.ub !== undefined) bounds.push(lb === c.ub ? ` ${c.name} = ${lb}` : lb === 0 ? ` ${c.name} <= ${c.ub}` : ` ${lb} <= ${c.name} <= ${c.ub}`);
    else if (lb !== 0) bounds.push(` ${c.name} >= ${lb}`);
  }
  if (bounds.length) out.push('Bounds', ...bounds);
  const ints = m.cols.filter((c) => c.kind === 'int').map((c) => c.name);
  const bins = m.cols.filter((c) => c.kind === 'bin').map((c) => c.name);
  const names = (xs: string[]) => wrapLine('', xs).split('\n').map((l) => ` ${l.trim()}`).join('\n');
  if (ints.length) out.push('General', names(ints));
  if (bins.length) out.push('Binary', names(bins));
  out.push('End', '');
  return out.join('\n');
}
