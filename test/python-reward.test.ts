// The Python reward package (python/evom_reward/) for verl and TRL: its unit tests, its extraction
// against protocol.ts on a seeded corpus, and verl's and TRL's calling conventions against a real
// `evom serve` (bubblewrap sandbox, PuLP) started in this process. Python runs as a child process
// (spawn, not spawnSync: the server answers from this process's event loop).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, type ServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { extractCode } from '../src/verifier/protocol.ts';
import { allTargets } from '../src/targets/registry.ts';
import { Rng } from '../src/problems/rng.ts';
import { fuzzCases } from './fuzz-inputs.ts';
import { PULP_OK, SLOW } from './python-models.ts';

const ROOT = join(import.meta.dirname, '..');
const TOKEN = 'py-reward-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'evom-py-reward-'));
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `${TOKEN}\n`, { mode: 0o600 });

const wrap = (code: string) => `<think>I model it with PuLP.</think>\n<code>\n${code}</code>`;
const OK = wrap(PULP_OK);
const QUESTION = 'Maximize 3x + 2y subject to x + y <= 4, x + 3y <= 6, 0 <= x <= 3, y >= 0.';

function config(flags: Partial<ServerConfig> = {}): ServerConfig {
  return loadServerConfig({ env: {}, flags: { port: 0, tokens_file: tokensFile, workers: 2, ...flags } });
}

interface PyResult { status: number | null; stdout: string; stderr: string; json: any }

/** Run a Python script with the package on PYTHONPATH; `input` goes to its stdin as JSON, its last
 *  stdout line comes back parsed. */
function py(script: string, opts: { env?: Record<string, string>; input?: unknown; args?: string[] } = {}): Promise<PyResult> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', ['-c', script, ...(opts.args ?? [])], {
      cwd: ROOT,
      env: { ...process.env, PYTHONPATH: 'python', PYTHONDONTWRITEBYTECODE: '1', EVOM_TARGET: '', EVOM_PROTOCOL: '', ...opts.env },
    });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('error', reject);
    p.on('close', (status) => {
      let json: any = null;
      try { json = JSON.parse(stdout.trim().split('\n').pop() ?? ''); } catch { /* not JSON */ }
      resolve({ status, stdout, stderr, json });
    });
    p.stdin.end(opts.input === undefined ? '' : JSON.stringify(opts.input));
  });
}

// verl: the file loaded by its path as verl loads custom_reward_function.path, then called with
// verl's keywords; a failure is printed as {error, runtime_error}.
const VERL = `
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("custom_module", "python/evom_reward/verl.py")
m = importlib.util.module_from_spec(spec)
spec.loader.exec_module(m)
from evom_reward.score import default_client
req = json.load(sys.stdin)
try:
    if req["mode"] == "single":
        scores = [m.compute_score(data_source="evom", solution_str=s, ground_truth=g, extra_info=e)
                  for s, g, e in zip(req["solution_strs"], req["ground_truths"], req["extra_infos"])]
    else:
        n = len(req["solution_strs"])
        scores = m.compute_score_batch(data_sources=["evom"] * n, solution_strs=req["solution_strs"],
                                       ground_truths=req["ground_truths"], extra_infos=req["extra_infos"])
    print(json.dumps({"scores": scores, "stats": default_client().stats()}))
except Exception as e:
    print(json.dumps({"error": type(e).__name__, "runtime_error": isinstance(e, RuntimeError), "message": str(e)}))
`;

// TRL: reward_func called as GRPOTrainer calls it (prompts, completions, completion_ids, the dataset's columns).
const TRL = `
import json, sys
from evom_reward.trl import reward_func
req = json.load(sys.stdin)
n = len(req["completions"])
print(json.dumps(reward_func(prompts=["p"] * n, completion_ids=[[1, 2]] * n, trainer_state=None, **req)))
`;

/** A port nothing listens on. */
async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise((r) => s.close(r));
  return `http://127.0.0.1:${port}`;
}

describe('python unit tests (python/tests: extraction, pacing against a stand-in server)', () => {
  it('pass', async () => {
    const r = await py('import sys, unittest; sys.argv = ["unittest", "discover", "-s", "python/tests", "-v"]; unittest.main(module=None)');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ran (\d+) tests[\s\S]*\nOK/);
    expect(Number(/Ran (\d+) tests/.exec(r.stderr)![1])).toBeGreaterThanOrEqual(30);
  }, 120_000);
});

