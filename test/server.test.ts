// The sandbox server over real HTTP on 127.0.0.1 with the real sandbox (bubblewrap, cgroups,
// Python): API, auth, limits, CORS, logs, shutdown, SandboxFusion's /run_code, and the client
// (remote targets through the verifier pool, several servers, a server killed mid-run).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, type ServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { RemoteVerifier } from '../src/verifier/remote.ts';
import { PULP_OK, SCIPY_OK, SLOW } from './python-models.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';

const TOKEN = 'test-token-0123456789abcdef';
// a secret in the server's environment: sandboxed code must never see it
const SECRET = 'evom-secret-value-8f3a1c';
process.env.EVOM_TEST_SECRET = SECRET;
const OTHER = 'other-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'evom-server-'));
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `# test tokens\n${TOKEN}\n\n${OTHER}\n`, { mode: 0o600 });


function config(flags: Partial<ServerConfig> = {}): ServerConfig {
  return loadServerConfig({ env: {}, flags: { port: 0, tokens_file: tokensFile, workers: 2, cors_origins: ['http://allowed.example'], ...flags } });
}

async function call(url: string, path: string, init: { method?: string; body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: string } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(init.headers ?? {}) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const res = await fetch(url + path, { method: init.method ?? (init.body !== undefined || init.raw !== undefined ? 'POST' : 'GET'), headers, body: init.raw ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined) });
  const text = await res.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

