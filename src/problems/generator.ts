// Seeded generator of optimization word problems (NL4OPT style) with gold models in
// every in-browser target language: CPLEX LP (HiGHS), GNU MathProg (glpsol) and
// glpk.js JSON. Each family builds one small model IR (→ LP + JSON) plus its own
// MathProg model with sets/params and a data section. All numbers are small integers
// that appear verbatim in the question text; every instance is feasible and bounded
// by construction (a known feasible point is built first, limits are set around it).

import { Rng, mixSeed } from './rng.ts';

export const FAMILIES = ['production', 'diet', 'transportation', 'assignment', 'knapsack', 'staffing'] as const;
export type Family = typeof FAMILIES[number];

export interface GeneratedProblem {
  id: string; // e.g. "gen-production-s42-d2"
  family: Family;
  seed: number;
  difficulty: number; // 1 (smallest) .. 5
  question: string; // the word problem
  sense: 'max' | 'min';
  integer: boolean; // whether the gold model has integer/binary variables
  gold: { highs: string; glpk: string; 'glpk-json': string };
}

export function generateProblem(family: Family, seed: number, difficulty = 2): GeneratedProblem {
  if (!(FAMILIES as readonly string[]).includes(family)) parseFamilies(family); // throws a helpful error
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 5) {
    throw new RangeError(`difficulty must be an integer 1..5, got ${difficulty}`);
  }
  const rng = new Rng(mixSeed(seed, FAMILIES.indexOf(family) + 1, difficulty));
  const id = `gen-${family}-s${seed}-d${difficulty}`;
  const b = BUILDERS[family](rng, difficulty);
  return {
    id,
    family,
    seed,
    difficulty,
    question: b.question,
    sense: b.model.sense,
    integer: b.model.cols.some((c) => c.kind !== 'cont'),
    gold: { highs: toLp(b.model), glpk: b.mathprog, 'glpk-json': JSON.stringify(toGlpkJson(id, b.model)) },
  };
}

export function generateProblems(opts: {
  families?: readonly Family[];
  count: number;
  seed: number;
  difficulty?: number;
}): GeneratedProblem[] {
  const fams = opts.families ?? FAMILIES;
  if (fams.length === 0) throw new RangeError('generateProblems: families is empty');
  const out: GeneratedProblem[] = [];
  for (let i = 0; i < opts.count; i++) {
    // instance seed: a uint32 derived from (opts.seed, index), stable across platforms
    out.push(generateProblem(fams[i % fams.length] as Family, mixSeed(opts.seed, i), opts.difficulty ?? 2));
  }
  return out;
}

export function parseFamilies(spec: string): Family[] {
  const parts = spec.split(',').map((s) => s.trim().toLowerCase()).filter((s) => s !== '');
  const valid = `valid families: ${FAMILIES.join(', ')} (or "all")`;
  if (parts.length === 0) throw new Error(`No problem family given; ${valid}`);
  const out: Family[] = [];
  for (const p of parts) {
    if (p === 'all') {
      for (const f of FAMILIES) if (!out.includes(f)) out.push(f);
    } else if ((FAMILIES as readonly string[]).includes(p)) {
      if (!out.includes(p as Family)) out.push(p as Family);
    } else {
      throw new Error(`Unknown problem family "${p}"; ${valid}`);
    }
  }
  return out;
}

// ───────────────────────── model IR and writers ─────────────────────────

type Op = '<=' | '>=' | '=';
interface Term { v: string; c: number }
interface Row { name: string; terms: Term[]; op: Op; rhs: number }
interface Col { name: string; kind: 'cont' | 'int' | 'bin'; lb?: number; ub?: number } // default [0, +inf)
interface Model {
  title: string; // one-line comment for the LP file
  sense: 'max' | 'min';
  objName: string;
  obj: Term[];
  rows: Row[];
  cols: Col[];
}
interface Built { question: string; model: Model; mathprog: string }

function lpExprParts(terms: Term[]): string[] {
  return terms.map((t, i) => {
    const a = Math.abs(t.c);
    const body = a === 1 ? t.v : `${a} ${t.v}`;
    return t.c < 0 ? `- ${body}` : i === 0 ? body : `+ ${body}`;
  });
}

/** " head part part ... tail", wrapped at ~78 chars with indented continuation lines. */
function wrapLine(head: string, parts: string[], tail = ''): string {
  const lines: string[] = [];
  let cur = head;
  for (const p of [...parts, ...(tail ? [tail] : [])]) {
    if (cur !== head && cur.length + 1 + p.length > 78) {
      lines.push(cur);
      cur = '   ' + p;
    } else {
      cur = cur === '' ? p : `${cur} ${p}`;
    }
  }
  lines.push(cur);
  return lines.join('\n');
}

/** CPLEX LP text as read by HiGHS. */
function toLp(m: Model): string {
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

// glpk.js constants: direction GLP_MIN=1 / GLP_MAX=2; bound types GLP_LO=2, GLP_UP=3, GLP_DB=4, GLP_FX=5
interface GlpkJson {
  name: string;
  objective: { direction: number; name: string; vars: { name: string; coef: number }[] };
  subjectTo: { name: string; vars: { name: string; coef: number }[]; bnds: { type: number; lb: number; ub: number } }[];
  bounds?: { name: string; type: number; lb: number; ub: number }[];
  generals?: string[];
  binaries?: string[];
}

function toGlpkJson(name: string, m: Model): GlpkJson {
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

// MathProg data-section helpers
const mpSet = (name: string, xs: readonly string[]) => wrapLine(`set ${name} :=`, [...xs.slice(0, -1), `${xs[xs.length - 1]};`]);
function mpParam1(name: string, keys: readonly string[], val: (k: string) => number): string {
  const w = Math.max(...keys.map((k) => k.length));
  return `param ${name} :=\n${keys.map((k) => `  ${k.padEnd(w)} ${val(k)}`).join('\n')};`;
}
function mpParam2(name: string, rows: readonly string[], cols: readonly string[], val: (r: string, c: string) => number): string {
  const rw = Math.max(...rows.map((r) => r.length));
  const cw = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(val(r, c)).length)));
  const head = `param ${name} :\n  ${''.padEnd(rw)} ${cols.map((c, j) => c.padStart(cw[j] as number)).join(' ')} :=`;
  const body = rows.map((r) => `  ${r.padEnd(rw)} ${cols.map((c, j) => String(val(r, c)).padStart(cw[j] as number)).join(' ')}`);
  return `${head}\n${body.join('\n')};`;
}

// ───────────────────────── text helpers ─────────────────────────

