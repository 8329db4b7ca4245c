// `evom train` as users run it, end to end: headless Chromium, the WGSL engine and training graph,
// the verifier workers, real solvers. A random tiny model earns no reward, so these runs start from
// the committed PEFT adapter with a KL penalty: the KL term supplies the gradient. Checked: the
// run folder's contract (metrics.jsonl fields, checkpoints, PEFT adapter), determinism, and that a
// run killed with SIGKILL mid-way, or stopped by its GPU device lost mid-step, and resumed ends
// bit-identical to an uninterrupted one.
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseSafetensorsHeader } from '../src/model/safetensors.ts';
import { directorySource } from '../src/model/source-node.ts';
import { callInPage, enginePage } from '../src/host/chromium.ts';
import { serveModel } from '../src/host/serve-model.ts';
import { openPageHost } from '../src/host/page-transport.ts';
import { fromWire, toWire } from '../src/host/wire.ts';

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

function evom(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'train', ...args], { encoding: 'utf8', timeout: 600_000, env: { ...process.env, ...env } });
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

  it('the Studio continues a CLI run exactly (worker transport = CLI transport), and its export resumes with evom train --resume', async () => {
    const A = join(tmp, 'a');
    // the run as it was after step 1 (a run stopped there): its files with the later steps left out
    const files: Record<string, Uint8Array> = {};
    const walk = (dir: string, rel: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const r = rel ? `${rel}/${e.name}` : e.name;
        if (e.isDirectory()) walk(join(dir, e.name), r); else files[r] = new Uint8Array(readFileSync(join(dir, e.name)));
      }
    };
    walk(A, '');
    for (const k of Object.keys(files)) if (/^(adapter\/|checkpoints\/step-00000[23]\/)/.test(k)) delete files[k];
    files['checkpoints/latest'] = new TextEncoder().encode('step-000001');
    files['metrics.jsonl'] = new TextEncoder().encode(readFileSync(join(A, 'metrics.jsonl'), 'utf8').split('\n')[0] + '\n');
    const env = await enginePage([serveModel(directorySource(MODEL), 'local/model')]);
    let r: { zipped: string; zipRoundTrip: boolean; opened: { step: number }; generated: number[][]; evaluated: number; evalClasses: (string | null)[]; step: Record<string, unknown>; checkpoint: string; files: Record<string, Uint8Array>; runs: string[] };
    try {
      r = fromWire(await callInPage(env.page, '/test/gpu/host-checks.ts', 'continueCliRun', toWire(files), { kind: 'hub', id: 'local/model', hubUrl: env.base }, [1, 307, 42])) as typeof r;
    } finally {
      await env.close();
    }
    expect(r.runs).toContain('from-cli');
    expect(r.zipped).toBe('from-cli-2');
    expect(r.zipRoundTrip).toBe(true);
    expect(r.opened.step).toBe(1);
    // evaluated with the run's adapter: both items verified
    expect(r.evaluated).toBe(2);
    expect(r.evalClasses.every((c) => typeof c === 'string')).toBe(true);
    // the Studio's step 2 is the CLI's step 2, bit for bit
    expect(r.checkpoint).toBe('step-000002');
    expect(stable(r.step)).toEqual(stable(metrics(A)[1]));
    expect(Buffer.compare(r.files['checkpoints/step-000002/adapter_model.safetensors']!, readFileSync(join(A, 'checkpoints', 'step-000002', 'adapter_model.safetensors')))).toBe(0);
    expect(Buffer.compare(r.files['checkpoints/step-000002/optimizer.safetensors']!, readFileSync(join(A, 'checkpoints', 'step-000002', 'optimizer.safetensors')))).toBe(0);
    // the command line's transport samples what the worker's did
    const cli = await openPageHost(directorySource(MODEL), tmp);
    try {
      const g = await cli.host.generate({ model: cli.model, prompts: [[1, 307, 42]], params: { n: 2, temperature: 1, seed: 5, maxNewTokens: 6 }, batchPrompts: 1 });
      expect(g.completions[0]!.map((c) => c.ids)).toEqual(r.generated);
    } finally {
      await cli.close();
    }
    // the Studio's export, as a folder, resumes on the command line and ends where the CLI's own run did
    const E = join(tmp, 'from-studio');
    for (const [name, data] of Object.entries(r.files)) { mkdirSync(dirname(join(E, name)), { recursive: true }); writeFileSync(join(E, name), data); }
    const res = evom(['--resume', E]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/resuming from step 2/);
    expect(metrics(E).map(stable)).toEqual(metrics(A).map(stable));
    expect(Buffer.compare(adapterBytes(E), adapterBytes(A))).toBe(0);
  }, 900_000);

  it('a run killed with SIGKILL, then its GPU device lost mid-step, resumes each time and ends identical to the uninterrupted run', async () => {
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
    // resumed, and the GPU device destroyed in the middle of step 2 (between its rollouts and its
    // update): the run stops with one line saying so and what to do; step 1 stays its checkpoint
    const lost = evom(['--resume', B], { EVOM_TEST_LOSE_DEVICE_IN_STEP: '2' });
    expect(lost.code, lost.stderr).toBe(1);
    expect(lost.stderr).toContain(`evom train: The GPU device was lost during step 2 (destroyed: Device was destroyed): the run stopped; steps up to 1 are saved. Resume with: evom train --resume ${B}\n`);
    expect(lost.stderr).not.toMatch(/unexpected error|\n\s+at /);
    expect(readFileSync(join(B, 'checkpoints', 'latest'), 'utf8')).toBe('step-000001');
    expect(existsSync(join(B, 'checkpoints', 'step-000002'))).toBe(false);
    expect(metrics(B).map((x) => x.step)).toEqual([1]);
    const r = evom(['--resume', B]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/resuming from step 1\n/);
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
      [[...ARGS, '--algo', 'ppo', '--out', join(tmp, 'c')], /--algo must be one of grpo, dapo, drgrpo/],
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
