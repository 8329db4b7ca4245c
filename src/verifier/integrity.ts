// The integrity rule: the answer reward is paid only for a model that the solver actually optimized.
// A completion can reach the expected objective without modeling: a constant objective
// (`obj: 224`), the answer as a bound or right-hand side (`max z`, `z <= 224`), an objective
// constant (`x + 223`), a one-variable row (`2 z <= 448`), or the answer divided by an objective
// coefficient (`max 8 x`, `x <= 28`). The rule, applied by score() to every target:
//   (a) the objective has a variable term with a non-zero coefficient, and
//   (b) no number the model states (coefficient, right-hand side, bound, objective constant, or the
//       bound b / a a one-variable row implies) is within the tolerance rule of the expected answer,
//       and no bound on a variable with objective coefficient c is within it of answer / c (any
//       other number: equal to answer / c to 1e-6), unless that number is in the problem's text.
//       0 and ±1 are never evidence. (A right-hand side that merely lands within 5 % of answer / c
//       is common in real models: two of 48 benchmark gold models have one; bench/integrity.ts.)
// Runners describe the model they solved as a SolvedModel; modelFacts() reduces it, in the
// runner's thread, to the distinct numbers the rule reads (ModelFacts, small enough to cross any
// boundary); integrityProblem() judges them.
//
// The infeasibility rule: an item whose expected answer is 'infeasible' pays for a model the solver
// proves infeasible, and any model can be made so (`x >= 1`, `x <= 0`). An infeasibility verdict
// earns the answer reward only when the infeasibility rests on the problem's data:
//   (a) as above, the objective has a variable term with a non-zero coefficient, and
//   (c) an infeasible core of the model (a minimal set of its rows and column bounds that is still
//       infeasible, integrality kept) contains a row of two or more variables and, when the
//       problem's text is given, a number (coefficient, right-hand side or bound of the core; not 0
//       or ±1) that the text states. Contradictory bounds of one variable, a one-variable row
//       against a bound, rows on a dummy variable, or rows of numbers the text never states fail it.
// The core is found by infeasibleCore(), a deletion filter over rows and finite column bounds
// (relax a group of them, that is make them free; if the model stays infeasible leave them relaxed,
// else restore them and try each half), run by each runner with its own solver, in its thread, for
// infeasible runs with a variable objective when 'infeasible' is the expected answer, of at most
// CORE_MAX_ELEMENTS rows + finite bounds, within CORE_MAX_MS and the job's time limit; it travels as
// ModelFacts.core. Without a core (a bigger model, no time left, a solver abort) the verdict is not
// paid: padding a contradiction with rows, or making its relaxations slow, must not skip the rule.
// infeasibilityProblem() judges it, and score() applies it where an infeasible run would be paid.

import { withinTolerance, type ToleranceRule } from './tolerance.ts';

export interface ModelTerm { name: string; coef: number }

/** A linear (mixed-integer) model as a solver received it. Bounds: null = none (±infinity). */
export interface SolvedModel {
  objective: ModelTerm[];
  objectiveConstant: number;
  rows: { name: string | null; terms: ModelTerm[]; lo: number | null; hi: number | null }[];
  cols: { name: string; lo: number | null; hi: number | null }[];
}

/** What the rule reads of a solved model. */
export interface ModelFacts {
  /** variable terms with a non-zero coefficient in the objective */
  objectiveTerms: number;
  /** distinct non-zero objective coefficients, with a variable that has each */
  objectiveCoefs: { coef: number; name: string }[];
  /** every number the model states (absolute values), with where it first appears; `coef` is the
   *  objective coefficient of the variable it bounds (a column bound or a one-variable row) */
  numbers: { value: number; where: string; coef?: number }[];
  /** an infeasible core of an infeasible model (infeasibleCore); absent when none was computed */
  core?: CoreFacts;
}

