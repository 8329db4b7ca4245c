// Training speed of this tree against another commit, side by side in one run (these machines are
// noisy: the two alternate, A B A B, on the same data and settings). Each side runs its own
// `evom train` (the built-in policy's defaults: G 8, 2 prompts per step, 112 new tokens, micro-batch
// 16) on the same generated problems; step 1 (pipeline compilation) is left out. Figures per step:
// wall time without the wait for solvers, and training tokens/s = Σ over the step's sequences of
// (prompt + completion tokens) / that time — the figure issue 20 doubles.
//
//   npx tsx bench/speedup.ts [--base REV] [--steps N] [--rounds K] [--model DIR]
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUILTIN_POLICY, loadTrainData } from '../src/cli/train.ts';
import { directorySource } from '../src/model/source-node.ts';
import { loadTokenizerFromSource } from '../src/model/tokenizer.ts';
import { promptIdsFor } from '../src/rl/trainer.ts';

const ROOT = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { base: { type: 'string', default: 'HEAD~1' }, steps: { type: 'string', default: '3' }, rounds: { type: 'string', default: '2' }, model: { type: 'string' } } });
const steps = Number(values.steps), rounds = Number(values.rounds);
const model = values.model ?? BUILTIN_POLICY;
const baseRev = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', values.base!], { encoding: 'utf8' }).trim();
const here = execFileSync('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['-C', ROOT, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';

// the base commit's tree, sharing this tree's node_modules
const baseDir = join(tmpdir(), `evom-base-${baseRev}`);
if (!existsSync(baseDir)) {
  execFileSync('git', ['-C', ROOT, 'worktree', 'add', '--detach', baseDir, baseRev], { stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(baseDir, 'node_modules'));
}

const work = mkdtempSync(join(tmpdir(), 'evom-speedup-'));
const data = await loadTrainData('generator:knapsack,production', 1);
const dataFile = join(work, 'data.jsonl');
writeFileSync(dataFile, data.map((d) => JSON.stringify(d)).join('\n') + '\n');
const tok = (await loadTokenizerFromSource(directorySource(model)))!;
const promptLen = new Map(data.map((d) => [d.id, promptIdsFor(tok, d.question, 'highs').length]));

interface StepFigure { s: number; tokens: number }
function runSide(tree: string, out: string): StepFigure[] {
  const r = spawnSync(process.execPath, [join(tree, 'bin', 'evom.js'), 'train', '--model', model, '--data', dataFile, '--target', 'highs', '--steps', String(steps), '--seed', '1', '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${tree}: evom train failed\n${r.stderr}`);
  const metrics = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const rollouts = JSON.parse(readFileSync(join(out, 'rollouts.json'), 'utf8')) as { step: number; groups: { id: string; kept: boolean; completions: { tokens: number }[] }[] }[];
  return metrics.slice(1).map((m) => {
    const groups = rollouts.find((x) => x.step === m.step)?.groups ?? [];
    const tokens = groups.filter((g) => g.kept).reduce((a, g) => a + g.completions.reduce((b, c) => b + promptLen.get(g.id)! + c.tokens, 0), 0);
    return { s: (m.ms.total - m.ms.verify_wait) / 1000, tokens };
  });
}

const figures: Record<'base' | 'here', StepFigure[]> = { base: [], here: [] };
for (let k = 0; k < rounds; k++) {
  figures.base.push(...runSide(baseDir, join(work, `base-${k}`)));
  figures.here.push(...runSide(ROOT, join(work, `here-${k}`)));
}
const sum = (f: StepFigure[]) => ({ s: f.reduce((a, x) => a + x.s, 0), tokens: f.reduce((a, x) => a + x.tokens, 0) });
const b = sum(figures.base), h = sum(figures.here);
console.log(`# training speed, ${model === BUILTIN_POLICY ? 'evom-tiny (built-in policy)' : model}: ${rounds} rounds × ${steps - 1} timed steps each side, alternating`);
console.log('| tree | steps | mean step s (no solver wait) | training tokens/s |\n|---|---|---|---|');
console.log(`| base ${baseRev} | ${figures.base.length} | ${(b.s / figures.base.length).toFixed(2)} | ${(b.tokens / b.s).toFixed(1)} |`);
console.log(`| here ${here}${dirty ? ' + uncommitted changes' : ''} | ${figures.here.length} | ${(h.s / figures.here.length).toFixed(2)} | ${(h.tokens / h.s).toFixed(1)} |`);
console.log(`speed-up (tokens/s here ÷ base): ${((h.tokens / h.s) / (b.tokens / b.s)).toFixed(2)}×`);
