// Problem family "transportation":
// suppliers S × customers C; min Σ cost[s,c]·x[s,c] s.t. Σ_c x ≤ supply[s], Σ_s x ≥ (or =) demand[c];
// d≥4: capacity on 1–2 routes. FamilyInstance from a feasible flow x0: demand = column sums, supply ≥ row sums.

import type { Rng } from '../rng.ts';
import type { Col, FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { amtShort, fixEnd, fmt, join, type Measure, money, mpParam1, mpParam2, mpSet, sized, sum } from './text.ts';

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

export function buildTransportation(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