describe('sandbox server API', () => {
  let srv: SandboxServer;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => { srv = await startFromConfig(config(), (e) => logs.push(e)); }, 60_000);
  afterAll(() => srv?.stop());

  it('healthz needs no token; targets need one and list pulp and scipy', async () => {
    expect((await call(srv.url, '/healthz', { token: null })).json).toMatchObject({ ok: true, workers: 2 });
    expect((await call(srv.url, '/v1/targets', { token: null })).status).toBe(401);
    const bad = await call(srv.url, '/v1/targets', { token: 'wrong-token-0123456789abcdef' });
    expect(bad.status).toBe(401);
    expect(bad.json.error).toBe('token rejected');
    const r = await call(srv.url, '/v1/targets');
    const names = r.json.targets.filter((t: any) => t.available).map((t: any) => t.name);
    expect(names).toEqual(expect.arrayContaining(['pulp', 'scipy']));
    for (const t of ['gurobi', 'copt', 'ortools']) expect(r.json.targets.find((x: any) => x.name === t)?.available).toBe(false);
  });

  it.each([
    ['pulp', PULP_OK, 11, 'correct'],
    ['scipy', SCIPY_OK, 11, 'correct'],
    ['pulp', PULP_OK, 12, 'wrong_answer'],
    ['pulp', PULP_OK.replace('prob += x + y <= 4', 'prob += x + y <= 4\nprob += x >= 5'), 11, 'infeasible'],
    ['pulp', 'import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0)\nprob += x\nprob += x >= 1\nprob.solve(pulp.PULP_CBC_CMD(msg=0))\n', 1, 'unbounded'],
    ['scipy', 'import numpy as np\nfrom scipy.optimize import linprog\nres = linprog(c=[1], A_ub=[[1]], b_ub=[-1], bounds=[(0, None)])\n', 1, 'infeasible'],
    ['pulp', 'import pulp\nprob = pulp.LpProblem("m" pulp.LpMaximize)\n', 1, 'parse_error'],
    ['scipy', 'import numpy as np\nres = linprog(c=[1])\n', 1, 'runtime_error'],
  ])('%s model, case %#', async (target, code, answer, cls) => {
    const r = await call(srv.url, '/v1/run', { body: { target, code, answer, time_limit_s: 20 } });
    expect(r.status, r.text).toBe(200);
    expect(r.json.class, JSON.stringify(r.json.messages)).toBe(cls);
    if (cls === 'correct') expect(r.json).toMatchObject({ correct: true, reward: 2, status: 'optimal', objective: 11, target });
    if (cls === 'parse_error' || cls === 'runtime_error') expect(r.json.messages.some((m: any) => m.line === 2)).toBe(true);
  }, 60_000);

  it('without an answer: status and objective, no class or reward', async () => {
    const r = await call(srv.url, '/v1/run', { body: { target: 'pulp', code: PULP_OK } });
    expect(r.json).toMatchObject({ class: null, correct: null, reward: null, status: 'optimal', objective: 11 });
  });

  it.each([
    [{ target: 'cplex', code: 'x' }, 400, /unknown target "cplex"; available: .*pulp/],
    [{ target: 'gurobi', code: 'x' }, 400, /target "gurobi" is not available on this server/],
    [{ target: 'pulp' }, 400, /"code" must be a non-empty string/],
    [{ target: 'pulp', code: 'x', time_limit_s: 10_000 }, 400, /exceeds this server's maximum 120/],
    [{ target: 'pulp', code: 'x', answer: 'lots' }, 400, /"answer": expected answer must be a finite number/],
    [{ target: 'pulp', code: 'x', tolerance: 'loose' }, 400, /"tolerance" must be one of/],
    [{ target: 'pulp', code: 'x'.repeat(300_000) }, 413, /code exceeds 262144 bytes/],
  ])('rejects bad request %# with its status', async (body, status, msg) => {
    const r = await call(srv.url, '/v1/run', { body });
    expect(r.status).toBe(status);
    expect(r.json.error).toMatch(msg);
  });

  it('rejects bodies that are not JSON or too large, and unknown routes', async () => {
    expect((await call(srv.url, '/v1/run', { raw: '{not json' })).json.error).toMatch(/not valid JSON/);
    const big = await call(srv.url, '/v1/run', { raw: JSON.stringify({ target: 'pulp', code: 'x'.repeat(5 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
    expect((await call(srv.url, '/v2/run', { body: {} })).status).toBe(404);
    expect((await call(srv.url, '/v1/run')).status).toBe(405);
  });

  it('batch: every item answered in order, invalid ones in place', async () => {
    const r = await call(srv.url, '/v1/batch', { body: { items: [
      { target: 'pulp', code: PULP_OK, answer: 11 },
      { target: 'nope', code: 'x' },
      { target: 'scipy', code: SCIPY_OK, answer: 11 },
    ] } });
    expect(r.status).toBe(200);
    expect(r.json.results.map((x: any) => x.class ?? x.status)).toEqual(['correct', 400, 'correct']);
  }, 60_000);

  it('contains attacks and keeps serving (the sandbox tests cover each attack in depth)', async () => {
    const attacks = [
      'import socket\ns = socket.create_connection(("1.1.1.1", 80), timeout=2)\nprint("objective: 1")',
      'print(open("/etc/shadow").read())',
      `print(open(${JSON.stringify(tokensFile)}).read())`,
      'import os\nprint(dict(os.environ))',
      'while True:\n    pass',
      'import sys\nwhile True:\n    sys.stdout.write("x" * 65536)',
    ];
    for (const code of attacks) {
      const r = await call(srv.url, '/v1/run', { body: { target: 'pulp', code, answer: 1, time_limit_s: 2 } });
      expect(r.status).toBe(200);
      expect(r.json.class, code).not.toBe('correct');
      expect(r.text).not.toContain(TOKEN);
      expect(r.text).not.toContain(SECRET);
      expect(r.text).not.toMatch(/root:[^:]*:\d+:/); // no /etc/shadow line
    }
    expect((await call(srv.url, '/v1/run', { body: { target: 'pulp', code: PULP_OK, answer: 11 } })).json.class).toBe('correct');
  }, 120_000);

  it('CORS: allowed origins get headers, others do not', async () => {
    const pre = await fetch(srv.url + '/v1/run', { method: 'OPTIONS', headers: { origin: 'http://allowed.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const other = await call(srv.url, '/healthz', { token: null, headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('logs one JSON entry per request with a token id, never the token', async () => {
    const entries = logs.filter((l) => l.msg === 'request');
    expect(entries.length).toBeGreaterThan(10);
    expect(entries.some((l) => l.status === 401)).toBe(true);
    expect(entries.some((l) => l.class === 'correct' && typeof l.token === 'string' && (l.token as string).length === 12)).toBe(true);
    expect(JSON.stringify(logs)).not.toContain(TOKEN);
  });

  it('/run_code answers in SandboxFusion\'s shape', async () => {
    const ok = await call(srv.url, '/run_code', { body: { code: 'print("hello")', language: 'python', run_timeout: 5 } });
    expect(ok.json).toMatchObject({ status: 'Success', compile_result: null, run_result: { status: 'Finished', return_code: 0, stdout: 'hello\n', stderr: '' } });
    expect(typeof ok.json.run_result.execution_time).toBe('number');
    const loop = await call(srv.url, '/run_code', { body: { code: 'while True: pass', language: 'python', run_timeout: 1 } });
    expect(loop.json).toMatchObject({ status: 'Failed', run_result: { status: 'TimeLimitExceeded' } });
    const err = await call(srv.url, '/run_code', { body: { code: 'raise SystemExit(3)', language: 'python' } });
    expect(err.json).toMatchObject({ status: 'Failed', run_result: { status: 'Error', return_code: 3 } });
    const stdin = await call(srv.url, '/run_code', { body: { code: 'print(input()[::-1])', stdin: 'abc\n' } });
    expect(stdin.json.run_result.stdout).toBe('cba\n');
    const cpp = await call(srv.url, '/run_code', { body: { code: 'int main(){}', language: 'cpp' } });
    expect(cpp.json).toMatchObject({ status: 'SandboxError', run_result: null });
  }, 60_000);
});

describe('limits', () => {
  it('per-token rate limit → 429 with Retry-After; other tokens unaffected', async () => {
    const srv = await startFromConfig(config({ per_token_rate_per_minute: 2 }), () => {});
    try {
      const body = { target: 'pulp', code: 'print("objective: 1")' };
      expect((await call(srv.url, '/v1/run', { body })).status).toBe(200);
      expect((await call(srv.url, '/v1/run', { body })).status).toBe(200);
      const third = await call(srv.url, '/v1/run', { body });
      expect(third.status).toBe(429);
      expect(Number(third.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await call(srv.url, '/v1/run', { body, token: OTHER })).status).toBe(200);
    } finally { await srv.stop(); }
  }, 60_000);

  it('per-token runs accepted beyond per_token_pending → 429', async () => {
    const srv = await startFromConfig(config({ per_token_pending: 1, max_batch: 1 }), () => {});
    try {
      const slow = { target: 'pulp', code: SLOW(1.5), time_limit_s: 5 };
      const [a, b] = await Promise.all([call(srv.url, '/v1/run', { body: slow }), call(srv.url, '/v1/run', { body: slow })]);
      expect([a.status, b.status].sort()).toEqual([200, 429]);
    } finally { await srv.stop(); }
  }, 60_000);

  it('queue overflow answers 503 with Retry-After', async () => {
    const srv = await startFromConfig(config({ workers: 1, queue_size: 1, per_token_concurrency: 10 }), () => {});
    try {
      const slow = { target: 'pulp', code: SLOW(1.5), time_limit_s: 5 };
      const rs = await Promise.all([0, 1, 2].map((i) => new Promise((r) => setTimeout(r, i * 100)).then(() => call(srv.url, '/v1/run', { body: slow }))));
      expect(rs.map((r) => r.status)).toEqual([200, 200, 503]);
      expect(rs[2]!.headers.get('retry-after')).toBe('2');
    } finally { await srv.stop(); }
  }, 60_000);

  it('graceful shutdown answers what it accepted and refuses new work', async () => {
    const srv = await startFromConfig(config(), () => {});
    const inFlight = call(srv.url, '/v1/run', { body: { target: 'pulp', code: SLOW(1), time_limit_s: 5, answer: 11 } });
    await new Promise((r) => setTimeout(r, 300));
    const stopping = srv.stop();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json.class).toBe('correct');
    await stopping;
    await expect(fetch(srv.url + '/healthz')).rejects.toThrow();
  }, 60_000);
});

describe('client: remote targets through the verifier pool', () => {
  let a: SandboxServer, b: SandboxServer;
  beforeAll(async () => { [a, b] = await Promise.all([startFromConfig(config(), () => {}), startFromConfig(config(), () => {})]); }, 60_000);
  afterAll(async () => { await a?.stop(); await b?.stop(); });

  it('verifies completions for pulp and scipy, with classes from the server', async () => {
    const pool = createNodePool({ size: 1, remote: new RemoteVerifier({ urls: [a.url], token: TOKEN }) });
    const wrap = (c: string) => `<think>model</think>\n<code>\n${c}\n</code>`;
    const outs = await pool.verifyAll([
      { completion: wrap(PULP_OK), target: 'pulp', answer: 11 },
      { completion: wrap(SCIPY_OK), target: 'scipy', answer: 11 },
      { completion: wrap('import pulp\nprob = ('), target: 'pulp', answer: 11 },
      { completion: 'no code at all', target: 'pulp', answer: 11 },
      { completion: wrap('Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd'), target: 'highs', answer: 11 },
    ]);
    expect(outs.map((o) => o.class)).toEqual(['correct', 'correct', 'parse_error', 'format_error', 'correct']);
    await pool.close();
  }, 60_000);

  it('maps a rejected token and an unreachable server to clear outcomes', async () => {
    const bad = new RemoteVerifier({ urls: [a.url], token: 'nope-nope-nope-nope-nope' });
    const o = await bad.verify({ completion: PULP_OK, raw_code: true, target: 'pulp', answer: 11 });
    expect(o.class).toBe('not_evaluated');
    expect(o.messages[0]!.text).toMatch(/rejected the token/);
    const dead = new RemoteVerifier({ urls: ['http://127.0.0.1:9'], token: TOKEN, attempts: 2, backoffMs: 10 });
    const d = await dead.verify({ completion: PULP_OK, raw_code: true, target: 'pulp', answer: 11 });
    expect(d.class).toBe('not_evaluated');
    expect(d.messages[0]!.text).toMatch(/no sandbox server could run the code after 2 failed attempts/);
  }, 60_000);

  it('two servers share the load; one killed mid-run loses no request', async () => {
    const remote = new RemoteVerifier({ urls: [a.url, b.url], token: TOKEN, backoffMs: 50, restMs: 60_000 });
    const jobs = Array.from({ length: 12 }, () => ({ completion: SLOW(0.5), raw_code: true, target: 'pulp', answer: 11, config: { solver_time_limit_s: 5 } }));
    const all = Promise.all(jobs.map((j) => remote.verify(j)));
    await new Promise((r) => setTimeout(r, 300));
    b.server.closeAllConnections(); // b dies with requests in flight
    b.server.close();
    const outs = await all;
    expect(outs.map((o) => o.class)).toEqual(Array(12).fill('correct'));
    const stats = remote.stats();
    expect(stats[0]!.served).toBeGreaterThan(0);
    expect(stats[1]!.failures).toBeGreaterThan(0);
    expect(stats[0]!.served + stats[1]!.served).toBe(12);
  }, 120_000);
});

describe('evom serve (command line)', () => {
  it('starts with --tokens and --port, logs JSON, drains on SIGTERM', async () => {
    const p = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'evom.js'), 'serve', '--tokens', tokensFile, '--port', '0', '--workers', '1']);
    let out = '';
    p.stdout.on('data', (d) => { out += d; });
    const url = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no listening line: ${out}`)), 30_000);
      p.stdout.on('data', () => {
        const line = out.split('\n').find((l) => l.includes('"listening"'));
        if (line) { clearTimeout(t); resolve(JSON.parse(line).url); }
      });
    });
    const r = await call(url, '/v1/run', { body: { target: 'pulp', code: PULP_OK, answer: 11 } });
    expect(r.json.class).toBe('correct');
    p.kill('SIGTERM');
    const code = await new Promise((r) => p.on('exit', r));
    expect(code).toBe(0);
    expect(out).toMatch(/"msg":"stopped"/);
  }, 60_000);

  it('refuses to start without tokens', async () => {
    const p = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'evom.js'), 'serve', '--port', '0'], { env: { ...process.env, EVOM_SERVER_TOKENS: '' } });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((r) => p.on('exit', r));
    expect(code).toBe(2);
    expect(err).toMatch(/no tokens: give --tokens FILE/);
  }, 30_000);
});
