// `evom train` as users run it, end to end: headless Chromium, the WGSL engine and training graph,
// the verifier workers, real solvers. A random tiny model earns no reward, so these runs start from
// the committed PEFT adapter with a KL penalty: the KL term supplies the gradient. Checked: the
// run folder's contract (metrics.jsonl fields, checkpoints, PEFT adapter), determinism, and that a
// run killed with SIGKILL mid-way and resumed ends bit-identical to an uninterrupted one.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensorsHeader } from '../src/model/safetensors.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'evom.js');
const MODEL = join(ROOT, 'test', 'fixtures', 'models', 'tiny-qwen2');
const ADAPTER = join(ROOT, 'test', 'fixtures', 'training', 'tiny-qwen2-adapter');
const tmp = mkdtempSync(join(tmpdir(), 'evom-train-'));
const DATA = join(tmp, 'data.jsonl');
writeFileSync(DATA, [
  { id: 'a', question: 'Maximize x + y subject to x <= 3 and y <= 2.', answer: 5 },
  { id: 'b', question: 'Minimize 2x subject to x >= 4.', answer: 8 },
  { id: 'c', question: 'Maximize 3x subject to x <= 1.', answer: 3 },
].map((l) => JSON.stringify(l) + '\n').join(''));
const ARGS = ['--model', MODEL, '--data', DATA, '--target', 'highs', '--group', '2', '--prompts-per-step', '1', '--max-new-tokens', '6',
  '--micro-batch', '2', '--kl', '0.04', '--lr', '0.001', '--adapter', ADAPTER, '--checkpoint-every', '1', '--seed', '3'];

