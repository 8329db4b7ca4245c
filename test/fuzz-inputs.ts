// Deterministic malformed inputs for the verifier: random bytes, truncated and mutated gold
// models, huge coefficient lists, deeply nested MathProg, very large models, NaN/Infinity
// literals, protocol abuse. Used by test/fuzz.test.ts and bench/fuzz.ts.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../src/problems/rng.ts';
import { generateProblem, FAMILIES } from '../src/problems/generator.ts';
/** the targets this file has seed models and pathological inputs for */
const FUZZ_TARGETS = ['highs', 'glpk', 'glpk-json'] as const;

export interface FuzzCase {
  kind: string;
  target: (typeof FUZZ_TARGETS)[number];
  completion: string;
}

const GOLD_DIR = join(import.meta.dirname, 'fixtures', 'benchmark-gold');

/** Valid models per target to mutate: benchmark gold fixtures plus generated problems. */
export function seedModels(): Record<FuzzCase['target'], string[]> {
  const seeds: Record<FuzzCase['target'], string[]> = { highs: [], glpk: [], 'glpk-json': [] };
  for (const f of readdirSync(GOLD_DIR).sort()) {
    if (f.endsWith('.lp')) seeds.highs.push(readFileSync(join(GOLD_DIR, f), 'utf8'));
    if (f.endsWith('.mod')) seeds.glpk.push(readFileSync(join(GOLD_DIR, f), 'utf8'));
  }
  FAMILIES.forEach((fam, i) => {
    for (const d of [1, 3, 5]) {
      const p = generateProblem(fam, 1000 + i, d);
      seeds.highs.push(p.gold.highs);
      seeds.glpk.push(p.gold.glpk);
      seeds['glpk-json'].push(p.gold['glpk-json']);
    }
  });
  return seeds;
}

const TOKENS = [
  '<=', '>=', '=', '<', '>', ':', ';', '+', '-', '*', '/', '^', '[', ']', '(', ')', '{', '}', ',', '"', '\\', '\n',
  'Maximize', 'Minimize', 'Subject To', 'Bounds', 'General', 'Binary', 'End', 'free', 'inf', '-inf', 'NaN', 'Infinity',
  'var', 'param', 'set', 's.t.', 'sum', 'in', 'integer', 'binary', 'solve;', 'data;', 'end;', 'maximize', 'minimize',
  '1e309', '-1e309', '1e-400', '0', '-0', '3.5e', '..', 'x', 'y_1', '2x', '"coef"', 'null', 'true', '{"name":', '}}}',
];

function mutate(rng: Rng, text: string): string {
  let s = text;
  const n = rng.int(1, 6);
  for (let k = 0; k < n; k++) {
    const pos = s.length === 0 ? 0 : rng.int(0, s.length - 1);
    switch (rng.int(0, 6)) {
      case 0: s = s.slice(0, pos) + s.slice(pos + rng.int(1, 8)); break;                       // delete
      case 1: s = s.slice(0, pos) + String.fromCharCode(rng.int(0, 255)) + s.slice(pos); break; // insert byte
      case 2: s = s.slice(0, pos) + rng.pick(TOKENS) + s.slice(pos); break;                     // insert token
      case 3: s = s.slice(0, pos) + rng.pick(TOKENS) + s.slice(pos + rng.int(1, 5)); break;    // replace
      case 4: { const lines = s.split('\n'); const i = rng.int(0, lines.length - 1), j = rng.int(0, lines.length - 1); [lines[i], lines[j]] = [lines[j]!, lines[i]!]; s = lines.join('\n'); break; }
      case 5: { const lines = s.split('\n'); lines.splice(rng.int(0, lines.length - 1), 1); s = lines.join('\n'); break; }
      default: s = s.slice(0, pos) + s.slice(pos, pos + rng.int(1, 40)).repeat(rng.int(2, 5)) + s.slice(pos); // duplicate
    }
  }
  return s;
}

function randomBytes(rng: Rng, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(rng.int(0, 255));
  return s;
}

function hugeCoefficientList(rng: Rng, target: FuzzCase['target'], n: number): string {
  const coef = () => rng.pick(['1e308', '-1e308', '1e-320', '123456789012345678901234567890', String(rng.int(-9, 9)), '0.000001']);
  if (target === 'highs') return `Maximize\n obj: ${Array.from({ length: n }, (_, i) => `${coef()} x${i}`).join(' + ')}\nSubject To\n c: ${Array.from({ length: n }, (_, i) => `x${i}`).join(' + ')} <= 1\nEnd\n`;
  if (target === 'glpk') return `param n := ${n};\nparam c{i in 1..n} := ${coef()};\nvar x{1..n} >= 0, <= 1;\nmaximize z: sum{i in 1..n} c[i]*x[i] + ${Array.from({ length: Math.min(n, 3000) }, () => `${coef()}*x[1]`).join(' + ')};\nend;\n`;
  return JSON.stringify({ name: 'h', objective: { direction: 2, name: 'z', vars: Array.from({ length: n }, (_, i) => ({ name: `x${i}`, coef: Number(coef()) })) }, subjectTo: [{ name: 'c', vars: Array.from({ length: n }, (_, i) => ({ name: `x${i}`, coef: 1 })), bnds: { type: 3, ub: 1, lb: 0 } }] });
}

