// The attacks an outside review made on `evom serve` and its client (../shared/reference/security-review.md),
// one case per finding, against the real server on 127.0.0.1 with the real sandbox. The slow and
// large ones (20,000 idle connections, 64 hostile clients for 30 s) are in bench/server-attack.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, loadTokens, type ServerConfig } from '../server/config.ts';
import { startFromConfig } from '../server/main.ts';
import type { SandboxServer } from '../server/http.ts';
import { RemoteVerifier } from '../src/verifier/remote.ts';
import { PULP_OK, SLOW } from './python-models.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import { evaluateCompletions } from '../src/verifier/evaluate.ts';
import { extractionsInThisThread } from '../src/verifier/protocol.ts';
import type { BenchmarkItem } from '../src/problems/benchmarks.ts';

const TOKEN = 'attack-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'evom-attacks-'));
const tokensFile = join(dir, 'tokens');
writeFileSync(tokensFile, `${TOKEN}\n`, { mode: 0o600 });


function config(flags: Partial<ServerConfig> = {}): ServerConfig {
  return loadServerConfig({ env: {}, flags: { port: 0, tokens_file: tokensFile, workers: 2, ...flags } });
}

async function call(url: string, path: string, init: { body?: unknown; token?: string | null; headers?: Record<string, string>; signal?: AbortSignal } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(init.headers ?? {}) };
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const res = await fetch(url + path, { method: init.body !== undefined ? 'POST' : 'GET', headers, body: init.body !== undefined ? JSON.stringify(init.body) : undefined, ...(init.signal ? { signal: init.signal } : {}) });
  const text = await res.text();
  let json: any = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

const health = async (url: string) => (await call(url, '/healthz', { token: null })).json;

/** Poll `f` until it holds (every 100 ms, at most `ms`): waits for an event, asserts no duration. */
async function until(f: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A raw request with a given Host header (fetch does not let one set Host). */
function rawGet(url: string, path: string, host: string): Promise<number> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const r = request({ host: u.hostname, port: u.port, path, headers: { host, authorization: `Bearer ${TOKEN}` } }, (res) => { res.resume(); resolve(res.statusCode ?? 0); });
    r.on('error', reject);
    r.end();
  });
}

