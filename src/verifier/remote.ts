// The `remote` target family: Python code for licensed or native solvers (Gurobi, COPT, OR-Tools,
// PuLP, SciPy …) verified by one or more sandbox servers (server/). Several URLs share the load
// (least in flight first); a server that fails is rested and the request retried on another with
// backoff; 429/503 honour Retry-After. Every call ends in an Outcome, never an exception.

import { resolveConfig, type VerifierConfig } from './config.ts';
import type { Outcome, TargetRun } from './outcome.ts';
import { failedOutcome, prepare, runOf, score, type VerifyJob } from './score.ts';
import { UsageError } from '../errors.ts';

/** What /v1/run answers: an outcome plus the run's failure, which the client scores itself. */
export type ServerOutcome = Outcome & Pick<TargetRun, 'facts'> & { failure?: TargetRun['failure'] };

export interface RemoteOptions {
  /** sandbox server base URLs, e.g. ["http://10.0.0.5:8787"] */
  urls: string[];
  /** bearer token (kept by the caller; never put in URLs) */
  token: string;
  /** one HTTP attempt, ms (default: the run's time limit + 30 s) */
  attemptTimeoutMs?: number;
  /** attempts over all servers before giving up (default 4) */
  attempts?: number;
  /** first backoff, ms; doubles per attempt (default 250) */
  backoffMs?: number;
  /** how long a failing server is skipped, ms (default 5 s) */
  restMs?: number;
  fetch?: typeof fetch;
}

export interface RemoteTargetInfo { name: string; available: boolean; version?: string; reason?: string; server: string }

interface ServerState { url: string; inflight: number; restUntil: number; served: number; failures: number }

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RemoteVerifier {
  private readonly servers: ServerState[];
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly opts: RemoteOptions) {
    if (opts.urls.length === 0) throw new UsageError('no sandbox server URL given');
    this.servers = opts.urls.map((u) => ({ url: u.replace(/\/+$/, ''), inflight: 0, restUntil: 0, served: 0, failures: 0 }));
    this.fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  }

  /** Requests answered and failures per server. */
  stats(): { url: string; served: number; failures: number; inflight: number }[] {
    return this.servers.map(({ url, served, failures, inflight }) => ({ url, served, failures, inflight }));
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

  private pick(): ServerState | null {
    const t = Date.now();
    const up = this.servers.filter((s) => s.restUntil <= t);
    const pool = up.length ? up : this.servers; // all resting: try anyway
    return pool.reduce((a, b) => (b.inflight < a.inflight ? b : a), pool[0]!) ?? null;
  }

  /** Verify one completion on a remote target, extracting its code in this thread (tools and
   *  tests; the worker pool extracts in a worker and calls verifyCode). Never throws. */
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
    const attempts = this.opts.attempts ?? 4;
    const timeout = this.opts.attemptTimeoutMs ?? (cfg.solver_time_limit_s + 30) * 1000;
    let backoff = this.opts.backoffMs ?? 250;
    const problems: string[] = [];
    for (let a = 0; a < attempts; a++) {
      const s = this.pick()!;
      s.inflight++;
      let retryAfterMs = 0;
      try {
        const res = await this.fetchImpl(`${s.url}/v1/run`, {
          method: 'POST', body, signal: AbortSignal.timeout(timeout),
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.opts.token}` },
        });
        if (res.ok) {
          // The server ran the code; the class and reward come from this client's own settings.
          const o = (await res.json()) as ServerOutcome;
          s.served++;
          return score(job, cfg, code, runOf(o), started);
        }
        const text = await res.text();
        const msg = (() => { try { return (JSON.parse(text) as { error?: string }).error ?? text; } catch { return text; } })();
        if (res.status === 401 || res.status === 403) return failedOutcome(job, cfg, code, 'solver_error', `the sandbox server ${s.url} rejected the token: ${msg}`, started);
        if (res.status === 400 || res.status === 413) return failedOutcome(job, cfg, code, 'solver_error', `the sandbox server ${s.url} refused the request: ${msg}`, started);
        problems.push(`${s.url}: HTTP ${res.status} ${msg}`);
        if (res.status === 429 || res.status === 503) retryAfterMs = Number(res.headers.get('retry-after') ?? 1) * 1000;
        else { s.failures++; s.restUntil = Date.now() + (this.opts.restMs ?? 5000); }
      } catch (e) {
        const timedOut = (e as Error).name === 'TimeoutError';
        problems.push(`${s.url}: ${timedOut ? `no answer within ${timeout} ms` : (e as Error).message}`);
        s.failures++;
        s.restUntil = Date.now() + (this.opts.restMs ?? 5000);
        if (timedOut && a === attempts - 1) return failedOutcome(job, cfg, code, 'timeout', `no sandbox server answered within ${timeout} ms (${problems.join('; ')})`, started);
      } finally {
        s.inflight--;
      }
      if (a < attempts - 1) {
        await sleep(Math.max(backoff, retryAfterMs));
        backoff *= 2;
      }
    }
    return failedOutcome(job, cfg, code, 'solver_error', `no sandbox server could run the code after ${attempts} attempts: ${problems.join('; ')}`, started);
  }
}
