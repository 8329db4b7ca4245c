// The sandbox server's HTTP API (node:http, no framework):
//   GET  /healthz                 liveness and load (no token needed)
//   GET  /v1/targets              the Python targets this server can run
//   POST /v1/run                  {target, code, answer?, question?, tolerance?, time_limit_s?, memory_mb?}
//                                 → outcome (+ the run's failure and model facts)
//   POST /v1/batch                {items: [run request, …]} → {results: [outcome | {error}, …]}
//   POST /run_code                SandboxFusion-compatible plain execution (for verl and friends)
// Bearer tokens compared in constant time; per-token concurrency and rate limits (429 + Retry-After);
// a bounded queue in front of the sandbox slots (503 when full); size limits; JSON logs; CORS for
// configured origins; graceful shutdown that answers every request it accepted.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { resolveConfig } from '../src/verifier/config.ts';
import { parseAnswer, type Outcome, type TargetRun } from '../src/verifier/outcome.ts';
import { score, type VerifyJob } from '../src/verifier/score.ts';
import { isToleranceRule, TOLERANCE_RULES, type ToleranceRule } from '../src/verifier/tolerance.ts';
import type { ServerConfig } from './config.ts';

/** One sandboxed run of model code for a target (the harness extracts status and objective). */
export interface RunRequest { target: string; code: string; timeLimitS: number; memoryMb: number; maxOutputBytes: number }
/** One plain execution (SandboxFusion's /run_code). */
export interface RawRequest { code: string; stdin: string; timeLimitS: number; memoryMb: number; maxOutputBytes: number }
export interface RawResult { exitCode: number | null; stdout: string; stderr: string; timedOut: boolean; wallMs: number }
export interface TargetInfo { name: string; available: boolean; version?: string; reason?: string }

export interface SandboxRunner {
  run(req: RunRequest): Promise<TargetRun>;
  runRaw(req: RawRequest): Promise<RawResult>;
  targets(): Promise<TargetInfo[]>;
}

export type LogSink = (entry: Record<string, unknown>) => void;
export const jsonLog: LogSink = (e) => process.stdout.write(JSON.stringify({ ts: new Date().toISOString(), ...e }) + '\n');

class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}) { super(message); }
}

/** FIFO semaphore over the sandbox slots, with a bounded wait queue. */
class Slots {
  private free: number;
  private waiting: (() => void)[] = [];
  running = 0;
  constructor(n: number, private readonly maxQueue: number) { this.free = n; }
  get queued(): number { return this.waiting.length; }
  /** Resolves when a slot is held; throws 503 when the queue is full. */
  async acquire(n = 1): Promise<void> {
    if (this.free > 0 && this.waiting.length === 0) { this.free--; this.running++; return; }
    if (this.waiting.length + n > this.maxQueue) throw new HttpError(503, `the server's queue is full (${this.maxQueue} waiting); retry shortly`, { 'retry-after': '2' });
    await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
  }
  release(): void {
    this.running--;
    const next = this.waiting.shift();
    if (next) next(); else this.free++;
  }
}

/** Per-token token bucket: `rate` starts per minute, bursts up to `rate`. */
class RateLimiter {
  private buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly perMinute: number) {}
  /** 0 when n starts are allowed now, else seconds to wait. */
  take(key: string, n: number, now = Date.now()): number {
    const cap = Math.max(1, this.perMinute);
    const b = this.buckets.get(key) ?? { tokens: cap, at: now };
    b.tokens = Math.min(cap, b.tokens + ((now - b.at) / 60_000) * cap);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens >= n) { b.tokens -= n; return 0; }
    return Math.max(1, Math.ceil(((n - b.tokens) / cap) * 60));
  }
}

