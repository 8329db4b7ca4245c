// A pool of verifier workers (Web Workers in browsers, worker_threads in Node) behind comlink.
// Guarantees: every submitted job gets exactly one outcome; a job past its wall-clock limit is
// stopped by terminating its worker (a fresh one takes its place); a crashed worker fails only
// its own job; queued jobs are never lost; no call hangs and no call rejects.

import type { Remote } from 'comlink';
import { runsRemotely, targetModule } from '../targets/registry.ts';
import { resolveConfig, type VerifierConfig } from './config.ts';
import { failedRun, type Outcome, type OutcomeClass, type TargetRun } from './outcome.ts';
import type { RemoteVerifier } from './remote.ts';
import { failedOutcome, notEvaluatedOutcome, score, type VerifyJob } from './score.ts';
import type { VerifierApi } from './worker-api.ts';

/** A started worker: its comlink proxy, a way to kill it, and a way to hear that it died. */
export interface WorkerHandle {
  api: Remote<VerifierApi>;
  terminate(): void;
  /** called at most once, when the worker dies on its own (crash, out of memory, exit) */
  onDeath(cb: (reason: string) => void): void;
}
export type SpawnWorker = () => WorkerHandle;

/** Tells the pool once that a worker died, unless the pool killed it itself. */
export function deathWatch(): { die(reason: string): void; killed(): void; onDeath(cb: (reason: string) => void): void } {
  let cb: ((reason: string) => void) | null = null;
  let over = false;
  return {
    die(reason) {
      if (over) return;
      over = true;
      cb?.(reason);
    },
    killed() { over = true; },
    onDeath(f) { cb = f; },
  };
}

export interface PoolOptions {
  /** number of workers; default: the number of cores */
  size?: number;
  /** verifier settings applied to every job (a job's own config wins) */
  config?: Partial<VerifierConfig>;
  /** warm each worker (load and compile the solvers) as it starts */
  warm?: boolean;
  /** sandbox servers for targets that do not run in the browser (Python: pulp, scipy, gurobi, …) */
  remote?: RemoteVerifier;
}

export interface PoolStats {
  size: number;
  submitted: number;
  completed: number;
  queued: number;
  running: number;
  timeouts: number;
  crashes: number;
  respawns: number;
  by_class: Partial<Record<OutcomeClass, number>>;
}

interface Pending {
  job: VerifyJob;
  resolve: (o: Outcome) => void;
  submitted: number;
  /** receives the target's run before it is scored (runCode) */
  keepRun?: (run: TargetRun) => void;
}

interface Slot {
  handle: WorkerHandle | null;
  job: Pending | null;
  /** settles the running job when its worker dies or its deadline passes */
  abort: ((reason: 'timeout' | 'crash', detail: string) => void) | null;
}

export class VerifierPool {
  private readonly queue: Pending[] = [];
  private readonly slots: Slot[];
  private readonly config: Partial<VerifierConfig>;
  private closed = false;
  private idleWaiters: (() => void)[] = [];
  private counters = { submitted: 0, completed: 0, timeouts: 0, crashes: 0, respawns: 0 };
  private byClass: Partial<Record<OutcomeClass, number>> = {};

  constructor(private readonly spawn: SpawnWorker, private readonly opts: PoolOptions = {}) {
    const size = Math.max(1, Math.floor(opts.size ?? 1));
    this.config = opts.config ?? {};
    this.slots = Array.from({ length: size }, () => ({ handle: null, job: null, abort: null }));
  }

  get size(): number {
    return this.slots.length;
  }

  /** Set or clear the sandbox servers used for remote (Python) targets. */
  useRemote(remote: RemoteVerifier | undefined): void {
    this.opts.remote = remote;
  }