function deeplyNested(depth: number, target: FuzzCase['target']): string {
  const expr = '('.repeat(depth) + 'x' + ')'.repeat(depth);
  if (target === 'glpk') return `var x >= 0, <= 1;\nmaximize z: ${expr};\nend;\n`;
  if (target === 'highs') return `Maximize\n obj: ${expr}\nSubject To\n c: x <= 1\nEnd\n`;
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

function veryLarge(target: FuzzCase['target'], n: number): string {
  if (target === 'highs') return `Minimize\n obj: ${Array.from({ length: n }, (_, i) => `${(i % 7) + 1} x${i}`).join(' + ')}\nSubject To\n${Array.from({ length: n / 10 }, (_, r) => ` r${r}: ${Array.from({ length: 10 }, (_, k) => `x${r * 10 + k}`).join(' + ')} >= 1`).join('\n')}\nEnd\n`;
  if (target === 'glpk') return `set I := 1..${n};\nvar x{I} >= 0;\nminimize z: sum{i in I} (i mod 7 + 1)*x[i];\ns.t. r{k in 0..${n / 10 - 1}}: sum{j in 1..10} x[k*10+j] >= 1;\nend;\n`;
  return JSON.stringify({ name: 'big', objective: { direction: 1, name: 'z', vars: Array.from({ length: n }, (_, i) => ({ name: `x${i}`, coef: (i % 7) + 1 })) }, subjectTo: Array.from({ length: n / 10 }, (_, r) => ({ name: `r${r}`, vars: Array.from({ length: 10 }, (_, k) => ({ name: `x${r * 10 + k}`, coef: 1 })), bnds: { type: 2, lb: 1, ub: 0 } })) });
}

const NAN_INF: Record<FuzzCase['target'], string[]> = {
  highs: ['Maximize\n obj: NaN x\nSubject To\n c: x <= 1\nEnd\n', 'Maximize\n obj: x\nSubject To\n c: x <= nan\nEnd\n', 'Maximize\n obj: inf x\nSubject To\n c: x <= 1\nEnd\n', 'Maximize\n obj: 1e999 x\nSubject To\n c: x <= 1e999\nEnd\n', 'Minimize\n obj: x\nSubject To\n c: x >= -inf\nBounds\n x >= inf\nEnd\n', 'Maximize\n obj: x\nSubject To\n c: Infinity x <= 1\nEnd\n'],
  glpk: ['var x >= 0, <= 1;\nmaximize z: NaN*x;\nend;\n', 'param a := 1e999;\nvar x >= 0, <= a;\nmaximize z: x;\nend;\n', 'var x;\nmaximize z: Infinity*x;\nend;\n', 'param a := -1e308 * 10;\nvar x >= a;\nminimize z: x;\nend;\n', 'param a := sqrt(-1);\nvar x >= a;\nminimize z: x;\nend;\n', 'param a := log(0);\nvar x >= a;\nminimize z: x;\nend;\n'],
  'glpk-json': ['{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":NaN}]},"subjectTo":[]}', '{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":Infinity}]},"subjectTo":[]}', '{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":1e999}]},"subjectTo":[]}', '{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":1}]},"subjectTo":[{"name":"c","vars":[{"name":"x","coef":1}],"bnds":{"type":3,"ub":-1e999,"lb":0}}]}', '{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":"1"}]},"subjectTo":[]}', '{"name":"n","objective":{"direction":2,"name":"z","vars":[{"name":"x","coef":null}]},"subjectTo":[]}'],
};

const PROTOCOL_ABUSE = (rng: Rng, code: string): string => rng.pick([
  `<code><code>${code}</code></code>`,
  `<think>${'<think>'.repeat(rng.int(1, 50))}</think><code>${code}`,
  `</code>${code}<code>`,
  `\`\`\`\n${code}\n\`\`\`\n\`\`\`\n${code}\n\`\`\``,
  `<think>\`\`\`</think><code>\`\`\`${code}</code>`,
  `<CODE>${code}</CODE>`,
  `<code>${'\u0000'.repeat(rng.int(1, 100))}</code>`,
]);

const wrap = (code: string) => `<think>fuzz</think><code>\n${code}\n</code>`;

/** `count` cases, spread over kinds and targets; a few expensive ones (large, nested) included. */
export function fuzzCases(count: number, seed = 1): FuzzCase[] {
  const rng = new Rng(seed);
  const seeds = seedModels();
  const cases: FuzzCase[] = [];
  // Expensive kinds: a fixed small number of each, per target.
  for (const target of FUZZ_TARGETS) {
    for (const depth of [50, 500, 5000, 50000]) cases.push({ kind: `nested-${depth}`, target, completion: wrap(deeplyNested(depth, target)) });
    for (const n of [2000, 20000]) cases.push({ kind: `huge-coefficients-${n}`, target, completion: wrap(hugeCoefficientList(rng, target, n)) });
    for (const n of [10000, 60000]) cases.push({ kind: `very-large-${n}`, target, completion: wrap(veryLarge(target, n)) });
    for (const s of NAN_INF[target]) cases.push({ kind: 'nan-inf', target, completion: wrap(s) });
    cases.push({ kind: 'random-bytes-1MB', target, completion: wrap(randomBytes(rng, 1 << 20)) });
  }
  while (cases.length < count) {
    const target = rng.pick(FUZZ_TARGETS);
    const base = rng.pick(seeds[target]);
    const r = rng.next();
    if (r < 0.15) cases.push({ kind: 'random-bytes', target, completion: rng.next() < 0.5 ? randomBytes(rng, rng.int(0, 400)) : wrap(randomBytes(rng, rng.int(0, 400))) });
    else if (r < 0.35) cases.push({ kind: 'truncated', target, completion: wrap(base.slice(0, rng.int(0, base.length))) });
    else if (r < 0.9) cases.push({ kind: 'mutated', target, completion: wrap(mutate(rng, base)) });
    else if (r < 0.95) cases.push({ kind: 'wrong-language', target, completion: wrap(rng.pick(seeds[rng.pick(FUZZ_TARGETS.filter((t) => t !== target))])) });
    else cases.push({ kind: 'protocol-abuse', target, completion: PROTOCOL_ABUSE(rng, base) });
  }
  return cases;
}
