// Problem family "knapsack":
// items I, binary take[i]; max Σ value·take s.t. Σ weight·take ≤ capacity;
// d≥4: second resource (volume / staff); d5: also an item-count limit or a dependency take[a] ≤ take[b].

import type { Rng } from '../rng.ts';
import type { FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { article, fixEnd, fmt, type Item, join, mpParam1, mpSet, sized, sum } from './text.ts';

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

export function buildKnapsack(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
