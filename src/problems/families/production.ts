// Problem family "production":
// products P × resources R; max Σ profit[p]·x[p] s.t. Σ use[r,p]·x[p] ≤ avail[r];
// d≥3: market caps x[p] ≤ maxsell[p]; d≥4: contract minimum on one product; d5: ratio row.

import type { Rng } from '../rng.ts';
import type { Col, FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { amt, amtShort, article, dot, fixEnd, fmt, type Item, join, type Measure, money, mpParam1, mpParam2, mpSet, sized, sum, ucfirst } from './text.ts';

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

export function buildProduction(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