/** What the rule reads of an infeasible model's core (a minimal infeasible set of rows and bounds). */
export interface CoreFacts {
  /** rows in the core */
  rows: number;
  /** rows in the core with two or more variables (non-zero coefficients) */
  multiVariableRows: number;
  /** column bounds in the core */
  bounds: number;
  /** distinct absolute values of the core's coefficients, right-hand sides and bounds, without 0
   *  and 1 (at most CORE_MAX_NUMBERS) */
  numbers: number[];
  /** the core's first rows and bounds as text ("x >= 1", "c: 2 x + y <= 5"), for messages */
  what: string[];
}

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : String(+x.toPrecision(8)));

export function modelFacts(m: SolvedModel): ModelFacts {
  const numbers = new Map<string, ModelFacts['numbers'][number]>();
  const objCoef = new Map<string, number>();
  for (const t of m.objective) if (Number.isFinite(t.coef) && t.coef !== 0) objCoef.set(t.name, t.coef);
  const add = (v: number | null, where: () => string, bounds?: string) => {
    if (v === null || !Number.isFinite(v) || v === 0) return;
    const value = Math.abs(v);
    if (value === 1) return;
    const coef = bounds === undefined ? undefined : objCoef.get(bounds);
    const key = `${value}/${coef ?? ''}`;
    if (!numbers.has(key)) numbers.set(key, { value, where: where(), ...(coef !== undefined ? { coef } : {}) });
  };
  const coefs = new Map<number, string>();
  let objectiveTerms = 0;
  for (const t of m.objective) {
    if (!Number.isFinite(t.coef) || t.coef === 0) continue;
    objectiveTerms++;
    if (!coefs.has(t.coef)) coefs.set(t.coef, t.name);
    add(t.coef, () => `the objective coefficient of ${t.name}`);
  }
  add(m.objectiveConstant, () => 'the objective constant');
  for (const r of m.rows) {
    const row = r.name ? `row ${r.name}` : 'a row';
    const live = r.terms.filter((t) => t.coef !== 0 && Number.isFinite(t.coef));
    for (const t of live) add(t.coef, () => `the coefficient of ${t.name} in ${row}`);
    add(r.lo, () => `the right-hand side of ${row}`);
    add(r.hi, () => `the right-hand side of ${row}`);
    if (live.length === 1) {
      const { name, coef } = live[0]!;
      for (const b of [r.lo, r.hi]) if (b !== null && Number.isFinite(b)) add(b / coef, () => `the bound ${fmt(b / coef)} that ${row} (${fmt(coef)} ${name} vs ${fmt(b)}) puts on ${name}`, name);
    }
  }
  for (const c of m.cols) {
    add(c.lo, () => `the lower bound of ${c.name}`, c.name);
    add(c.hi, () => `the upper bound of ${c.name}`, c.name);
  }
  return {
    objectiveTerms,
    objectiveCoefs: [...coefs].map(([coef, name]) => ({ coef, name })),
    numbers: [...numbers.values()],
  };
}

// Number words a problem's text may use for a number its model states.
const WORDS: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18,
  nineteen: 19, twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90,
  hundred: 100, thousand: 1000, dozen: 12, twice: 2, double: 2, triple: 3, thrice: 3, half: 0.5, quarter: 0.25, third: 1 / 3,
};
const SCALE: Record<string, number> = { thousand: 1e3, k: 1e3, million: 1e6, m: 1e6, billion: 1e9, bn: 1e9 };