  /** Verify one completion. Never rejects. Extraction, checks and solves run in a worker (the
   *  extraction of a sandbox target's job too: then the code goes to a sandbox server). */
  verify(job: VerifyJob): Promise<Outcome> {
    const started = performance.now();
    const merged: VerifyJob = { ...job, config: { ...this.config, ...(job.config ?? {}) } };
    const cfg = resolveConfig(merged.config);
    this.counters.submitted++;
    if (!this.closed && targetModule(job.target)?.runs !== 'worker' && !this.opts.remote) {
      // Sandbox targets go to the sandbox servers; the workers are for the wasm solvers.
      return Promise.resolve(this.count(notEvaluatedOutcome(merged, cfg, '', `target "${job.target}" does not run in the browser and no sandbox server is configured`, started)));
    }
    return this.enqueue(merged, started);
  }

  /** Queue a job for the workers (or answer it not_evaluated when the pool is closed). */
  private enqueue(job: VerifyJob, started: number, keepRun?: (run: TargetRun) => void): Promise<Outcome> {
    if (this.closed) return Promise.resolve(this.count(notEvaluatedOutcome(job, resolveConfig(job.config), job.raw_code ? job.completion : '', 'the verifier pool is closed', started)));
    return new Promise((resolve) => {
      this.queue.push({ job, resolve, submitted: started, ...(keepRun ? { keepRun } : {}) });
      this.pump();
    });
  }

  /**
   * Run extracted code on an in-browser target and return the target's run, not scored: the sandbox
   * server's path (it scores the run itself, and its clients score it again under their settings).
   * The same queue, workers, limits and failure handling as verify(). Never rejects.
   */
  async runCode(job: { code: string; target: string; config?: Partial<VerifierConfig>; infeasibleCore?: boolean }): Promise<TargetRun> {
    if (targetModule(job.target)?.runs !== 'worker') {
      return failedRun('solver_error', [{ severity: 'error', source: 'pool', text: `target "${job.target}" is not an in-browser target` }]);
    }
    let kept: TargetRun | null = null;
    const started = performance.now();
    // the worker scores the run as it scores any job; that score is not used. The expected answer
    // only decides whether an infeasible run's core is sought (runCode in verify.ts)
    const merged: VerifyJob = { completion: job.code, raw_code: true, target: job.target, answer: job.infeasibleCore ? 'infeasible' : 0, config: { ...this.config, ...(job.config ?? {}) } };
    this.counters.submitted++;
    const o = await this.enqueue(merged, started, (run) => { kept = run; });
    if (kept) return kept;
    // the run never reported (a timeout, a crash, a refused size): its outcome says what happened
    const failure = (['parse_error', 'runtime_error', 'solver_error', 'timeout', 'no_model'] as const).find((f) => f === o.class) ?? 'solver_error';
    return { failure, status: o.status, objective: null, variables: {}, messages: o.messages, log: o.log, solve_ms: o.solve_ms };
  }

  /** Verify many jobs; outcomes come back in input order. */
  async verifyAll(jobs: VerifyJob[], onOutcome?: (o: Outcome, index: number) => void): Promise<Outcome[]> {
    return Promise.all(jobs.map((j, i) => this.verify(j).then((o) => { onOutcome?.(o, i); return o; })));
  }

  /** Start every worker and load its solvers. */
  async warm(): Promise<void> {
    await Promise.all(this.slots.map((s) => this.ensureWorker(s).api.warm().catch(() => undefined)));
  }

  stats(): PoolStats {
    return {
      size: this.slots.length, ...this.counters,
      queued: this.queue.length, running: this.slots.filter((s) => s.job).length,
      by_class: { ...this.byClass },
    };
  }

