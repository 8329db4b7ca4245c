// The pulp target's interpreters in Node: one node process per run (node-isolate.mjs), under
// bubblewrap, started ahead of need.
//
//   bwrap (user, pid, net, ipc, uts, cgroup namespaces; uid 65534; no network; visible: /usr and the
//     loader's entries, read-only; the Pyodide and HiGHS packages, this folder, harness.py and the
//     snapshot, read-only under /evom; a private 64 MiB /tmp; nothing else of the host: no /work, no
//     /root, no /home, no /etc but ld.so.cache)
//     └─ node --max-old-space-size=256 /evom/pulp/node-isolate.mjs
//
// Limits, all outside the interpreter: the wasm heap's maximum is written into the bytes of Pyodide's
// module that the process loads (capWasmMemory: a Python MemoryError at the limit, whatever the code
// patches in JavaScript); V8's heap by --max-old-space-size; the wall clock by a timer here that kills
// the process group. Every process serves one run and exits; the snapshot it restores was made by a
// process that ran no model code, and is cached on disk by content ($XDG_CACHE_HOME/evom/pulp).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assetPath } from '../assets-node.ts';
import { capWasmMemory } from './interpreter.js';
import type { IsolateOutcome, IsolateRun, PyodideHost } from './isolate.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const FILES = {
  pyodide: dirname(assetPath({ package: 'pyodide', file: 'pyodide.mjs' })),
  highs: dirname(assetPath({ package: 'highs', file: 'build/highs.mjs' })),
  pulp: HERE,
  harness: join(HERE, '..', 'python', 'harness.py'),
  pulpZip: join(HERE, 'vendor', 'pulp-2.6.0.zip'),
};
const BWRAP = '/usr/bin/bwrap';
/** coreutils' timeout: every isolate ends within LIFETIME_S, even if the thread that started it died */
const TIMEOUT = '/usr/bin/timeout';
const LIFETIME_S = 900;
const JS_HEAP_MB = 256;
/**
 * V8 flags of the interpreter's process (EVOM_PULP_NODE_FLAGS overrides them, for benches; ' ' for
 * none). --liftoff-only: the process lives for one run, so V8's tier-up of Pyodide's module (TurboFan,
 * on background threads) is CPU it never earns back. Measured on a generated transportation model
 * (2 cores, loaded): an interpreter's process 2.0 -> 1.3 s of CPU, its run 1.2 -> 0.3 s; a 1 s Python
 * loop no slower.
 */
const NODE_FLAGS = (process.env.EVOM_PULP_NODE_FLAGS ?? '--liftoff-only').split(' ').filter(Boolean);
const TMP_MB = 64;

/** The cache folder for this build's snapshot and capped modules (content-keyed). */
function cacheDir(): string {
  const h = createHash('sha256');
  for (const f of [join(FILES.pyodide, 'package.json'), FILES.harness, FILES.pulpZip, join(HERE, 'interpreter.js'), join(HERE, 'node-isolate.mjs')]) h.update(readFileSync(f));
  const key = h.digest('hex').slice(0, 16);
  for (const base of [process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), tmpdir()]) {
    const dir = join(base, 'evom', 'pulp', key);
    try {
      mkdirSync(dir, { recursive: true });
      return dir;
    } catch { /* not writable: the next one */ }
  }
  throw new Error('no writable cache folder for the pulp snapshot');
}

