// Real benchmark items: hand-written gold models in both languages score `correct` against the
// dataset's answer; broken variants get the class their construction implies. Expected classes
// were confirmed with native glpsol and HiGHS when the fixtures were made
// (test/fixtures/*/verify.mjs re-checks them against the solvers directly).
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createNodePool } from '../src/verifier/pool-node.ts';

const FIX = join(import.meta.dirname, 'fixtures');
interface Gold { id: string; benchmark: string; answer: number | null; expected_status: 'optimal' | 'infeasible' }
interface Broken { file: string; target: 'highs' | 'glpk'; answer: number | null; expected_class: string; how: string; verifier_class?: string }
const gold: Gold[] = JSON.parse(readFileSync(join(FIX, 'benchmark-gold', 'manifest.json'), 'utf8'));
const broken: Broken[] = JSON.parse(readFileSync(join(FIX, 'broken', 'manifest.json'), 'utf8'));
const wrap = (code: string) => `<think>Formulate the model.</think>\n<code>\n${code}\n</code>`;

const pool = createNodePool({ size: 2 });
afterAll(() => pool.close());

describe('gold models of real benchmark items', () => {
  it('cover NL4OPT, MAMO EasyLP, MAMO ComplexLP and IndustryOR with at least 30 items', () => {
    const per = (b: string) => gold.filter((g) => g.benchmark === b).length;
    expect(gold.length).toBeGreaterThanOrEqual(30);
    for (const b of ['nl4opt.jsonl', 'mamo_easylp.jsonl', 'mamo_complexlp.jsonl', 'industryor.jsonl']) expect(per(b)).toBeGreaterThanOrEqual(5);
  });

  it('answers come from the bundled benchmark files themselves', () => {
    const answers = new Map<string, unknown>();
    for (const b of new Set(gold.map((g) => g.benchmark))) {
      for (const line of readFileSync(join(import.meta.dirname, '..', 'public', 'benchmarks', b), 'utf8').split('\n')) {
        if (line.trim()) { const r = JSON.parse(line); answers.set(r.id, r.answer); }
      }
    }
    for (const g of gold) expect(answers.get(g.id), g.id).toEqual(g.answer);
  });

  const questions = new Map<string, string>();
  for (const b of new Set(gold.map((g) => g.benchmark))) {
    for (const line of readFileSync(join(import.meta.dirname, '..', 'public', 'benchmarks', b), 'utf8').split('\n')) {
      if (line.trim()) { const r = JSON.parse(line); questions.set(r.id, r.question); }
    }
  }

  for (const target of ['highs', 'glpk'] as const) {
    it(`every item scores correct on ${target} (rel 5 % and strict 1e-4), with its question`, async () => {
      const ext = target === 'highs' ? 'lp' : 'mod';
      const jobs = gold.map((g) => ({
        completion: wrap(readFileSync(join(FIX, 'benchmark-gold', `${g.id}.${ext}`), 'utf8')),
        target, answer: g.answer === null ? 'infeasible' as const : g.answer, question: questions.get(g.id)!,
      }));
      for (const tolerance of ['rel5pct', 'rel1e-4'] as const) {
        const outs = await pool.verifyAll(jobs.map((j) => ({ ...j, config: { tolerance } })));
        const bad = outs.map((o, i) => [gold[i]!.id, o.class, o.objective, o.messages.map((m) => m.text).join('; ')]).filter((r) => r[1] !== 'correct');
        expect(bad).toEqual([]);
      }
    });
  }
});

describe('broken variants get the right class', () => {
  const cases = broken.map((b) => [`${b.target} ${b.file}`, b] as const);
  it.each(cases)('%s', async (_name, b) => {
    const code = readFileSync(join(FIX, 'broken', b.file), 'utf8');
    const o = await pool.verify({
      completion: wrap(code), target: b.target, answer: b.answer === null ? 'infeasible' : b.answer,
      config: { solver_time_limit_s: 2, wall_limit_ms: 8000 },
    });
    expect(o.class, `${b.how}\n${o.messages.map((m) => m.text).join('\n')}`).toBe(b.verifier_class ?? b.expected_class);
    if (o.class === 'parse_error' || o.class === 'runtime_error') {
      expect(o.messages.some((m) => m.severity === 'error' && m.text.length > 10)).toBe(true);
    }
  });
});