function evom(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, 'train', ...args], { encoding: 'utf8', timeout: 600_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const metrics = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
/** Metrics without the timings (which differ run to run). */
const stable = (m: Record<string, unknown>) => { const { ms: _ms, tokens_per_s: _t, ...rest } = m; return rest; };
const adapterBytes = (dir: string) => readFileSync(join(dir, 'adapter', 'adapter_model.safetensors'));

describe('evom train', () => {
  const A = join(tmp, 'a');
  it('trains 3 steps: metrics per step, checkpoints, a PEFT adapter that moved', () => {
    const r = evom([...ARGS, '--steps', '3', '--out', A]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 3 steps/);
    const m = metrics(A);
    expect(m.map((x) => x.step)).toEqual([1, 2, 3]);
    for (const x of m) {
      expect(Object.keys(x)).toEqual(expect.arrayContaining(['reward_mean', 'reward_std', 'accuracy', 'format_rate', 'exec_rate', 'classes', 'groups_used',
        'groups_dropped', 'loss', 'kl', 'entropy', 'clip_fraction', 'completion_length', 'grad_norm', 'lr', 'tokens_per_s', 'ms']));
      // 2 completions verified per step, every one classified
      expect(Object.values(x.classes as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(2);
      expect(x.groups_used).toBe(1);
      expect(x.lr).toBe(0.001);
      expect(x.completion_length).toBeGreaterThan(0);
      expect(x.completion_length).toBeLessThanOrEqual(6);
      expect(x.grad_norm).toBeGreaterThan(0);
      expect(x.kl).toBeGreaterThan(0);
      expect(x.ms.generate).toBeGreaterThan(0);
    }
    expect(readFileSync(join(A, 'checkpoints', 'latest'), 'utf8')).toBe('step-000003');
    for (const s of [1, 2, 3]) expect(existsSync(join(A, 'checkpoints', `step-00000${s}`, 'adapter_model.safetensors'))).toBe(true);
    const cfg = JSON.parse(readFileSync(join(A, 'adapter', 'adapter_config.json'), 'utf8'));
    expect(cfg).toMatchObject({ peft_type: 'LORA', task_type: 'CAUSAL_LM', r: 4 });
    // same tensor names and shapes as the starting adapter, different values
    const before = parseSafetensorsHeader(new Uint8Array(readFileSync(join(ADAPTER, 'adapter_model.safetensors'))));
    const after = parseSafetensorsHeader(new Uint8Array(adapterBytes(A)));
    expect([...after.tensors].map(([k, t]) => [k, t.shape]).sort()).toEqual([...before.tensors].map(([k, t]) => [k, t.shape]).sort());
    expect(Buffer.compare(adapterBytes(A), readFileSync(join(ADAPTER, 'adapter_model.safetensors')))).not.toBe(0);
    // the trained adapter loads for generation
    const g = spawnSync(process.execPath, [BIN, 'generate', '--model', MODEL, '--adapter', join(A, 'adapter'), '--prompt', 'Hi', '--max-new-tokens', '2', '--json'], { encoding: 'utf8', timeout: 300_000 });
    expect(g.status, g.stderr).toBe(0);
  }, 900_000);

  it('a run killed with SIGKILL and resumed ends identical to the uninterrupted run', async () => {
    const B = join(tmp, 'b');
    const p = spawn(process.execPath, [BIN, 'train', ...ARGS, '--steps', '3', '--out', B], { detached: true, stdio: 'ignore' });
    // kill the whole process group (node and its Chromium) as soon as step 1 is reported
    await new Promise<void>((resolve, reject) => {
      const t = setInterval(() => {
        if (existsSync(join(B, 'metrics.jsonl')) && readFileSync(join(B, 'metrics.jsonl'), 'utf8').trim()) {
          clearInterval(t);
          process.kill(-p.pid!, 'SIGKILL');
          resolve();
        }
      }, 100);
      p.on('exit', () => { clearInterval(t); reject(new Error('training ended before it could be killed')); });
    });
    expect(existsSync(join(B, 'adapter'))).toBe(false);
    const r = evom(['--resume', B]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming from step [01]|no checkpoint yet/);
    expect(metrics(B).map(stable)).toEqual(metrics(join(tmp, 'a')).map(stable));
    expect(Buffer.compare(adapterBytes(B), adapterBytes(join(tmp, 'a')))).toBe(0);
    // extending a finished run continues from its last checkpoint
    const more = evom(['--resume', B, '--steps', '4']);
    expect(more.code, more.stderr).toBe(0);
    expect(metrics(B).map((x) => x.step)).toEqual([1, 2, 3, 4]);
  }, 900_000);

  it('usage errors are specific and leave existing runs alone', () => {
    const runA = join(tmp, 'a');
    const before = readFileSync(join(runA, 'metrics.jsonl'), 'utf8');
    const cases: [string[], RegExp][] = [
      [[...ARGS, '--steps', '1', '--out', runA], /already holds a run; continue it with --resume/],
      [['--resume', runA, '--lr', '0.1'], /--resume DIR continues the run saved there; it takes only --steps \(got --lr\)/],
      [['--resume', join(tmp, 'nope')], /not a training run folder/],
      [[...ARGS, '--algo', 'ppo', '--out', join(tmp, 'c')], /--algo must be grpo or dapo/],
      [['--model', MODEL, '--target', 'highs', '--out', join(tmp, 'c')], /--data FILE.jsonl\|generator\[:FAMILIES\] is required/],
      [[...ARGS, '--lora-rank', '65', '--out', join(tmp, 'c')], /--lora-rank must be at most 64/],
      [['--model', MODEL, '--data', 'generator:nosuch', '--target', 'highs', '--out', join(tmp, 'c')], /--data generator:nosuch: .*valid families/],
      [['--model', MODEL, '--data', join(tmp, 'missing.jsonl'), '--target', 'highs', '--out', join(tmp, 'c')], /missing\.jsonl/],
    ];
    for (const [args, re] of cases) {
      const r = evom(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(re);
    }
    expect(readFileSync(join(runA, 'metrics.jsonl'), 'utf8')).toBe(before);
    expect(existsSync(join(tmp, 'c'))).toBe(false);
  }, 300_000);
});
