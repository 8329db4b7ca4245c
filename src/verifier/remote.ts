// The `remote` target family: Python code for licensed or native solvers (Gurobi, COPT, OR-Tools,
// PuLP, SciPy …) verified by one or more sandbox servers (server/). The client paces itself to what
// each server advertises (GET /healthz → limits): at most `window` requests in flight per server, the
// rest wait here, in order. Several URLs share the load (most room first); 429/503 honour Retry-After
// with backoff and never use up a job's attempts; a server that fails is rested and the job retried on
// another with the same idempotency key, so a retry is answered from the first run. Every call ends in
// an Outcome, never an exception; a job that could not run at all is `not_evaluated`, never a verdict.

import { resolveConfig, type VerifierConfig } from './config.ts';
import type { Outcome, TargetRun } from './outcome.ts';
import { notEvaluatedOutcome, prepare, runOf, score, type VerifyJob } from './score.ts';
import { UsageError } from '../errors.ts';

/** What /v1/run answers: an outcome plus the run's failure, which the client scores itself. */
export type ServerOutcome = Outcome & Pick<TargetRun, 'facts'> & { failure?: TargetRun['failure'] };

/** What a server advertises in GET /healthz (server/http.ts). */
export interface ServerLimits {
  workers: number;
  /** runs of one token in sandboxes at once; more wait in the server's line */
  per_token_concurrency: number;
  /** runs of one token accepted at once (running + waiting); beyond: 429 */
  per_token_pending: number;
  max_batch: number;
  max_code_bytes: number;
  max_time_limit_s: number;
}

export interface RemoteOptions {
  /** sandbox server base URLs, e.g. ["http://10.0.0.5:8787"] */
  urls: string[];
  /** bearer token (kept by the caller; never put in URLs) */
  token: string;
  /** one HTTP attempt, ms (default: the run's time limit + 5 s for each run ahead of it in the server's line, + 30 s) */
  attemptTimeoutMs?: number;
  /** failed attempts (network, timeouts, 5xx) over all servers before a job is not evaluated (default 4);
   *  429 and 503 answers do not count */
  attempts?: number;
  /** first backoff, ms; doubles per retry up to 30 s (default 250) */
  backoffMs?: number;
  /** how long a failing server is skipped, ms (default 5 s) */
  restMs?: number;
  /** how long a job may wait on servers that answer 429/503 before it is not evaluated, ms (default 10 min) */
  patienceMs?: number;
  /** requests in flight per server (default: from the server's limits, min(per_token_concurrency, 2 × workers); 4 if it does not say) */
  window?: number;
  fetch?: typeof fetch;
}

export interface RemoteTargetInfo { name: string; available: boolean; version?: string; reason?: string; server: string }