function writeAtomic(path: string, data: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function bwrapArgs(settings: object, mounts: [string, string][]): string[] {
  const a = [
    '--unshare-user', '--uid', '65534', '--gid', '65534', '--unshare-pid', '--unshare-net', '--unshare-ipc',
    '--unshare-uts', '--unshare-cgroup-try', '--hostname', 'evom-pyodide', '--die-with-parent', '--new-session',
    '--clearenv', '--setenv', 'PATH', '/usr/bin:/bin', '--setenv', 'HOME', '/tmp', '--setenv', 'LANG', 'C.UTF-8',
    '--ro-bind', '/usr', '/usr',
  ];
  for (const e of ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32']) {
    if (!existsSync(e)) continue;
    a.push('--symlink', `usr${e}`, e);
  }
  a.push('--dir', '/etc');
  if (existsSync('/etc/ld.so.cache')) a.push('--ro-bind', '/etc/ld.so.cache', '/etc/ld.so.cache');
  a.push('--proc', '/proc', '--dev', '/dev', '--size', String(TMP_MB * 1048576), '--tmpfs', '/tmp');
  // node itself, where it is not under /usr (nvm, /opt)
  const nodePrefix = dirname(dirname(process.execPath));
  if (!nodePrefix.startsWith('/usr')) a.push('--ro-bind', nodePrefix, nodePrefix);
  for (const [from, to] of mounts) a.push('--ro-bind', from, to);
  a.push('--chdir', '/tmp', '--', process.execPath, `--max-old-space-size=${JS_HEAP_MB}`, ...NODE_FLAGS, '/evom/pulp/node-isolate.mjs', JSON.stringify(settings));
  return a;
}

/** Messages on fd 3: JSON lines; the last `report` line wins (the code can write there too, and gains nothing: the host re-solves the export). */
class Fd3Reader {
  private buf = Buffer.alloc(0);
  lines: Record<string, unknown>[] = [];
  onLine: ((m: Record<string, unknown>) => void) | null = null;
  push(chunk: Buffer): void {
    this.buf = Buffer.concat([this.buf, chunk]);
    let nl: number;
    while ((nl = this.buf.indexOf(10)) >= 0) {
      const line = this.buf.subarray(0, nl).toString('utf8');
      this.buf = this.buf.subarray(nl + 1);
      try {
        const m = JSON.parse(line) as Record<string, unknown>;
        if (m && typeof m === 'object') { this.lines.push(m); this.onLine?.(m); }
      } catch { /* not ours */ }
    }
  }
}

/** One interpreter process, from its start to its one run. */
class NodeIsolate {
  readonly child: ChildProcess;
  readonly ready: Promise<boolean>;
  private readonly reader = new Fd3Reader();
  private stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readyAt: number | null = null;
  /** called when a report line arrives: the run is over (the process is killed, not waited for) */
  private reported: (() => void) | null = null;

  constructor(readonly memoryBytes: number, snapshot: string, wasm: string, maxLogLines: number) {
    const settings = { mode: 'run', pyodide: '/evom/pyodide', highs: '/evom/highs', pulpZip: '/evom/pulp.zip', harness: '/evom/harness.py', snapshot: '/evom/snapshot.bin', maxLogLines };
    this.child = spawn(TIMEOUT, ['-s', 'KILL', String(LIFETIME_S), BWRAP, ...bwrapArgs(settings, [
      [FILES.pyodide, '/evom/pyodide'], [wasm, '/evom/pyodide/pyodide.asm.wasm'], [FILES.highs, '/evom/highs'],
      [FILES.pulp, '/evom/pulp'], [FILES.harness, '/evom/harness.py'], [FILES.pulpZip, '/evom/pulp.zip'], [snapshot, '/evom/snapshot.bin'],
    ])], { stdio: ['pipe', 'ignore', 'pipe', 'pipe'], detached: true });
    this.child.stdio[3]!.on('data', (d: Buffer) => this.reader.push(d));
    this.child.stderr!.on('data', (d: Buffer) => { if (this.stderr.length < 4000) this.stderr += d.toString('utf8'); });
    this.child.stdin!.on('error', () => { /* died before reading its job */ });
    this.exited = new Promise((resolve) => this.child.on('close', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise((resolve) => {
      this.reader.onLine = (m) => {
        if (m.ready === true) { this.readyAt = performance.now(); resolve(true); }
        if (typeof m.report === 'string' || typeof m.crash === 'string') this.reported?.();
      };
      void this.exited.then(() => resolve(false));
    });
  }

  kill(): void {
    try { process.kill(-this.child.pid!, 'SIGKILL'); } catch { /* gone */ }
  }

  async run(job: IsolateRun, waitStarted: number): Promise<IsolateOutcome> {
    let timedOut = false;
    let startTimedOut = false;
    // first the wait for the interpreter (the verifier's time), then the code's own wall clock
    let timer = setTimeout(() => { startTimedOut = true; this.kill(); }, Math.max(0, job.startMs - (performance.now() - waitStarted)));
    try {
      const ok = await this.ready;
      clearTimeout(timer);
      if (startTimedOut) return { kind: 'unavailable', detail: `the Python interpreter did not start within ${(job.startMs / 1000).toFixed(0)} s (the machine is busy)` };
      timer = setTimeout(() => { timedOut = true; this.kill(); }, job.wallMs);
      const waitMs = performance.now() - waitStarted;
      // the process exits right after its report; a report line the code forged comes before the
      // harness's own, so the last line of the next 100 ms counts (checked against the export anyway)
      const reported = new Promise<null>((resolve) => { this.reported = () => setTimeout(() => resolve(null), 100); });
      if (ok) this.child.stdin!.end(JSON.stringify({ code: job.code, cfg: job.cfg }) + '\n');
      const { code, signal } = (await Promise.race([this.exited, reported])) ?? { code: null, signal: null };
      const report = [...this.reader.lines].reverse().find((m) => typeof m.report === 'string');
      if (timedOut) return { kind: 'timeout', log: [] };
      if (report) {
        return { kind: 'report', report: report.report as string, log: Array.isArray(report.log) ? report.log.map(String) : [], waitMs, runMs: Number(report.run_ms) || 0, cpuMs: Number(report.cpu_ms) || 0 };
      }
      const crash = [...this.reader.lines].reverse().find((m) => typeof m.crash === 'string');
      if (crash) return { kind: 'crashed', detail: `the interpreter failed: ${String(crash.crash)}`, log: Array.isArray(crash.log) ? crash.log.map(String) : [] };
      if (!ok && !this.reader.lines.length && /bwrap|namespace|Operation not permitted/i.test(this.stderr)) {
        return { kind: 'unavailable', detail: `bubblewrap could not start the interpreter: ${this.stderr.trim().slice(0, 300)}` };
      }
      const heap = /heap out of memory|Allocation failed/i.test(this.stderr);
      return {
        kind: 'crashed',
        detail: heap ? `memory limit: the interpreter's JavaScript heap passed ${JS_HEAP_MB} MiB` : `the interpreter ended without a report (${signal ?? `exit ${code}`})${this.stderr ? `: ${this.stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 300)}` : ''}`,
        log: [],
      };
    } finally {
      clearTimeout(timer);
      this.kill();
    }
  }
}

/** Interpreters for the pulp target in this process, `ahead` of them prepared while others run. */
export class NodePyodideHost implements PyodideHost {
  private dir: string | null = null;
  private snapshot: Promise<string> | null = null;
  private snapshotMs: number | null = null;
  private readonly wasm = new Map<number, string>();
  private readonly ready: NodeIsolate[] = [];
  private started = 0;
  private preparing = 0;
  private runs = 0;
  private closed = false;

  constructor(private readonly ahead = 1) {}

  private problem(): string | null {
    if (process.platform !== 'linux') return `the pulp target isolates Python with bubblewrap, which needs Linux (this is ${process.platform}); use --server with a sandbox server's pulp`;
    if (!existsSync(BWRAP)) return 'the pulp target isolates Python with bubblewrap: install it (apt-get install bubblewrap), or use --server';
    if (!existsSync(TIMEOUT)) return 'the pulp target needs coreutils\' timeout (/usr/bin/timeout)';
    return null;
  }

  /** The snapshot file, made once per build (a fresh interpreter, no model code) and cached on disk. */
  private snapshotFile(): Promise<string> {
    return this.snapshot ??= (async () => {
      this.dir = cacheDir();
      const file = join(this.dir, 'snapshot.bin');
      if (existsSync(file)) return file;
      const t0 = performance.now();
      const settings = { mode: 'snapshot', pyodide: '/evom/pyodide', highs: '/evom/highs', pulpZip: '/evom/pulp.zip', harness: '/evom/harness.py' };
      const child = spawn(BWRAP, bwrapArgs(settings, [[FILES.pyodide, '/evom/pyodide'], [FILES.highs, '/evom/highs'], [FILES.pulp, '/evom/pulp'], [FILES.harness, '/evom/harness.py'], [FILES.pulpZip, '/evom/pulp.zip']]), { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
      const chunks: Buffer[] = [];
      let err = '';
      child.stdio[3]!.on('data', (d: Buffer) => chunks.push(d));
      child.stderr!.on('data', (d: Buffer) => { if (err.length < 4000) err += d.toString('utf8'); });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      const head = nl > 0 ? JSON.parse(all.subarray(0, nl).toString('utf8')) as { snapshot?: number } : {};
      const bytes = all.subarray(nl + 1);
      if (code !== 0 || !head.snapshot || bytes.length !== head.snapshot) {
        this.snapshot = null;
        throw new Error(`the Pyodide snapshot could not be made (exit ${code}): ${err.trim().slice(0, 400)}`);
      }
      writeAtomic(file, bytes);
      this.snapshotMs = performance.now() - t0;
      return file;
    })();
  }

  /** Pyodide's module with its memory's maximum set to `bytes` (one file per ceiling). */
  private wasmFile(bytes: number): string {
    const pages = Math.floor(bytes / 65536);
    let file = this.wasm.get(pages);
    if (!file) {
      file = join(this.dir!, `pyodide.asm.${pages}.wasm`);
      if (!existsSync(file)) writeAtomic(file, capWasmMemory(new Uint8Array(readFileSync(join(FILES.pyodide, 'pyodide.asm.wasm'))), bytes));
      this.wasm.set(pages, file);
    }
    return file;
  }

  private async start(memoryBytes: number, maxLogLines: number): Promise<NodeIsolate> {
    const snapshot = await this.snapshotFile();
    this.started++;
    return new NodeIsolate(memoryBytes, snapshot, this.wasmFile(memoryBytes), maxLogLines);
  }

  private refill(memoryBytes: number, maxLogLines: number): void {
    while (!this.closed && this.ready.length + this.preparing < this.ahead) {
      this.preparing++;
      void this.start(memoryBytes, maxLogLines).then((iso) => {
        this.preparing--;
        if (this.closed) iso.kill();
        else this.ready.push(iso);
      }, () => { this.preparing--; });
    }
  }

  async run(job: IsolateRun): Promise<IsolateOutcome> {
    const why = this.problem();
    if (why) return { kind: 'unavailable', detail: why };
    const t0 = performance.now();
    let iso: NodeIsolate;
    try {
      const i = this.ready.findIndex((x) => x.memoryBytes === job.memoryBytes && x.child.exitCode === null && x.child.signalCode === null);
      // none for this ceiling: those prepared for another one (or dead) go, or they would hold the
      // places `ahead` allows and every later run would start its interpreter cold
      if (i < 0) for (const x of this.ready.splice(0)) x.kill();
      iso = i >= 0 ? this.ready.splice(i, 1)[0]! : await this.start(job.memoryBytes, job.maxLogLines);
    } catch (e) {
      return { kind: 'unavailable', detail: (e as Error).message };
    }
    // the next run's interpreter starts now, while this one runs
    this.refill(job.memoryBytes, job.maxLogLines);
    this.runs++;
    return iso.run(job, t0);
  }

  async stats() {
    return { started: this.started, runs: this.runs, ready: this.ready.filter((i) => i.readyAt !== null).length, snapshotMs: this.snapshotMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const iso of this.ready.splice(0)) iso.kill();
  }
}

/** Whether bubblewrap can start a process here (a user namespace is allowed). */
export function bubblewrapWorks(): boolean {
  if (!existsSync(BWRAP)) return false;
  const r = spawnSync(BWRAP, ['--unshare-user', '--unshare-net', '--ro-bind', '/usr', '/usr', '--symlink', 'usr/lib', '/lib', '--symlink', 'usr/lib64', '/lib64', '--', '/usr/bin/true'], { stdio: 'ignore', timeout: 10_000 });
  return r.status === 0;
}
