// A behaviour recording for refactors: run the public commands on fixed inputs and keep what they
// print and write, without timings, so that a recording made before a change and one made after it
// can be compared byte for byte (`diff -r BEFORE AFTER`).
//
//   npx tsx test/reference/record-behaviour.ts OUT_DIR [--no-demo]
//   npx tsx test/reference/record-behaviour.ts --normalize DIR   (re-apply the normalization below)
//
// What it records (one file each under OUT_DIR):
//   eval-<target>.jsonl     `evom eval` per-item results on the gold and broken fixtures
//   eval-<target>.json      `evom eval --json` summaries
//   problems.jsonl          `evom problems --family all --count 12 --seed 3`
//   prompt-<target>.jsonl   `evom prompt` on the bundled NL4OPT file's first items
//   demo-verifier.txt       `evom demo --verifier --count 6`
//   demo.txt, demo-metrics.jsonl, demo-adapter.sha256
//                           `evom demo --steps 2 --eval-count 8`: summary, metrics, adapter bytes
//   generate.jsonl          `evom generate --json` on the built-in policy (greedy, and 3 samples at T 1)
//   train-resume-metrics.jsonl, train-resume-adapter.sha256
//                           `evom train` 1 step on generated problems, then `--resume --steps 2`
// Timing fields (wall_ms, solve_ms, tokens_per_s, ms, "… s" lines, temp paths) are removed.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIX = join(ROOT, 'test', 'fixtures');
const out = process.argv[2] === '--normalize' ? '' : process.argv[2];
if (out === undefined) { console.error('usage: record-behaviour.ts OUT_DIR [--no-demo]'); process.exit(2); }
const withDemo = !process.argv.includes('--no-demo');
if (out) mkdirSync(out, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'evom-record-'));

// Solver logs print run times, and a solve stopped by its time limit ends wherever the clock stopped it.
const TIMING = new Set(['wall_ms', 'solve_ms', 'tokens_per_s', 'ms', 'generate_ms', 'seconds', 'log']);
/** JSON without timing fields (and without the incumbent of a time-limited solve), keys in a stable order. */
function untimed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(untimed);
  if (v && typeof v === 'object') {
    const timeLimited = (v as { status?: unknown }).status === 'time_limit';
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      if (TIMING.has(k) || (timeLimited && (k === 'objective' || k === 'variables'))) continue;
      o[k] = untimed((v as Record<string, unknown>)[k]);
    }
    return o;
  }
  return v;
}
const jsonl = (text: string) => text.split('\n').filter((l) => l.trim()).map((l) => JSON.stringify(untimed(JSON.parse(l)))).join('\n') + '\n';
const scrub = (text: string) => text.replaceAll(tmp, '<tmp>').replace(/\/tmp\/evom-demo-[\w]+/g, '<tmp>')
  .replace(/\b\d+(\.\d+)? s\b/g, '<s>').replace(/\bin \d+(\.\d+)? s\b/g, 'in <s>');

