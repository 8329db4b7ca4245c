// The generator's gold model in GNU MathProg, one statement per column and row. Families write
// their own MathProg with sets, params and a data section (src/problems/families/*), which the
// generator prefers; this writer covers any LinearModel (and a model the demo altered).

import { wrapLine, type LinearModel, type Term } from '../../problems/linear-model.ts';

function expr(terms: Term[]): string[] {
  if (terms.length === 0) return ['0'];
  return terms.map((t, i) => {
    const a = Math.abs(t.c);
    const body = a === 1 ? t.v : `${a}*${t.v}`;
    return t.c < 0 ? `- ${body}` : i === 0 ? body : `+ ${body}`;
  });
}

export function toMathProg(m: LinearModel): string {
  const out = [`/* ${m.title.replace(/\*\//g, '* /')} */`];
  for (const c of m.cols) {
    if (c.kind === 'bin') { out.push(`var ${c.name} binary;`); continue; }
    const lb = c.lb ?? 0;
    const bounds = c.ub !== undefined && c.ub === lb ? [`= ${lb}`] : [`>= ${lb}`, ...(c.ub !== undefined ? [`<= ${c.ub}`] : [])];
    out.push(`var ${c.name} ${[...bounds, ...(c.kind === 'int' ? ['integer'] : [])].join(', ')};`);
  }
  out.push(wrapLine(`${m.sense === 'max' ? 'maximize' : 'minimize'} ${m.objName}:`, expr(m.obj), ';').replace(/ ;$/, ';'));
  for (const r of m.rows) out.push(wrapLine(`s.t. ${r.name}:`, expr(r.terms), `${r.op === '=' ? '=' : r.op} ${r.rhs};`));
  out.push('solve;', 'end;', '');
  return out.join('\n');
}