describe('python extraction agrees with protocol.ts', () => {
  it('fence languages match the target registry', async () => {
    const r = await py('import json; from evom_reward.protocol import FENCES; print(json.dumps(FENCES))');
    const ts = Object.fromEntries(allTargets().filter((t) => t.fences?.length).map((t) => [t.name, [...t.fences!]]));
    expect(r.json).toEqual(ts);
  });

  it('on a seeded corpus of tag soups, fences and fuzz inputs, in every mode', async () => {
    const LP = 'Maximize\n obj: x\nEnd\n';
    const rng = new Rng(20260131);
    const parts = ['<think>', '</think>', '<think >', '<code>', '</code>', '<code lang="lp">', '<code\tlang=python>', '</code >', '</code x>', '<codex>',
      '```', '```lp\n', '```python\n', '```json\n', '```mathprog\n', '```LP\n', '``` Python3\n', '```GMPL extra\n', '```cplex-lp\n', '```\n', ' ```\n', '```  \n', '``` \r\n', '\n', '\r\n', '  ', '\t', '\u00a0', '\ufeff', '\u2028',
      'text ', LP, 'x', '<', '>', '</cod', '<thin', 'é', '😀'];
    const soup = (n: number) => Array.from({ length: rng.int(0, n) }, () => rng.pick(parts)).join('');
    const texts: string[] = [
      '', 'no code', `<think>a</think><code>\n${LP}</code>`, `<think>t</think><code>\n\`\`\`lp\n${LP}\`\`\`\n</code>`,
      `<code>\n\`\`\`\n${' '.repeat(50)}\`\`\`</code>`, '<code>```\n```</code>', '<code> ```x\nbody\n\t ``` \n</code>', '<code>```lp\nbody```</code>',
      '<code>``````</code>', '<code>```\n\n```\n\n</code>', `<code>\n\n${LP}</code>`, `<code>  \r\n${LP}</code>`,
    ];
    for (let i = 0; i < 3000; i++) texts.push(soup(i % 3 === 0 ? 80 : 25));
    for (const c of fuzzCases(1200, 77)) if (c.completion.length < 100_000) texts.push(c.completion);
    const modes: [string, string[]][] = [['lenient', []], ['strict', []], ...allTargets().filter((t) => t.fences?.length).map((t): [string, string[]] => ['lenient', [...t.fences!]])];
    const file = join(dir, 'corpus.json'), outFile = join(dir, 'python-extractions.json');
    writeFileSync(file, JSON.stringify({ texts, modes }));
    const r = await py(`
import json, sys
from evom_reward.protocol import extract_code
data = json.load(open(sys.argv[1]))
out = [[[r.ok, r.code, r.via, r.think, r.reason] for r in (extract_code(t, s, f) for s, f in data["modes"])] for t in data["texts"]]
json.dump(out, open(sys.argv[2], "w"))
`, { args: [file, outFile] });
    expect(r.status, r.stderr).toBe(0);
    const python = JSON.parse(readFileSync(outFile, 'utf8')) as unknown[][];
    const mismatches: unknown[] = [];
    let ok = 0;
    texts.forEach((t, i) => modes.forEach(([strictness, fences], j) => {
      const e = extractCode(t, { strictness: strictness as 'lenient' | 'strict', fences });
      const ts = e.ok ? [true, e.code, e.via, e.think, null] : [false, null, null, null, e.reason];
      if (e.ok) ok++;
      if (JSON.stringify(ts) !== JSON.stringify(python[i]![j])) mismatches.push({ text: t.slice(0, 300), strictness, fences, ts, python: python[i]![j] });
    }));
    expect(mismatches.slice(0, 3)).toEqual([]);
    expect(mismatches.length).toBe(0);
    expect(ok).toBeGreaterThan(texts.length); // the corpus has code blocks to extract, not only format errors
  }, 120_000);
});