  /** Resolves when no job is queued or running. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && this.slots.every((s) => !s.job)) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Finish queued and running jobs, then stop every worker. `dropQueued`: queued jobs are answered
   * not_evaluated at once (a cancelled evaluation: nobody reads them); only the running ones finish.
   */
  async close(o: { dropQueued?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (o.dropQueued) {
      for (const p of this.queue.splice(0)) {
        p.resolve(this.count(notEvaluatedOutcome(p.job, resolveConfig(p.job.config), p.job.raw_code ? p.job.completion : '', 'the verifier pool was closed before this job ran', p.submitted)));
      }
      this.pump();
    }
    await this.idle();
    for (const s of this.slots) {
      s.handle?.terminate();
      s.handle = null;
    }
  }

  private ensureWorker(slot: Slot): WorkerHandle {
    if (slot.handle) return slot.handle;
    const handle = this.spawn();
    slot.handle = handle;
    handle.onDeath((reason) => {
      if (slot.handle !== handle) return; // already replaced
      slot.handle = null;
      this.counters.crashes++;
      slot.abort?.('crash', reason);
    });
    if (this.opts.warm) handle.api.warm().catch(() => undefined);
    return handle;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) break;
      if (slot.job) continue;
      this.run(slot, this.queue.shift()!);
    }
    if (this.queue.length === 0 && this.slots.every((s) => !s.job)) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      waiters.forEach((w) => w());
    }
  }

  private run(slot: Slot, pending: Pending): void {
    slot.job = pending;
    const { job } = pending;
    const cfg = resolveConfig(job.config);
    const started = performance.now();
    const remote = runsRemotely(job.target, this.opts.remote !== undefined) ? this.opts.remote : undefined;
    /** the extracted code, once the worker has prepared the job */
    let code = '';
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const release = () => {
      if (timer !== undefined) clearTimeout(timer);
      slot.job = null;
      slot.abort = null;
      this.pump();
    };
    const finish = (o: Outcome) => {
      if (settled) return;
      settled = true;
      release();
      pending.resolve(this.count(o));
    };
    slot.abort = (reason, detail) => {
      // The worker is dead or about to be killed; a fresh one is spawned for the next job.
      if (reason === 'timeout') {
        this.counters.timeouts++;
        const h = slot.handle;
        slot.handle = null;
        h?.terminate();
        finish(failedOutcome(job, cfg, code, 'timeout', `stopped after the ${cfg.wall_limit_ms} ms wall-clock limit`, started));
      } else {
        finish(failedOutcome(job, cfg, code, 'solver_error', `the verifier worker died: ${detail}`, started));
      }
      this.counters.respawns++;
    };
    let handle: WorkerHandle;
    try {
      handle = this.ensureWorker(slot);
    } catch (e) {
      finish(failedOutcome(job, cfg, code, 'solver_error', `could not start a verifier worker: ${String(e)}`, started));
      return;
    }
    const failed = (e: unknown) => {
      if (settled) return;
      // A rejected call (e.g. a value that cannot cross the boundary) fails this job only;
      // the worker itself may be unusable, so replace it.
      slot.handle = null;
      handle.terminate();
      this.counters.respawns++;
      finish(failedOutcome(job, cfg, code, 'solver_error', `the verifier call failed: ${String((e as Error)?.message ?? e).slice(0, 300)}`, started));
    };
    // a target that starts an interpreter first (pulp) may wait for it beyond the code's wall clock
    timer = setTimeout(() => slot.abort?.('timeout', ''), cfg.wall_limit_ms + (targetModule(job.target)?.startAllowanceMs ?? 0));
    handle.api.prepare(job).then((p) => {
      if (settled) return;
      if (!p.ok) return finish(score(job, cfg, p.code, p.run, started, p.messages));
      code = p.code;
      if (remote) {
        // the worker's part is done; the sandbox server runs the code (with its own limits)
        settled = true;
        release();
        void remote.verifyCode(job, cfg, code, started).then((o) => pending.resolve(this.count(o)));
        return;
      }
      return handle.api.run({ code, target: job.target, config: job.config, infeasibleCore: job.answer === 'infeasible' }).then(
        (run) => { pending.keepRun?.(run); finish(score(job, cfg, code, run, started)); },
        failed,
      );
    }, failed);
  }

  private count(o: Outcome): Outcome {
    this.counters.completed++;
    this.byClass[o.class] = (this.byClass[o.class] ?? 0) + 1;
    return o;
  }
}
