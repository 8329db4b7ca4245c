// Problem family "assignment":
// workers W × tasks T, binary x[w,t]; each task exactly once; each worker ≤ 1 task (or ≤ cap[w], d≥4);
// d5: one worker/task pair is forbidden. Objective: min hours/cost or max sales.

import type { Rng } from '../rng.ts';
import type { Col, FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { fixEnd, type Item, join, mpParam1, mpParam2, mpSet, sized, sum, ucfirst } from './text.ts';

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

export function buildAssignment(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