if (process.argv[2] === '--normalize') {
  const dir = process.argv[3]!;
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.jsonl') || f.startsWith('eval-'))) {
    const text = readFileSync(join(dir, f), 'utf8');
    writeFileSync(join(dir, f), f.endsWith('.jsonl') ? jsonl(text) : JSON.stringify(untimed(JSON.parse(text)), null, 1) + '\n');
  }
  process.exit(0);
}
function evom(args: string[]): string {
  return execFileSync(process.execPath, [join(ROOT, 'bin', 'evom.js'), ...args], { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
}

// 1. Gold and broken fixtures as one benchmark per target.
interface Gold { id: string; answer: number | null }
const gold = JSON.parse(readFileSync(join(FIX, 'benchmark-gold', 'manifest.json'), 'utf8')) as Gold[];
const broken = JSON.parse(readFileSync(join(FIX, 'broken', 'manifest.json'), 'utf8')) as { file: string; target: string; answer: number | null | string }[];
const byTarget: Record<string, { items: string[]; completions: string[] }> = { highs: { items: [], completions: [] }, glpk: { items: [], completions: [] } };
for (const g of gold) {
  for (const [target, ext] of [['highs', 'lp'], ['glpk', 'mod']] as const) {
    byTarget[target]!.items.push(JSON.stringify({ id: g.id, question: g.id, answer: g.answer ?? 'infeasible' }));
    byTarget[target]!.completions.push(JSON.stringify({ id: g.id, completion: `<think>gold</think>\n<code>\n${readFileSync(join(FIX, 'benchmark-gold', `${g.id}.${ext}`), 'utf8')}</code>` }));
  }
}
for (const b of broken) {
  const target = b.target;
  const id = `broken-${b.file}`;
  byTarget[target]!.items.push(JSON.stringify({ id, question: id, answer: b.answer ?? 'infeasible' }));
  byTarget[target]!.completions.push(JSON.stringify({ id, completion: `<code>\n${readFileSync(join(FIX, 'broken', b.file), 'utf8')}</code>` }));
}
// glpk-json: the generator's gold models (also records the generator's output)
const problems = evom(['problems', '--family', 'all', '--count', '12', '--seed', '3']);
writeFileSync(join(out, 'problems.jsonl'), jsonl(problems));
byTarget['glpk-json'] = { items: [], completions: [] };
for (const line of problems.split('\n').filter(Boolean)) {
  const p = JSON.parse(line) as { id: string; answer: number; gold: Record<string, string> };
  byTarget['glpk-json'].items.push(JSON.stringify({ id: p.id, question: p.id, answer: p.answer }));
  byTarget['glpk-json'].completions.push(JSON.stringify({ id: p.id, completion: `<code>\n${p.gold['glpk-json']}\n</code>` }));
}
for (const [target, { items, completions }] of Object.entries(byTarget)) {
  const bench = join(tmp, `${target}.bench.jsonl`), comp = join(tmp, `${target}.completions.jsonl`), res = join(tmp, `${target}.results.jsonl`);
  writeFileSync(bench, items.join('\n') + '\n');
  writeFileSync(comp, completions.join('\n') + '\n');
  const summary = evom(['eval', '--benchmark', bench, '--completions', comp, '--target', target, '--out', res, '--json', '--workers', '2']);
  writeFileSync(join(out, `eval-${target}.json`), JSON.stringify(untimed({ ...JSON.parse(summary), results_file: null, source: null }), null, 1) + '\n');
  writeFileSync(join(out, `eval-${target}.jsonl`), jsonl(readFileSync(res, 'utf8')));
}

// 2. Prompts.
const nl4opt = join(tmp, 'nl4opt-head.jsonl');
writeFileSync(nl4opt, readFileSync(join(ROOT, 'public', 'benchmarks', 'nl4opt.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n');
for (const target of ['highs', 'glpk', 'glpk-json', 'pulp']) writeFileSync(join(out, `prompt-${target}.jsonl`), evom(['prompt', '--benchmark', nl4opt, '--target', target]));

// 3. The verifier demo.
// (its last table column is the mean time in ms: dropped)
writeFileSync(join(out, 'demo-verifier.txt'), evom(['demo', '--verifier', '--count', '6']).split('\n')
  .filter((l) => !/verifications on \d+ workers/.test(l)).map((l) => (l.startsWith('|') ? l.replace(/[^|]*\|\s*$/, '') : l)).join('\n'));

// 4. The training demo: summary, metrics and the adapter's bytes.
if (withDemo) {
  const run = join(tmp, 'demo');
  const text = evom(['demo', '--steps', '2', '--eval-count', '8', '--out', run]);
  writeFileSync(join(out, 'demo.txt'), scrub(text).split('\n').filter((l) => !/^total /.test(l)).join('\n'));
  writeFileSync(join(out, 'demo-metrics.jsonl'), jsonl(readFileSync(join(run, 'metrics.jsonl'), 'utf8')));
  const sums = readdirSync(join(run, 'adapter')).sort().map((f) => `${createHash('sha256').update(readFileSync(join(run, 'adapter', f))).digest('hex')}  ${f}`);
  writeFileSync(join(out, 'demo-adapter.sha256'), sums.join('\n') + '\n');
}
// 5. Sampling, and a run trained one step then resumed for a second (the engine host's paths).
if (withDemo) {
  const model = join(ROOT, 'public', 'models', 'evom-tiny');
  const prompt = 'A factory makes chairs and tables. Maximize profit.';
  const greedy = evom(['generate', '--model', model, '--prompt', prompt, '--chat', '--json', '--temperature', '0', '--max-new-tokens', '40']);
  const sampled = evom(['generate', '--model', model, '--prompt', prompt, '--chat', '--json', '--n', '3', '--temperature', '1', '--seed', '5', '--max-new-tokens', '40']);
  writeFileSync(join(out, 'generate.jsonl'), greedy + sampled);
  const run = join(tmp, 'train');
  const common = ['--model', model, '--data', 'generator:knapsack', '--target', 'highs', '--out', run, '--group', '4', '--max-new-tokens', '48', '--lr', '2e-3', '--checkpoint-every', '1', '--seed', '3', '--micro-batch', '4'];
  evom(['train', ...common, '--steps', '1']);
  evom(['train', '--resume', run, '--steps', '2']);
  writeFileSync(join(out, 'train-resume-metrics.jsonl'), jsonl(readFileSync(join(run, 'metrics.jsonl'), 'utf8')));
  const sums = readdirSync(join(run, 'adapter')).sort().map((f) => `${createHash('sha256').update(readFileSync(join(run, 'adapter', f))).digest('hex')}  ${f}`);
  writeFileSync(join(out, 'train-resume-adapter.sha256'), sums.join('\n') + '\n');
}
console.log(`recorded into ${out}`);
