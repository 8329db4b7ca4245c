// Problem family "staffing" (staffing / covering):
// shifts S cover consecutive periods P; integer staff[s] ≥ 0; min Σ cost[s]·staff[s]
// s.t. Σ_{s covers p} staff[s] ≥ need[p]. Modes by difficulty:
//   d1–2 "day": a business day split into 2–3-hour periods, shifts of 2 periods;
//   d3 "clock": 24 h cyclic, six 4-hour periods, 8-hour shifts (night premium or head count);
//   d4 "week": 7 days cyclic, 5 consecutive working days (head count or weekend pay);
//   d5 "hourly": hourly periods, 4-hour full-time + 2-hour part-time shifts, cap on part-timers.
// Every period is covered by an uncapped shift, so any requirement is feasible.

import type { Rng } from '../rng.ts';
import type { FamilyInstance, LinearModel, Row } from '../linear-model.ts';
import { article, fixEnd, join, money, mpParam1, mpParam2, mpSet, sum, ucfirst } from './text.ts';

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

export function buildStaffing(rng: Rng, d: number): FamilyInstance {
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
  const model: LinearModel = {
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
  return { question: fixEnd(s.join(' ')), model, written: { glpk: mp } };
}
