// CPU-side steps that sit on every verification or sampled token, against baselines measured in the
// same run (this machine is noisy): the LP checker on a 10 MB model (vs JSON.parse of a JSON
// document of the same size) and on 10 MB pathological inputs, and sampling one token from
// Qwen's 151,936-token vocabulary with top-k/top-p (vs one sort of the same row).
//
//   npx tsx bench/cpu-steps.ts
import { sampleToken } from '../src/gpu/sampling.ts';
import { Rng } from '../src/problems/rng.ts';
import { checkLp } from '../src/targets/highs/lp-format.ts';

const time = (f: () => unknown, n = 3) => {
  const ts: number[] = [];
  for (let i = 0; i < n; i++) { const t = performance.now(); f(); ts.push(performance.now() - t); }
  return ts.sort((a, b) => a - b)[Math.floor(n / 2)]!;
};

// a 10 MB LP: 20,000 columns in the objective, 10-term rows
const nv = 20000;
const parts = ['Maximize\n obj: ', Array.from({ length: nv }, (_, i) => `${(i % 7) + 1} x${i}`).join(' + '), '\nSubject To\n'];
let size = parts.join('').length;
for (let i = 0; size < 10e6; i++) {
  const row = ` c${i}: ` + Array.from({ length: 10 }, (_, k) => `${k + 1.5} x${(i * 13 + k * 7) % nv}`).join(' + ') + ` <= ${(i % 100) + 10}\n`;
  parts.push(row);
  size += row.length;
}
parts.push('End\n');
const lp = parts.join('');
const json = JSON.stringify(Array.from({ length: Math.ceil(lp.length / 24) }, (_, i) => ({ c: i % 97, v: `x${i}` }))).slice(0, lp.length);
const lpMs = time(() => checkLp(lp));
const jsonMs = time(() => { try { JSON.parse(json); } catch { /* cut to size */ } });

const pathological = [
  'Maximize\n' + ' x'.repeat(5e6), 'Minimize\n' + '['.repeat(10e6), '\\' + 'a'.repeat(10e6), 'Maximize\n ' + 'a'.repeat(10e6) + '\nEnd',
  'Maximize\n x\n' + ';\n'.repeat(5e6) + 'End', 'Maximize\n x\nSubject To\n' + ' c: x <\n'.repeat(1e6) + 'End',
];
const worstPathologicalMs = Math.max(...pathological.map((t) => time(() => checkLp(t), 1)));

const row = Float32Array.from({ length: 151936 }, (_, i) => Math.sin(i) * 3);
const sampleMs = time(() => { for (let i = 0; i < 10; i++) sampleToken(row, { temperature: 0.8, topK: 50, topP: 0.95 }, new Rng(i)); }) / 10;
const sortMs = time(() => Float32Array.from(row).sort());

console.log(JSON.stringify({
  lp_10mb_ms: +lpMs.toFixed(0), json_parse_10mb_ms: +jsonMs.toFixed(0), lp_check_vs_json_parse: +(lpMs / jsonMs).toFixed(1),
  lp_mb_per_s: +(lp.length / 1e6 / (lpMs / 1000)).toFixed(1), lp_pathological_10mb_worst_ms: +worstPathologicalMs.toFixed(0),
  sample_token_151936_ms: +sampleMs.toFixed(2), sort_151936_ms: +sortMs.toFixed(2), sample_vs_sort: +(sampleMs / sortMs).toFixed(2),
}));