describe('verl and TRL against a real evom serve', () => {
  let srv: SandboxServer;
  const logs: Record<string, any>[] = [];
  const env = () => ({ EVOM_SERVER_URL: srv.url, EVOM_SERVER_TOKEN: TOKEN });
  beforeAll(async () => { srv = await startFromConfig(config(), (e) => logs.push(e)); }, 120_000);
  afterAll(() => srv?.stop());

  it('verl compute_score: correct 2.0, wrong answer 1.0, no code block 0.0', async () => {
    const extra = { target: 'pulp', question: QUESTION };
    const r = await py(VERL, { env: env(), input: {
      mode: 'single', solution_strs: [OK, OK, 'The optimum is 11.', `<think>x</think>\n\`\`\`python\n${PULP_OK}\`\`\`\n`],
      ground_truths: ['11', 13, 11, 11], extra_infos: [extra, extra, extra, { target: 'pulp' }],
    } });
    expect(r.json, r.stderr).toMatchObject({ scores: [2, 1, 0, 2] });
  }, 120_000);

  it('the problem\'s text reaches the integrity rule: a bound equal to the answer pays only when the text states it', async () => {
    const hack = wrap('import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 11)\nprob += x\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\n');
    const r = await py(VERL, { env: env(), input: {
      mode: 'batch', solution_strs: [hack, hack], ground_truths: [11, 11],
      extra_infos: [{ target: 'pulp' }, { target: 'pulp', question: 'A shop sells at most 11 items. Maximize sales.' }],
    } });
    expect(r.json, r.stderr).toMatchObject({ scores: [1, 2] }); // no_model keeps only the format reward
  }, 120_000);

  it('verl compute_score_batch: 40 completions, scored in order, in batches the server\'s limits allow', async () => {
    const kinds = Array.from({ length: 40 }, (_, i) => (i % 5 === 3 ? 'none' : i % 3 === 1 ? 'wrong' : 'ok'));
    const before = logs.length;
    const r = await py(VERL, { env: env(), input: {
      mode: 'batch',
      solution_strs: kinds.map((k) => (k === 'none' ? `I would write ${k} code.` : OK)),
      ground_truths: kinds.map((k) => (k === 'wrong' ? '13' : 11)),
      extra_infos: kinds.map(() => ({ target: 'pulp', question: QUESTION })),
    } });
    expect(r.json?.scores, r.stdout + r.stderr).toEqual(kinds.map((k) => ({ ok: 2, wrong: 1, none: 0 })[k]));
    // window min(per_token_concurrency 16, 2 × 2 workers) = 4: batches of 2, two at a time
    const batches = logs.slice(before).filter((l) => l.msg === 'request' && l.path === '/v1/batch');
    expect(batches.map((b) => b.status)).toEqual(batches.map(() => 200));
    expect(batches.reduce((n, b) => n + b.items, 0)).toBe(kinds.filter((k) => k !== 'none').length);
    expect(Math.max(...batches.map((b) => b.items))).toBe(2);
    expect(r.json.stats[0]).toMatchObject({ learned: true, advertised: 4, failures: 0, busy: 0 });
  }, 180_000);

  it('TRL reward_func: chat-message and string completions, columns answer/target/question, None for no answer', async () => {
    const msg = (content: string) => [{ role: 'assistant', content }];
    const r = await py(TRL, { env: env(), input: {
      completions: [msg(OK), msg(OK), msg('no code here'), OK, msg(OK)],
      answer: [11, 13, 11, '11', null],
      target: Array(5).fill('pulp'),
      question: Array(5).fill(QUESTION),
    } });
    expect(r.json, r.stderr).toEqual([2, 1, 0, 2, null]);
  }, 120_000);

  it('an unreachable server: verl raises RuntimeError, TRL gives None', async () => {
    const dead = { EVOM_SERVER_URL: await closedPortUrl(), EVOM_SERVER_TOKEN: TOKEN };
    const v = await py(VERL, { env: dead, input: { mode: 'single', solution_strs: [OK], ground_truths: [11], extra_infos: [{ target: 'pulp' }] } });
    expect(v.json, v.stderr).toMatchObject({ error: 'ServerUnavailable', runtime_error: true, message: expect.stringMatching(/after 4 failed attempts/) });
    const b = await py(VERL, { env: dead, input: { mode: 'batch', solution_strs: [OK, 'no code'], ground_truths: [11, 11], extra_infos: null } });
    expect(b.json).toMatchObject({ runtime_error: true, message: expect.stringMatching(/1 of 2 completions could not be scored/) });
    const t = await py(TRL, { env: dead, input: { completions: [OK, 'no code'], answer: [11, 11], target: ['pulp', 'pulp'] } });
    expect(t.json, t.stderr).toEqual([null, 0]); // a format error needs no server
  }, 120_000);

  it('a refused item (unknown target) raises in verl and is None in TRL', async () => {
    const v = await py(VERL, { env: env(), input: { mode: 'single', solution_strs: [OK], ground_truths: [11], extra_infos: [{ target: 'cplex' }] } });
    expect(v.json).toMatchObject({ error: 'RequestRefused', runtime_error: true, message: expect.stringMatching(/unknown target "cplex"/) });
    const t = await py(TRL, { env: env(), input: { completions: [OK, OK], answer: [11, 11], target: ['cplex', 'pulp'] } });
    expect(t.json).toEqual([null, 2]);
  }, 120_000);

  it('several URLs: a dead one is failed over', async () => {
    const r = await py(VERL, { env: { ...env(), EVOM_SERVER_URL: `${await closedPortUrl()}, ${srv.url}` }, input: {
      mode: 'batch', solution_strs: Array(6).fill(OK), ground_truths: Array(6).fill(11), extra_infos: Array(6).fill({ target: 'pulp' }),
    } });
    expect(r.json?.scores, r.stderr).toEqual(Array(6).fill(2));
    expect(r.json.stats[0].failures).toBeGreaterThan(0);
  }, 120_000);

  it('the default target is highs (where the server runs the in-browser targets)', async (ctx) => {
    const targets = await fetch(`${srv.url}/v1/targets`, { headers: { authorization: `Bearer ${TOKEN}` } }).then((r) => r.json()) as { targets: { name: string; available: boolean }[] };
    ctx.skip(!targets.targets.some((t) => t.name === 'highs' && t.available), 'this server does not run highs');
    const lp = wrap('Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n');
    const r = await py(VERL, { env: env(), input: { mode: 'single', solution_strs: [lp, lp], ground_truths: [11, 13], extra_infos: [{ question: QUESTION }, null] } });
    expect(r.json?.scores, r.stdout + r.stderr).toEqual([2, 1]);
  }, 120_000);
});

