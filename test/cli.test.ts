// The command line as users run it (`node bin/evom.js …` is what `npx evom …` runs).
// Command names, flags and JSON fields are a public contract: these tests pin them.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(import.meta.dirname, '..', 'bin', 'evom.js');
function evom(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [BIN, ...args], { input, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const tmp = mkdtempSync(join(tmpdir(), 'evom-cli-'));
const GOOD_LP = '<think>two products</think>\n<code>\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n</code>';

describe('evom verify', () => {
  it('prints one JSON line with the contract fields (stdin)', () => {
    const r = evom(['verify', '--target', 'highs', '--answer', '11', '-'], GOOD_LP);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const o = JSON.parse(lines[0]!);
    expect(o).toMatchObject({ class: 'correct', correct: true, reward: 2, status: 'optimal', objective: 11, tolerance: 'rel5pct' });
    for (const k of ['class', 'correct', 'reward', 'status', 'objective', 'messages', 'variables', 'wall_ms', 'reward_breakdown']) expect(o).toHaveProperty(k);
  });

  it('reads a file, honours --tolerance and "infeasible"', () => {
    const f = join(tmp, 'c.txt');
    writeFileSync(f, GOOD_LP);
    expect(JSON.parse(evom(['verify', '--target', 'highs', '--answer', '11.2', '--tolerance', 'rel1e-4', f]).stdout).class).toBe('wrong_answer');
    // infeasible through a row of two variables (a one-variable contradiction earns no answer reward: integrity.ts)
    writeFileSync(f, '<code>\nvar x >= 0;\nvar y >= 0;\nmaximize z: x + y;\ns.t. c: x + y <= -1;\nend;\n</code>');
    expect(JSON.parse(evom(['verify', '--target', 'glpk', '--answer', 'infeasible', f]).stdout)).toMatchObject({ class: 'correct', status: 'infeasible' });
  });

  it('--protocol strict refuses a fenced block that lenient accepts', () => {
    const fenced = 'Model:\n```\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n```\n';
    expect(JSON.parse(evom(['verify', '--target', 'highs', '--answer', '11', '-'], fenced).stdout).class).toBe('correct');
    const strict = JSON.parse(evom(['verify', '--target', 'highs', '--answer', '11', '--protocol', 'strict', '-'], fenced).stdout);
    expect(strict).toMatchObject({ class: 'format_error', reward: 0 });
  });

  it('the demo verifies gold and broken completions in every target', () => {
    const r = evom(['demo', '--verifier', '--count', '3', '--seed', '5']);
    expect(r.code).toBe(0);
    for (const t of ['highs', 'glpk', 'glpk-json', 'minizinc', 'pulp']) {
      expect(r.stdout).toMatch(new RegExp(`\\| ${t} \\| gold \\| correct 3 \\| 2\\.00 \\|`));
      expect(r.stdout).toMatch(new RegExp(`\\| ${t} \\| no_code \\| format_error 3 \\| 0\\.00 \\|`));
    }
    expect(r.stdout).toMatch(/60 verifications on \d+ workers/);
    // Flipping the objective sense never scores, and every target judges the flipped models alike.
    const flipped = r.stdout.split('\n').filter((l) => l.includes('| flipped_sense |')).map((l) => l.split('|')[3]!.trim());
    expect(flipped).toHaveLength(5);
    expect(flipped[0]).not.toMatch(/correct/);
    expect(new Set(flipped).size).toBe(1);
  });

  it.each([
    [['verify', '--answer', '1'], /--target is required/],
    [['verify', '--target', 'highs', '--answer', '1', '--protocol', 'loose'], /--protocol must be strict or lenient/],
    [['verify', '--target', 'cplex', '--answer', '1'], /unknown target "cplex"; known targets: highs, glpk, glpk-json/],
    [['verify', '--target', 'highs'], /--answer is required/],
    [['verify', '--target', 'highs', '--answer', 'abc'], /finite number or "infeasible"/],
    [['verify', '--target', 'highs', '--answer', '1', '--tolerance', 'loose'], /--tolerance must be one of rel5pct, rel1e-4, sirl, int/],
    [['verify', '--target', 'highs', '--answer', '1', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command "frobnicate"/],
  ])('usage error %j exits 2 with a specific message', (args, msg) => {
    const r = evom(args as string[], '');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  });
});

describe('evom prompt / eval / problems', () => {
  const bench = join(tmp, 'bench.jsonl');
  writeFileSync(bench, [
    { id: 'a', question: 'Maximize 3x + 2y subject to x + y <= 4, x + 3y <= 6, x <= 3.', answer: 11 },
    { id: 'b', question: 'Is x + y <= -2 with x, y >= 0 feasible?', answer: null, status: 'infeasible' },
    { id: 'c', question: 'An item with no answer.', answer: null, status: 'missing' },
    { id: 'd', question: 'Nobody answers this one.', answer: 5 },
  ].map((x) => JSON.stringify(x)).join('\n') + '\n');

  it('prompt prints chat messages per item', () => {
    const r = evom(['prompt', '--benchmark', bench, '--target', 'glpk']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines[0].id).toBe('a');
    expect(lines[0].messages[0].role).toBe('system');
    expect(lines[0].messages[0].content).toMatch(/MathProg/);
    expect(lines[0].messages[1]).toEqual({ role: 'user', content: 'Maximize 3x + 2y subject to x + y <= 4, x + 3y <= 6, x <= 3.' });
    expect(lines[0].messages[0].content).toMatch(/Rules:\n- Declare every variable/);
    expect(evom(['prompt', '--help']).stdout).toMatch(/^Usage:\n  evom prompt --benchmark FILE\.jsonl --target T/);
  });

  it.each(['verify', 'eval', 'prompt', 'problems', 'demo', 'generate', 'train', 'merge', 'plan', 'serve', 'transfer'])('evom %s --help prints its usage', (cmd) => {
    const r = evom([cmd, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage:\\n  evom ${cmd} `));
  });

  it('output piped into a command that stops reading ends quietly', () => {
    const big = join(import.meta.dirname, '..', 'public', 'benchmarks', 'nl4opt.jsonl');
    const r = spawnSync('bash', ['-c', `node ${JSON.stringify(BIN)} prompt --benchmark ${JSON.stringify(big)} --target highs | head -c 10 >/dev/null; echo "status \${PIPESTATUS[0]}"`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('status 0');
    expect(r.stderr).not.toMatch(/EPIPE|Error/);
  });

  it('eval writes per-item results and a JSON summary', () => {
    const comps = join(tmp, 'comps.jsonl');
    writeFileSync(comps, [
      { id: 'a', completion: GOOD_LP },
      { id: 'a', completion: 'no code here' },
      { id: 'b', completion: '<code>\nMaximize\n obj: x + y\nSubject To\n c: x + y <= -2\nEnd\n</code>' },
      { id: 'c', completion: GOOD_LP },
    ].map((x) => JSON.stringify(x)).join('\n'));
    const out = join(tmp, 'results.jsonl');
    const r = evom(['eval', '--benchmark', bench, '--completions', comps, '--target', 'highs', '--out', out, '--json']);
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(s).toMatchObject({
      target: 'highs', tolerance: 'rel5pct', count: 4, scored: 3, missing: 1, benchmark_items: 4,
      accuracy: 2 / 3, execution_rate: 2 / 3, results_file: out,
      // over every item with an answer (a: 1 of 2 samples, b: 1, d: no completion) = (0.5 + 1 + 0) / 3
      accuracy_all_items: 0.5,
    });
    const text = evom(['eval', '--benchmark', bench, '--completions', comps, '--target', 'highs', '--out', out]).stdout;
    // n = 2 items (a: 2 samples, b: 1); their shares 0.5 and 1 spread less than 3 independent samples
    // would, so the interval is Wilson's at n = 3: 2/3 → [0.2077, 0.9385]
    expect(s.items_scored).toBe(2);
    expect(s.accuracy_ci95[0]).toBeCloseTo(0.2077, 3);
    expect(s.accuracy_ci95[1]).toBeCloseTo(0.9385, 3);
    expect(text).toMatch(/accuracy 66\.7 % \[20\.8, 93\.9\], n = 2 × 1\.5 samples \(95 % interval, n items\) of the completions scored; 50\.0% of all benchmark items with an answer/);
    expect(s.counts).toMatchObject({ correct: 2, format_error: 1 });
    expect(s.tolerance_rule).toMatch(/0\.05/);
    const results = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(results.map((x) => [x.id, x.sample, x.outcome?.class ?? null])).toEqual([['a', 0, 'correct'], ['a', 1, 'format_error'], ['b', 0, 'correct'], ['c', 0, null]]);
    expect(r.stderr).toMatch(/progress 4\/4/);
  });

  it('eval names the bad line of a malformed data file', () => {
    const bad = join(tmp, 'bad.jsonl');
    writeFileSync(bad, '{"id": "a", "question": "q", "answer": 1}\n{"id": "b", "question": \n');
    const r = evom(['eval', '--benchmark', bad, '--completions', bad, '--target', 'highs']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.jsonl:2: not valid JSON/);
    const r2 = evom(['eval', '--benchmark', join(tmp, 'nope.jsonl'), '--completions', bad, '--target', 'highs']);
    expect(r2.stderr).toMatch(/nope\.jsonl: file not found/);
  });

  it('problems generates solved benchmark lines, deterministic per seed', () => {
    const r = evom(['problems', '--family', 'knapsack,diet', '--count', '4', '--seed', '7']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(4);
    expect(lines.map((l) => l.family)).toEqual(['knapsack', 'diet', 'knapsack', 'diet']);
    for (const l of lines) {
      expect(typeof l.question).toBe('string');
      expect(Number.isFinite(l.answer)).toBe(true);
      expect(Object.keys(l.gold).sort()).toEqual(['glpk', 'glpk-json', 'highs', 'minizinc', 'pulp']);
    }
    expect(evom(['problems', '--family', 'knapsack,diet', '--count', '4', '--seed', '7']).stdout).toBe(r.stdout);
    const bad = evom(['problems', '--family', 'cooking']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/cooking/);
  });
});

describe('evom merge', () => {
  const MODEL = join(import.meta.dirname, 'fixtures', 'models', 'tiny-qwen2');
  const ADAPTER = join(import.meta.dirname, 'fixtures', 'training', 'tiny-qwen2-adapter');
  it('writes a plain model folder: every base tensor, adapted ones changed, dtype kept or f32', async () => {
    const { parseSafetensorsHeader } = await import('../src/model/safetensors.ts');
    const header = (dir: string) => parseSafetensorsHeader(readFileSync(join(dir, 'model.safetensors')));
    const base = header(MODEL);
    for (const [dtype, want] of [['same', 'BF16'], ['f32', 'F32']] as const) {
      const out = join(tmp, `merged-${dtype}`);
      const r = evom(['merge', '--model', MODEL, '--adapter', ADAPTER, '--out', out, '--dtype', dtype]);
      expect(r.code, r.stderr).toBe(0);
      const m = header(out);
      expect([...m.tensors.keys()].sort()).toEqual([...base.tensors.keys()].sort());
      for (const [name, e] of m.tensors) { expect(e.dtype).toBe(want); expect(e.shape).toEqual(base.tensors.get(name)!.shape); }
      expect(readFileSync(join(out, 'config.json'), 'utf8')).toBe(readFileSync(join(MODEL, 'config.json'), 'utf8'));
      expect(readFileSync(join(out, 'tokenizer.json'), 'utf8').length).toBeGreaterThan(1000);
    }
    // a second merge into the same folder is refused; a folder that is not an adapter is named
    expect(evom(['merge', '--model', MODEL, '--adapter', ADAPTER, '--out', join(tmp, 'merged-same')]).code).toBe(2);
    const bad = evom(['merge', '--model', MODEL, '--adapter', MODEL, '--out', join(tmp, 'merged-bad')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/adapter_config\.json/);
  }, 120_000);
});

describe('evom plan', () => {
  const qwen = join(import.meta.dirname, '..', 'public', 'configs', 'qwen2.5-0.5b-instruct'); // as published
  const big = join(import.meta.dirname, 'fixtures', 'configs', 'qwen2-7b-class');

  it('prints parameters and the tensors to split; --train adds training against a budget and the nearest --micro-batch that fits', () => {
    const r = evom(['plan', '--model', qwen]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/parameters\s+494,032,768/);
    expect(r.stdout).toMatch(/embed_tokens.*split by vocabulary rows/);
    expect(r.stdout).not.toMatch(/Training/);

    const t = evom(['plan', '--model', qwen, '--train', '--micro-batch', '8', '--budget', '4']);
    expect(t.code, t.stderr).toBe(0);
    expect(t.stdout).toMatch(/Training \(LoRA r8 GRPO\/DAPO, G \d+, micro-batch 8,/);
    expect(t.stdout).toMatch(/! training needs about [\d.]+ GiB .* over the 4\.00 GiB budget/);
    const mb = Number(/nearest that fits: --micro-batch (\d+)/.exec(t.stdout)?.[1]);
    expect(mb).toBeGreaterThanOrEqual(1);
    expect(mb).toBeLessThan(8);
    // the suggestion fits, one more does not
    expect(evom(['plan', '--model', qwen, '--train', '--micro-batch', String(mb), '--budget', '4']).stdout).toMatch(/\n {2}fits\n/);
    expect(evom(['plan', '--model', qwen, '--train', '--micro-batch', String(mb + 1), '--budget', '4']).stdout).toMatch(/! training needs/);
  });

  it('--recompute plans activation recomputation, and is suggested before shorter completions', () => {
    const r = evom(['plan', '--model', qwen, '--train', '--micro-batch', '1', '--max-new-tokens', '512', '--recompute']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Training \(.*, activations recomputed\):/);
    expect(r.stdout).toMatch(/saved activations 151\.38 MiB .*\n {2}total 1\.42 GiB/);
    const t = evom(['plan', '--model', qwen, '--train', '--micro-batch', '4', '--max-new-tokens', '1024', '--budget', '3']);
    expect(t.stdout).toMatch(/nearest that fits: --micro-batch 1 --recompute \(/);
    expect(evom(['plan', '--model', qwen, '--recompute']).stderr).toMatch(/--recompute describes training: add --train/);
  });

  it('--quant plans a quantized frozen base: the goals of issue 19 for Qwen2.5-0.5B and 1.5B, and suggested when recomputation is not enough', () => {
    const gib = (out: string) => { const m = /\n {2}total ([\d.]+) (MiB|GiB)/.exec(out)!; return Number(m[1]) / (m[2] === 'MiB' ? 1024 : 1); };
    const pinned = ['--train', '--group', '8', '--micro-batch', '1', '--prompt-tokens', '256', '--max-new-tokens', '512', '--lora-rank', '8', '--quant', 'q4', '--recompute'];
    const small = evom(['plan', '--model', qwen, ...pinned]), mid = evom(['plan', '--model', qwen.replace('0.5b', '1.5b'), ...pinned]);
    expect(small.code, small.stderr).toBe(0);
    expect(small.stdout).toMatch(/layers' matrices q4 \(groups of 32, f16 scales\)/);
    expect(small.stdout).toMatch(/Training \(.*q4 weights as the engine holds them, activations recomputed\):/);
    expect(gib(small.stdout)).toBeLessThanOrEqual(1.2);
    expect(gib(mid.stdout)).toBeLessThanOrEqual(2.5);
    // without quantization the same settings need more than these goals
    expect(gib(evom(['plan', '--model', qwen, ...pinned.slice(0, -3), '--recompute']).stdout)).toBeGreaterThan(1.2);
    const t = evom(['plan', '--model', qwen, '--train', '--micro-batch', '1', '--max-new-tokens', '512', '--budget', '1.2']);
    expect(t.stdout).toMatch(/nearest that fits: --micro-batch 1 --recompute --quant q8 \(/);
    expect(evom(['plan', '--model', qwen, '--quant', 'q3']).stderr).toMatch(/--quant must be q4, q8 or none; got q3/);
  });

  it('says when nothing fits, and refuses training flags without --train', () => {
    const r = evom(['plan', '--model', big, '--train', '--budget', '1000']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/! tensor .*mlp.* over this adapter's/);
    // its MLP matrices (129.5 MiB in f16) fit one binding once quantized
    expect(r.stdout).toMatch(/nearest that fits: .*--quant q8 \(/);
    expect(evom(['plan', '--model', big, '--train', '--budget', '2']).stdout).toMatch(/no micro-batch or completion length fits/);
    const u = evom(['plan', '--model', qwen, '--budget', '4']);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/--budget describes training: add --train/);
    expect(evom(['plan', '--model', qwen, '--train', '--micro-batch', '0']).stderr).toMatch(/--micro-batch must be an integer ≥ 1/);
  });
});
