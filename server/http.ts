// The sandbox server's HTTP API (node:http, no framework):
//   GET  /healthz                 liveness, load and the limits a client paces itself by (no token needed)
//   GET  /v1/targets              the Python targets this server can run
//   POST /v1/run                  {target, code, answer?, question?, tolerance?, time_limit_s?, memory_mb?}
//                                 → outcome (+ the run's failure and model facts); Idempotency-Key: a
//                                 retry with the same key is answered from the first run
//   POST /v1/batch                {items: [run request, …]} → {results: [outcome | {error}, …]}
//   POST /run_code                SandboxFusion-compatible plain execution (for verl and friends)
//   POST /v1/class/runs           a student's run card under a pseudonym (class tokens only: class-store.ts)
//   GET  /v1/class/runs           the class's runs for the teacher's compare view (ETag / If-None-Match)
//   DELETE /v1/class/runs         the class's runs and pseudonyms (?pseudonym=X: one student's)
// Admission is decided when a request arrives, all or nothing: a token may have `per_token_pending`
// runs accepted (429 beyond, with Retry-After) and the server `workers + queue_size` (503 beyond);
// accepted runs then wait in line, at most `per_token_concurrency` of one token in sandboxes at once.
// A run whose client went away is stopped (after `retry_grace_s` when it has an Idempotency-Key).
// Bearer tokens compared in constant time; Host checked against an allow-list (DNS rebinding);
// connections capped in total and per address, and an idle connection that never authenticated is
// the first to go; size limits; JSON logs; CORS for configured origins; graceful shutdown that
// answers every request it accepted.

import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { readFileSync } from 'node:fs';
import { resolveConfig } from '../src/verifier/config.ts';
import { parseAnswer, type Outcome, type TargetRun } from '../src/verifier/outcome.ts';
import { score, type VerifyJob } from '../src/verifier/score.ts';
import { isToleranceRule, TOLERANCE_RULES, type ToleranceRule } from '../src/verifier/tolerance.ts';
import { isLoopback, type ServerConfig } from './config.ts';
import { ClassError, type ClassStore } from './class-store.ts';

/** One sandboxed run of model code for a target (the harness extracts status and objective). */
export interface RunRequest {
  target: string; code: string; timeLimitS: number; memoryMb: number; maxOutputBytes: number; signal?: AbortSignal;
  /** the expected answer is 'infeasible': an infeasible run's core is sought (integrity.ts, rule (c)) */
  infeasibleCore?: boolean;
}
/** One plain execution (SandboxFusion's /run_code). */
export interface RawRequest { code: string; stdin: string; timeLimitS: number; memoryMb: number; maxOutputBytes: number; signal?: AbortSignal }
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
  /** logAs: what the log says instead of the message (a class route's messages may quote what a student sent) */
  constructor(readonly status: number, message: string, readonly headers: Record<string, string> = {}, readonly logAs?: string) { super(message); }
}

/** A run stopped because nobody waits for its answer any more. */
class Cancelled extends Error {
  constructor() { super('the client went away'); }
}