describe('a server with tiny limits', () => {
  let srv: SandboxServer;
  const logs: Record<string, any>[] = [];
  beforeAll(async () => { srv = await startFromConfig(config({ per_token_pending: 2, max_batch: 2, per_token_concurrency: 1 }), (e) => logs.push(e)); }, 120_000);
  afterAll(() => srv?.stop());

  it('still scores 10 items, honouring its 429s', async () => {
    // the token's 2 accepted runs are taken by slow runs, so the client's first batch meets a 429
    const call = () => fetch(`${srv.url}/v1/run`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` }, body: JSON.stringify({ target: 'pulp', code: SLOW(1.5), answer: 11, time_limit_s: 10 }) }).then((r) => r.json());
    const slow = [call(), call()];
    for (;;) {
      const h = await fetch(`${srv.url}/healthz`).then((r) => r.json()) as { running: number; queued: number };
      if (h.running + h.queued >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const kinds = Array.from({ length: 10 }, (_, i) => (i % 4 === 1 ? 'wrong' : 'ok'));
    const r = await py(VERL, { env: { EVOM_SERVER_URL: srv.url, EVOM_SERVER_TOKEN: TOKEN }, input: {
      mode: 'batch', solution_strs: kinds.map(() => OK), ground_truths: kinds.map((k) => (k === 'wrong' ? 13 : 11)), extra_infos: kinds.map(() => ({ target: 'pulp' })),
    } });
    expect(r.json?.scores, r.stdout + r.stderr).toEqual(kinds.map((k) => (k === 'ok' ? 2 : 1)));
    expect((await Promise.all(slow)).map((o: any) => o.class)).toEqual(['correct', 'correct']);
    const batches = logs.filter((l) => l.msg === 'request' && l.path === '/v1/batch');
    expect(batches.filter((b) => b.status === 429).length).toBeGreaterThan(0);
    expect(r.json.stats[0].busy).toBe(batches.filter((b) => b.status === 429).length);
    // window min(per_token_concurrency 1, 2 × workers) = 1: one item at a time
    expect(batches.filter((b) => b.status === 200).map((b) => b.items)).toEqual(Array(10).fill(1));
  }, 180_000);
});