describe('results and rewards', () => {
  let srv: SandboxServer;
  beforeAll(async () => { srv = await startFromConfig(config(), () => {}); }, 60_000);
  afterAll(() => srv?.stop());

  it('a14: 200 correct completions through `evom eval --server`\'s path against the default limits all score correct', async () => {
    const items: BenchmarkItem[] = Array.from({ length: 200 }, (_, i) => ({ id: `p${i}`, question: 'q', answer: 11, extra: {} }));
    const completions = items.map((it) => ({ id: it.id, completion: `<think>t</think>\n<code>\n${PULP_OK}</code>` }));
    const remote = new RemoteVerifier({ urls: [srv.url], token: TOKEN });
    const pool = createNodePool({ size: 2, remote });
    try {
      const { summary } = await evaluateCompletions(items, completions, pool, { target: 'pulp', tolerance: 'rel5pct' });
      expect(summary.counts).toMatchObject({ correct: 200, not_evaluated: 0, solver_error: 0 });
      expect(summary.accuracy).toBe(1);
      // the client kept to what the server advertised: never more in flight than its window
      expect(remote.stats()[0]!.window).toBeLessThanOrEqual(2 * 2);
    } finally { await pool.close(); }
  }, 600_000);

  it('a14: a client that sends more than a token may have backs off on 429 and Retry-After, and loses nothing', async () => {
    const tight = await startFromConfig(config({ per_token_pending: 2, max_batch: 2, per_token_concurrency: 1 }), () => {});
    try {
      const remote = new RemoteVerifier({ urls: [tight.url], token: TOKEN, window: 8, backoffMs: 50 });
      const outs = await Promise.all(Array.from({ length: 10 }, () => remote.verify({ completion: PULP_OK, raw_code: true, target: 'pulp', answer: 11 })));
      expect(outs.map((o) => o.class)).toEqual(Array(10).fill('correct'));
      expect(remote.stats()[0]!.busy).toBeGreaterThan(0); // it was told 429 …
      expect(remote.stats()[0]!.failures).toBe(0); // … and that never counted as a failure
    } finally { await tight.stop(); }
  }, 300_000);

  it('a job that could not run is not_evaluated (never a class of the completion), and the evaluation says how many', async () => {
    const remote = new RemoteVerifier({ urls: [srv.url], token: 'wrong-token-wrong-token-wrong' });
    const o = await remote.verify({ completion: PULP_OK, raw_code: true, target: 'pulp', answer: 11 });
    expect(o.class).toBe('not_evaluated');
    expect(o.reward).toBe(0);
    expect(o.messages[0]!.text).toMatch(/rejected the token/);
    const dead = new RemoteVerifier({ urls: ['http://127.0.0.1:9'], token: TOKEN, attempts: 2, backoffMs: 10 });
    expect((await dead.verify({ completion: PULP_OK, raw_code: true, target: 'pulp', answer: 11 })).class).toBe('not_evaluated');
    const pool = createNodePool({ size: 1, remote: dead });
    try {
      const items: BenchmarkItem[] = [{ id: 'a', question: 'q', answer: 11, extra: {} }, { id: 'b', question: 'q', answer: 11, extra: {} }];
      const { summary } = await evaluateCompletions(items, items.map((it) => ({ id: it.id, completion: `<code>\n${PULP_OK}</code>` })), pool, { target: 'pulp', tolerance: 'rel5pct' });
      expect(summary.not_evaluated).toBe(2);
      expect(summary.scored).toBe(0);
      expect(summary.counts.solver_error).toBe(0);
    } finally { await pool.close(); }
  }, 120_000);

  it('a15: a client that goes away stops its run, waiting or running', async () => {
    const before = await health(srv.url);
    // two runs fill the server's two sandboxes; a third waits in line
    const acs = [0, 1, 2].map(() => new AbortController());
    const gone = acs.map((ac) => call(srv.url, '/v1/run', { body: { target: 'pulp', code: SLOW(50), time_limit_s: 60 }, signal: ac.signal }).catch(() => null));
    await until(async () => { const h = await health(srv.url); return h.running === 2 && h.queued === 1; }, 30_000, 'two runs started, one waits');
    acs[2]!.abort();
    await gone[2];
    await until(async () => { const h = await health(srv.url); return h.queued === 0 && h.runs.cancelled === before.runs.cancelled + 1; }, 20_000, 'the waiting run left the line');
    acs[0]!.abort();
    acs[1]!.abort();
    await Promise.all(gone);
    // both stopped long before their 50 s sleeps end
    await until(async () => { const h = await health(srv.url); return h.running === 0 && h.runs.cancelled === before.runs.cancelled + 3; }, 20_000, 'the runs were stopped');
    expect((await health(srv.url)).runs.started).toBe(before.runs.started + 2);
  }, 60_000);

  it('a15: a retry with the same Idempotency-Key is answered from the first run', async () => {
    const before = await health(srv.url);
    const body = { target: 'pulp', code: SLOW(2), time_limit_s: 20, answer: 11 };
    const key = `k-${Date.now()}`;
    const ac = new AbortController();
    const first = call(srv.url, '/v1/run', { body, headers: { 'idempotency-key': key }, signal: ac.signal }).catch(() => null);
    await until(async () => (await health(srv.url)).running === 1, 30_000, 'the run started');
    ac.abort(); // the client timed out …
    await first;
    const retry = await call(srv.url, '/v1/run', { body, headers: { 'idempotency-key': key } }); // … and retries
    expect(retry.status).toBe(200);
    expect(retry.json.class).toBe('correct');
    const again = await call(srv.url, '/v1/run', { body, headers: { 'idempotency-key': key } }); // answered from memory
    expect(again.json.objective).toBe(retry.json.objective);
    const after = await health(srv.url);
    expect(after.runs.started - before.runs.started).toBe(1);
    expect(after.runs.replayed - before.runs.replayed).toBe(2);
    const other = await call(srv.url, '/v1/run', { body: { ...body, answer: 12 }, headers: { 'idempotency-key': key } });
    expect(other.status).toBe(422);
  }, 60_000);
});

