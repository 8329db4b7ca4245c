// Problem family "diet" (diet / blending):
// foods F × nutrients N; min Σ cost[f]·x[f] s.t. Σ amount[n,f]·x[f] ≥ need[n];
// d≥3: one limited nutrient (≤); d≥4: caps on some foods. Feasible: a known plan x0 meets all rows.

import type { Rng } from '../rng.ts';
import type { Col, FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { amt, amtShort, article, dot, fixEnd, type Item, join, type Measure, money, mpParam1, mpParam2, mpSet, sized, sum, ucfirst } from './text.ts';

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

export function buildDiet(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
