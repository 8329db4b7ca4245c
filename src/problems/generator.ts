// Seeded generator of optimization word problems (NL4OPT style) with gold models in every target
// language that has a gold serializer (src/targets/<name>/gold.ts). Each family
// (src/problems/families/, one file each) builds the word problem and one LinearModel, and may
// write the model itself in a target's language (MathProg with sets, params and a data section).
// All numbers are small integers that appear verbatim in the question text; every instance is
// feasible and bounded by construction (a known feasible point is built first, limits are set
// around it).

import { allTargets } from '../targets/registry.ts';
import type { FamilyInstance, LinearModel } from './linear-model.ts';
import { buildAssignment } from './families/assignment.ts';
import { buildDiet } from './families/diet.ts';
import { buildKnapsack } from './families/knapsack.ts';
import { buildProduction } from './families/production.ts';
import { buildStaffing } from './families/staffing.ts';
import { buildTransportation } from './families/transportation.ts';
import { Rng, mixSeed } from './rng.ts';
import { UsageError } from '../errors.ts';

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
  /** target name → the gold model in its language */
  gold: Record<string, string>;
  /** the model the gold texts are written from */
  model: LinearModel;
}

const BUILDERS: Record<Family, (rng: Rng, d: number) => FamilyInstance> = {
  production: buildProduction,
  diet: buildDiet,
  transportation: buildTransportation,
  assignment: buildAssignment,
  knapsack: buildKnapsack,
  staffing: buildStaffing,
};

/** A problem's gold model in every target with a gold serializer (the family's own text first). */
export function goldModels(id: string, b: Pick<FamilyInstance, 'model' | 'written'>): Record<string, string> {
  const gold: Record<string, string> = {};
  for (const t of allTargets()) {
    const text = b.written[t.name] ?? t.gold?.({ id, model: b.model });
    if (text !== undefined) gold[t.name] = text;
  }
  return gold;
}

export function generateProblem(family: Family, seed: number, difficulty = 2): GeneratedProblem {
  if (!(FAMILIES as readonly string[]).includes(family)) parseFamilies(family); // throws a helpful error
  if (!Number.isInteger(seed)) throw new UsageError(`seed must be an integer, got ${seed}`);
  if (!Number.isInteger(difficulty) || difficulty < 1 || difficulty > 5) {
    throw new UsageError(`difficulty must be an integer 1..5, got ${difficulty}`);
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
    gold: goldModels(id, b),
    model: b.model,
  };
}

export function generateProblems(opts: {
  families?: readonly Family[];
  count: number;
  seed: number;
  difficulty?: number;
}): GeneratedProblem[] {
  const fams = opts.families ?? FAMILIES;
  if (fams.length === 0) throw new UsageError('no problem family given');
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
  if (parts.length === 0) throw new UsageError(`No problem family given; ${valid}`);
  const out: Family[] = [];
  for (const p of parts) {
    if (p === 'all') {
      for (const f of FAMILIES) if (!out.includes(f)) out.push(f);
    } else if ((FAMILIES as readonly string[]).includes(p)) {
      if (!out.includes(p as Family)) out.push(p as Family);
    } else {
      throw new UsageError(`Unknown problem family "${p}"; ${valid}`);
    }
  }
  return out;
}
