// The generator's gold model as a PuLP program: one LpVariable per column, the objective, one named
// constraint per row, a CBC solve, and the status and objective printed the way a person writes them.
// Column names become Python identifiers (letters, digits and _, starting with a letter, no keyword
// or builtin, unique), and the same text is the PuLP name, so PuLP has nothing to rename (it turns
// `-+[] ->/` into `_`) and no two variables or constraints share a name.

import type { LinearModel, Term } from '../../problems/linear-model.ts';

// Python's keywords (soft ones too), its builtins, and the two names the program itself uses
const RESERVED = new Set([
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'case', 'class', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'match', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'try', 'type', 'while', 'with', 'yield',
  'abs', 'aiter', 'all', 'anext', 'any', 'ascii', 'bin', 'bool', 'breakpoint', 'bytearray', 'bytes', 'callable', 'chr', 'classmethod',
  'compile', 'complex', 'copyright', 'credits', 'delattr', 'dict', 'dir', 'divmod', 'enumerate', 'eval', 'exec', 'exit', 'filter', 'float',
  'format', 'frozenset', 'getattr', 'globals', 'hasattr', 'hash', 'help', 'hex', 'id', 'input', 'int', 'isinstance', 'issubclass', 'iter',
  'len', 'license', 'list', 'locals', 'map', 'max', 'memoryview', 'min', 'next', 'object', 'oct', 'open', 'ord', 'pow', 'print', 'property',
  'quit', 'range', 'repr', 'reversed', 'round', 'set', 'setattr', 'slice', 'sorted', 'staticmethod', 'str', 'sum', 'super', 'tuple', 'vars',
  'zip', 'pulp', 'prob',
]);

/** A Python identifier (and PuLP name) for a model name: letters, digits and _, starting with a letter, no keyword or builtin. */
export function pyName(name: string): string {
  let n = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (!/^[A-Za-z]/.test(n)) n = `v_${n}`;
  return RESERVED.has(n) ? `${n}_` : n;
}

/** pyName made unique among `taken` (which it joins): x, x_2, x_3, ... */
function uniqueName(name: string, taken: Set<string>): string {
  const base = pyName(name);
  let n = base;
  for (let k = 2; taken.has(n); k++) n = `${base}_${k}`;
  taken.add(n);
  return n;
}

/** A number as a Python literal, exactly (the shortest text that reads back as the same double; integers without `.0`). */
export function pyNumber(x: number): string {
  if (Number.isNaN(x)) return 'float("nan")';
  if (!Number.isFinite(x)) return x > 0 ? 'float("inf")' : '-float("inf")';
  if (Object.is(x, -0)) return '0';
  return String(x); // JS and Python both print the shortest round-trip digits; 1e-7 and 1e+21 are Python literals too
}

function exprParts(terms: Term[], name: (v: string) => string): string[] {
  return terms.map((t, i) => {
    const a = Math.abs(t.c);
    const body = a === 1 ? name(t.v) : `${pyNumber(a)} * ${name(t.v)}`;
    return t.c < 0 ? (i === 0 ? `-${body}` : `- ${body}`) : i === 0 ? body : `+ ${body}`;
  });
}

/** `prob += <body>, "<label>"` on one line, or with the body in parentheses over several lines. */
function addStatement(parts: string[], label: string): string[] {
  const tail = `, "${label}"`;
  const one = `prob += ${parts.join(' ')}${tail}`;
  if (one.length <= 88) return [one];
  const lines: string[] = [];
  let cur = '';
  for (const p of parts) {
    if (cur !== '' && 4 + cur.length + 1 + p.length > 88) { lines.push(`    ${cur}`); cur = p; }
    else cur = cur === '' ? p : `${cur} ${p}`;
  }
  if (cur !== '') lines.push(`    ${cur}`);
  return ['prob += (', ...lines, `)${tail}`];
}

/** A name for the LpProblem: the given one, or the title up to its first ':' (e.g. "Production_planning"). */
function problemName(m: LinearModel, name?: string): string {
  const raw = name ?? (m.title.split(':')[0]!.trim() || m.objName || 'model');
  return pyName(raw).replace(/_+/g, '_').replace(/_$/, '') || 'model';
}

/** The model as a complete PuLP program that solves it with CBC and prints the status and the optimal value. */
export function toPulp(m: LinearModel, name?: string): string {
  const vars = new Set<string>();
  const ids = new Map<string, string>();
  for (const c of m.cols) if (!ids.has(c.name)) ids.set(c.name, uniqueName(c.name, vars));
  // a term over a name that is not a column still gets a variable (declared with the defaults), as in the LP text
  for (const t of [...m.obj, ...m.rows.flatMap((r) => r.terms)]) if (!ids.has(t.v)) ids.set(t.v, uniqueName(t.v, vars));
  const id = (v: string) => ids.get(v)!;

  const out = [
    `# ${m.title.replace(/\s*\n\s*/g, ' ')}`,
    'import pulp',
    '',
    `prob = pulp.LpProblem("${problemName(m, name)}", ${m.sense === 'max' ? 'pulp.LpMaximize' : 'pulp.LpMinimize'})`,
    '',
  ];

  const declared = new Set<string>();
  const declare = (v: string, kind: 'cont' | 'int' | 'bin', lb: number | undefined, ub: number | undefined) => {
    if (declared.has(v)) return;
    declared.add(v);
    const args = [`"${id(v)}"`];
    if (kind === 'bin') args.push('cat="Binary"');
    else {
      const lo = lb ?? 0;
      args.push(`lowBound=${lo === -Infinity ? 'None' : pyNumber(lo)}`);
      if (ub !== undefined && ub !== Infinity) args.push(`upBound=${pyNumber(ub)}`);
      args.push(`cat="${kind === 'int' ? 'Integer' : 'Continuous'}"`);
    }
    out.push(`${id(v)} = pulp.LpVariable(${args.join(', ')})`);
  };
  for (const c of m.cols) declare(c.name, c.kind, c.lb, c.ub);
  for (const v of ids.keys()) declare(v, 'cont', undefined, undefined);
  out.push('');

  const labels = new Set<string>();
  const objName = uniqueName(m.objName || 'objective', labels);
  if (m.obj.length === 0) out.push(`prob += 0, "${objName}"  # no objective terms: every feasible point is optimal`);
  else out.push(...addStatement(exprParts(m.obj, id), objName));
  out.push('');

  for (const r of m.rows) {
    const op = r.op === '=' ? '==' : r.op;
    // a row without terms is still a constraint (true or false for every point), so it stays one
    const lhs = r.terms.length ? exprParts(r.terms, id) : ['pulp.LpAffineExpression()'];
    out.push(...addStatement([...lhs, `${op} ${pyNumber(r.rhs)}`], uniqueName(r.name, labels)));
  }
  if (m.rows.length) out.push('');

  out.push('prob.solve(pulp.PULP_CBC_CMD(msg=0))');
  out.push('print("Status:", pulp.LpStatus[prob.status])');
  // PuLP reads an objective without variables back as None (it adds a column __dummy that gets no value)
  out.push(m.obj.length ? 'print("Optimal value:", pulp.value(prob.objective))' : 'print("Optimal value:", pulp.value(prob.objective) or 0)');
  out.push('');
  return out.join('\n');
}