export interface SandboxServer {
  server: Server;
  /** bound address, once listening */
  url: string;
  /** stop accepting, finish what was accepted, close */
  stop(): Promise<void>;
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export async function startSandboxServer(cfg: ServerConfig, tokens: string[], runner: SandboxRunner, log: LogSink = jsonLog): Promise<SandboxServer> {
  const tokenHashes = tokens.map(sha256);
  const targets = await runner.targets();
  const available = new Set(targets.filter((t) => t.available).map((t) => t.name));
  const slots = new Slots(cfg.workers, cfg.queue_size);
  const rate = new RateLimiter(cfg.per_token_rate_per_minute);
  const inflight = new Map<string, number>();
  let stopping = false;
  let open = 0; // requests accepted and not yet answered
  let drained: (() => void) | null = null;

  /** The caller's token id (first 12 hex of its sha256), or throws 401. Compares every hash in constant time. */
  function authenticate(req: IncomingMessage): string {
    if (tokenHashes.length === 0 && cfg.allow_anonymous) return 'anonymous';
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m) throw new HttpError(401, 'missing bearer token (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer' });
    const h = sha256(m[1]!);
    let ok = false;
    for (const t of tokenHashes) ok = timingSafeEqual(h, t) || ok;
    if (!ok) throw new HttpError(401, 'token rejected', { 'www-authenticate': 'Bearer error="invalid_token"' });
    return h.toString('hex').slice(0, 12);
  }

  function admit(tokenId: string, n: number): void {
    const busy = inflight.get(tokenId) ?? 0;
    if (busy + n > cfg.per_token_concurrency) {
      throw new HttpError(429, `this token has ${busy} runs in flight; the limit is ${cfg.per_token_concurrency}`, { 'retry-after': '1' });
    }
    const wait = rate.take(tokenId, n);
    if (wait > 0) throw new HttpError(429, `rate limit of ${cfg.per_token_rate_per_minute} runs per minute reached`, { 'retry-after': String(wait) });
    inflight.set(tokenId, busy + n);
  }
  const done = (tokenId: string, n: number) => inflight.set(tokenId, (inflight.get(tokenId) ?? n) - n);

  async function readBody(req: IncomingMessage): Promise<unknown> {
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > cfg.max_request_bytes) throw new HttpError(413, `request body of ${len} bytes exceeds ${cfg.max_request_bytes}`);
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > cfg.max_request_bytes) throw new HttpError(413, `request body exceeds ${cfg.max_request_bytes} bytes`);
      chunks.push(c as Buffer);
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `the body is not valid JSON (${(e as Error).message})`);
    }
  }

  interface Job { target: string; code: string; answer: ReturnType<typeof parseAnswer> | null; question?: string; tolerance: ToleranceRule; timeLimitS: number; memoryMb: number }

  /** Validate one run request (an /v1/run body or a batch item). */
  function parseJob(b: unknown, where: string): Job {
    if (typeof b !== 'object' || b === null || Array.isArray(b)) throw new HttpError(400, `${where}: must be a JSON object`);
    const o = b as Record<string, unknown>;
    if (typeof o.target !== 'string') throw new HttpError(400, `${where}: "target" is required (one of ${[...available].join(', ')})`);
    if (!available.has(o.target)) {
      const known = targets.find((t) => t.name === o.target);
      throw new HttpError(400, known ? `${where}: target "${o.target}" is not available on this server (${known.reason ?? 'not installed'})` : `${where}: unknown target "${o.target}"; available: ${[...available].join(', ')}`);
    }
    if (typeof o.code !== 'string' || o.code.trim() === '') throw new HttpError(400, `${where}: "code" must be a non-empty string`);
    if (Buffer.byteLength(o.code) > cfg.max_code_bytes) throw new HttpError(413, `${where}: code exceeds ${cfg.max_code_bytes} bytes`);
    let answer: Job['answer'] = null;
    if (o.answer !== undefined && o.answer !== null) {
      try { answer = parseAnswer(o.answer); } catch (e) { throw new HttpError(400, `${where}: "answer": ${(e as Error).message}`); }
    }
    if (o.question !== undefined && o.question !== null && typeof o.question !== 'string') throw new HttpError(400, `${where}: "question" must be a string (the problem's text)`);
    const question = typeof o.question === 'string' ? o.question : undefined;
    const tolerance = o.tolerance ?? 'rel5pct';
    if (typeof tolerance !== 'string' || !isToleranceRule(tolerance)) throw new HttpError(400, `${where}: "tolerance" must be one of ${TOLERANCE_RULES.join(', ')}`);
    const num = (v: unknown, name: string, dflt: number, max: number) => {
      if (v === undefined || v === null) return dflt;
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new HttpError(400, `${where}: "${name}" must be a positive number`);
      if (v > max) throw new HttpError(400, `${where}: "${name}" ${v} exceeds this server's maximum ${max}`);
      return v;
    };
    return {
      target: o.target, code: o.code, answer, tolerance, ...(question !== undefined ? { question } : {}),
      timeLimitS: num(o.time_limit_s, 'time_limit_s', cfg.default_time_limit_s, cfg.max_time_limit_s),
      memoryMb: num(o.memory_mb, 'memory_mb', cfg.default_memory_mb, cfg.max_memory_mb),
    };
  }

  /** Run one job in a sandbox slot; the outcome has class and reward when an answer was given, and
   *  always the run's `failure` (so a client can score the run under its own settings). */
  async function runJob(j: Job): Promise<(Outcome | (Omit<Outcome, 'class' | 'correct' | 'reward' | 'reward_breakdown' | 'expected'> & { class: null; correct: null; reward: null })) & Pick<TargetRun, 'failure' | 'facts'>> {
    await slots.acquire();
    const started = performance.now();
    let run: TargetRun;
    try {
      run = await runner.run({ target: j.target, code: j.code, timeLimitS: j.timeLimitS, memoryMb: j.memoryMb, maxOutputBytes: cfg.max_output_bytes });
    } finally {
      slots.release();
    }
    const vcfg = resolveConfig({ tolerance: j.tolerance });
    const vjob: VerifyJob = { completion: j.code, target: j.target, answer: j.answer ?? 0, raw_code: true, ...(j.question !== undefined ? { question: j.question } : {}) };
    const o = score(vjob, vcfg, j.code, run, started);
    // the run's failure and model facts travel with the outcome: a client scores the run under its
    // own settings (src/verifier/remote.ts)
    const runFields = { failure: run.failure, ...(run.facts ? { facts: run.facts } : {}) };
    if (j.answer === null) {
      const { class: _c, correct: _k, reward: _r, reward_breakdown: _b, expected: _e, ...rest } = o;
      return { ...rest, class: null, correct: null, reward: null, ...runFields };
    }
    return { ...o, ...runFields };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
    res.end(text);
  }

  function cors(req: IncomingMessage, res: ServerResponse): void {
    const origin = req.headers.origin;
    if (!origin) return;
    if (cfg.cors_origins.includes('*') || cfg.cors_origins.includes(origin)) {
      res.setHeader('access-control-allow-origin', cfg.cors_origins.includes('*') ? '*' : origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-expose-headers', 'retry-after');
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, id: string): Promise<{ status: number; extra: Record<string, unknown> }> {
    const url = (req.url ?? '/').split('?')[0]!;
    cors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, OPTIONS', 'access-control-allow-headers': 'authorization, content-type', 'access-control-max-age': '600' });
      res.end();
      return { status: 204, extra: {} };
    }
    if (url === '/healthz' && req.method === 'GET') {
      send(res, 200, { ok: !stopping, running: slots.running, queued: slots.queued, workers: cfg.workers });
      return { status: 200, extra: {} };
    }
    if (stopping) throw new HttpError(503, 'the server is shutting down', { connection: 'close', 'retry-after': '5' });
    const route = `${req.method} ${url}`;
    if (!['GET /v1/targets', 'POST /v1/run', 'POST /v1/batch', 'POST /run_code'].includes(route)) {
      throw new HttpError(url.startsWith('/v1/') || url === '/run_code' ? 405 : 404, `no route ${route}`);
    }
    const tokenId = route === 'POST /run_code' && cfg.anonymous_run_code && !req.headers.authorization ? 'run_code' : authenticate(req);
    if (route === 'GET /v1/targets') {
      send(res, 200, { targets });
      return { status: 200, extra: { token: tokenId } };
    }
    const body = await readBody(req);
    if (route === 'POST /v1/run') {
      const job = parseJob(body, 'request');
      admit(tokenId, 1);
      try {
        const o = await runJob(job);
        send(res, 200, o);
        return { status: 200, extra: { token: tokenId, target: job.target, class: o.class, solve_ms: Math.round(o.solve_ms) } };
      } finally { done(tokenId, 1); }
    }
    if (route === 'POST /v1/batch') {
      const items = (body as { items?: unknown })?.items;
      if (!Array.isArray(items) || items.length === 0) throw new HttpError(400, 'request: "items" must be a non-empty array of run requests');
      if (items.length > cfg.max_batch) throw new HttpError(413, `batch of ${items.length} items exceeds ${cfg.max_batch}`);
      // Invalid items are answered in place; valid ones run. The batch is admitted as a whole.
      const parsed = items.map((it, i) => { try { return parseJob(it, `items[${i}]`); } catch (e) { return e as HttpError; } });
      const n = parsed.filter((p) => !(p instanceof HttpError)).length;
      admit(tokenId, n);
      try {
        const itemError = (e: unknown) => (e instanceof HttpError ? { error: e.message, status: e.status } : { error: `internal error: ${String((e as Error)?.message ?? e)}`, status: 500 });
        const results = await Promise.all(parsed.map((p) => (p instanceof HttpError ? itemError(p) : runJob(p).catch(itemError))));
        send(res, 200, { results });
        return { status: 200, extra: { token: tokenId, items: items.length } };
      } finally { done(tokenId, n); }
    }
    // POST /run_code (SandboxFusion): {code, language, run_timeout?, memory_limit_MB?, stdin?}
    const b = body as Record<string, unknown>;
    if (typeof b?.code !== 'string') throw new HttpError(400, 'request: "code" must be a string');
    if (b.language !== undefined && b.language !== 'python' && b.language !== 'python3') {
      send(res, 200, { status: 'SandboxError', message: `language "${String(b.language)}" is not supported by this server (python only)`, compile_result: null, run_result: null, files: {} });
      return { status: 200, extra: { token: tokenId, language: b.language } };
    }
    const timeLimitS = Math.min(typeof b.run_timeout === 'number' && b.run_timeout > 0 ? b.run_timeout : cfg.default_time_limit_s, cfg.max_time_limit_s);
    const memoryMb = Math.min(typeof b.memory_limit_MB === 'number' && b.memory_limit_MB > 0 ? b.memory_limit_MB : cfg.default_memory_mb, cfg.max_memory_mb);
    admit(tokenId, 1);
    try {
      await slots.acquire();
      let r: RawResult;
      try {
        r = await runner.runRaw({ code: b.code, stdin: typeof b.stdin === 'string' ? b.stdin : '', timeLimitS, memoryMb, maxOutputBytes: cfg.max_output_bytes });
      } finally { slots.release(); }
      const runStatus = r.timedOut ? 'TimeLimitExceeded' : r.exitCode === 0 ? 'Finished' : 'Error';
      send(res, 200, {
        status: runStatus === 'Finished' ? 'Success' : 'Failed', message: '', compile_result: null,
        run_result: { status: runStatus, execution_time: r.wallMs / 1000, return_code: r.exitCode, stdout: r.stdout, stderr: r.stderr },
        executor_pod_name: null, files: {},
      });
      return { status: 200, extra: { token: tokenId, run_status: runStatus } };
    } finally { done(tokenId, 1); }
  }

  const server = createServer((req, res) => {
    const id = randomUUID().slice(0, 8);
    const t0 = performance.now();
    open++;
    handle(req, res, id).then(
      ({ status, extra }) => log({ level: 'info', msg: 'request', id, method: req.method, path: req.url, status, ms: Math.round(performance.now() - t0), ...extra }),
      (e) => {
        const he = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
        if (!res.headersSent) send(res, he.status, { error: he.message }, he.headers);
        else res.end();
        log({ level: he.status >= 500 ? 'error' : 'warn', msg: 'request', id, method: req.method, path: req.url, status: he.status, error: he.message, ms: Math.round(performance.now() - t0) });
      },
    ).finally(() => {
      open--;
      if (open === 0) drained?.();
    });
  });
  server.requestTimeout = (cfg.max_time_limit_s + 60) * 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const addr = server.address() as { port: number; address: string };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  log({ level: 'info', msg: 'listening', url: `http://${host}:${addr.port}`, targets: [...available], workers: cfg.workers });
  return {
    server,
    url: `http://${host}:${addr.port}`,
    async stop() {
      if (stopping) return;
      stopping = true;
      log({ level: 'info', msg: 'shutting down', open });
      server.close(); // no new connections; idle keep-alive ones close
      server.closeIdleConnections();
      if (open > 0) {
        await Promise.race([
          new Promise<void>((r) => { drained = r; }),
          new Promise<void>((r) => setTimeout(r, cfg.shutdown_grace_s * 1000).unref()),
        ]);
      }
      server.closeAllConnections();
      log({ level: 'info', msg: 'stopped' });
    },
  };
}