describe('availability', () => {
  it('a09/10: a batch above per_token_concurrency is queued within the limits, not refused; /run_code applies max_code_bytes', async () => {
    const srv = await startFromConfig(config({ per_token_concurrency: 4 }), () => {});
    try {
      const items = Array.from({ length: 40 }, () => ({ target: 'pulp', code: PULP_OK, answer: 11 }));
      const r = await call(srv.url, '/v1/batch', { body: { items } });
      expect(r.status).toBe(200);
      expect(r.json.results.map((x: { class: string }) => x.class)).toEqual(Array(40).fill('correct'));
      const big = await call(srv.url, '/run_code', { body: { code: `x = 1\n${'#'.repeat(300 * 1024)}\n`, language: 'python' } });
      expect(big.status).toBe(413);
      expect(big.json.error).toMatch(/code exceeds 262144 bytes/);
    } finally { await srv.stop(); }
  }, 300_000);

  it('the defaults can always accept a full batch (per_token_pending ≥ max_batch is checked at start)', () => {
    expect(() => config({ per_token_pending: 10, max_batch: 64 })).toThrow(/per_token_pending \(10\) must be at least max_batch \(64\)/);
  });

  it('a04b/a05/a13: idle connections that never authenticate are evicted first and closed with 408; health checks and clients are still served; logs stay at info', async () => {
    const logs: Record<string, unknown>[] = [];
    const srv = await startFromConfig(config({ max_connections_per_address: 40, headers_timeout_s: 2, request_timeout_s: 3 }), (e) => logs.push(e));
    const socks: Socket[] = [];
    try {
      const u = new URL(srv.url);
      const got: string[] = [];
      for (let i = 0; i < 120; i++) {
        const s = connect(Number(u.port), u.hostname);
        s.on('error', () => { /* evicted */ });
        s.on('data', (d) => got.push(d.toString('latin1')));
        socks.push(s);
      }
      await Promise.all(socks.map((s) => new Promise((r) => { s.once('connect', r); s.once('close', r); })));
      // a trickling body: headers, then one byte of 100
      const trickle = connect(Number(u.port), u.hostname);
      trickle.on('error', () => {});
      trickle.write(`POST /v1/run HTTP/1.1\r\nHost: ${u.host}\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`);
      expect((await health(srv.url)).ok).toBe(true);
      expect((await call(srv.url, '/v1/targets')).status).toBe(200);
      const h = await health(srv.url);
      expect(h.connections.evicted).toBeGreaterThan(0);
      expect(h.connections.open).toBeLessThanOrEqual(40 + 2);
      await until(async () => (await health(srv.url)).connections.timed_out > 0, 20_000, 'idle connections timed out');
      await until(async () => logs.some((l) => l.status === 408 && l.path === '/v1/run'), 20_000, 'the trickling request ended');
      expect(got.some((g) => g.startsWith('HTTP/1.1 408'))).toBe(true);
      const bad = logs.filter((l) => l.level === 'error');
      expect(bad).toEqual([]);
      expect(logs.find((l) => l.status === 408 && l.path === '/v1/run')!.level).toBe('info');
      trickle.destroy();
    } finally {
      for (const s of socks) s.destroy();
      await srv.stop();
    }
  }, 120_000);

  it('a09: pools and pages never extract code on their own thread, even when a worker is killed', async () => {
    const before = extractionsInThisThread();
    const pool = createNodePool({ size: 1, config: { wall_limit_ms: 2000 } });
    try {
      const hostile = '```x y\n'.repeat(60_000);
      // a model whose generation runs past the wall-clock limit: its worker is killed mid-job
      const endless = '<code>\nparam s := sum{i in 1..2000000000} i;\nvar x;\nmaximize o: x;\ns.t. c: x <= s;\nend;\n</code>';
      const outs = await pool.verifyAll([
        { completion: hostile, target: 'highs', answer: 1 },
        { completion: endless, target: 'glpk', answer: 1 },
        { completion: '<code>\nMaximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n</code>', target: 'highs', answer: 11 },
      ]);
      expect(outs.map((o) => o.class)).toEqual(['format_error', 'timeout', 'correct']);
      expect(pool.stats().timeouts).toBe(1);
    } finally { await pool.close(); }
    expect(extractionsInThisThread()).toBe(before);
  }, 120_000);
});

describe('deployment safety', () => {
  it('a08: anonymous modes are refused off loopback', () => {
    expect(() => loadServerConfig({ env: {}, flags: { host: '0.0.0.0', allow_anonymous: true } })).toThrow(/allow_anonymous serves without a token, so it is refused on host 0.0.0.0/);
    expect(() => loadServerConfig({ env: {}, flags: { host: '10.1.2.3', anonymous_run_code: true, tokens_file: tokensFile } })).toThrow(/anonymous_run_code/);
    expect(loadServerConfig({ env: {}, flags: { host: '127.0.0.1', allow_anonymous: true } }).allow_anonymous).toBe(true);
  });

  it('a19: a foreign Host header is refused in every mode (DNS rebinding); allowed_hosts adds names', async () => {
    const anon = await startFromConfig(loadServerConfig({ env: {}, flags: { port: 0, allow_anonymous: true, workers: 1, allowed_hosts: ['verifier.example'] } }), () => {});
    try {
      expect(await rawGet(anon.url, '/v1/targets', 'evil.example')).toBe(403);
      expect(await rawGet(anon.url, '/healthz', 'evil.example:8787')).toBe(403);
      expect(await rawGet(anon.url, '/v1/targets', new URL(anon.url).host)).toBe(200);
      expect(await rawGet(anon.url, '/v1/targets', 'localhost')).toBe(200);
      expect(await rawGet(anon.url, '/v1/targets', 'verifier.example:443')).toBe(200);
    } finally { await anon.stop(); }
  }, 60_000);

  it('a07: a tokens file readable by others, or a token with inner whitespace, refuses to start', () => {
    const open = join(dir, 'open-tokens');
    writeFileSync(open, `${TOKEN}\n`);
    chmodSync(open, 0o644);
    expect(() => loadTokens(config({ tokens_file: open }))).toThrow(/readable by its group and others \(mode 644\).*chmod 600/);
    expect(loadTokens(config({ tokens_file: open, allow_shared_tokens_file: true }))).toEqual([TOKEN]);
    const spaced = join(dir, 'spaced-tokens');
    writeFileSync(spaced, `# ok\n${TOKEN}\nabcdefgh ijklmnopqrstu\n`, { mode: 0o600 });
    expect(() => loadTokens(config({ tokens_file: spaced }))).toThrow(/line 3: a token may not contain spaces/);
  });
});