/** Integer with thousands separators: 12500 → "12,500". */
function fmt(n: number): string {
  const s = String(Math.abs(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return n < 0 ? `-${s}` : s;
}
const money = (n: number) => `$${fmt(n)}`;
const ucfirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const article = (w: string) => (/^[aeiou]/i.test(w) ? `an ${w}` : `a ${w}`);
function join(xs: readonly string[], conj = 'and'): string {
  if (xs.length <= 1) return xs[0] ?? '';
  if (xs.length === 2) return `${xs[0]} ${conj} ${xs[1]}`;
  return `${xs.slice(0, -1).join(', ')} ${conj} ${xs[xs.length - 1]}`;
}
/** A measured amount: {one:'hour', many:'hours', of:'labor'} → "3 hours of labor". */
interface Measure { one: string; many: string; of?: string }
const amt = (n: number, m: Measure) => `${fmt(n)} ${n === 1 ? m.one : m.many}${m.of ? ` of ${m.of}` : ''}`;
const amtShort = (n: number, m: Measure) => `${fmt(n)} ${n === 1 ? m.one : m.many}`;
const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((s, x, i) => s + x * (b[i] as number), 0);
/** Size range per difficulty 1..5. */
const sized = (rng: Rng, d: number, table: readonly (readonly [number, number])[]) => {
  const [lo, hi] = table[d - 1] as readonly [number, number];
  return rng.int(lo, hi);
};
const fixEnd = (s: string) => s.replace(/\s+/g, ' ').trim();

// ───────────────────────── production ─────────────────────────
// products P × resources R; max Σ profit[p]·x[p] s.t. Σ use[r,p]·x[p] ≤ avail[r];
// d≥3: market caps x[p] ≤ maxsell[p]; d≥4: contract minimum on one product; d5: ratio row.

interface Item { id: string; one: string; many: string }
interface ProdCtx {
  intro: (items: string) => string;
  who: string;
  items: Item[];
  unit: string | null; // bulk measure ('acre', 'ton'); null = countable units
  resources: (Measure & { id: string })[];
  period: string;
  profit: [number, number, number]; // lo, hi, step ($ per unit)
  amountOf: (it: Item) => string; // "the number of desks made"
  capIntro: string;
  made: string; // past participle: made / planted / produced
  questions: string[];
}

const PROD_CTX: ProdCtx[] = [
  {
    intro: (xs) => `A furniture workshop makes ${xs}.`,
    who: 'the workshop',
    items: [
      { id: 'chairs', one: 'chair', many: 'chairs' }, { id: 'tables', one: 'table', many: 'tables' },
      { id: 'desks', one: 'desk', many: 'desks' }, { id: 'shelves', one: 'shelf', many: 'shelves' },
      { id: 'benches', one: 'bench', many: 'benches' }, { id: 'stools', one: 'stool', many: 'stools' },
      { id: 'cabinets', one: 'cabinet', many: 'cabinets' }, { id: 'dressers', one: 'dresser', many: 'dressers' },
      { id: 'bookcases', one: 'bookcase', many: 'bookcases' },
    ],
    unit: null,
    resources: [
      { id: 'wood', one: 'board foot', many: 'board feet', of: 'wood' },
      { id: 'carpentry', one: 'hour', many: 'hours', of: 'carpentry' },
      { id: 'finishing', one: 'hour', many: 'hours', of: 'finishing' },
      { id: 'varnish', one: 'liter', many: 'liters', of: 'varnish' },
      { id: 'machine', one: 'hour', many: 'hours', of: 'machine time' },
    ],
    period: 'each week',
    profit: [10, 90, 5],
    amountOf: (it) => `the number of ${it.many} made`,
    capIntro: 'The market can absorb at most',
    made: 'made',
    questions: [
      'How many of each product should the workshop make each week to maximize its total profit?',
      'How many units of each product should be made to maximize the weekly profit?',
      'Determine the weekly production plan that maximizes the total profit.',
    ],
  },
  {
    intro: (xs) => `An electronics plant assembles ${xs}.`,
    who: 'the plant',
    items: [
      { id: 'phones', one: 'phone', many: 'phones' }, { id: 'tablets', one: 'tablet', many: 'tablets' },
      { id: 'laptops', one: 'laptop', many: 'laptops' }, { id: 'monitors', one: 'monitor', many: 'monitors' },
      { id: 'speakers', one: 'speaker', many: 'speakers' }, { id: 'routers', one: 'router', many: 'routers' },
      { id: 'cameras', one: 'camera', many: 'cameras' }, { id: 'headsets', one: 'headset', many: 'headsets' },
      { id: 'consoles', one: 'game console', many: 'game consoles' },
    ],
    unit: null,
    resources: [
      { id: 'assembly', one: 'hour', many: 'hours', of: 'assembly time' },
      { id: 'testing', one: 'hour', many: 'hours', of: 'testing time' },
      { id: 'boards', one: 'circuit board', many: 'circuit boards' },
      { id: 'packaging', one: 'minute', many: 'minutes', of: 'packaging' },
      { id: 'soldering', one: 'hour', many: 'hours', of: 'soldering' },
    ],
    period: 'per day',
    profit: [20, 150, 10],
    amountOf: (it) => `the number of ${it.many} assembled`,
    capIntro: 'Retailers will buy at most',
    made: 'assembled',
    questions: [
      'How many of each device should the plant assemble per day to maximize profit?',
      'How many units of each product should be assembled each day to maximize the total profit?',
    ],
  },
  {
    intro: (xs) => `A bakery bakes ${xs} every morning.`,
    who: 'the bakery',
    items: [
      { id: 'cakes', one: 'cake', many: 'cakes' }, { id: 'pies', one: 'pie', many: 'pies' },
      { id: 'tarts', one: 'tart', many: 'tarts' }, { id: 'loaves', one: 'loaf of bread', many: 'loaves of bread' },
      { id: 'cheesecakes', one: 'cheesecake', many: 'cheesecakes' }, { id: 'baguettes', one: 'baguette', many: 'baguettes' },
      { id: 'strudels', one: 'strudel', many: 'strudels' }, { id: 'quiches', one: 'quiche', many: 'quiches' },
      { id: 'pretzels', one: 'pretzel', many: 'pretzels' },
    ],
    unit: null,
    resources: [
      { id: 'flour', one: 'cup', many: 'cups', of: 'flour' },
      { id: 'sugar', one: 'cup', many: 'cups', of: 'sugar' },
      { id: 'butter', one: 'stick', many: 'sticks', of: 'butter' },
      { id: 'oven', one: 'minute', many: 'minutes', of: 'oven time' },
      { id: 'labor', one: 'minute', many: 'minutes', of: 'labor' },
    ],
    period: 'each morning',
    profit: [2, 20, 1],
    amountOf: (it) => `the number of ${it.many} baked`,
    capIntro: 'Customers will buy at most',
    made: 'baked',
    questions: [
      'How many of each item should the bakery bake to maximize its profit?',
      'How many of each baked good should be made each morning to maximize the total profit?',
    ],
  },
  {
    intro: (xs) => `A farmer is deciding how many acres to plant with ${xs} this season.`,
    who: 'the farmer',
    items: [
      { id: 'wheat', one: 'wheat', many: 'wheat' }, { id: 'corn', one: 'corn', many: 'corn' },
      { id: 'barley', one: 'barley', many: 'barley' }, { id: 'soybeans', one: 'soybeans', many: 'soybeans' },
      { id: 'oats', one: 'oats', many: 'oats' }, { id: 'canola', one: 'canola', many: 'canola' },
      { id: 'potatoes', one: 'potatoes', many: 'potatoes' }, { id: 'sunflowers', one: 'sunflowers', many: 'sunflowers' },
      { id: 'rye', one: 'rye', many: 'rye' },
    ],
    unit: 'acre',
    resources: [
      { id: 'labor', one: 'hour', many: 'hours', of: 'labor' },
      { id: 'fertilizer', one: 'bag', many: 'bags', of: 'fertilizer' },
      { id: 'water', one: 'unit', many: 'units', of: 'irrigation water' },
      { id: 'machinery', one: 'hour', many: 'hours', of: 'tractor time' },
      { id: 'pesticide', one: 'liter', many: 'liters', of: 'pesticide' },
    ],
    period: 'this season',
    profit: [100, 500, 10],
    amountOf: (it) => `the area planted with ${it.one}`,
    capIntro: 'Because of limited demand, the farmer will plant at most',
    made: 'planted',
    questions: [
      'How many acres of each crop should the farmer plant to maximize total profit?',
      'How should the land be divided among the crops to maximize the profit for the season?',
    ],
  },
  {
    intro: (xs) => `A chemical company produces ${xs}.`,
    who: 'the company',
    items: [
      { id: 'solvent', one: 'solvent', many: 'solvent' }, { id: 'cleaner', one: 'cleaner', many: 'cleaner' },
      { id: 'polish', one: 'polish', many: 'polish' }, { id: 'degreaser', one: 'degreaser', many: 'degreaser' },
      { id: 'coating', one: 'coating', many: 'coating' }, { id: 'sealant', one: 'sealant', many: 'sealant' },
      { id: 'primer', one: 'primer', many: 'primer' }, { id: 'adhesive', one: 'adhesive', many: 'adhesive' },
      { id: 'lubricant', one: 'lubricant', many: 'lubricant' },
    ],
    unit: 'ton',
    resources: [
      { id: 'reactor', one: 'hour', many: 'hours', of: 'reactor time' },
      { id: 'labor', one: 'hour', many: 'hours', of: 'labor' },
      { id: 'base', one: 'unit', many: 'units', of: 'base chemical' },
      { id: 'mixing', one: 'hour', many: 'hours', of: 'mixing time' },
      { id: 'catalyst', one: 'kilogram', many: 'kilograms', of: 'catalyst' },
    ],
    period: 'per week',
    profit: [50, 400, 10],
    amountOf: (it) => `the amount of ${it.one} produced`,
    capIntro: 'Customers will buy at most',
    made: 'produced',
    questions: [
      'How many tons of each product should be produced per week to maximize total profit?',
      'Find the weekly production plan (in tons) that maximizes the company\'s profit.',
    ],
  },
];

function buildProduction(rng: Rng, d: number): Built {
  const ctx = rng.pick(PROD_CTX);
  const nP = sized(rng, d, [[2, 2], [2, 3], [3, 4], [4, 6], [6, 8]]);
  const nR = sized(rng, d, [[2, 2], [2, 3], [3, 3], [3, 4], [4, 5]]);
  const items = rng.sample(ctx.items, nP);
  const res = rng.sample(ctx.resources, nR);
  const integer = ctx.unit === null;
  const [plo, phi, pstep] = ctx.profit;

  const profit = items.map(() => rng.int(plo / pstep, phi / pstep) * pstep); // $ per unit
  const use = res.map(() => items.map(() => rng.int(1, 9))); // [r][p] resource units per unit
  const target = items.map(() => rng.int(3, 15)); // a plausible plan, sizes the capacities
  const avail = use.map((row) => Math.max(5, Math.round((dot(row, target) * rng.int(60, 100)) / 100 / 5) * 5));

  const caps = d >= 3 ? target.map((t) => Math.max(2, Math.round((t * rng.int(50, 130)) / 100))) : null;
  let minIdx = -1;
  let minAmt = 0;
  if (d >= 4) {
    minIdx = rng.int(0, nP - 1);
    const most = Math.min((caps as number[])[minIdx] as number, ...res.map((_, r) => Math.floor((avail[r] as number) / (use[r]![minIdx] as number))));
    const lo = Math.min(most, Math.max(2, Math.ceil(most * 0.2)));
    if (most >= 1) minAmt = rng.int(lo, Math.max(lo, Math.floor(most * 0.5)));
    else minIdx = -1;
  }
  let ratio: { x: number; y: number; k: number } | null = null; // x ≤ k·y (k = 1: "at least as many y as x")
  if (d >= 5) {
    const cand = items.map((_, i) => i).filter((i) => i !== minIdx);
    const x = rng.pick(cand);
    const y = rng.pick(items.map((_, i) => i).filter((i) => i !== x));
    ratio = { x, y, k: rng.pick([1, 2, 3]) };
  }

  // ── text ──
  const u = ctx.unit;
  const each = (it: Item) => (u ? `each ${u} of ${it.one}` : `each ${it.one}`);
  const an = (it: Item) => (u ? `${article(u)} of ${it.one}` : article(it.one));
  const per = (it: Item) => (u ? `per ${u} of ${it.one}` : `per ${it.one}`);
  const qty = (n: number, it: Item) => (u ? `${fmt(n)} ${n === 1 ? u : u + 's'} of ${it.one}` : `${fmt(n)} ${n === 1 ? it.one : it.many}`);
  const names = join(items.map((it) => it.many));
  const availTxt = join(res.map((r, i) => amt(avail[i] as number, r)));
  const profitTxt = join(items.map((it, j) => `${money(profit[j] as number)} ${per(it)}`));
  const s: string[] = [ctx.intro(names)];
  const style = rng.int(0, 2);
  if (style === 0) {
    items.forEach((it, j) => s.push(`${ucfirst(each(it))} requires ${join(res.map((r, i) => amt(use[i]![j] as number, r)))}.`));
    s.push(`${ucfirst(ctx.who)} has ${availTxt} available ${ctx.period}.`);
    s.push(`The profit is ${profitTxt}.`);
  } else if (style === 1) {
    s.push(`${ucfirst(ctx.who)} earns a profit of ${profitTxt}.`);
    res.forEach((r, i) => {
      const parts = items.map((it, j) => (j === 0 ? `${an(it)} needs ${amt(use[i]![j] as number, r)}` : `${an(it)} ${amtShort(use[i]![j] as number, r)}`));
      s.push(`${ucfirst(join(parts))}; ${amt(avail[i] as number, r)} ${avail[i] === 1 ? 'is' : 'are'} available ${ctx.period}.`);
    });
  } else {
    items.forEach((it, j) =>
      s.push(`${ucfirst(an(it))} uses ${join(res.map((r, i) => amt(use[i]![j] as number, r)))} and earns a profit of ${money(profit[j] as number)}.`),
    );
    s.push(`Available ${ctx.period}: ${availTxt}.`);
  }
  if (caps) s.push(`${ctx.capIntro} ${join(items.map((it, j) => qty(caps[j] as number, it)))} ${ctx.period}.`);
  if (minIdx >= 0) s.push(`Because of an existing contract, at least ${qty(minAmt, items[minIdx] as Item)} must be ${ctx.made}.`);
  if (ratio) {
    const X = items[ratio.x] as Item;
    const Y = items[ratio.y] as Item;
    s.push(ratio.k === 1
      ? `${ucfirst(ctx.amountOf(Y))} must be at least ${ctx.amountOf(X)}.`
      : `${ucfirst(ctx.amountOf(X))} must not exceed ${ratio.k} times ${ctx.amountOf(Y)}.`);
  }
  if (integer) s.push(rng.pick(['Only whole units can be produced.', 'Fractional units cannot be made.']));
  s.push(rng.pick(ctx.questions));

  // ── model ──
  const ids = items.map((it) => it.id);
  const rows: Row[] = res.map((r, i) => ({
    name: `limit_${r.id}`, terms: ids.map((v, j) => ({ v, c: use[i]![j] as number })), op: '<=', rhs: avail[i] as number,
  }));
  if (ratio) {
    rows.push({ name: 'ratio', terms: [{ v: ids[ratio.x] as string, c: 1 }, { v: ids[ratio.y] as string, c: -ratio.k }], op: '<=', rhs: 0 });
  }
  const cols: Col[] = ids.map((v, j) => ({
    name: v, kind: integer ? 'int' : 'cont', lb: j === minIdx ? minAmt : 0, ...(caps ? { ub: caps[j] as number } : {}),
  }));
  const model: Model = {
    title: `Production planning: maximize profit (${integer ? 'integer' : 'continuous'} quantities)`,
    sense: 'max', objName: 'profit', obj: ids.map((v, j) => ({ v, c: profit[j] as number })), rows, cols,
  };

  // ── MathProg ──
  const unitWord = u ?? 'unit';
  const varBounds = [minIdx >= 0 ? '>= minmake[p]' : '>= 0', ...(caps ? ['<= maxsell[p]'] : []), ...(integer ? ['integer'] : [])];
  const mp = [
    `# Production planning: how much of each product to make.`,
    `set P;                 # products`,
    `set R;                 # resources`,
    `param profit{P};       # $ per ${unitWord}`,
    `param use{R, P};       # resource units needed per ${unitWord} of product`,
    `param avail{R};        # resource units available`,
    ...(caps ? [`param maxsell{P};      # market limit (${unitWord}s)`] : []),
    ...(minIdx >= 0 ? [`param minmake{P} default 0;  # contracted minimum (${unitWord}s)`] : []),
    ``,
    `var make{p in P} ${varBounds.join(', ')};`,
    ``,
    `maximize total_profit: sum{p in P} profit[p] * make[p];`,
    `s.t. limit{r in R}: sum{p in P} use[r, p] * make[p] <= avail[r];`,
    ...(ratio ? [`s.t. ratio: make['${ids[ratio.x]}'] <= ${ratio.k === 1 ? '' : `${ratio.k} * `}make['${ids[ratio.y]}'];`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('P', ids),
    mpSet('R', res.map((r) => r.id)),
    mpParam1('profit', ids, (k) => profit[ids.indexOf(k)] as number),
    mpParam2('use', res.map((r) => r.id), ids, (r, p) => use[res.findIndex((x) => x.id === r)]![ids.indexOf(p)] as number),
    mpParam1('avail', res.map((r) => r.id), (k) => avail[res.findIndex((x) => x.id === k)] as number),
    ...(caps ? [mpParam1('maxsell', ids, (k) => caps[ids.indexOf(k)] as number)] : []),
    ...(minIdx >= 0 ? [`param minmake := ${ids[minIdx]} ${minAmt};`] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

// ───────────────────────── diet / blending ─────────────────────────
// foods F × nutrients N; min Σ cost[f]·x[f] s.t. Σ amount[n,f]·x[f] ≥ need[n];
// d≥3: one limited nutrient (≤); d≥4: caps on some foods. Feasible: a known plan x0 meets all rows.

interface DietCtx {
  intro: string;
  foods: Item[]; // id, one = label (mass noun)
  unit: Measure; // serving / kilogram
  nutrients: Measure[]; // "5 grams of protein"; id derived from `of`
  limited: Measure[];
  cost: [number, number];
  integer: boolean;
  mustProvide: string; // "The daily plan must provide"
  capText: (n: number, f: Item) => string;
  questions: string[];
}
const nid = (m: Measure) => (m.of ?? m.one).replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''));

const DIET_CTX: DietCtx[] = [
  {
    intro: 'A nutritionist is planning a daily menu for a patient using',
    foods: ['oatmeal', 'eggs', 'milk', 'yogurt', 'rice', 'beans', 'chicken', 'tofu', 'lentils', 'spinach', 'cheese', 'salmon'].map(
      (x) => ({ id: x, one: x, many: x })),
    unit: { one: 'serving', many: 'servings' },
    nutrients: [
      { one: 'gram', many: 'grams', of: 'protein' }, { one: 'gram', many: 'grams', of: 'fiber' },
      { one: 'unit', many: 'units', of: 'calcium' }, { one: 'unit', many: 'units', of: 'iron' },
      { one: 'unit', many: 'units', of: 'vitamin C' },
    ],
    limited: [{ one: 'gram', many: 'grams', of: 'sugar' }, { one: 'gram', many: 'grams', of: 'fat' }, { one: 'unit', many: 'units', of: 'sodium' }],
    cost: [1, 9],
    integer: true,
    mustProvide: 'The daily menu must provide at least',
    capText: (n, f) => `The patient will eat no more than ${n} ${n === 1 ? 'serving' : 'servings'} of ${f.one} per day.`,
    questions: [
      'How many servings of each food should be on the menu to meet the requirements at minimum cost? Servings must be whole numbers.',
      'Using only whole servings, find the cheapest daily menu that meets all the requirements.',
    ],
  },
  {
    intro: 'A rancher mixes cattle feed from',
    foods: [
      { id: 'corn', one: 'corn', many: 'corn' }, { id: 'oats', one: 'oats', many: 'oats' },
      { id: 'barley', one: 'barley', many: 'barley' }, { id: 'soymeal', one: 'soybean meal', many: 'soybean meal' },
      { id: 'alfalfa', one: 'alfalfa', many: 'alfalfa' }, { id: 'bran', one: 'wheat bran', many: 'wheat bran' },
      { id: 'sorghum', one: 'sorghum', many: 'sorghum' }, { id: 'hay', one: 'hay', many: 'hay' },
      { id: 'fishmeal', one: 'fish meal', many: 'fish meal' },
    ],
    unit: { one: 'kilogram', many: 'kilograms' },
    nutrients: [
      { one: 'unit', many: 'units', of: 'protein' }, { one: 'unit', many: 'units', of: 'fiber' },
      { one: 'unit', many: 'units', of: 'energy' }, { one: 'unit', many: 'units', of: 'calcium' },
      { one: 'unit', many: 'units', of: 'phosphorus' },
    ],
    limited: [{ one: 'unit', many: 'units', of: 'fat' }, { one: 'unit', many: 'units', of: 'salt' }],
    cost: [1, 6],
    integer: false,
    mustProvide: 'The daily ration for the herd must contain at least',
    capText: (n, f) => `Only ${n} ${n === 1 ? 'kilogram' : 'kilograms'} of ${f.one} ${n === 1 ? 'is' : 'are'} available.`,
    questions: [
      'How many kilograms of each ingredient should go into the ration to minimize its cost?',
      'Determine the least-cost feed mix (in kilograms of each ingredient).',
    ],
  },
  {
    intro: 'A garden center blends fertilizer from',
    foods: [
      { id: 'compost', one: 'compost', many: 'compost' }, { id: 'manure', one: 'manure', many: 'manure' },
      { id: 'bonemeal', one: 'bone meal', many: 'bone meal' }, { id: 'kelp', one: 'kelp meal', many: 'kelp meal' },
      { id: 'guano', one: 'guano', many: 'guano' }, { id: 'potash', one: 'potash', many: 'potash' },
      { id: 'bloodmeal', one: 'blood meal', many: 'blood meal' }, { id: 'peat', one: 'peat', many: 'peat' },
    ],
    unit: { one: 'kilogram', many: 'kilograms' },
    nutrients: [
      { one: 'unit', many: 'units', of: 'nitrogen' }, { one: 'unit', many: 'units', of: 'phosphorus' },
      { one: 'unit', many: 'units', of: 'potassium' }, { one: 'unit', many: 'units', of: 'magnesium' },
    ],
    limited: [{ one: 'unit', many: 'units', of: 'chloride' }, { one: 'unit', many: 'units', of: 'salt' }],
    cost: [1, 8],
    integer: false,
    mustProvide: 'Each batch of the blend must contain at least',
    capText: (n, f) => `At most ${n} ${n === 1 ? 'kilogram' : 'kilograms'} of ${f.one} can be used per batch.`,
    questions: [
      'How many kilograms of each ingredient should be used in a batch to minimize its cost?',
      'What is the cheapest way to make one batch of the blend?',
    ],
  },
];

function buildDiet(rng: Rng, d: number): Built {
  const ctx = rng.pick(DIET_CTX);
  const nF = sized(rng, d, [[2, 2], [2, 3], [3, 4], [4, 6], [6, 8]]);
  const nN = sized(rng, d, [[2, 2], [2, 2], [2, 3], [3, 3], [3, 4]]);
  const foods = rng.sample(ctx.foods, nF);
  const nuts = rng.sample(ctx.nutrients, nN);
  const lim = d >= 3 ? rng.pick(ctx.limited) : null;
  const nCaps = d >= 5 ? 2 : d >= 4 ? 1 : 0;

  const cost = foods.map(() => rng.int(ctx.cost[0], ctx.cost[1])); // $ per unit of food
  const content = (zeroOk: boolean): number[] => foods.map(() => (zeroOk && rng.next() < 0.2 ? 0 : rng.int(1, 10)));
  const amount = nuts.map(() => content(nF > 2)); // [n][f] nutrient units per unit of food
  for (const row of amount) if (!row.some((a) => a !== 0)) row[rng.int(0, nF - 1)] = rng.int(2, 10);
  for (let f = 0; f < nF; f++) if (amount.every((row) => row[f] === 0)) amount[rng.int(0, nN - 1)]![f] = rng.int(1, 10);
  const x0 = foods.map(() => rng.int(1, 4)); // a feasible plan
  const need = amount.map((row) => {
    const got = dot(row, x0);
    return Math.min(got, Math.max(1, Math.floor((got * rng.int(60, 95)) / 100)));
  });
  const limAmt = lim ? content(true) : null;
  if (limAmt && !limAmt.some((a) => a !== 0)) limAmt[rng.int(0, nF - 1)] = rng.int(1, 10);
  const limMax = limAmt ? Math.ceil((dot(limAmt, x0) * rng.int(105, 140)) / 100) : 0;
  const capIdx = rng.sample(foods.map((_, i) => i), nCaps).sort((a, b) => a - b);
  const capVal = new Map(capIdx.map((i) => [i, (x0[i] as number) + rng.int(0, 2)] as const));

  // ── text ──
  const allN = lim ? [...nuts, lim] : nuts;
  const amountRow = (f: number) => allN.map((m, k) => (k < nN ? amount[k]![f] : limAmt![f]) as number);
  const contains = (f: number) => {
    const row = amountRow(f);
    return join(allN.map((m, k) => (row[k] === 0 ? `no ${m.of}` : amt(row[k] as number, m))));
  };
  const unitOf = (f: Item) => `${ctx.unit.one} of ${f.one}`;
  const s: string[] = [`${ctx.intro} ${join(foods.map((f) => f.one))}.`];
  const needTxt = `${ctx.mustProvide} ${join(nuts.map((m, k) => amt(need[k] as number, m)))}.`;
  const limTxt = lim ? `It must also contain no more than ${amt(limMax, lim)}.` : '';
  const style = rng.int(0, 2);
  if (style === 0) {
    foods.forEach((f, j) => s.push(`Each ${unitOf(f)} costs ${money(cost[j] as number)} and contains ${contains(j)}.`));
    s.push(needTxt, limTxt);
  } else if (style === 1) {
    s.push(`${ucfirst(join(foods.map((f, j) => `${article(unitOf(f))} costs ${money(cost[j] as number)}`)))}.`);
    allN.forEach((m, k) => {
      const row = foods.map((_, j) => amountRow(j)[k] as number);
      const parts = foods.map((f, j) => `${article(unitOf(f))} ${row[j] === 0 ? `has no ${m.of}` : `has ${j === 0 ? amt(row[j] as number, m) : amtShort(row[j] as number, m)}`}`);
      const req = k < nN ? `at least ${amt(need[k] as number, m)} ${need[k] === 1 ? 'is' : 'are'} required` : `at most ${amt(limMax, m)} ${limMax === 1 ? 'is' : 'are'} allowed`;
      s.push(`${ucfirst(join(parts))}; ${req}.`);
    });
  } else {
    s.push(needTxt, limTxt);
    const pl = (f: Item) => /[^s]s$/.test(f.one);
    foods.forEach((f, j) => s.push(`${ucfirst(f.one)} ${pl(f) ? 'cost' : 'costs'} ${money(cost[j] as number)} per ${ctx.unit.one} and ${pl(f) ? 'provide' : 'provides'} ${contains(j)} per ${ctx.unit.one}.`));
  }
  for (const i of capIdx) s.push(ctx.capText(capVal.get(i) as number, foods[i] as Item));
  s.push(rng.pick(ctx.questions));

  // ── model ──
  const ids = foods.map((f) => f.id);
  const terms = (row: number[]) => ids.map((v, j) => ({ v, c: row[j] as number })).filter((t) => t.c !== 0);
  const rows: Row[] = nuts.map((m, k) => ({ name: `need_${nid(m)}`, terms: terms(amount[k] as number[]), op: '>=', rhs: need[k] as number }));
  if (lim) rows.push({ name: `limit_${nid(lim)}`, terms: terms(limAmt as number[]), op: '<=', rhs: limMax });
  const cols: Col[] = ids.map((v, j) => ({ name: v, kind: ctx.integer ? 'int' : 'cont', ...(capVal.has(j) ? { ub: capVal.get(j) as number } : {}) }));
  const model: Model = {
    title: `Diet/blending: minimize cost (${ctx.integer ? 'whole servings' : 'continuous amounts'})`,
    sense: 'min', objName: 'cost', obj: ids.map((v, j) => ({ v, c: cost[j] as number })), rows, cols,
  };

  // ── MathProg ──
  const nids = nuts.map(nid);
  const u = ctx.unit.one;
  const L = lim ? nid(lim) : '';
  const mp = [
    `# Diet / blending: cheapest mix that meets the nutrient requirements.`,
    `set F;                  # foods / ingredients`,
    `set N;                  # nutrients with a minimum requirement`,
    `param cost{F};          # $ per ${u}`,
    `param amount{N, F};     # nutrient units per ${u}`,
    `param need{N};          # minimum nutrient units`,
    ...(lim ? [`param ${L}{F};         # ${lim.of} units per ${u}`, `param max_${L};         # maximum ${lim.of} units`] : []),
    ...(nCaps ? [`set CAPPED within F;    # ingredients with limited quantity`, `param maxuse{CAPPED};   # max ${ctx.unit.many}`] : []),
    ``,
    `var qty{F} >= 0${ctx.integer ? ', integer' : ''};   # ${ctx.unit.many} of each food`,
    ``,
    `minimize total_cost: sum{f in F} cost[f] * qty[f];`,
    `s.t. req{n in N}: sum{f in F} amount[n, f] * qty[f] >= need[n];`,
    ...(lim ? [`s.t. ${L}_limit: sum{f in F} ${L}[f] * qty[f] <= max_${L};`] : []),
    ...(nCaps ? [`s.t. cap{f in CAPPED}: qty[f] <= maxuse[f];`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('F', ids),
    mpSet('N', nids),
    mpParam1('cost', ids, (k) => cost[ids.indexOf(k)] as number),
    mpParam2('amount', nids, ids, (n, f) => amount[nids.indexOf(n)]![ids.indexOf(f)] as number),
    mpParam1('need', nids, (k) => need[nids.indexOf(k)] as number),
    ...(lim ? [mpParam1(L, ids, (k) => limAmt![ids.indexOf(k)] as number), `param max_${L} := ${limMax};`] : []),
    ...(nCaps ? [mpSet('CAPPED', capIdx.map((i) => ids[i] as string)), mpParam1('maxuse', capIdx.map((i) => ids[i] as string), (k) => capVal.get(ids.indexOf(k)) as number)] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

// ───────────────────────── transportation ─────────────────────────
// suppliers S × customers C; min Σ cost[s,c]·x[s,c] s.t. Σ_c x ≤ supply[s], Σ_s x ≥ (or =) demand[c];
// d≥4: capacity on 1–2 routes. Built from a feasible flow x0: demand = column sums, supply ≥ row sums.

interface TransCtx {
  supplier: [string, string]; // "factory", "factories"
  customer: [string, string];
  unit: Measure; // "units", "tons"
  period: string;
  intro: (sup: string) => string;
  routeCap: string; // reason for a route capacity
  questions: string[];
}
const SUP_CITIES = ['Dallas', 'Denver', 'Phoenix', 'Atlanta', 'Seattle', 'Memphis', 'Omaha', 'Tulsa'];
const CUS_CITIES = ['Boston', 'Chicago', 'Miami', 'Detroit', 'Houston', 'Portland', 'Raleigh', 'Tampa', 'Fresno'];
const TRANS_CTX: TransCtx[] = [
  {
    supplier: ['factory', 'factories'], customer: ['store', 'stores'], unit: { one: 'unit', many: 'units' }, period: 'per week',
    intro: (xs) => `A company has factories in ${xs}.`, routeCap: 'Because of limited truck capacity,',
    questions: ['How many units should be shipped from each factory to each store to minimize the total shipping cost?',
      'Find the shipping plan that meets the store requirements at the lowest total cost.'],
  },
  {
    supplier: ['warehouse', 'warehouses'], customer: ['market', 'markets'], unit: { one: 'ton', many: 'tons' }, period: 'this month',
    intro: (xs) => `A farming cooperative stores its grain in warehouses in ${xs}.`, routeCap: 'Because of limited rail capacity,',
    questions: ['How many tons should be sent from each warehouse to each market to minimize the total transportation cost?',
      'Determine the cheapest way to supply the markets.'],
  },
  {
    supplier: ['distribution center', 'distribution centers'], customer: ['hospital', 'hospitals'], unit: { one: 'pallet', many: 'pallets' },
    period: 'per week', intro: (xs) => `A medical supplier operates distribution centers in ${xs}.`,
    routeCap: 'Because of limited van capacity,',
    questions: ['How many pallets should be shipped along each route to minimize the total delivery cost?',
      'Plan the deliveries so that the total delivery cost is as small as possible.'],
  },
];

function buildTransportation(rng: Rng, d: number): Built {
  const ctx = rng.pick(TRANS_CTX);
  const nS = sized(rng, d, [[2, 2], [2, 2], [3, 3], [3, 4], [4, 5]]);
  const nC = sized(rng, d, [[2, 2], [3, 3], [3, 4], [4, 5], [5, 6]]);
  const S = rng.sample(SUP_CITIES, nS);
  const C = rng.sample(CUS_CITIES, nC);
  const exact = rng.next() < 0.5;
  const nCaps = d >= 5 ? 2 : d >= 4 ? 1 : 0;

  const cost = S.map(() => C.map(() => rng.int(2, 20))); // [s][c] $ per unit shipped
  const x0 = S.map(() => C.map(() => (rng.next() < 0.5 ? rng.int(5, 40) : 0))); // a feasible flow
  C.forEach((_, c) => { if (S.every((__, s) => x0[s]![c] === 0)) x0[rng.int(0, nS - 1)]![c] = rng.int(10, 40); });
  const demand = C.map((_, c) => sum(S.map((__, s) => x0[s]![c] as number)));
  const supply = S.map((_, s) => Math.max(10, sum(x0[s] as number[]) + rng.int(0, 25)));
  const caps: { s: number; c: number; cap: number }[] = [];
  const routes = rng.sample(S.flatMap((_, s) => C.map((__, c) => [s, c] as const)), nCaps);
  for (const [s, c] of routes) caps.push({ s, c, cap: Math.max(5, (x0[s]![c] as number) + rng.int(0, 10)) });
  caps.sort((a, b) => a.s - b.s || a.c - b.c);

  // ── text ──
  const U = ctx.unit;
  const [sup1, supN] = ctx.supplier;
  const [, cusN] = ctx.customer;
  const s: string[] = [ctx.intro(join(S))];
  const supTxt = `The ${supN} can supply at most ${join(supply.map((x) => fmt(x)))} ${U.many} ${ctx.period}, respectively.`;
  const need = exact ? 'exactly' : 'at least';
  const demTxt = `The ${cusN} in ${join(C)} need ${need} ${join(demand.map((x) => fmt(x)))} ${U.many}, respectively.`;
  const style = rng.int(0, 2);
  if (style !== 0) s.push(`It supplies ${cusN} in ${join(C)}.`);
  if (style === 0) {
    s.push(supTxt, demTxt);
    s.push(`The cost of shipping one ${U.one} is as follows: ${S.map((sn, i) => `from ${sn}, ${join(C.map((cn, j) => `${money(cost[i]![j] as number)} to ${cn}`))}`).join('; ')}.`);
  } else if (style === 1) {
    S.forEach((sn, i) => s.push(`The ${sup1} in ${sn} can ship up to ${amtShort(supply[i] as number, U)} ${ctx.period}; shipping one ${U.one} from ${sn} costs ${join(C.map((cn, j) => `${money(cost[i]![j] as number)} to ${cn}`))}.`));
    s.push(`${join(C.map((cn, j) => `${cn} needs ${need} ${amtShort(demand[j] as number, U)}`))}.`.replace(/^./, (x) => x.toUpperCase()));
  } else {
    s.push(supTxt);
    C.forEach((cn, j) => s.push(`${cn} needs ${need} ${amtShort(demand[j] as number, U)}; supplying it costs ${join(S.map((sn, i) => `${money(cost[i]![j] as number)} per ${U.one} from ${sn}`))}.`));
  }
  if (caps.length) {
    s.push(`${ctx.routeCap} ${join(caps.map((k, i) => `at most ${i === 0 ? amtShort(k.cap, U) : fmt(k.cap)} can be shipped from ${S[k.s]} to ${C[k.c]}`.replace(/ can be shipped/, i === 0 ? ' can be shipped' : '')))}.`);
  }
  s.push(rng.pick(ctx.questions));

  // ── model ──
  const xn = (i: number, j: number) => `x_${S[i]}_${C[j]}`;
  const rows: Row[] = [
    ...S.map((sn, i): Row => ({ name: `supply_${sn}`, terms: C.map((_, j) => ({ v: xn(i, j), c: 1 })), op: '<=', rhs: supply[i] as number })),
    ...C.map((cn, j): Row => ({ name: `demand_${cn}`, terms: S.map((_, i) => ({ v: xn(i, j), c: 1 })), op: exact ? '=' : '>=', rhs: demand[j] as number })),
  ];
  const capOf = new Map(caps.map((k) => [xn(k.s, k.c), k.cap]));
  const cols: Col[] = S.flatMap((_, i) => C.map((__, j): Col => ({ name: xn(i, j), kind: 'cont', ...(capOf.has(xn(i, j)) ? { ub: capOf.get(xn(i, j)) as number } : {}) })));
  const model: Model = {
    title: 'Transportation: minimize shipping cost',
    sense: 'min', objName: 'cost', obj: S.flatMap((_, i) => C.map((__, j) => ({ v: xn(i, j), c: cost[i]![j] as number }))), rows, cols,
  };

  // ── MathProg ──
  const mp = [
    `# Transportation: ship from ${supN} to ${cusN} at minimum cost.`,
    `set S;                 # ${supN}`,
    `set C;                 # ${cusN}`,
    `param supply{S};       # ${U.many} available`,
    `param demand{C};       # ${U.many} required`,
    `param cost{S, C};      # $ per ${U.one} shipped`,
    ...(nCaps ? [`set ROUTES within S cross C;   # routes with limited capacity`, `param cap{ROUTES};             # max ${U.many} on the route`] : []),
    ``,
    `var ship{S, C} >= 0;`,
    ``,
    `minimize total_cost: sum{s in S, c in C} cost[s, c] * ship[s, c];`,
    `s.t. supply_limit{s in S}: sum{c in C} ship[s, c] <= supply[s];`,
    `s.t. demand_met{c in C}: sum{s in S} ship[s, c] ${exact ? '=' : '>='} demand[c];`,
    ...(nCaps ? [`s.t. route_cap{(s, c) in ROUTES}: ship[s, c] <= cap[s, c];`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('S', S),
    mpSet('C', C),
    mpParam1('supply', S, (k) => supply[S.indexOf(k)] as number),
    mpParam1('demand', C, (k) => demand[C.indexOf(k)] as number),
    mpParam2('cost', S, C, (a, b) => cost[S.indexOf(a)]![C.indexOf(b)] as number),
    ...(nCaps ? [`set ROUTES := ${caps.map((k) => `(${S[k.s]}, ${C[k.c]})`).join(' ')};`, `param cap := ${caps.map((k) => `${S[k.s]} ${C[k.c]} ${k.cap}`).join(', ')};`] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

// ───────────────────────── assignment ─────────────────────────
// workers W × tasks T, binary x[w,t]; each task exactly once; each worker ≤ 1 task (or ≤ cap[w], d≥4);
// d5: one worker/task pair is forbidden. Objective: min hours/cost or max sales.

interface AssignCtx {
  workers: string[];
  tasks: Item[]; // id + label
  sense: 'min' | 'max';
  range: [number, number];
  intro: (ws: string, ts: string) => string;
  val: (n: number) => string; // "5 hours" / "$30 thousand"
  byWorker: (w: string, parts: string) => string; // parts = "5 hours for the audit, ..."
  pair: (t: Item, n: string) => string; // "5 hours for the audit"
  byTask: (t: Item, parts: string) => string; // parts = "Alice 5 hours, ..."
  one: string; // "task"
  many: string;
  forbid: (w: string, t: Item) => string;
  objName: string;
  unitName: string; // MathProg comment
  questions: string[];
}
const ASSIGN_CTX: AssignCtx[] = [
  {
    workers: ['Alice', 'Bob', 'Carmen', 'David', 'Elena', 'Farid', 'Grace', 'Hiro'],
    tasks: ['audit', 'report', 'survey', 'payroll', 'budget', 'website', 'training', 'inventory', 'newsletter'].map((x) => ({ id: x, one: `the ${x}`, many: x })),
    sense: 'min', range: [2, 12],
    intro: (ws, ts) => `An office manager must assign ${ts} to ${ws}.`,
    val: (n) => `${n} ${n === 1 ? 'hour' : 'hours'}`,
    byWorker: (w, parts) => `${w} would need ${parts}.`,
    pair: (t, n) => `${n} for ${t.one}`,
    byTask: (t, parts) => `${ucfirst(t.one)} would take ${parts}.`,
    one: 'task', many: 'tasks',
    forbid: (w, t) => `${w} is not qualified to do ${t.one}.`,
    objName: 'total_hours', unitName: 'hours',
    questions: ['How should the tasks be assigned to minimize the total number of hours worked?',
      'Find the assignment that minimizes the total time needed to complete all tasks.'],
  },
  {
    workers: ['Acme', 'Brightway', 'Cornerstone', 'Dunmore', 'Evergreen', 'Fulton', 'Granite', 'Harbor'],
    tasks: ['roofing', 'plumbing', 'wiring', 'painting', 'flooring', 'windows', 'landscaping', 'drywall', 'insulation'].map((x) => ({ id: x, one: `the ${x} job`, many: x })),
    sense: 'min', range: [10, 60],
    intro: (ws, ts) => `A builder is renovating an office building and has received bids from the contractors ${ws} for ${ts}.`,
    val: (n) => `$${n} thousand`,
    byWorker: (w, parts) => `${w} bids ${parts}.`,
    pair: (t, n) => `${n} for ${t.one}`,
    byTask: (t, parts) => `For ${t.one}, the bids are ${parts}.`,
    one: 'job', many: 'jobs',
    forbid: (w, t) => `${w} does not do ${t.many}.`,
    objName: 'total_cost', unitName: 'bid in $ thousand',
    questions: ['Which contractor should get each job to minimize the total cost of the renovation?',
      'Assign the jobs to contractors so that the total cost is as low as possible.'],
  },
  {
    workers: ['Liam', 'Maya', 'Noah', 'Olivia', 'Priya', 'Quinn', 'Rosa', 'Samir'],
    tasks: ['north', 'south', 'east', 'west', 'central', 'coastal', 'mountain', 'valley', 'harbor'].map((x) => ({ id: x, one: `the ${x} region`, many: x })),
    sense: 'max', range: [10, 50],
    intro: (ws, ts) => `A sales manager must assign the salespeople ${ws} to ${ts}.`,
    val: (n) => `$${n} thousand`,
    byWorker: (w, parts) => `${w} is expected to bring in ${parts}.`,
    pair: (t, n) => `${n} in ${t.one}`,
    byTask: (t, parts) => `In ${t.one}, the expected sales are ${parts}.`,
    one: 'region', many: 'regions',
    forbid: (w, t) => `${w} cannot be sent to ${t.one}.`,
    objName: 'total_sales', unitName: 'expected sales in $ thousand',
    questions: ['How should the salespeople be assigned to maximize the total expected sales?',
      'Find the assignment of salespeople to regions that maximizes expected sales.'],
  },
];

function buildAssignment(rng: Rng, d: number): Built {
  const ctx = rng.pick(ASSIGN_CTX);
  const nW = sized(rng, d, [[2, 2], [3, 3], [4, 4], [3, 4], [5, 6]]);
  const nT = d === 3 ? rng.int(3, 4) : d === 4 ? nW + rng.int(1, 2) : d === 5 ? rng.int(Math.max(6, nW), 8) : nW;
  const W = rng.sample(ctx.workers, nW);
  const T = rng.sample(ctx.tasks, nT);
  const val = W.map(() => T.map(() => rng.int(ctx.range[0], ctx.range[1]))); // [w][t] hours / $k
  let caps: number[] | null = null; // max tasks per worker (d ≥ 4)
  if (d >= 4) {
    caps = W.map(() => rng.int(1, 3));
    while (sum(caps) < nT) { const i = rng.int(0, nW - 1); if ((caps[i] as number) < 3) caps[i] = (caps[i] as number) + 1; }
  }
  // forbidding one pair keeps it feasible: the task can go to another worker with spare capacity
  const forbid = d >= 5 ? { w: rng.int(0, nW - 1), t: rng.int(0, nT - 1) } : null;

  // ── text ──
  const s: string[] = [ctx.intro(join(W), `${nT} ${ctx.many} (${join(T.map((t) => t.many))})`)];
  if (rng.next() < 0.5) {
    W.forEach((w, i) => s.push(ctx.byWorker(w, join(T.map((t, j) => ctx.pair(t, ctx.val(val[i]![j] as number)))))));
  } else {
    T.forEach((t, j) => s.push(ctx.byTask(t, join(W.map((w, i) => `${w} ${ctx.val(val[i]![j] as number)}`)))));
  }
  if (caps) {
    s.push(`Each ${ctx.one} must be given to exactly one of them.`);
    s.push(`${join(W.map((w, i) => (i === 0 ? `${w} can take at most ${caps![i]} ${caps![i] === 1 ? ctx.one : ctx.many}` : `${w} at most ${caps![i]}`)))}.`);
  } else {
    s.push(`Each ${ctx.one} must be given to exactly one of them, and no one can take more than one ${ctx.one}.`);
  }
  if (forbid) s.push(ctx.forbid(W[forbid.w] as string, T[forbid.t] as Item));
  s.push(rng.pick(ctx.questions));

  // ── model ──
  const tid = T.map((t) => t.id);
  const xn = (i: number, j: number) => `x_${W[i]}_${tid[j]}`;
  const rows: Row[] = [
    ...tid.map((t, j): Row => ({ name: `do_${t}`, terms: W.map((_, i) => ({ v: xn(i, j), c: 1 })), op: '=', rhs: 1 })),
    ...W.map((w, i): Row => ({ name: `load_${w}`, terms: tid.map((_, j) => ({ v: xn(i, j), c: 1 })), op: '<=', rhs: caps ? (caps[i] as number) : 1 })),
  ];
  if (forbid) rows.push({ name: 'not_qualified', terms: [{ v: xn(forbid.w, forbid.t), c: 1 }], op: '=', rhs: 0 });
  const cols: Col[] = W.flatMap((_, i) => tid.map((__, j): Col => ({ name: xn(i, j), kind: 'bin' })));
  const model: Model = {
    title: `Assignment: ${ctx.sense === 'min' ? 'minimize' : 'maximize'} ${ctx.objName.replace('_', ' ')}`,
    sense: ctx.sense, objName: ctx.objName, obj: W.flatMap((_, i) => tid.map((__, j) => ({ v: xn(i, j), c: val[i]![j] as number }))), rows, cols,
  };

  // ── MathProg ──
  const mp = [
    `# Assignment: each ${ctx.one} to exactly one worker.`,
    `set W;                # workers`,
    `set T;                # ${ctx.many}`,
    `param value{W, T};    # ${ctx.unitName} if worker w does ${ctx.one} t`,
    ...(caps ? [`param cap{W};         # max ${ctx.many} per worker`] : []),
    ``,
    `var assign{W, T} binary;`,
    ``,
    `${ctx.sense === 'min' ? 'minimize' : 'maximize'} ${ctx.objName}: sum{w in W, t in T} value[w, t] * assign[w, t];`,
    `s.t. each_task{t in T}: sum{w in W} assign[w, t] = 1;`,
    `s.t. each_worker{w in W}: sum{t in T} assign[w, t] <= ${caps ? 'cap[w]' : '1'};`,
    ...(forbid ? [`s.t. not_qualified: assign['${W[forbid.w]}', '${tid[forbid.t]}'] = 0;`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('W', W),
    mpSet('T', tid),
    mpParam2('value', W, tid, (w, t) => val[W.indexOf(w)]![tid.indexOf(t)] as number),
    ...(caps ? [mpParam1('cap', W, (k) => caps![W.indexOf(k)] as number)] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

// ───────────────────────── knapsack ─────────────────────────
// items I, binary take[i]; max Σ value·take s.t. Σ weight·take ≤ capacity;
// d≥4: second resource (volume / staff); d5: also an item-count limit or a dependency take[a] ≤ take[b].

interface KnapRes {
  id: string; // LP row / MathProg param name
  range: [number, number];
  fmt: (n: number) => string; // one amount: "5 kilograms", "$40 thousand"
  list: (nums: string) => string; // "Their weights are 5, 3 and 4 kilograms"
  capText: (amount: string) => string;
  unitName: string; // for MathProg comments
}
interface KnapCtx {
  intro: string;
  listIntro: string;
  items: Item[];
  w: KnapRes; // first resource (weight / cost)
  s: KnapRes; // second resource (d ≥ 4)
  v: { id: string; range: [number, number]; fmt: (n: number) => string; list: (nums: string) => string; what: string };
  describe: (it: Item, w: string, v: string, s: string | null) => string;
  whole: string;
  countText: (k: number) => string;
  depText: (a: Item, b: Item) => string;
  questions: string[];
}
const plural = (n: number, one: string, many: string) => `${fmt(n)} ${n === 1 ? one : many}`;
const KNAP_CTX: KnapCtx[] = [
  {
    intro: 'A hiker is packing for a weekend trip and is choosing among several items.',
    listIntro: 'The items are',
    items: [
      ['tent', 'tent'], ['stove', 'camp stove'], ['rope', 'rope'], ['camera', 'camera'], ['lantern', 'lantern'],
      ['firstaid', 'first-aid kit'], ['binoculars', 'pair of binoculars'], ['compass', 'compass'], ['jacket', 'rain jacket'],
      ['filter', 'water filter'], ['hammock', 'hammock'], ['tripod', 'tripod'], ['cookset', 'cook set'],
    ].map(([id, one]) => ({ id: id as string, one: one as string, many: one as string })),
    w: {
      id: 'weight', range: [1, 9], fmt: (n) => plural(n, 'kilogram', 'kilograms'), unitName: 'kilograms',
      list: (xs) => `Their weights are ${xs} kilograms`, capText: (a) => `The backpack can hold at most ${a}.`,
    },
    s: {
      id: 'volume', range: [2, 15], fmt: (n) => plural(n, 'liter', 'liters'), unitName: 'liters',
      list: (xs) => `they take up ${xs} liters`, capText: (a) => `The backpack has room for only ${a} of gear.`,
    },
    v: { id: 'usefulness', range: [5, 40], fmt: (n) => `a usefulness score of ${n}`, list: (xs) => `Their usefulness scores are ${xs}`, what: 'usefulness score' },
    describe: (it, w, v, s) => `The ${it.one} weighs ${w}${s ? `, takes up ${s}` : ''} and has ${v}.`,
    whole: 'Each item is either packed or left behind.',
    countText: (k) => `To keep things simple, the hiker will take at most ${k} items.`,
    depText: (a, b) => `The ${a.one} is only worth packing if the ${b.one} is packed too.`,
    questions: ['Which items should the hiker pack to maximize the total usefulness score?',
      'Which items should be packed to get the highest total usefulness?'],
  },
  {
    intro: 'A company is choosing which projects to fund this year.',
    listIntro: 'The candidates are',
    items: [
      ['solar', 'solar panel installation'], ['warehouse', 'new warehouse'], ['website', 'website redesign'],
      ['fleet', 'delivery fleet upgrade'], ['training', 'staff training program'], ['robotics', 'robotic packing line'],
      ['software', 'software upgrade'], ['marketing', 'marketing campaign'], ['lab', 'research lab'],
      ['callcenter', 'call center expansion'], ['app', 'mobile app'], ['kiosk', 'self-service kiosk rollout'],
    ].map(([id, one]) => ({ id: id as string, one: one as string, many: one as string })),
    w: {
      id: 'budget', range: [10, 90], fmt: (n) => `$${fmt(n)} thousand`, unitName: 'thousand dollars',
      list: (xs) => `Their costs are ${xs} thousand dollars`, capText: (a) => `The budget is ${a}.`,
    },
    s: {
      id: 'engineers', range: [1, 9], fmt: (n) => plural(n, 'engineer', 'engineers'), unitName: 'engineers',
      list: (xs) => `they need ${xs} engineers`, capText: (a) => `Only ${a} are available.`,
    },
    v: { id: 'payoff', range: [5, 60], fmt: (n) => `an expected payoff of $${n} thousand`, list: (xs) => `Their expected payoffs are ${xs} thousand dollars`, what: 'expected payoff' },
    describe: (it, w, v, s) => `The ${it.one} costs ${w}${s ? `, needs ${s}` : ''} and has ${v}.`,
    whole: 'Projects cannot be partially funded.',
    countText: (k) => `Management wants to fund at most ${k} projects.`,
    depText: (a, b) => `The ${a.one} can only be funded if the ${b.one} is also funded.`,
    questions: ['Which projects should be funded to maximize the total expected payoff?',
      'Select the projects that maximize the expected payoff within the limits.'],
  },
  {
    intro: 'A cargo plane is being loaded, and not every waiting shipment will fit.',
    listIntro: 'The shipments are',
    items: [
      'electronics', 'textiles', 'medicine', 'tools', 'toys', 'books', 'coffee', 'tea', 'spices', 'furniture', 'glassware', 'shoes', 'cosmetics',
    ].map((x) => ({ id: x, one: `${x} shipment`, many: x })),
    w: {
      id: 'weight', range: [1, 15], fmt: (n) => plural(n, 'ton', 'tons'), unitName: 'tons',
      list: (xs) => `Their weights are ${xs} tons`, capText: (a) => `The plane can carry at most ${a}.`,
    },
    s: {
      id: 'volume', range: [1, 12], fmt: (n) => plural(n, 'cubic meter', 'cubic meters'), unitName: 'cubic meters',
      list: (xs) => `they occupy ${xs} cubic meters`, capText: (a) => `Its cargo hold has ${a} of space.`,
    },
    v: { id: 'value', range: [5, 60], fmt: (n) => `a value of $${n} thousand`, list: (xs) => `Their values are ${xs} thousand dollars`, what: 'value' },
    describe: (it, w, v, s) => `The ${it.one} weighs ${w}${s ? `, occupies ${s}` : ''} and has ${v}.`,
    whole: 'Each shipment must be taken whole or not at all.',
    countText: (k) => `Loading time allows at most ${k} shipments.`,
    depText: (a, b) => `The ${a.one} can only be loaded if the ${b.one} is loaded too (they go to the same customer).`,
    questions: ['Which shipments should be loaded to maximize the total value carried?',
      'Which shipments should the plane take to maximize the value of its cargo?'],
  },
];

function buildKnapsack(rng: Rng, d: number): Built {
  const ctx = rng.pick(KNAP_CTX);
  const n = sized(rng, d, [[3, 4], [4, 5], [5, 7], [7, 9], [9, 12]]);
  const items = rng.sample(ctx.items, n);
  const two = d >= 4;
  const extra = d >= 5 ? rng.pick(['count', 'dep'] as const) : null;

  const w = items.map(() => rng.int(ctx.w.range[0], ctx.w.range[1])); // weight / cost per item
  const v = items.map(() => rng.int(ctx.v.range[0], ctx.v.range[1])); // value per item
  const vol = two ? items.map(() => rng.int(ctx.s.range[0], ctx.s.range[1])) : null; // second resource per item
  // capacity: 40–60 % of the total, but every single item fits
  const capOf = (xs: number[]) => Math.max(Math.max(...xs), Math.floor((sum(xs) * rng.int(40, 60)) / 100));
  const W = capOf(w);
  const V = vol ? capOf(vol) : 0;
  const K = extra === 'count' ? rng.int(2, Math.max(2, Math.floor(n / 2))) : 0;
  const dep = extra === 'dep' ? rng.sample(items.map((_, i) => i), 2) : null; // take[a] ≤ take[b]

  // ── text ──
  const s: string[] = [ctx.intro];
  const nums = (xs: number[]) => join(xs.map((x) => fmt(x)));
  if (rng.next() < 0.5) {
    items.forEach((it, i) => s.push(ctx.describe(it, ctx.w.fmt(w[i] as number), ctx.v.fmt(v[i] as number), vol ? ctx.s.fmt(vol[i] as number) : null)));
  } else {
    s.push(`${ctx.listIntro} ${join(items.map((it) => article(it.one)))}.`);
    s.push(`${ctx.w.list(nums(w))}, respectively${vol ? `, and ${ctx.s.list(nums(vol))}, respectively` : ''}.`);
    s.push(`${ctx.v.list(nums(v))}, respectively.`);
  }
  s.push(ctx.w.capText(ctx.w.fmt(W)));
  if (vol) s.push(ctx.s.capText(ctx.s.fmt(V)));
  if (extra === 'count') s.push(ctx.countText(K));
  if (dep) s.push(ctx.depText(items[dep[0] as number] as Item, items[dep[1] as number] as Item));
  s.push(ctx.whole, rng.pick(ctx.questions));

  // ── model ──
  const ids = items.map((it) => it.id);
  const wn = ctx.w.id === 'budget' ? 'cost' : 'weight';
  const rows: Row[] = [{ name: ctx.w.id === 'budget' ? 'budget' : 'capacity', terms: ids.map((x, i) => ({ v: x, c: w[i] as number })), op: '<=', rhs: W }];
  if (vol) rows.push({ name: ctx.s.id, terms: ids.map((x, i) => ({ v: x, c: vol[i] as number })), op: '<=', rhs: V });
  if (extra === 'count') rows.push({ name: 'max_items', terms: ids.map((x) => ({ v: x, c: 1 })), op: '<=', rhs: K });
  if (dep) rows.push({ name: 'depends', terms: [{ v: ids[dep[0] as number] as string, c: 1 }, { v: ids[dep[1] as number] as string, c: -1 }], op: '<=', rhs: 0 });
  const model: Model = {
    title: 'Knapsack: choose items (binary) to maximize value',
    sense: 'max', objName: ctx.v.id, obj: ids.map((x, i) => ({ v: x, c: v[i] as number })), rows,
    cols: ids.map((x) => ({ name: x, kind: 'bin' })),
  };

  // ── MathProg ──
  const pad = (x: string) => x.padEnd(24);
  const mp = [
    `# Knapsack: pick items (0/1) to maximize the total ${ctx.v.what}.`,
    pad(`set I;`) + `# items`,
    pad(`param ${wn}{I};`) + `# ${ctx.w.unitName} per item`,
    pad(`param ${ctx.v.id}{I};`) + `# ${ctx.v.what} per item`,
    pad(`param max_${wn};`) + `# ${ctx.w.unitName} available`,
    ...(vol ? [pad(`param ${ctx.s.id}{I};`) + `# ${ctx.s.unitName} per item`, pad(`param max_${ctx.s.id};`) + `# ${ctx.s.unitName} available`] : []),
    ...(extra === 'count' ? [pad(`param max_items;`) + `# most items allowed`] : []),
    ``,
    `var take{I} binary;`,
    ``,
    `maximize total_${ctx.v.id}: sum{i in I} ${ctx.v.id}[i] * take[i];`,
    `s.t. ${wn}_limit: sum{i in I} ${wn}[i] * take[i] <= max_${wn};`,
    ...(vol ? [`s.t. ${ctx.s.id}_limit: sum{i in I} ${ctx.s.id}[i] * take[i] <= max_${ctx.s.id};`] : []),
    ...(extra === 'count' ? [`s.t. count: sum{i in I} take[i] <= max_items;`] : []),
    ...(dep ? [`s.t. depends: take['${ids[dep[0] as number]}'] <= take['${ids[dep[1] as number]}'];`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('I', ids),
    mpParam1(wn, ids, (k) => w[ids.indexOf(k)] as number),
    mpParam1(ctx.v.id, ids, (k) => v[ids.indexOf(k)] as number),
    `param max_${wn} := ${W};`,
    ...(vol ? [mpParam1(ctx.s.id, ids, (k) => vol[ids.indexOf(k)] as number), `param max_${ctx.s.id} := ${V};`] : []),
    ...(extra === 'count' ? [`param max_items := ${K};`] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

// ───────────────────────── staffing / covering ─────────────────────────
// shifts S cover consecutive periods P; integer staff[s] ≥ 0; min Σ cost[s]·staff[s]
// s.t. Σ_{s covers p} staff[s] ≥ need[p]. Modes by difficulty:
//   d1–2 "day": a business day split into 2–3-hour periods, shifts of 2 periods;
//   d3 "clock": 24 h cyclic, six 4-hour periods, 8-hour shifts (night premium or head count);
//   d4 "week": 7 days cyclic, 5 consecutive working days (head count or weekend pay);
//   d5 "hourly": hourly periods, 4-hour full-time + 2-hour part-time shifts, cap on part-timers.
// Every period is covered by an uncapped shift, so any requirement is feasible.

interface Shift { id: string; covers: number[]; cost: number }
const hourId = (h: number) => (h % 24 === 0 ? '12am' : h % 24 === 12 ? '12pm' : h % 24 < 12 ? `${h % 24}am` : `${(h % 24) - 12}pm`);
const hourTxt = (h: number) => (h % 24 === 0 ? 'midnight' : h % 24 === 12 ? 'noon' : h % 24 < 12 ? `${h % 24} AM` : `${(h % 24) - 12} PM`);
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const STAFF_DAY = [
  { place: 'A coffee shop', who: ['barista', 'baristas'] },
  { place: 'A supermarket', who: ['cashier', 'cashiers'] },
  { place: 'A call center', who: ['agent', 'agents'] },
  { place: 'A public library', who: ['librarian', 'librarians'] },
];
const STAFF_CLOCK = [
  { place: 'A police department', who: ['officer', 'officers'] },
  { place: 'A hospital emergency room', who: ['nurse', 'nurses'] },
  { place: 'A security company guarding a warehouse', who: ['guard', 'guards'] },
];
const STAFF_WEEK = [
  { place: 'A hospital ward', who: ['nurse', 'nurses'] },
  { place: 'A city bus company', who: ['driver', 'drivers'] },
  { place: 'A national park', who: ['ranger', 'rangers'] },
];

function buildStaffing(rng: Rng, d: number): Built {
  let periods: { id: string; label: string }[] = [];
  let shifts: Shift[] = [];
  let who: string[] = [];
  const s: string[] = [];
  let partIds: string[] = [];
  let maxPart = 0;
  let countOnly = false; // objective = number of workers (all costs 1)
  let need: number[] = [];

  if (d <= 2) {
    const c = rng.pick(STAFF_DAY);
    who = c.who;
    const nP = d === 1 ? 3 : 4;
    const len = rng.pick([2, 3]); // hours per period
    const open = rng.pick([6, 7, 8, 9]);
    periods = Array.from({ length: nP }, (_, k) => ({ id: `h${hourId(open + k * len)}`, label: `from ${hourTxt(open + k * len)} to ${hourTxt(open + (k + 1) * len)}` }));
    need = periods.map(() => rng.int(2, 8));
    countOnly = rng.next() < 0.4;
    const pay = countOnly ? 1 : rng.int(8, 20) * 2 * len; // $ per shift (2 periods)
    shifts = Array.from({ length: nP - 1 }, (_, k) => ({ id: `shift_${hourId(open + k * len)}`, covers: [k, k + 1], cost: pay }));
    s.push(`${c.place} is open from ${hourTxt(open)} to ${hourTxt(open + nP * len)}.`);
    s.push(rng.next() < 0.5
      ? `It needs at least ${join(periods.map((p, k) => `${need[k]} ${who[1]} ${p.label}`))}.`
      : `The minimum number of ${who[1]} on duty is ${join(periods.map((p, k) => `${need[k]} ${p.label}`))}.`);
    s.push(`Each ${who[0]} works one ${2 * len}-hour shift, starting at ${join(shifts.map((_, k) => hourTxt(open + k * len)), 'or')}.`);
    if (!countOnly) s.push(`${ucfirst(article(who[0] as string))} is paid ${money(pay)} per shift.`);
    s.push(countOnly
      ? `How many ${who[1]} should start at each time to meet the requirements with as few ${who[1]} as possible?`
      : `How many ${who[1]} should start at each time to meet the requirements at minimum total cost?`);
  } else if (d === 3) {
    const c = rng.pick(STAFF_CLOCK);
    who = c.who;
    periods = Array.from({ length: 6 }, (_, k) => ({ id: `h${hourId(4 * k)}`, label: `from ${hourTxt(4 * k)} to ${hourTxt(4 * k + 4)}` }));
    need = periods.map(() => rng.int(3, 15));
    countOnly = rng.next() < 0.5;
    const day = rng.int(10, 20) * 10;
    const night = day + rng.int(2, 6) * 10;
    shifts = periods.map((_, k) => ({ id: `shift_${hourId(4 * k)}`, covers: [k, (k + 1) % 6], cost: countOnly ? 1 : k === 0 || k === 5 ? night : day }));
    s.push(rng.next() < 0.5
      ? `${c.place} divides the day into six 4-hour periods and needs at least ${join(periods.map((p, k) => `${need[k]} ${who[1]} on duty ${p.label}`))}.`
      : `${c.place} needs a minimum number of ${who[1]} on duty in each 4-hour period of the day: ${join(periods.map((p, k) => `${need[k]} ${p.label}`))}.`);
    s.push(`Each ${who[0]} works an 8-hour shift starting at midnight, 4 AM, 8 AM, noon, 4 PM or 8 PM; a shift that starts at 8 PM ends at 4 AM the next day.`);
    if (!countOnly) s.push(`${ucfirst(who[1] as string)} on shifts starting at 8 PM or midnight are paid ${money(night)} per shift, and those on the other shifts ${money(day)}.`);
    s.push(countOnly
      ? `What is the smallest number of ${who[1]} needed, and how many should start at each time?`
      : `How many ${who[1]} should start each shift to meet the requirements at the lowest total wage cost?`);
  } else if (d === 4) {
    const c = rng.pick(STAFF_WEEK);
    who = c.who;
    periods = DAYS.map((dn) => ({ id: dn.slice(0, 3), label: dn }));
    need = periods.map(() => rng.int(5, 20));
    countOnly = rng.next() < 0.5;
    const base = rng.int(50, 80) * 10;
    const wknd = base + rng.int(5, 15) * 10;
    shifts = periods.map((p, k) => {
      const covers = [0, 1, 2, 3, 4].map((o) => (k + o) % 7);
      return { id: `start_${p.id}`, covers, cost: countOnly ? 1 : covers.includes(5) && covers.includes(6) ? wknd : base };
    });
    s.push(rng.next() < 0.5
      ? `${c.place} needs at least ${join(periods.map((p, k) => `${need[k]} ${who[1]} on ${p.label}`))}.`
      : `The number of ${who[1]} that ${c.place.replace(/^A /, 'a ')} needs on duty is ${join(periods.map((p, k) => `${need[k]} on ${p.label}`))}.`);
    s.push(`Each ${who[0]} works five consecutive days and then has two days off, and the same schedule repeats every week (for example, ${article(who[0] as string)} who starts on Friday works Friday through Tuesday).`);
    if (!countOnly) s.push(`${ucfirst(article(who[0] as string))} whose five working days include both Saturday and Sunday is paid ${money(wknd)} per week; every other ${who[0]} is paid ${money(base)} per week.`);
    s.push(countOnly
      ? `How many ${who[1]} should start their five-day schedule on each day of the week to minimize the total number of ${who[1]}?`
      : `How many ${who[1]} should start on each day of the week to minimize the total weekly wage bill?`);
  } else {
    const c = rng.pick(STAFF_DAY);
    who = c.who;
    const nP = rng.int(8, 10);
    const open = rng.pick([7, 8, 9, 10]);
    periods = Array.from({ length: nP }, (_, k) => ({ id: `h${hourId(open + k)}`, label: `from ${hourTxt(open + k)} to ${hourTxt(open + k + 1)}` }));
    need = periods.map(() => rng.int(2, 9));
    const rate = rng.int(10, 20);
    const full = 4 * rate;
    const part = 2 * rate + rng.int(2, 10); // dearer per hour, but more flexible
    shifts = [
      ...Array.from({ length: nP - 3 }, (_, k) => ({ id: `full_${hourId(open + k)}`, covers: [k, k + 1, k + 2, k + 3], cost: full })),
      ...Array.from({ length: nP - 1 }, (_, k) => ({ id: `part_${hourId(open + k)}`, covers: [k, k + 1], cost: part })),
    ];
    partIds = shifts.filter((x) => x.id.startsWith('part_')).map((x) => x.id);
    maxPart = rng.int(2, 6);
    s.push(`${c.place} is open from ${hourTxt(open)} to ${hourTxt(open + nP)}.`);
    s.push(rng.next() < 0.5
      ? `The number of ${who[1]} needed is at least ${join(periods.map((p, k) => `${need[k]} ${p.label}`))}.`
      : `It needs at least ${join(periods.map((p, k) => `${need[k]} ${who[1]} ${p.label}`))}.`);
    s.push(`Full-time ${who[1]} work 4 consecutive hours and are paid ${money(full)} per shift; part-time ${who[1]} work 2 consecutive hours and are paid ${money(part)} per shift.`);
    s.push(`Shifts start on the hour and must end by closing time. At most ${maxPart} part-time ${who[1]} can be scheduled during the day.`);
    s.push(`How many full-time and part-time ${who[1]} should start at each hour to cover the requirements at minimum total cost?`);
  }

  // ── model ──
  const rows: Row[] = periods.map((p, k) => ({
    name: `cover_${p.id}`, terms: shifts.filter((x) => x.covers.includes(k)).map((x) => ({ v: x.id, c: 1 })), op: '>=', rhs: need[k] as number,
  }));
  if (partIds.length) rows.push({ name: 'part_time_limit', terms: partIds.map((v) => ({ v, c: 1 })), op: '<=', rhs: maxPart });
  const model: Model = {
    title: `Staffing: ${countOnly ? 'minimize head count' : 'minimize wage cost'} (integer)`,
    sense: 'min', objName: countOnly ? 'staff' : 'cost', obj: shifts.map((x) => ({ v: x.id, c: x.cost })), rows,
    cols: shifts.map((x) => ({ name: x.id, kind: 'int' })),
  };

  // ── MathProg ──
  const sid = shifts.map((x) => x.id);
  const pid = periods.map((p) => p.id);
  const mp = [
    `# Staffing: how many ${who[1]} start each shift so every period is covered.`,
    `set SHIFTS;`,
    `set PERIODS;`,
    `param need{PERIODS};            # minimum ${who[1]} on duty`,
    `param covers{SHIFTS, PERIODS};  # 1 if the shift works in the period`,
    ...(countOnly ? [] : [`param cost{SHIFTS};             # $ per ${who[0]} on the shift`]),
    ...(partIds.length ? [`set PART within SHIFTS;         # part-time shifts`, `param max_part;                 # most part-time ${who[1]}`] : []),
    ``,
    `var staff{SHIFTS} >= 0, integer;`,
    ``,
    countOnly ? `minimize total_staff: sum{s in SHIFTS} staff[s];` : `minimize total_cost: sum{s in SHIFTS} cost[s] * staff[s];`,
    `s.t. cover{p in PERIODS}: sum{s in SHIFTS} covers[s, p] * staff[s] >= need[p];`,
    ...(partIds.length ? [`s.t. part_limit: sum{s in PART} staff[s] <= max_part;`] : []),
    ``,
    `solve;`,
    ``,
    `data;`,
    mpSet('SHIFTS', sid),
    mpSet('PERIODS', pid),
    mpParam1('need', pid, (k) => need[pid.indexOf(k)] as number),
    mpParam2('covers', sid, pid, (a, b) => (shifts[sid.indexOf(a)]!.covers.includes(pid.indexOf(b)) ? 1 : 0)),
    ...(countOnly ? [] : [mpParam1('cost', sid, (k) => shifts[sid.indexOf(k)]!.cost)]),
    ...(partIds.length ? [mpSet('PART', partIds), `param max_part := ${maxPart};`] : []),
    `end;`,
    ``,
  ].join('\n');
  return { question: fixEnd(s.join(' ')), model, mathprog: mp };
}

const BUILDERS: Record<Family, (rng: Rng, d: number) => Built> = {
  production: buildProduction,
  diet: buildDiet,
  transportation: buildTransportation,
  assignment: buildAssignment,
  knapsack: buildKnapsack,
  staffing: buildStaffing,
};