/** Absolute values of the numbers a problem's text states: "1,250" 1250, "20%" 20 and 0.2, "3/4", "2.5 million", "twelve". */
export function textNumbers(text: string): number[] {
  const out = new Set<number>();
  const put = (x: number) => { if (Number.isFinite(x)) out.add(Math.abs(x)); };
  for (const m of text.matchAll(/(\d+(?:,\d{3})*(?:\.\d+)?|\.\d+)(?:\s*\/\s*(\d+(?:\.\d+)?))?\s*(%|percent\b|thousand\b|million\b|billion\b|bn\b|k\b|m\b)?/gi)) {
    const x = Number(m[1]!.replace(/,/g, ''));
    if (m[2]) { put(x / Number(m[2])); put(x); put(Number(m[2])); continue; }
    const unit = m[3]?.toLowerCase();
    put(x);
    if (unit === '%' || unit === 'percent') put(x / 100);
    else if (unit && SCALE[unit]) put(x * SCALE[unit]!);
  }
  for (const w of text.toLowerCase().matchAll(/[a-z]+/g)) if (w[0] in WORDS) put(WORDS[w[0]]!);
  return [...out];
}

const sameNumber = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

/**
 * Why a solved model does not earn the answer reward for `expected`, or null when it may. `question`
 * (the problem's text) excuses the numbers it states; without it no number is excused.
 */
