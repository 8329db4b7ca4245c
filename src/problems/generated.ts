// Generated problems as benchmark lines: the generator's text and gold models, plus the answer
// obtained by solving the gold models (every target with a runner here must agree).

import { targetModule } from '../targets/registry.ts';
import { generateProblems, type Family, type GeneratedProblem } from './generator.ts';
import type { Runners } from '../targets/runners.ts';
import { withinTolerance } from '../verifier/tolerance.ts';

export interface GeneratedItem {
  id: string;
  question: string;
  answer: number;
  status: 'ok';
  family: Family;
  difficulty: number;
  seed: number;
  sense: 'max' | 'min';
  integer: boolean;
  gold: GeneratedProblem['gold'];
}

const SOLVE = { time_limit_s: 30, memory_limit_bytes: 1024 * 1048576, max_log_lines: 20 };

/** Solve every gold model of a problem; throws if any fails or they disagree (a generator bug). */
export async function solveGold(p: GeneratedProblem, targets: Runners): Promise<number> {
  let answer: number | null = null;
  let first = '';
  for (const [t, gold] of Object.entries(p.gold)) {
    const runner = targets[t];
    // a costly target's gold (MiniZinc, ~0.5 s a run) is checked by the tests, not for every problem
    if (!runner || targetModule(t)?.costly) continue;
    const run = await runner.solve(gold, SOLVE);
    if (run.status !== 'optimal' || run.objective === null) {
      throw new Error(`generator bug: ${p.id} gold model for ${t} ended ${run.failure ?? run.status}: ${run.messages.map((m) => m.text).join('; ')}`);
    }
    if (answer === null) { answer = run.objective; first = t; }
    else if (!withinTolerance(run.objective, answer, 'rel1e-4')) {
      throw new Error(`generator bug: ${p.id} gold models disagree (${t}: ${run.objective}, ${first}: ${answer})`);
    }
  }
  if (answer === null) throw new Error(`${p.id}: no target with a gold model has a runner here`);
  return answer;
}

export async function generateBenchmark(
  opts: { families?: readonly Family[]; count: number; seed: number; difficulty?: number },
  targets: Runners,
): Promise<GeneratedItem[]> {
  const out: GeneratedItem[] = [];
  for (const p of generateProblems(opts)) {
    const answer = await solveGold(p, targets);
    out.push({
      id: p.id, question: p.question, answer, status: 'ok', family: p.family, difficulty: p.difficulty,
      seed: p.seed, sense: p.sense, integer: p.integer, gold: p.gold,
    });
  }
  return out;
}