/** FIFO semaphore; waiting is unbounded here (admission decides before anything waits). */
class Semaphore {
  private waiting: (() => void)[] = [];
  running = 0;
  constructor(private readonly n: number) {}
  get queued(): number { return this.waiting.length; }
  /** Resolves when held; rejects with Cancelled if `signal` aborts first (the place in line is given up). */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new Cancelled());
    if (this.running < this.n && this.waiting.length === 0) { this.running++; return Promise.resolve(); }
    return new Promise<void>((resolve, reject) => {
      const take = () => { signal?.removeEventListener('abort', leave); this.running++; resolve(); };
      const leave = () => {
        const i = this.waiting.indexOf(take);
        if (i >= 0) { this.waiting.splice(i, 1); reject(new Cancelled()); }
      };
      signal?.addEventListener('abort', leave, { once: true });
      this.waiting.push(take);
    });
  }
  release(): void {
    this.running--;
    this.waiting.shift()?.();
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

/** Max open files of this process (soft limit), from /proc/self/limits; null where unknown. */
function openFilesLimit(): number | null {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
}

/** Host header values this server answers to: the configured ones, the bound address, loopback names,
 *  and on a wildcard address this machine's addresses and hostname. Entries without a port match any port. */
function hostAllowList(cfg: ServerConfig): (host: string | undefined) => boolean {
  if (cfg.allowed_hosts.includes('*')) return () => true;
  const names = new Set<string>(['localhost', '127.0.0.1', '[::1]', ...cfg.allowed_hosts.map((h) => h.toLowerCase())]);
  const bracket = (a: string) => (a.includes(':') ? `[${a}]` : a);
  names.add(bracket(cfg.host.toLowerCase()));
  if (cfg.host === '0.0.0.0' || cfg.host === '::') {
    names.add(hostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bracket(a.address.toLowerCase()));
  }
  return (host) => {
    if (host === undefined) return true; // HTTP/1.0 without Host: no browser sends that
    const h = host.toLowerCase();
    if (names.has(h)) return true;
    const name = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(h)?.[1];
    return name !== undefined && names.has(name);
  };
}

/** Collection of a class's runs (null: off) is given by the caller: ClassStore.open(cfg, tokens). */
export async function startSandboxServer(cfg: ServerConfig, tokens: string[], runner: SandboxRunner, log: LogSink = jsonLog, classes: ClassStore | null = null): Promise<SandboxServer> {
  const tokenHashes = tokens.map(sha256);
  const classRate = new RateLimiter(cfg.class_uploads_per_minute);
  const targets = await runner.targets();
  const available = new Set(targets.filter((t) => t.available).map((t) => t.name));
  const slots = new Semaphore(cfg.workers);
  const lines = new Map<string, Semaphore>(); // per token: at most per_token_concurrency in sandboxes
  const rate = new RateLimiter(cfg.per_token_rate_per_minute);
  const pending = new Map<string, number>(); // per token: runs accepted and not answered
  let pendingTotal = 0;
  const hostAllowed = hostAllowList(cfg);
  const counters = { runs_started: 0, runs_cancelled: 0, replayed: 0, connections_refused: 0, connections_evicted: 0, connections_timed_out: 0 };
  let stopping = false;
  let open = 0; // requests accepted and not yet answered
  let drained: (() => void) | null = null;

  /** The request's bearer token, or null. */
  const bearer = (req: IncomingMessage): string | null => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;
  /** Whether `h` (a token's sha256) is a sandbox token's; compares every hash in constant time. */
  function isSandboxHash(h: Buffer): boolean {
    let ok = false;
    for (const t of tokenHashes) ok = timingSafeEqual(h, t) || ok;
    return ok;
  }

  /** The caller's token id (first 12 hex of its sha256), or throws 401. */
  function authenticate(req: IncomingMessage): string {
    if (tokenHashes.length === 0 && cfg.allow_anonymous) return 'anonymous';
    const token = bearer(req);
    if (!token) throw new HttpError(401, 'missing bearer token (Authorization: Bearer <token>)', { 'www-authenticate': 'Bearer' });
    const h = sha256(token);
    const ok = isSandboxHash(h);
    if (!ok && classes?.identify(token)) throw new HttpError(401, 'a class token is only valid on /v1/class/*: use a sandbox token here', { 'www-authenticate': 'Bearer error="invalid_token"' });
    if (!ok) throw new HttpError(401, 'token rejected', { 'www-authenticate': 'Bearer error="invalid_token"' });
    const conn = conns.get(req.socket);
    if (conn) conn.authed = true;
    return h.toString('hex').slice(0, 12);
  }

  /** Accept n runs for a token, all or nothing (429: this token has too many; 503: the server has). */
  function admit(tokenId: string, n: number): void {
    const busy = pending.get(tokenId) ?? 0;
    if (busy + n > cfg.per_token_pending) {
      // about one run time per per_token_concurrency runs ahead of it
      const wait = Math.max(1, Math.min(60, Math.ceil(((busy + n - cfg.per_token_pending) / Math.max(1, Math.min(cfg.workers, cfg.per_token_concurrency))) * 2)));
      throw new HttpError(429, `this token has ${busy} runs accepted (running or waiting); the limit is ${cfg.per_token_pending}`, { 'retry-after': String(wait) });
    }
    if (pendingTotal + n > cfg.workers + cfg.queue_size) {
      throw new HttpError(503, `the server's queue is full (${pendingTotal} runs accepted, room for ${cfg.workers + cfg.queue_size}); retry shortly`, { 'retry-after': '2' });
    }
    const wait = rate.take(tokenId, n);
    if (wait > 0) throw new HttpError(429, `rate limit of ${cfg.per_token_rate_per_minute} runs per minute reached`, { 'retry-after': String(wait) });
    pending.set(tokenId, busy + n);
    pendingTotal += n;
  }
  const done = (tokenId: string, n: number) => {
    const left = (pending.get(tokenId) ?? n) - n;
    if (left > 0) pending.set(tokenId, left); else pending.delete(tokenId);
    pendingTotal -= n;
  };

  /** Wait for the token's turn, then for a sandbox; run `body`; give both back. */
  async function inLine<T>(tokenId: string, signal: AbortSignal, body: () => Promise<T>): Promise<T> {
    let line = lines.get(tokenId);
    if (!line) lines.set(tokenId, line = new Semaphore(cfg.per_token_concurrency));
    try {
      await line.acquire(signal);
      try {
        await slots.acquire(signal);
        try {
          counters.runs_started++;
          return await body();
        } finally { slots.release(); }
      } finally { line.release(); }
    } finally {
      if (line.running === 0 && line.queued === 0) lines.delete(tokenId);
    }
  }

  /** The JSON body; 413 past `limit` bytes (nothing buffered beyond it; `tooLarge` headers, e.g. connection: close). */
  async function readBody(req: IncomingMessage, limit = cfg.max_request_bytes, tooLarge: Record<string, string> = {}): Promise<unknown> {
    const len = Number(req.headers['content-length'] ?? 0);
    if (len > limit) throw new HttpError(413, `request body of ${len} bytes exceeds ${limit}`, tooLarge, 'body too large');
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > limit) throw new HttpError(413, `request body exceeds ${limit} bytes`, tooLarge, 'body too large');
        chunks.push(c as Buffer);
      }
    } catch (e) {
      if (e instanceof HttpError) throw e;
      // the body stopped coming: the request timeout closed it, or the client went away
      throw new HttpError(408, `the request body did not arrive in time (${(e as Error).message})`, { connection: 'close' }, 'body timed out');
    }
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      throw new HttpError(400, `the body is not valid JSON (${(e as Error).message})`, {}, 'body not JSON');
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

  type JobResult = (Outcome | (Omit<Outcome, 'class' | 'correct' | 'reward' | 'reward_breakdown' | 'expected'> & { class: null; correct: null; reward: null })) & Pick<TargetRun, 'failure' | 'facts'>;

  /** Run one accepted job in its token's line and a sandbox; the outcome has class and reward when an
   *  answer was given, and always the run's `failure` (so a client can score the run under its own settings). */
  async function runJob(j: Job, tokenId: string, signal: AbortSignal): Promise<JobResult> {
    let started = 0;
    const run = await inLine(tokenId, signal, () => {
      started = performance.now();
      return runner.run({ target: j.target, code: j.code, timeLimitS: j.timeLimitS, memoryMb: j.memoryMb, maxOutputBytes: cfg.max_output_bytes, signal, infeasibleCore: j.answer === 'infeasible' });
    });
    if (signal.aborted) throw new Cancelled();
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

  /** An AbortSignal that fires when nobody waits for this response any more. */
  function goneSignal(res: ServerResponse): AbortController {
    const ac = new AbortController();
    res.on('close', () => { if (!res.writableFinished) ac.abort(); });
    return ac;
  }

  // Idempotent runs: token + Idempotency-Key → the first run's answer. A retry attaches to the run in
  // flight, or gets its answer for 10 minutes after it ended. A run whose clients all went away keeps
  // going for retry_grace_s, then stops.
  interface Keyed { bodyHash: string; result: Promise<JobResult>; waiting: number; controller: AbortController; grace: ReturnType<typeof setTimeout> | null; endedAt: number | null }
  const keyed = new Map<string, Keyed>();
  /** ids of ended runs, oldest end first: a sweep drops from the front only (amortized O(1) per request) */
  const ended: { id: string; entry: Keyed }[] = [];
  let endedHead = 0;
  const KEYED_TTL_MS = 600_000, KEYED_MAX = 10_000;
  function sweepKeyed(now: number): void {
    while (endedHead < ended.length) {
      const { id, entry } = ended[endedHead]!;
      if (keyed.size <= KEYED_MAX && now - entry.endedAt! < KEYED_TTL_MS) break;
      if (keyed.get(id) === entry) keyed.delete(id);
      endedHead++;
    }
    if (endedHead > 1024 && endedHead * 2 > ended.length) { ended.splice(0, endedHead); endedHead = 0; }
  }

  async function runOnce(req: IncomingMessage, res: ServerResponse, tokenId: string, job: Job, rawBody: string): Promise<{ result: JobResult; replay: boolean }> {
    const header = req.headers['idempotency-key'];
    const key = typeof header === 'string' && header.length > 0 ? header : null;
    if (key !== null && (key.length > 200 || !/^[\x21-\x7e]+$/.test(key))) throw new HttpError(400, 'Idempotency-Key: at most 200 printable ASCII characters without spaces');
    if (key === null) {
      admit(tokenId, 1);
      const ac = goneSignal(res);
      try { return { result: await runJob(job, tokenId, ac.signal), replay: false }; } finally { done(tokenId, 1); }
    }
    const id = `${tokenId}\u0000${key}`;
    const bodyHash = sha256(rawBody).toString('hex');
    let e = keyed.get(id);
    const replay = e !== undefined;
    if (e && e.bodyHash !== bodyHash) throw new HttpError(422, 'this Idempotency-Key was used for a different request');
    if (!e) {
      admit(tokenId, 1);
      const controller = new AbortController();
      const entry: Keyed = { bodyHash, result: null as unknown as Promise<JobResult>, waiting: 0, controller, grace: null, endedAt: null };
      entry.result = runJob(job, tokenId, controller.signal).finally(() => {
        done(tokenId, 1);
        entry.endedAt = Date.now();
        if (entry.grace) clearTimeout(entry.grace);
        // a cancelled run has no answer to give: a later retry starts afresh
        if (controller.signal.aborted) keyed.delete(id);
        else ended.push({ id, entry });
      });
      entry.result.catch(() => { /* answered to the waiting requests */ });
      keyed.set(id, e = entry);
      sweepKeyed(Date.now());
    } else counters.replayed++;
    const entry = e;
    entry.waiting++;
    if (entry.grace) { clearTimeout(entry.grace); entry.grace = null; }
    res.on('close', () => {
      if (--entry.waiting === 0 && entry.endedAt === null) {
        entry.grace = setTimeout(() => entry.controller.abort(), cfg.retry_grace_s * 1000);
        entry.grace.unref?.();
      }
    });
    return { result: await entry.result, replay };
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
      res.setHeader('access-control-expose-headers', 'retry-after, etag');
    }
  }

  /** What a client paces itself by (src/verifier/remote.ts). */
  const limits = {
    workers: cfg.workers, per_token_concurrency: cfg.per_token_concurrency, per_token_pending: cfg.per_token_pending,
    per_token_rate_per_minute: cfg.per_token_rate_per_minute, queue_size: cfg.queue_size, max_batch: cfg.max_batch,
    max_code_bytes: cfg.max_code_bytes, max_request_bytes: cfg.max_request_bytes, max_time_limit_s: cfg.max_time_limit_s,
  };

  /** The class routes (/v1/class/runs): class tokens only; `extra` gets what the log may say (class id, counts, bytes). */
  async function handleClass(req: IncomingMessage, res: ServerResponse, url: string, extra: Record<string, unknown>): Promise<number> {
    if (!classes) throw new HttpError(404, 'this server does not collect class runs (classes_file is not set)', {}, 'collection off');
    if (url !== '/v1/class/runs') throw new HttpError(404, `no route ${req.method} ${url}`, {}, 'no route');
    if (!['GET', 'POST', 'DELETE'].includes(req.method ?? '')) throw new HttpError(405, `no route ${req.method} ${url}`, { allow: 'GET, POST, DELETE, OPTIONS' }, 'no route');
    const token = bearer(req);
    if (!token) throw new HttpError(401, 'missing bearer token (Authorization: Bearer <the class\'s student or teacher token>)', { 'www-authenticate': 'Bearer' }, 'no token');
    const who = classes.identify(token);
    if (!who) {
      const sandbox = isSandboxHash(sha256(token));
      throw new HttpError(401, sandbox ? 'a sandbox token is not valid on /v1/class/*: use the class\'s student or teacher token' : 'token rejected', { 'www-authenticate': 'Bearer error="invalid_token"' }, sandbox ? 'sandbox token' : 'token rejected');
    }
    const conn = conns.get(req.socket);
    if (conn) conn.authed = true;
    extra.class_id = who.id;
    extra.role = who.role;
    try {
      if (req.method === 'POST') {
        const wait = classRate.take(`class\u0000${who.id}`, 1);
        if (wait > 0) throw new HttpError(429, `this class's upload rate of ${cfg.class_uploads_per_minute} per minute is reached: retry in ${wait} s`, { 'retry-after': String(wait) }, 'rate limit');
        const body = await readBody(req, cfg.class_max_upload_bytes, { connection: 'close' });
        const r = await classes.upload(who.id, body);
        Object.assign(extra, { runs_used: r.runs_used, bytes_used: r.bytes_used, ...(r.key ? { claimed: true } : {}) });
        send(res, 200, r);
        return 200;
      }
      if (req.method === 'GET') {
        if (who.role !== 'teacher') throw new HttpError(403, 'listing a class needs its teacher token', {}, 'student token');
        const { revision, text } = classes.list(who.id);
        const etag = `"${revision}"`;
        const inm = req.headers['if-none-match'];
        const headers = { etag, 'cache-control': 'no-cache' };
        Object.assign(extra, classes.usage(who.id));
        if (inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
          res.writeHead(304, headers);
          res.end();
          return 304;
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
        res.end(text);
        return 200;
      }
      // DELETE
      if (who.role !== 'teacher') throw new HttpError(403, 'deleting a class\'s runs needs its teacher token', {}, 'student token');
      const pseudonym = new URL(req.url ?? '/', 'http://x').searchParams.get('pseudonym');
      const deleted = await classes.remove(who.id, pseudonym ?? undefined);
      Object.assign(extra, { deleted, one_student: pseudonym !== null, ...classes.usage(who.id) });
      send(res, 200, { class: who.id, deleted });
      return 200;
    } catch (e) {
      if (e instanceof ClassError) throw new HttpError(e.status, e.message, e.headers, e.logAs);
      throw e;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse, extra: Record<string, unknown>): Promise<{ status: number; extra: Record<string, unknown> }> {
    const url = (req.url ?? '/').split('?')[0]!;
    if (!hostAllowed(req.headers.host)) {
      throw new HttpError(403, `Host "${String(req.headers.host).slice(0, 100)}" is not served here (add it to allowed_hosts if it names this server)`);
    }
    cors(req, res);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, { 'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS', 'access-control-allow-headers': 'authorization, content-type, idempotency-key, if-none-match', 'access-control-max-age': '600' });
      res.end();
      return { status: 204, extra: {} };
    }
    if (url === '/healthz' && req.method === 'GET') {
      send(res, 200, {
        ok: !stopping, running: slots.running, queued: pendingTotal - slots.running, workers: cfg.workers, limits,
        connections: { open: conns.size, max: maxConnections, refused: counters.connections_refused, evicted: counters.connections_evicted, timed_out: counters.connections_timed_out },
        runs: { started: counters.runs_started, cancelled: counters.runs_cancelled, replayed: counters.replayed },
        classes: classes !== null,
      });
      return { status: 200, extra: {} };
    }
    if (stopping) throw new HttpError(503, 'the server is shutting down', { connection: 'close', 'retry-after': '5' });
    if (url === '/v1/class' || url.startsWith('/v1/class/')) return { status: await handleClass(req, res, url, extra), extra };
    const route = `${req.method} ${url}`;
    if (!['GET /v1/targets', 'POST /v1/run', 'POST /v1/batch', 'POST /run_code'].includes(route)) {
      throw new HttpError(url.startsWith('/v1/') || url === '/run_code' ? 405 : 404, `no route ${route}`);
    }
    const tokenId = route === 'POST /run_code' && cfg.anonymous_run_code && !req.headers.authorization ? 'run_code' : authenticate(req);
    if (route === 'GET /v1/targets') {
      send(res, 200, { targets, limits });
      return { status: 200, extra: { token: tokenId } };
    }
    const body = await readBody(req);
    if (route === 'POST /v1/run') {
      const job = parseJob(body, 'request');
      const { result: o, replay } = await runOnce(req, res, tokenId, job, JSON.stringify(body));
      send(res, 200, o);
      return { status: 200, extra: { token: tokenId, target: job.target, class: o.class, solve_ms: Math.round(o.solve_ms), ...(replay ? { replay: true } : {}) } };
    }
    if (route === 'POST /v1/batch') {
      const items = (body as { items?: unknown })?.items;
      if (!Array.isArray(items) || items.length === 0) throw new HttpError(400, 'request: "items" must be a non-empty array of run requests');
      if (items.length > cfg.max_batch) throw new HttpError(413, `batch of ${items.length} items exceeds ${cfg.max_batch}`);
      // Invalid items are answered in place; valid ones are accepted as a whole, then wait in the token's line.
      const parsed = items.map((it, i) => { try { return parseJob(it, `items[${i}]`); } catch (e) { return e as HttpError; } });
      const n = parsed.filter((p) => !(p instanceof HttpError)).length;
      admit(tokenId, n);
      const ac = goneSignal(res);
      try {
        const itemError = (e: unknown) => {
          if (e instanceof Cancelled) throw e;
          return e instanceof HttpError ? { error: e.message, status: e.status } : { error: `internal error: ${String((e as Error)?.message ?? e)}`, status: 500 };
        };
        const results = await Promise.all(parsed.map((p) => (p instanceof HttpError ? itemError(p) : runJob(p, tokenId, ac.signal).catch(itemError))));
        send(res, 200, { results });
        return { status: 200, extra: { token: tokenId, items: items.length } };
      } finally { done(tokenId, n); }
    }
    // POST /run_code (SandboxFusion): {code, language, run_timeout?, memory_limit_MB?, stdin?}
    const b = body as Record<string, unknown>;
    if (typeof b?.code !== 'string') throw new HttpError(400, 'request: "code" must be a string');
    if (Buffer.byteLength(b.code) > cfg.max_code_bytes) throw new HttpError(413, `request: code exceeds ${cfg.max_code_bytes} bytes`);
    if (b.language !== undefined && b.language !== 'python' && b.language !== 'python3') {
      send(res, 200, { status: 'SandboxError', message: `language "${String(b.language)}" is not supported by this server (python only)`, compile_result: null, run_result: null, files: {} });
      return { status: 200, extra: { token: tokenId, language: b.language } };
    }
    const timeLimitS = Math.min(typeof b.run_timeout === 'number' && b.run_timeout > 0 ? b.run_timeout : cfg.default_time_limit_s, cfg.max_time_limit_s);
    const memoryMb = Math.min(typeof b.memory_limit_MB === 'number' && b.memory_limit_MB > 0 ? b.memory_limit_MB : cfg.default_memory_mb, cfg.max_memory_mb);
    admit(tokenId, 1);
    const ac = goneSignal(res);
    try {
      const code = b.code;
      const r: RawResult = await inLine(tokenId, ac.signal, () => runner.runRaw({ code, stdin: typeof b.stdin === 'string' ? b.stdin : '', timeLimitS, memoryMb, maxOutputBytes: cfg.max_output_bytes, signal: ac.signal }));
      if (ac.signal.aborted) throw new Cancelled();
      const runStatus = r.timedOut ? 'TimeLimitExceeded' : r.exitCode === 0 ? 'Finished' : 'Error';
      send(res, 200, {
        status: runStatus === 'Finished' ? 'Success' : 'Failed', message: '', compile_result: null,
        run_result: { status: runStatus, execution_time: r.wallMs / 1000, return_code: r.exitCode, stdout: r.stdout, stderr: r.stderr },
        executor_pod_name: null, files: {},
      });
      return { status: 200, extra: { token: tokenId, run_status: runStatus } };
    } finally { done(tokenId, 1); }
  }

  // Connections: at most maxConnections in all (kept under the open-files limit with a reserve for the
  // sandboxes' pipes and the files a run needs) and max_connections_per_address from one address. A
  // connection over either cap first evicts, oldest first, one that never sent a byte, else one that
  // is sending a request too slowly (an idle or trickling attacker); a connection that authenticated,
  // was answered (a health check kept alive) or has a request in progress is never evicted. Only when
  // there is nothing to evict is the new connection refused.
  interface Conn { addr: string; authed: boolean; served: boolean; active: number }
  const conns = new Map<Socket, Conn>();
  const perAddress = new Map<string, number>();
  const nofile = openFilesLimit();
  const reserve = 64 + 16 * cfg.workers;
  const maxConnections = Math.max(1, nofile === null ? cfg.max_connections : Math.min(cfg.max_connections, nofile - reserve));
  if (nofile !== null && nofile - reserve < cfg.max_connections) {
    log({ level: 'warn', msg: `max_connections lowered to ${maxConnections}: the open-files limit is ${nofile} and ${reserve} are kept for the sandboxes (raise it with ulimit -n)` });
  }
  function evictIdle(addr: string | null): boolean {
    for (const silentOnly of [true, false]) {
      for (const [sock, c] of conns) { // oldest first
        if (c.authed || c.served || c.active > 0 || (addr !== null && c.addr !== addr)) continue;
        if (silentOnly && sock.bytesRead > 0) continue;
        sock.destroy();
        forget(sock);
        counters.connections_evicted++;
        return true;
      }
    }
    return false;
  }
  function forget(sock: Socket): void {
    const c = conns.get(sock);
    if (!c) return;
    conns.delete(sock);
    const n = (perAddress.get(c.addr) ?? 1) - 1;
    if (n > 0) perAddress.set(c.addr, n); else perAddress.delete(c.addr);
  }

  const server = createServer({ connectionsCheckingInterval: 1000, headersTimeout: cfg.headers_timeout_s * 1000, requestTimeout: cfg.request_timeout_s * 1000 }, (req, res) => {
    const id = randomUUID().slice(0, 8);
    const t0 = performance.now();
    const conn = conns.get(req.socket);
    if (conn) {
      conn.active++;
      res.on('close', () => { conn.active--; });
      res.on('finish', () => { conn.served = true; });
    }
    open++;
    // a class route's log line names the class, never a pseudonym (not even the query's) nor a card's contents
    const classRoute = /^\/v1\/class(\/|\?|$)/.test(req.url ?? '');
    const path = classRoute ? req.url!.split('?')[0] : req.url;
    const logExtra: Record<string, unknown> = {}; // what a class route may log of a refused request
    handle(req, res, logExtra).then(
      ({ status, extra }) => log({ level: 'info', msg: 'request', id, method: req.method, path, status, ms: Math.round(performance.now() - t0), ...extra }),
      (e) => {
        if (e instanceof Cancelled && !res.destroyed && !res.headersSent) {
          // a retry that joined a run just as it was stopped: it may try again
          send(res, 503, { error: 'the run was stopped as its first client went away; retry' }, { 'retry-after': '1' });
          log({ level: 'info', msg: 'request', id, method: req.method, path, status: 503, error: 'joined a stopped run', ms: Math.round(performance.now() - t0) });
          return;
        }
        if (e instanceof Cancelled) {
          counters.runs_cancelled++;
          log({ level: 'info', msg: 'request', id, method: req.method, path, status: 499, error: 'the client went away; its run was stopped', ms: Math.round(performance.now() - t0) });
          return;
        }
        const he = e instanceof HttpError ? e : new HttpError(500, `internal error: ${(e as Error)?.message ?? String(e)}`);
        if (!res.headersSent && !res.destroyed) send(res, he.status, { error: he.message }, he.headers);
        else res.end();
        const level = he.status >= 500 ? 'error' : he.status === 408 ? 'info' : 'warn';
        const error = classRoute ? he.logAs ?? (he.status >= 500 ? he.message : 'refused') : he.message;
        log({ level, msg: 'request', id, method: req.method, path, status: he.status, error, ms: Math.round(performance.now() - t0), ...logExtra });
      },
    ).finally(() => {
      open--;
      if (open === 0) drained?.();
    });
  });
  server.on('connection', (sock: Socket) => {
    const addr = sock.remoteAddress ?? '?';
    if ((perAddress.get(addr) ?? 0) >= cfg.max_connections_per_address && !evictIdle(addr)) { counters.connections_refused++; sock.destroy(); return; }
    if (conns.size >= maxConnections && !evictIdle(null)) { counters.connections_refused++; sock.destroy(); return; }
    conns.set(sock, { addr, authed: false, served: false, active: 0 });
    perAddress.set(addr, (perAddress.get(addr) ?? 0) + 1);
    sock.once('close', () => forget(sock));
  });
  // An idle or trickling connection past headers_timeout_s: 408, closed, counted (not a log line each:
  // a flood of them would flood the log); summed up in one info line at most every 10 s.
  let lastTimeoutLog = 0, unloggedTimeouts = 0;
  server.on('clientError', (err: NodeJS.ErrnoException, sock: Socket) => {
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (sock.writable && !sock.destroyed) {
      sock.end(timedOut ? 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n' : 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      setTimeout(() => sock.destroy(), 1000).unref();
    } else sock.destroy();
    if (!timedOut) return;
    counters.connections_timed_out++;
    unloggedTimeouts++;
    const now = Date.now();
    if (now - lastTimeoutLog >= 10_000) {
      log({ level: 'info', msg: 'idle connections closed', status: 408, count: unloggedTimeouts, headers_timeout_s: cfg.headers_timeout_s });
      lastTimeoutLog = now;
      unloggedTimeouts = 0;
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(cfg.port, cfg.host, () => resolve());
  });
  const addr = server.address() as { port: number; address: string };
  const host = addr.address.includes(':') ? `[${addr.address}]` : addr.address;
  log({ level: 'info', msg: 'listening', url: `http://${host}:${addr.port}`, targets: [...available], workers: cfg.workers, loopback: isLoopback(cfg.host), classes: classes?.classIds.length ?? 0 });
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
      for (const e of keyed.values()) if (e.grace) clearTimeout(e.grace);
      server.closeAllConnections();
      log({ level: 'info', msg: 'stopped' });
    },
  };
}
