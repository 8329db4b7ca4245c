// The generator's gold model as a glpk.js JSON model.

import type { LinearModel, Term } from '../../problems/linear-model.ts';

// glpk.js constants: direction GLP_MIN=1 / GLP_MAX=2; bound types GLP_LO=2, GLP_UP=3, GLP_DB=4, GLP_FX=5
interface GlpkJson {
  name: string;
  objective: { direction: number; name: string; vars: { name: string; coef: number }[] };
  subjectTo: { name: string; vars: { name: string; coef: number }[]; bnds: { type: number; lb: number; ub: number } }[];
  bounds?: { name: string; type: number; lb: number; ub: number }[];
  generals?: string[];
  binaries?: string[];
}

export function toGlpkJson(name: string, m: LinearModel): GlpkJson {
  const vars = (ts: Term[]) => ts.map((t) => ({ name: t.v, coef: t.c }));
  const json: GlpkJson = {
    name,
    objective: { direction: m.sense === 'max' ? 2 : 1, name: m.objName, vars: vars(m.obj) },
    subjectTo: m.rows.map((r) => ({
      name: r.name,
      vars: vars(r.terms),
      bnds: r.op === '<=' ? { type: 3, lb: 0, ub: r.rhs } : r.op === '>=' ? { type: 2, lb: r.rhs, ub: 0 } : { type: 5, lb: r.rhs, ub: r.rhs },
    })),
  };
  const bounds = m.cols
    .filter((c) => c.kind !== 'bin' && (c.ub !== undefined || (c.lb ?? 0) !== 0))
    .map((c) => {
      const lb = c.lb ?? 0;
      // GLP_UP would mean (-inf, ub], so a [0, ub] column is double-bounded
      return c.ub === undefined ? { name: c.name, type: 2, lb, ub: 0 } : { name: c.name, type: lb === c.ub ? 5 : 4, lb, ub: c.ub };
    });
  if (bounds.length) json.bounds = bounds;
  const ints = m.cols.filter((c) => c.kind === 'int').map((c) => c.name);
  const bins = m.cols.filter((c) => c.kind === 'bin').map((c) => c.name);
  if (ints.length) json.generals = ints;
  if (bins.length) json.binaries = bins;
  return json;
}
