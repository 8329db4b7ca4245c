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
