// The integrity rule's false positives (src/verifier/integrity.ts): every gold model we have,
// verified with its problem's text, must stay `correct`. Prints how many are flagged `no_model`,
// per source and target, with each flagged item and the number that flagged it.
//   - the hand-written gold models of real benchmark items (test/fixtures/benchmark-gold: LP, MathProg)
//   - among them the genuinely infeasible ones (expected answer 'infeasible'), judged by the
//     infeasibility rule: how many stay correct, and for how many a core was computed (without a
//     core, rule (c) is not applied, so a correct verdict would prove nothing)
//   - the generator's gold models in every target, every family, difficulties 1–5, SEEDS seeds each
//     (the generator makes no infeasible item: solveGold requires an optimum)
//
//   npx tsx bench/integrity.ts [--seeds 20] [--tolerance rel5pct] [--no-question]
// (--no-question judges without the problems' texts: how much the text exception excuses)
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAMILIES, generateProblem } from '../src/problems/generator.ts';
import { solveGold } from '../src/problems/generated.ts';
import { nodeAssets } from '../src/targets/assets-node.ts';
import { installMemoryCeiling } from '../src/targets/memory-ceiling.ts';
import { createRunners } from '../src/targets/runners.ts';
import { isToleranceRule, type ToleranceRule } from '../src/verifier/tolerance.ts';
import { resolveConfig } from '../src/verifier/config.ts';
import { score } from '../src/verifier/score.ts';
import { runCode, verifyInThread } from '../src/verifier/verify.ts';

const arg = (name: string, dflt: string) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1]! : dflt; };
const SEEDS = Number(arg('seeds', '20'));
const tol = arg('tolerance', 'rel5pct');
if (!isToleranceRule(tol)) throw new Error(`--tolerance: ${tol}`);
const tolerance: ToleranceRule = tol;
const withQuestion = !process.argv.includes('--no-question');
const ROOT = join(import.meta.dirname, '..');
const FIX = join(ROOT, 'test', 'fixtures', 'benchmark-gold');

installMemoryCeiling();
const runners = await createRunners(nodeAssets);
const counts: Record<string, { checked: number; flagged: number; not_correct: number }> = {};
const flagged: string[] = [];
async function check(source: string, target: string, id: string, code: string, answer: number | 'infeasible', question: string) {
  const o = await verifyInThread({ completion: code, raw_code: true, target, answer, ...(withQuestion ? { question } : {}), config: { tolerance } }, runners);
  const c = (counts[`${source} ${target}`] ??= { checked: 0, flagged: 0, not_correct: 0 });
  c.checked++;
  if (o.class === 'no_model') { c.flagged++; flagged.push(`${source} ${target} ${id}: ${o.messages.find((m) => m.source === 'integrity')?.text}`); }
  else if (o.class !== 'correct') c.not_correct++;
}

/** An expected-infeasible item: the run itself (its facts, the core), then its score. */
const infeasible: Record<string, { checked: number; correct: number; core_computed: number; ms: number }> = {};
async function checkInfeasible(target: string, id: string, code: string, question: string) {
  const t0 = performance.now();
  const run = await runCode({ code, target, config: { tolerance }, infeasibleCore: true }, runners);
  const c = (infeasible[`benchmark-gold ${target}`] ??= { checked: 0, correct: 0, core_computed: 0, ms: 0 });
  c.ms += performance.now() - t0;
  const o = score({ completion: code, raw_code: true, target, answer: 'infeasible', ...(withQuestion ? { question } : {}) }, resolveConfig({ tolerance }), code, run, t0);
  c.checked++;
  if (o.class === 'correct') c.correct++;
  else flagged.push(`benchmark-gold (infeasible) ${target} ${id}: ${o.class} ${o.messages.find((m) => m.source === 'integrity')?.text ?? ''}`);
  if (run.facts?.core) c.core_computed++;
}

// 1. benchmark gold
const manifest = JSON.parse(readFileSync(join(FIX, 'manifest.json'), 'utf8')) as { id: string; benchmark: string; answer: number | null }[];
const questions = new Map<string, string>();
for (const b of new Set(manifest.map((m) => m.benchmark))) {
  for (const line of readFileSync(join(ROOT, 'public', 'benchmarks', b), 'utf8').split('\n')) if (line.trim()) { const r = JSON.parse(line); questions.set(r.id, r.question); }
}
for (const m of manifest) {
  const answer = m.answer ?? 'infeasible';
  await check('benchmark-gold', 'highs', m.id, readFileSync(join(FIX, `${m.id}.lp`), 'utf8'), answer, questions.get(m.id)!);
  await check('benchmark-gold', 'glpk', m.id, readFileSync(join(FIX, `${m.id}.mod`), 'utf8'), answer, questions.get(m.id)!);
  if (answer === 'infeasible') {
    await checkInfeasible('highs', m.id, readFileSync(join(FIX, `${m.id}.lp`), 'utf8'), questions.get(m.id)!);
    await checkInfeasible('glpk', m.id, readFileSync(join(FIX, `${m.id}.mod`), 'utf8'), questions.get(m.id)!);
  }
}

// 2. generator gold in every target
for (const family of FAMILIES) {
  for (let d = 1; d <= 5; d++) {
    for (let seed = 1; seed <= SEEDS; seed++) {
      const p = generateProblem(family, seed, d);
      const answer = await solveGold(p, runners);
      for (const [target, code] of Object.entries(p.gold)) await check('generator', target, p.id, code, answer, p.question);
    }
  }
}
for (const c of Object.values(infeasible)) c.ms = Math.round(c.ms);
console.log(JSON.stringify({ tolerance, with_question: withQuestion, seeds_per_family_and_difficulty: SEEDS, counts, infeasible_gold: infeasible }, null, 1));
for (const f of flagged) console.log(f);
process.exit(0);
