// `evom generate` as users run it: the committed tiny checkpoints, greedy ids equal to PyTorch's,
// the JSON contract, sampling determinism, the Hub path (a Hub stand-in on 127.0.0.1), usage errors.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHubServer, type HubServer } from './hub-server.ts';

const ROOT = join(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'evom.js');
const MODELS = join(ROOT, 'test', 'fixtures', 'models');
const ref = (m: string) => JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'reference', `${m}.json`), 'utf8'));
function evom(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'generate', ...args], { encoding: 'utf8', timeout: 300_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
/** The same, without blocking this process (needed when this process also serves the Hub). */
function evomAsync(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, 'generate', ...args], { env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (b) => { stdout += b; });
    p.stderr.on('data', (b) => { stderr += b; });
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
const lines = (s: string) => s.trim().split('\n').map((l) => JSON.parse(l));

describe('evom generate', () => {
  it('greedy on tiny-qwen2 reproduces the PyTorch continuation (JSON contract)', () => {
    const A = ref('tiny-qwen2').inputs.A;
    const r = evom(['--model', join(MODELS, 'tiny-qwen2'), '--prompt', A.text, '--temperature', '0', '--max-new-tokens', '8', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const [o] = lines(r.stdout);
    expect(Object.keys(o)).toEqual(['prompt_ids', 'ids', 'logprobs', 'text', 'finish']);
    expect(o.prompt_ids).toEqual(A.input_ids);
    expect(o.ids).toEqual(A.greedy.ids.slice(0, 8));
    o.logprobs.forEach((lp: number, i: number) => expect(Math.abs(lp - A.greedy.logprobs[i])).toBeLessThan(1e-4));
    expect(typeof o.text).toBe('string');
  }, 300_000);

  it('samples N sequences, reproducibly per seed; --chat applies the chat template', () => {
    const args = ['--model', join(MODELS, 'tiny-qwen3'), '--prompt', 'Maximize profit', '--chat', '--n', '3', '--temperature', '0.9', '--top-k', '40', '--seed', '11', '--max-new-tokens', '5', '--json'];
    const a = lines(evom(args).stdout), b = lines(evom(args).stdout);
    expect(a).toHaveLength(3);
    expect(a).toEqual(b);
    expect(new Set(a.map((x) => JSON.stringify(x.ids))).size).toBeGreaterThan(1);
    // <|im_start|>user\nMaximize profit<|im_end|>\n<|im_start|>assistant\n
    expect(a[0].prompt_ids.slice(0, 2)).toEqual([151644, 872]);
    expect(a[0].prompt_ids.slice(-3)).toEqual([151644, 77091, 198]);
    for (const x of a) { expect(x.ids).toHaveLength(5); for (const lp of x.logprobs) expect(lp).toBeLessThan(0); }
  }, 300_000);

  it('streams text to stdout without --json', () => {
    const r = evom(['--model', join(MODELS, 'tiny-qwen2'), '--prompt', 'The', '--temperature', '0', '--max-new-tokens', '4']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(1);
    expect(r.stderr).toMatch(/google\/swiftshader: loaded in .* 4 tokens in/);
  }, 300_000);

  it.each([
    [['--prompt', 'x'], /--model DIR\|HUB_ID is required/],
    [['--model', 'no/such-model-here', '--prompt', 'x', '--hub-url', 'http://127.0.0.1:9'], /cannot reach http:\/\/127\.0\.0\.1:9/],
    [['--model', 'not a model', '--prompt', 'x'], /neither a folder nor a Hugging Face repository id/],
    [['--model', join(MODELS, 'tiny-llama'), '--prompt', 'words'], /no tokenizer\.json; give the prompt as comma-separated token ids/],
    [['--model', join(MODELS, 'tiny-llama'), '--prompt', '1,2', '--top-p', '0'], /--top-p must be a number between/],
    [['--model', join(MODELS, 'tiny-llama'), '--prompt', '1,2', '--runtime', 'gpu'], /--runtime must be chromium or node/],
  ])('usage error %#', (args, msg) => {
    const r = evom(args as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(msg);
  }, 60_000);
});

describe('evom generate from a Hub id', () => {
  let hub: HubServer;
  beforeAll(async () => { hub = await startHubServer({ 'evom/tiny-llama': join(MODELS, 'tiny-llama') }); });
  afterAll(() => hub?.close().catch(() => undefined));

  it('downloads into the cache once, then works offline from it', async () => {
    const cache = mkdtempSync(join(tmpdir(), 'evom-hub-cache-'));
    const args = ['--model', 'evom/tiny-llama', '--hub-url', hub.base, '--prompt', '1,307,42', '--temperature', '0', '--max-new-tokens', '4', '--json'];
    const first = await evomAsync(args, { EVOM_CACHE: cache });
    expect(first.code, first.stderr).toBe(0);
    expect(hub.requests.some((r) => r.includes('/evom/tiny-llama/resolve/main/model.safetensors'))).toBe(true);
    const n = hub.requests.length;
    const again = await evomAsync(args, { EVOM_CACHE: cache });
    expect(again.code).toBe(0);
    expect(lines(again.stdout)).toEqual(lines(first.stdout));
    expect(hub.requests.length).toBe(n); // served from the cache: no request at all
    await hub.close(); // the Hub goes away: the cache is enough
    const offline = await evomAsync(args, { EVOM_CACHE: cache });
    expect(offline.code, offline.stderr).toBe(0);
    expect(lines(offline.stdout)).toEqual(lines(first.stdout));
  }, 300_000);
});

describe('evom generate --adapter', () => {
  it('applies a PEFT LoRA adapter: the first token and its log-prob are those of PyTorch\'s merged model', () => {
    const tr = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'training', 'tiny-llama.json'), 'utf8'));
    const ids = tr.merged.input_ids as number[];
    const last = ids.length - 1;
    const args = ['--model', join(MODELS, 'tiny-llama'), '--prompt', ids.join(','), '--temperature', '0', '--max-new-tokens', '2', '--json'];
    const base = lines(evom(args).stdout)[0];
    const r = evom([...args, '--adapter', join(ROOT, 'test', 'fixtures', 'training', 'tiny-llama-adapter')]);
    expect(r.code, r.stderr).toBe(0);
    const o = lines(r.stdout)[0];
    expect(o.ids[0]).toBe(tr.merged.top5.ids[last][0]);
    expect(o.logprobs[0]).toBeCloseTo(tr.merged.top5.values[last][0] - tr.merged.logsumexp[last], 4);
    // the adapter changes the distribution (here not the argmax): the log-probs move
    expect(Math.abs(o.logprobs[0] - base.logprobs[0])).toBeGreaterThan(1e-3);
    const bad = evom([...args, '--adapter', join(MODELS, 'tiny-llama')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/has no adapter_config\.json/);
  }, 300_000);
});