export function integrityProblem(facts: ModelFacts | undefined, expected: number, rule: ToleranceRule, question?: string): string | null {
  if (!facts) return 'the target reported no model to check, so the answer cannot be attributed to a model';
  if (facts.objectiveTerms === 0) {
    return 'the objective has no variable with a non-zero coefficient: the solver optimized a constant, not a model';
  }
  const excused = question ? textNumbers(question) : [];
  const flag = (n: ModelFacts['numbers'][number], why: string) => (excused.some((x) => sameNumber(x, n.value)) ? null
    : `the model states ${fmt(n.value)} (${n.where}), within the ${rule} tolerance of ${why}, and ${fmt(n.value)} is not in the problem's text${question ? '' : ' (none was given)'}: the answer was written into the model instead of being found by the solver`);
  const answer = Math.abs(expected);
  const overAnswer = (coef: number, name: string) => `the expected answer ${fmt(expected)} divided by ${name}'s objective coefficient ${fmt(coef)}`;
  // (1) any number near the answer itself; numbers sorted by value, and each target looks only at a
  //     window wider than any rule's (5 %, after rounding for 'int') before checking the rule itself
  const sorted = [...facts.numbers].sort((x, y) => x.value - y.value);
  const firstAtLeast = (v: number) => {
    let lo = 0, hi = sorted.length;
    while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]!.value < v) lo = mid + 1; else hi = mid; }
    return lo;
  };
  const near = (t: number, close: (v: number) => boolean) => {
    const out: ModelFacts['numbers'] = [];
    for (let i = firstAtLeast(t * 0.9 - 1); i < sorted.length && sorted[i]!.value <= t * 1.1 + 1; i++) if (close(sorted[i]!.value)) out.push(sorted[i]!);
    return out;
  };
  if (answer !== 0) {
    for (const n of near(answer, (v) => withinTolerance(v, answer, rule))) {
      const why = flag(n, `the expected answer ${fmt(expected)}`);
      if (why) return why;
    }
  }
  // (2) a bound on a variable with objective coefficient c, near answer / c
  for (const n of sorted) {
    if (n.coef === undefined || Math.abs(n.coef) === 1 || answer === 0) continue;
    if (withinTolerance(n.value, answer / Math.abs(n.coef), rule)) {
      const why = flag(n, overAnswer(n.coef, 'its variable'));
      if (why) return why;
    }
  }
  // (3) any other number equal to answer / c
  for (const { coef, name } of facts.objectiveCoefs) {
    if (Math.abs(coef) === 1 || answer === 0) continue;
    const t = answer / Math.abs(coef);
    for (const n of near(t, (v) => Math.abs(v - t) <= 1e-6 * Math.max(1, t))) {
      const why = flag(n, overAnswer(coef, name));
      if (why) return why;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The infeasibility rule (c): an infeasible core of the model.

/** Largest model whose infeasible core is computed: rows with a bound + finite column bounds (each
 *  bound one element). The grouped deletion filter solves the model about 2·|core|·log2(n) times; a
 *  larger model gets no core (and its infeasibility verdict is not paid). */
export const CORE_MAX_ELEMENTS = 2000;
/** Most milliseconds the search for a core may take (within the job's time limit too): past it,
 *  no core. */
export const CORE_MAX_MS = 5000;
/** Most milliseconds one question of the search may take: a relaxation the solver cannot decide in
 *  time is treated as feasible (its element stays in the core, which is then still infeasible but
 *  perhaps not minimal). */
export const CORE_QUESTION_MS = 500;
/** Most distinct numbers a core carries in its facts. */
const CORE_MAX_NUMBERS = 1000;
/** Most rows and bounds of a core named in its facts (and so in a message). */
const CORE_SHOWN = 6;

/** Column j's lower bound is element lowerBound(j) of a relaxed-bounds set, its upper bound upperBound(j). */
export const lowerBound = (j: number) => 2 * j;
export const upperBound = (j: number) => 2 * j + 1;

/**
 * Whether the model with the given rows (indices into `rows`) made free and the given column bounds
 * (lowerBound(j), upperBound(j)) removed is infeasible, integrality kept: true, false, or null when
 * the solver could not tell (its CORE_QUESTION_MS limit, an unexpected status): then the element
 * just relaxed is restored, as for false. A throw (a solver abort) goes to the caller. The sets are
 * read during the call only. The filter never asks about a model in which an unrelaxed row or
 * column has lower > upper (it is infeasible, and some solvers refuse it).
 */
export type IsInfeasible = (relaxedRows: ReadonlySet<number>, relaxedBounds: ReadonlySet<number>) => boolean | null | Promise<boolean | null>;

/** The model with the given rows made free and the given column bounds removed. */
export function relaxedModel(m: SolvedModel, relaxedRows: ReadonlySet<number>, relaxedBounds: ReadonlySet<number>): SolvedModel {
  return {
    ...m,
    rows: m.rows.map((r, i) => (relaxedRows.has(i) ? { ...r, lo: null, hi: null } : r)),
    cols: m.cols.map((c, j) => ({ name: c.name, lo: relaxedBounds.has(lowerBound(j)) ? null : c.lo, hi: relaxedBounds.has(upperBound(j)) ? null : c.hi })),
  };
}

const finiteOr = (x: number | null) => (x !== null && Number.isFinite(x) ? x : null);

/** The deletion filter, one question at a time: yields a relaxation, receives whether it is infeasible. */
function* deletionFilter(m: SolvedModel, timeLeftMs: () => number): Generator<[ReadonlySet<number>, ReadonlySet<number>], CoreFacts | null, boolean | null> {
  const rowElements = m.rows.flatMap((r, i) => (finiteOr(r.lo) !== null || finiteOr(r.hi) !== null ? [i] : []));
  const boundElements = m.cols.flatMap((c, j) => [...(finiteOr(c.lo) !== null ? [lowerBound(j)] : []), ...(finiteOr(c.hi) !== null ? [upperBound(j)] : [])]);
  if (rowElements.length + boundElements.length > CORE_MAX_ELEMENTS) return null;
  const rows = new Set<number>(), bounds = new Set<number>();
  // lower > upper on an unrelaxed row or column: infeasible without a solve
  const contradiction = () => m.rows.some((r, i) => !rows.has(i) && r.lo !== null && r.hi !== null && r.lo > r.hi)
    || m.cols.some((c, j) => !bounds.has(lowerBound(j)) && !bounds.has(upperBound(j)) && c.lo !== null && c.hi !== null && c.lo > c.hi);
  /** true, false, null (the solver could not tell), or 'stop' (no time left: no core) */
  function* infeasible(): Generator<[ReadonlySet<number>, ReadonlySet<number>], boolean | null | 'stop', boolean | null> {
    if (contradiction()) return true;
    if (timeLeftMs() <= 0) return 'stop';
    return yield [rows, bounds];
  }
  // the solver's verdict, asked the way the filter asks: otherwise no core
  if ((yield* infeasible()) !== true) return null;
  // Relax a group at once; if the model stays infeasible, the whole group is left relaxed (one
  // solve), else it is restored and each half tried. An element is kept only after it failed alone,
  // with everything relaxed so far: the core is irreducible (relaxing more never makes it infeasible).
  type Element = [Set<number>, number];
  const elements: Element[] = [...rowElements.map((i): Element => [rows, i]), ...boundElements.map((b): Element => [bounds, b])];
  function* relaxGroup(group: Element[]): Generator<[ReadonlySet<number>, ReadonlySet<number>], 'stop' | undefined, boolean | null> {
    for (const [set, e] of group) set.add(e);
    const still = yield* infeasible();
    if (still === 'stop') return 'stop';
    if (still === true) return undefined;
    for (const [set, e] of group) set.delete(e); // needed (or not shown otherwise): restore
    if (group.length === 1) return undefined;
    const half = group.length >> 1;
    if ((yield* relaxGroup(group.slice(0, half))) === 'stop') return 'stop';
    return yield* relaxGroup(group.slice(half));
  }
  if (elements.length && (yield* relaxGroup(elements)) === 'stop') return null;
  return coreFacts(m, rowElements.filter((i) => !rows.has(i)), boundElements.filter((b) => !bounds.has(b)));
}

/** The facts of a core: its rows (indices) and column bounds (lowerBound / upperBound ids). */
function coreFacts(m: SolvedModel, rowIds: number[], boundIds: number[]): CoreFacts {
  const numbers = new Set<number>();
  const put = (v: number | null) => {
    if (v === null || !Number.isFinite(v) || v === 0 || Math.abs(v) === 1 || numbers.size >= CORE_MAX_NUMBERS) return;
    numbers.add(Math.abs(v));
  };
  const what: string[] = [];
  let multiVariableRows = 0;
  for (const i of rowIds) {
    const r = m.rows[i]!;
    const live = r.terms.filter((t) => t.coef !== 0 && Number.isFinite(t.coef));
    if (new Set(live.map((t) => t.name)).size >= 2) multiVariableRows++;
    for (const t of live) put(t.coef);
    put(finiteOr(r.lo));
    put(finiteOr(r.hi));
    if (what.length < CORE_SHOWN) what.push(rowText(r, live));
  }
  for (const b of boundIds) {
    const c = m.cols[b >> 1]!;
    const v = b % 2 === 0 ? c.lo : c.hi;
    put(v);
    if (what.length < CORE_SHOWN) what.push(`${c.name} ${b % 2 === 0 ? '>=' : '<='} ${fmt(v!)}`);
  }
  return { rows: rowIds.length, multiVariableRows, bounds: boundIds.length, numbers: [...numbers], what };
}

function rowText(r: SolvedModel['rows'][number], live: ModelTerm[]): string {
  const MAX_TERMS = 4;
  const terms = live.slice(0, MAX_TERMS).map((t, k) => {
    const a = Math.abs(t.coef);
    return `${t.coef < 0 ? (k ? '- ' : '-') : k ? '+ ' : ''}${a === 1 ? '' : `${fmt(a)} `}${t.name}`;
  }).join(' ') + (live.length > MAX_TERMS ? ` + … (${live.length} terms)` : '');
  const lo = finiteOr(r.lo), hi = finiteOr(r.hi);
  const body = lo !== null && hi !== null ? (lo === hi ? `${terms} = ${fmt(lo)}` : `${fmt(lo)} <= ${terms} <= ${fmt(hi)}`) : lo !== null ? `${terms} >= ${fmt(lo)}` : `${terms} <= ${fmt(hi!)}`;
  return r.name ? `${r.name}: ${body}` : body;
}

/**
 * An infeasible core of the infeasible model `m`, found by a deletion filter: each row with a bound,
 * then each finite column bound, is relaxed in turn (a row made free, a bound removed); it stays
 * relaxed if `isInfeasible` says the model is still infeasible, and is restored otherwise. What is
 * left unrelaxed is infeasible, and relaxing any one of it makes the model feasible (or, where the
 * solver could not tell, was not shown infeasible). Null when the model has more than
 * CORE_MAX_ELEMENTS elements, when `isInfeasible` does not confirm that `m` itself is infeasible, or
 * once `timeLeftMs` (default: no limit) is down to 0. Synchronous when `isInfeasible` is.
 */
export function infeasibleCore(m: SolvedModel, isInfeasible: (rows: ReadonlySet<number>, bounds: ReadonlySet<number>) => boolean | null, timeLeftMs?: () => number): CoreFacts | null;
export function infeasibleCore(m: SolvedModel, isInfeasible: IsInfeasible, timeLeftMs?: () => number): CoreFacts | null | Promise<CoreFacts | null>;
export function infeasibleCore(m: SolvedModel, isInfeasible: IsInfeasible, timeLeftMs: () => number = () => Infinity): CoreFacts | null | Promise<CoreFacts | null> {
  const steps = deletionFilter(m, timeLeftMs);
  const drive = (next: IteratorResult<[ReadonlySet<number>, ReadonlySet<number>], CoreFacts | null>): CoreFacts | null | Promise<CoreFacts | null> => {
    while (!next.done) {
      const answer = isInfeasible(...next.value);
      if (answer instanceof Promise) return answer.then((a) => drive(steps.next(a)));
      next = steps.next(answer);
    }
    return next.value;
  };
  return drive(steps.next());
}

const listed = (what: string[], total: number) => {
  const shown = what.map((w) => `'${w}'`);
  if (total > shown.length) return `${shown.join(', ')} and ${total - shown.length} more`;
  return shown.length <= 1 ? shown.join('') : `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}`;
};

/**
 * Why an infeasible model does not earn the answer reward of an item whose expected answer is
 * 'infeasible', or null when it may (rules (a) and (c) above). `question` (the problem's text):
 * the core must state one of its numbers; without it, that part is not applied.
 */
export function infeasibilityProblem(facts: ModelFacts | undefined, question?: string): string | null {
  if (!facts) return 'the target reported no model to check, so the infeasibility cannot be attributed to a model';
  if (facts.objectiveTerms === 0) {
    return 'the objective has no variable with a non-zero coefficient: the solver proved constraints under a constant objective infeasible, not a model of the problem';
  }
  const core = facts.core;
  // No core (a model over CORE_MAX_ELEMENTS, no time left, a solver abort): the verdict is not paid,
  // or padding a contradiction with rows, or slowing its relaxations, would skip the rule.
  if (!core) {
    return `the infeasibility could not be traced to the model's constraints (more than ${CORE_MAX_ELEMENTS} rows and bounds, or not within ${CORE_MAX_MS / 1000} s): an infeasibility verdict is paid only when an infeasible core shows it rests on the problem's data`;
  }
  const what = listed(core.what, core.rows + core.bounds);
  if (core.multiVariableRows === 0) {
    return `the model is infeasible only because of ${what}, ${core.rows === 0 ? 'bounds of single variables' : 'which constrain one variable each'}: no constraint relating two or more variables takes part, so the infeasibility does not come from the problem's data`;
  }
  if (question) {
    const stated = textNumbers(question);
    if (!core.numbers.some((n) => stated.some((x) => sameNumber(x, n)))) {
      const nums = core.numbers.length ? core.numbers.slice(0, CORE_SHOWN).map(fmt).join(', ') + (core.numbers.length > CORE_SHOWN ? ', …' : '') : 'only 0 and ±1';
      return `the model is infeasible only because of ${what}, which state no number of the problem's text (${nums}): the contradiction was written into the model, not found in the problem's data`;
    }
  }
  return null;
}