interface ServerState {
  url: string;
  inflight: number;
  /** requests in flight allowed now (halved on a 429, back up by one per answer, up to `advertised`) */
  window: number;
  advertised: number;
  workers: number;
  restUntil: number;
  served: number;
  failures: number;
  /** 429/503 answers */
  busy: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** 128 random bits as hex (crypto.randomUUID is missing on pages served over plain http). */
const idempotencyKey = () => Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
const DEFAULT_WINDOW = 4;

export class RemoteVerifier {
  private readonly servers: ServerState[];
  private readonly fetchImpl: typeof fetch;
  private limits: Promise<void> | null = null;
  /** jobs waiting for room on a server, in order */
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: RemoteOptions) {
    if (opts.urls.length === 0) throw new UsageError('no sandbox server URL given');
    const w = opts.window ?? DEFAULT_WINDOW;
    this.servers = opts.urls.map((u) => ({ url: u.replace(/\/+$/, ''), inflight: 0, window: w, advertised: w, workers: 1, restUntil: 0, served: 0, failures: 0, busy: 0 }));
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Requests answered, failures, 429/503 answers, in flight and the window, per server. */
  stats(): { url: string; served: number; failures: number; busy: number; inflight: number; window: number }[] {
    return this.servers.map(({ url, served, failures, busy, inflight, window }) => ({ url, served, failures, busy, inflight, window }));
  }

  /** Targets of every reachable server (a target is available when any server has it). */
  async targets(): Promise<RemoteTargetInfo[]> {
    const all: RemoteTargetInfo[] = [];
    await Promise.all(this.servers.map(async (s) => {
      try {
        const res = await this.fetchImpl(`${s.url}/v1/targets`, { headers: { authorization: `Bearer ${this.opts.token}` }, signal: AbortSignal.timeout(10_000) });
        if (res.status === 401) throw new Error('token rejected');
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        for (const t of ((await res.json()) as { targets: Omit<RemoteTargetInfo, 'server'>[] }).targets) all.push({ ...t, server: s.url });
      } catch (e) {
        all.push({ name: '*', available: false, reason: `${s.url}: ${(e as Error).message}`, server: s.url });
      }
    }));
    return all;
  }

  /** Read each server's advertised limits once (GET /healthz); a server that does not answer keeps the default window. */
  private learnLimits(): Promise<void> {
    this.limits ??= Promise.all(this.servers.map(async (s) => {
      try {
        const res = await this.fetchImpl(`${s.url}/healthz`, { signal: AbortSignal.timeout(10_000) });
        const l = ((await res.json()) as { limits?: Partial<ServerLimits> }).limits;
        if (l && typeof l.per_token_concurrency === 'number' && typeof l.workers === 'number') {
          s.workers = Math.max(1, l.workers);
          if (this.opts.window === undefined) s.advertised = s.window = Math.max(1, Math.min(l.per_token_concurrency, 2 * s.workers));
        }
      } catch { /* unreachable now: the first request finds out */ }
    })).then(() => undefined);
    return this.limits;
  }

  /** A server with room (not resting first, most room first), else wait for one. */
  private async acquire(): Promise<ServerState> {
    await this.learnLimits();
    for (;;) {
      const t = Date.now();
      const room = this.servers.filter((s) => s.inflight < s.window);
      const up = room.filter((s) => s.restUntil <= t);
      const pool = up.length ? up : this.servers.every((s) => s.restUntil > t) ? room : [];
      if (pool.length) {
        const s = pool.reduce((a, b) => (b.window - b.inflight > a.window - a.inflight ? b : a));
        s.inflight++;
        return s;
      }
      await new Promise<void>((r) => {
        this.waiting.push(r);
        // a resting server becomes usable again without any release
        setTimeout(() => { const i = this.waiting.indexOf(r); if (i >= 0) { this.waiting.splice(i, 1); r(); } }, 1000);
      });
    }
  }

  private release(s: ServerState): void {
    s.inflight--;
    this.waiting.shift()?.();
  }

  /** Verify one completion, extracting its code in this thread. For tools and tests only: the worker
   *  pool extracts in a worker and calls verifyCode, so no page or pool thread parses completions. */
  async verify(job: VerifyJob): Promise<Outcome> {
    const started = performance.now();
    const cfg: VerifierConfig = resolveConfig(job.config);
    const p = prepare(job, cfg);
    if (!p.ok) return score(job, cfg, p.code, p.run, started, p.messages);
    return this.verifyCode(job, cfg, p.code, started);
  }

  /** Run extracted code on a sandbox server and score the run under this client's settings. Never throws. */
  async verifyCode(job: VerifyJob, cfg: VerifierConfig, code: string, started: number): Promise<Outcome> {
    const body = JSON.stringify({
      target: job.target, code, answer: job.answer, tolerance: cfg.tolerance, ...(job.question !== undefined ? { question: job.question } : {}),
      time_limit_s: cfg.solver_time_limit_s, memory_mb: cfg.memory_limit_mb,
    });
    // the same key on every attempt: a server that already has this job answers from its first run
    const key = idempotencyKey();
    const attempts = this.opts.attempts ?? 4;
    const deadline = Date.now() + (this.opts.patienceMs ?? 600_000);
    let backoff = this.opts.backoffMs ?? 250;
    let failures = 0;
    const problems: string[] = [];
    const notRun = (why: string) => notEvaluatedOutcome(job, cfg, code, why, started);
    for (;;) {
      const s = await this.acquire();
      const timeout = this.opts.attemptTimeoutMs ?? ((cfg.solver_time_limit_s + 5) * Math.ceil(s.window / s.workers) + 30) * 1000;
      let waitMs = 0;
      try {
        const res = await this.fetchImpl(`${s.url}/v1/run`, {
          method: 'POST', body, signal: AbortSignal.timeout(timeout),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}`, 'idempotency-key': key },
        });
        if (res.ok) {
          // The server ran the code; the class and reward come from this client's own settings.
          const o = (await res.json()) as ServerOutcome;
          s.served++;
          s.window = Math.min(s.advertised, s.window + 1);
          return score(job, cfg, code, runOf(o), started);
        }
        const text = await res.text();
        const msg = (() => { try { return (JSON.parse(text) as { error?: string }).error ?? text; } catch { return text; } })();
        if (res.status === 401 || res.status === 403) return notRun(`the sandbox server ${s.url} rejected the token: ${msg}`);
        if (res.status === 400 || res.status === 413) return notRun(`the sandbox server ${s.url} refused the request: ${msg}`);
        problems.push(`${s.url}: HTTP ${res.status} ${msg}`);
        if (res.status === 429 || res.status === 503) {
          // busy, not broken: wait as told, send less at once, and keep the attempts for real failures
          s.busy++;
          if (res.status === 429) s.window = Math.max(1, Math.floor(s.window / 2));
          waitMs = Math.max(backoff, Number(res.headers.get('retry-after') ?? 1) * 1000);
        } else {
          failures++;
          s.failures++;
          s.restUntil = Date.now() + (this.opts.restMs ?? 5000);
          waitMs = backoff;
        }
      } catch (e) {
        const timedOut = (e as Error).name === 'TimeoutError';
        problems.push(`${s.url}: ${timedOut ? `no answer within ${timeout} ms` : (e as Error).message}`);
        failures++;
        s.failures++;
        s.restUntil = Date.now() + (this.opts.restMs ?? 5000);
        waitMs = backoff;
      } finally {
        this.release(s);
      }
      if (failures >= attempts) return notRun(`no sandbox server could run the code after ${attempts} failed attempts: ${problems.slice(-attempts).join('; ')}`);
      if (Date.now() + waitMs > deadline) return notRun(`the sandbox servers stayed busy for ${Math.round((this.opts.patienceMs ?? 600_000) / 1000)} s: ${problems.slice(-3).join('; ')}`);
      await sleep(waitMs);
      backoff = Math.min(30_000, backoff * 2);
    }
  }
}
