// The sandboxed Python runner of the sandbox server: model-written Python (PuLP, scipy, cvxopt,
// swiglpk, OR-Tools, gurobipy, coptpy) runs inside bubblewrap under a per-run cgroup, and
// src/targets/python/harness.py reports one result that becomes a TargetRun (src/verifier/outcome.ts).
//
// One run:
//   node ──spawn──▶ bwrap (started as root: mount + pid + net + ipc + uts [+ cgroup] namespaces,
//                     only /usr, /bin, /lib*, the python prefix, the harness and configured
//                     read-only paths visible; private size-capped /tmp; seccomp filter)
//                     └─▶ setpriv (a host uid of the run's own, gid 65534, no groups, no
//                           capabilities, no_new_privs) ─▶ python -I harness.py
//   The harness says "started" on fd 3 and waits for its job on stdin; node then moves the process
//   tree into a fresh cgroup (memory, pids[, cpuacct]), writes the request's limits and only then sends
//   the job (settings line + code). The model code never runs outside the cgroup. prewarmSandboxes(n)
//   keeps n sandboxes launched up to that point, so a run skips Python's start-up (~10 ms, not ~80).
//   Every sandbox serves exactly one run; its cgroup is removed afterwards.
// uids: every launched sandbox (prewarmed or not) takes a free uid of its own from SandboxConfig's
//   range (default 0x7e000000 + 0..4095: no account, no /etc/subuid range; checkSandbox reports an
//   overlap with /etc/passwd or /etc/subuid) and gives it back only when its cgroup is empty, i.e. every
//   process that ran as that uid is gone; then the uid is reused (lowest free first), so the set of uids
//   in use stays bounded by the sandboxes alive at once (sandboxUidStats()); a lock file per uid in
//   /run/evom-sandbox-uids keeps two servers on one host (a restart while the old one drains) from
//   handing out the same uid. Concurrent runs therefore share no per-uid kernel limit or quota
//   (inotify instances and watches, RLIMIT_NPROC, pipe buffers, pending signals, mqueue bytes) and
//   cannot signal each other. The server must run as root for any
//   of this (checkSandbox refuses otherwise), so every working deployment gets per-run uids; the one
//   exception is a configuration with uidCount 0, where every run shares `uid` (65534) as before. When
//   the range is exhausted the run fails with SandboxError ("no free uid") rather than share a uid.
//   The gid stays 65534 (nogroup) for every run: no kernel limit is kept per gid.
// Descriptors: only fds 0-2 (pipes), 3 (the report channel) and 4 (the seccomp program, which bwrap
//   reads and closes) are meant for the sandbox. Descriptors the process that started the server left
//   open without close-on-exec (a launcher, a shell's fd 255, systemd's sockets) would otherwise pass
//   through node → bwrap → python: the server maps /dev/null over each of them in the spawned bwrap
//   (inheritedFds(), scanned once), and the harness closes everything but 0-3 before it reads its job.
// Why bwrap runs as root and drops privileges inside (instead of running bwrap unprivileged or with
// --unshare-user --uid 65534): a user namespace created by root maps the sandbox uid onto host root,
// so root-owned 0600 files stay readable (GUIDE §4); and an unprivileged bwrap cannot bind the pyenv
// prefix under /root (mode 0700) because it resolves bind sources by path. Dropping with setpriv after
// the mounts gives a process that is really uid 65534 on the host, with all capability sets empty.
//
// Limits: wall clock (timer here; kills every pid in the run's cgroup), CPU seconds (RLIMIT_CPU set by
// the harness before the code runs; it counts every thread of the process), memory (cgroup
// memory.limit_in_bytes / memory.max, swap off; never RLIMIT_AS), processes and threads (cgroup
// pids.max), file size (RLIMIT_FSIZE) and the tmpfs size, open files (RLIMIT_NOFILE, 1024 soft and hard
// by default, set by the harness; without CAP_SYS_RESOURCE the code cannot raise it, so a run holds at
// most pids.max × 1024 kernel file handles), output bytes (counted here, killed at the cap).
// seccomp (x86-64): namespace creation, keyrings, ptrace, bpf, io_uring, mount and module calls fail;
// socket() and socketpair() work only for AF_UNIX, AF_INET and AF_INET6 (others: EAFNOSUPPORT; AF_VSOCK
// in particular is not isolated by the network namespace; nothing the targets import needs AF_NETLINK).
// The sandbox is the security boundary; what the harness reports is only as trustworthy as code
// running in the same interpreter allows (see the header of src/targets/python/harness.py).
// Needs: root (bwrap's mounts, setpriv, cgroups), bubblewrap, util-linux setpriv, cgroup v1 (memory +
// pids hierarchies) or v2 (memory + pids controllers; EVOM_SANDBOX_CGROUP names a delegated base).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../src/verifier/config.ts';
import { failedRun, type Message, type TargetRun } from '../../src/verifier/outcome.ts';
import { LogBuffer } from '../../src/targets/solve-guard.ts';
import { sandboxTargetNames } from '../../src/targets/registry.ts';
import { fromHarness, type HarnessRun } from '../../src/targets/python/harness-report.ts';

export interface SandboxRequest {
  /** 'pulp' | 'scipy' | 'cvxopt' | 'swiglpk' | 'ortools' | 'gurobi' | 'copt' */
  target: string;
  /** the model's Python code (already extracted from the completion) */
  code: string;
  /** wall-clock and CPU limit; the solver gets 80 % of it where the harness can set it */
  timeLimitS: number;
  /** memory limit through cgroups */
  memoryMb: number;
  /** stdout+stderr kept (default 64 KiB); beyond it the run is killed → runtime_error "output limit" */
  maxOutputBytes?: number;
  /** pids limit (processes and threads; default 64) */
  maxProcesses?: number;
  /** stops the run (every process killed) when it aborts: nobody waits for the answer any more */
  signal?: AbortSignal;
}

export interface SandboxConfig {
  /** interpreter path (default: the pyenv python3 with scipy, else /usr/bin/python3) */
  python: string;
  /** extra sys.path dirs, appended after site-packages (default ['/usr/lib/python3/dist-packages']) */
  pythonPath: string[];
  /** extra read-only binds (solver installs, license files: e.g. /opt/gurobi, $GRB_LICENSE_FILE) */
  readOnlyPaths: string[];
  /** size of the private /tmp */
  tmpSizeMb: number;
  /**
   * The uid range the code runs in: each launched sandbox takes a free uid from
   * [uidBase, uidBase + uidCount) and gives it back once every process of its run is gone. Default
   * 0x7e000000 (2113929216) and 4096: no account and no /etc/subuid range uses them. uidCount 0: every run
   * runs as `uid` (shared per-uid kernel limits).
   */
  uidBase?: number;
  uidCount?: number;
  /** the uid when uidCount is 0 (65534) */
  uid: number;
  /** the gid of every run (65534, nogroup) */
  gid: number;
  /** RLIMIT_NOFILE (soft and hard) of the code; default 1024 */
  maxOpenFiles?: number;
}


/** Thrown only for failures of the server's own machinery (no bwrap, cgroups unwritable, …). */
export class SandboxError extends Error {
  override name = 'SandboxError';
}

export const HARNESS_PATH = fileURLToPath(new URL('../../src/targets/python/harness.py', import.meta.url));
const HARNESS_IN_SANDBOX = '/evom/harness.py';
const BWRAP = '/usr/bin/bwrap';
const SETPRIV = '/usr/bin/setpriv';
const DEFAULT_OUTPUT_BYTES = 64 * 1024;
const DEFAULT_PROCESSES = 64;
const RESULT_CAP_BYTES = 16 * 1024 * 1024;
const MIN_MEMORY_MB = 64;
export const DEFAULT_UID_BASE = 0x7e000000;
export const DEFAULT_UID_COUNT = 4096;
const DEFAULT_OPEN_FILES = 1024;
/** Solver environment variables passed into the sandbox when the server has them (file licenses). */
const PASSTHROUGH_ENV = ['GRB_LICENSE_FILE', 'GUROBI_HOME', 'COPT_HOME', 'COPT_LICENSE_DIR'];

// ------------------------------------------------------------------------------------------------
// Configuration

interface PythonInfo { executable: string; prefixes: string[]; hasScipy: boolean }
const pythonInfoCache = new Map<string, PythonInfo | null>();

function probePython(python: string): PythonInfo | null {
  if (pythonInfoCache.has(python)) return pythonInfoCache.get(python)!;
  const script = 'import sys, json, importlib.util as u; print(json.dumps([sys.executable, sys.prefix, sys.base_prefix, u.find_spec("scipy") is not None]))';
  const r = spawnSync(python, ['-I', '-c', script], { encoding: 'utf8', timeout: 20_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/' } });
  let info: PythonInfo | null = null;
  if (r.status === 0) {
    try {
      const [exe, prefix, base, scipy] = JSON.parse(r.stdout.trim().split('\n').pop()!) as [string, string, string, boolean];
      info = { executable: fs.realpathSync(exe), prefixes: [...new Set([prefix, base].map((p) => path.resolve(p)))], hasScipy: scipy };
    } catch { info = null; }
  }
  pythonInfoCache.set(python, info);
  return info;
}

let defaultConfigCache: SandboxConfig | null = null;

/** Server-wide defaults, discovered once: the first python3 that has scipy (EVOM_SANDBOX_PYTHON overrides). */
export function defaultSandboxConfig(): SandboxConfig {
  if (defaultConfigCache) return { ...defaultConfigCache, pythonPath: [...defaultConfigCache.pythonPath], readOnlyPaths: [...defaultConfigCache.readOnlyPaths] };
  const candidates = [process.env.EVOM_SANDBOX_PYTHON, 'python3', '/usr/bin/python3'].filter((x): x is string => !!x);
  let chosen: string | null = null;
  let fallback: string | null = null;
  for (const c of candidates) {
    const info = probePython(c);
    if (!info) continue;
    fallback ??= info.executable;
    if (info.hasScipy || c === process.env.EVOM_SANDBOX_PYTHON) { chosen = info.executable; break; }
  }
  const python = chosen ?? fallback ?? '/usr/bin/python3';
  const pythonPath = fs.existsSync('/usr/lib/python3/dist-packages') ? ['/usr/lib/python3/dist-packages'] : [];
  const readOnlyPaths: string[] = [];
  for (const v of ['GRB_LICENSE_FILE', 'GUROBI_HOME', 'COPT_HOME', 'COPT_LICENSE_DIR']) {
    const p = process.env[v];
    if (p && path.isAbsolute(p) && fs.existsSync(p)) readOnlyPaths.push(p);
  }
  defaultConfigCache = {
    python, pythonPath, readOnlyPaths, tmpSizeMb: 64,
    uidBase: DEFAULT_UID_BASE, uidCount: DEFAULT_UID_COUNT, uid: 65534, gid: 65534, maxOpenFiles: DEFAULT_OPEN_FILES,
  };
  return defaultSandboxConfig();
}

// ------------------------------------------------------------------------------------------------
// cgroups (v1 here: memory + pids [+ cpuacct] hierarchies; v2 elsewhere: one unified tree)

interface CgroupLayout {
  kind: 'v1' | 'v2';
  /** v1: memory, pids and optionally cpuacct bases; v2: one base */
  memory: string;
  pids: string;
  cpu: string | null;
}

interface RunCgroup {
  dirs: string[];
  procsFiles: string[];
  layout: CgroupLayout;
  memDir: string;
  pidsDir: string;
  cpuDir: string | null;
}

const BASE_NAME = 'evom-sandbox';
let layoutCache: { layout: CgroupLayout | null; problem: string | null } | null = null;

function readText(file: string): string | null {
  try { return fs.readFileSync(file, 'utf8'); } catch { return null; }
}

function parseMounts(): { v1: Map<string, string>; v2: string | null } {
  const v1 = new Map<string, string>();
  let v2: string | null = null;
  for (const line of (readText('/proc/self/mountinfo') ?? '').split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    const mountPoint = (left[4] ?? '').replace(/\\040/g, ' ');
    if (fstype === 'cgroup2') v2 ??= mountPoint;
    else if (fstype === 'cgroup') {
      for (const opt of (superOpts ?? '').split(',')) if (!v1.has(opt)) v1.set(opt, mountPoint);
    }
  }
  return { v1, v2 };
}

function ensureV2Base(dir: string): boolean {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const parent = path.dirname(dir);
    const ctl = (f: string) => (readText(path.join(f, 'cgroup.subtree_control')) ?? '').split(/\s+/);
    if (!['memory', 'pids'].every((c) => ctl(parent).includes(c))) {
      fs.writeFileSync(path.join(parent, 'cgroup.subtree_control'), '+memory +pids');
    }
    for (const c of ['+memory', '+pids', '+cpu']) {
      try { fs.writeFileSync(path.join(dir, 'cgroup.subtree_control'), c); } catch { if (c !== '+cpu') throw new Error(c); }
    }
    return true;
  } catch {
    return false;
  }
}

/** Detect the cgroup version once (v2 when its memory and pids controllers are usable, else v1). */
export function cgroupLayout(): { layout: CgroupLayout | null; problem: string | null } {
  if (layoutCache) return layoutCache;
  const { v1, v2 } = parseMounts();
  const problems: string[] = [];
  const override = process.env.EVOM_SANDBOX_CGROUP;
  if (v2) {
    const controllers = (readText(path.join(v2, 'cgroup.controllers')) ?? '').split(/\s+/);
    if (controllers.includes('memory') && controllers.includes('pids')) {
      const bases = override ? [override] : [path.join(v2, BASE_NAME)];
      const own = /^0::(.*)$/m.exec(readText('/proc/self/cgroup') ?? '')?.[1];
      if (!override && own && own !== '/') bases.push(path.join(v2, path.dirname(own), BASE_NAME));
      for (const base of bases) {
        if (ensureV2Base(base)) {
          layoutCache = { layout: { kind: 'v2', memory: base, pids: base, cpu: base }, problem: null };
          return layoutCache;
        }
        problems.push(`cgroup v2: cannot create ${base} with memory and pids controllers`);
      }
    }
  }
  const mem = v1.get('memory');
  const pids = v1.get('pids');
  if (mem && pids) {
    const cpuMount = v1.get('cpuacct');
    const layout: CgroupLayout = {
      kind: 'v1', memory: path.join(mem, BASE_NAME), pids: path.join(pids, BASE_NAME),
      cpu: cpuMount ? path.join(cpuMount, BASE_NAME) : null,
    };
    try {
      fs.mkdirSync(layout.memory, { recursive: true });
      fs.mkdirSync(layout.pids, { recursive: true });
      if (layout.cpu) { try { fs.mkdirSync(layout.cpu, { recursive: true }); } catch { layout.cpu = null; } }
      layoutCache = { layout, problem: null };
      return layoutCache;
    } catch (e) {
      problems.push(`cgroup v1: cannot create ${layout.memory} / ${layout.pids}: ${(e as Error).message}`);
    }
  } else if (!v2) {
    problems.push('no cgroup filesystem is mounted');
  } else {
    problems.push('no cgroup hierarchy with both the memory and the pids controller');
  }
  layoutCache = { layout: null, problem: problems.join('; ') };
  return layoutCache;
}

let runCounter = 0;

function createRunCgroup(layout: CgroupLayout, memoryBytes: number, maxPids: number): RunCgroup {
  const name = `r${process.pid}-${++runCounter}-${randomBytes(4).toString('hex')}`;
  const memDir = path.join(layout.memory, name);
  const pidsDir = path.join(layout.pids, name);
  const cpuDir = layout.cpu ? path.join(layout.cpu, name) : null;
  const dirs = [...new Set([memDir, pidsDir, ...(cpuDir ? [cpuDir] : [])])];
  const made: string[] = [];
  try {
    for (const d of dirs) { fs.mkdirSync(d); made.push(d); }
    if (layout.kind === 'v1') {
      fs.writeFileSync(path.join(memDir, 'memory.limit_in_bytes'), String(memoryBytes));
      const memsw = path.join(memDir, 'memory.memsw.limit_in_bytes');
      if (fs.existsSync(memsw)) fs.writeFileSync(memsw, String(memoryBytes)); // no swap beyond the limit
      fs.writeFileSync(path.join(pidsDir, 'pids.max'), String(maxPids));
    } else {
      fs.writeFileSync(path.join(memDir, 'memory.max'), String(memoryBytes));
      const swap = path.join(memDir, 'memory.swap.max');
      if (fs.existsSync(swap)) fs.writeFileSync(swap, '0');
      const group = path.join(memDir, 'memory.oom.group');
      if (fs.existsSync(group)) fs.writeFileSync(group, '1'); // an OOM kill takes the whole run
      fs.writeFileSync(path.join(memDir, 'pids.max'), String(maxPids));
    }
  } catch (e) {
    for (const d of made.reverse()) { try { fs.rmdirSync(d); } catch { /* best effort */ } }
    throw new SandboxError(`cannot set up the run's cgroup: ${(e as Error).message}`);
  }
  return { dirs, procsFiles: dirs.map((d) => path.join(d, 'cgroup.procs')), layout, memDir, pidsDir, cpuDir };
}

function cgroupPids(dir: string): number[] {
  return (readText(path.join(dir, 'cgroup.procs')) ?? '').split('\n').filter(Boolean).map(Number).filter((n) => n > 0);
}

function oomKills(cg: RunCgroup): number {
  const file = cg.layout.kind === 'v1' ? 'memory.oom_control' : 'memory.events';
  const m = /^oom_kill (\d+)/m.exec(readText(path.join(cg.memDir, file)) ?? '');
  return m ? Number(m[1]) : 0;
}

function cpuSeconds(cg: RunCgroup): number | null {
  if (!cg.cpuDir) return null;
  if (cg.layout.kind === 'v1') {
    const ns = Number((readText(path.join(cg.cpuDir, 'cpuacct.usage')) ?? '').trim());
    return Number.isFinite(ns) && ns > 0 ? ns / 1e9 : null;
  }
  const m = /^usage_usec (\d+)/m.exec(readText(path.join(cg.cpuDir, 'cpu.stat')) ?? '');
  return m ? Number(m[1]) / 1e6 : null;
}

/** SIGKILL everything in the cgroup (cgroup.kill on v2 where the kernel has it). */
function killCgroup(cg: RunCgroup): void {
  if (cg.layout.kind === 'v2') {
    try { fs.writeFileSync(path.join(cg.memDir, 'cgroup.kill'), '1'); return; } catch { /* older kernel: fall through */ }
  }
  for (const pid of cgroupPids(cg.memDir)) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Kill what is left, wait until the cgroup is empty, remove it. True when no process is left in it. */
async function destroyCgroup(cg: RunCgroup): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const left = cg.dirs.some((d) => cgroupPids(d).length > 0);
    if (!left) break;
    killCgroup(cg);
    await sleep(i < 20 ? 2 : 10);
  }
  for (const d of [...cg.dirs].reverse()) {
    for (let i = 0; i < 100; i++) {
      try { fs.rmdirSync(d); break; } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (i === 99) break; // leave it to the stale sweep
        killCgroup(cg);
        await sleep(10);
      }
    }
  }
  return !cg.dirs.some((d) => cgroupPids(d).length > 0);
}

let staleSwept = false;

/** Remove run cgroups left by servers that are gone (a crash, a kill -9). */
export function sweepStaleCgroups(): number {
  const { layout } = cgroupLayout();
  if (!layout) return 0;
  let removed = 0;
  for (const base of new Set([layout.memory, layout.pids, ...(layout.cpu ? [layout.cpu] : [])])) {
    let names: string[] = [];
    try { names = fs.readdirSync(base); } catch { continue; }
    for (const n of names) {
      const m = /^r(\d+)-\d+-[0-9a-f]+$/.exec(n);
      if (!m) continue;
      const owner = Number(m[1]);
      let alive = true;
      try { process.kill(owner, 0); } catch (e) { alive = (e as NodeJS.ErrnoException).code === 'EPERM'; }
      if (alive) continue;
      const dir = path.join(base, n);
      for (const pid of cgroupPids(dir)) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
      try { fs.rmdirSync(dir); removed++; } catch { /* busy: next sweep */ }
    }
  }
  return removed;
}

// ------------------------------------------------------------------------------------------------
// Per-run uids: each launched sandbox holds one uid of the configured range until its run's cgroup is
// empty (every process that ran as it is gone). One table for the whole server, so configurations with
// overlapping ranges never hand out the same uid twice; and a lock file per uid held
// (UID_LOCK_DIR/<uid>.<server pid>), so that two servers on one host (a restart while the old one
// drains, parallel test workers) do not either. A server takes a uid only when no live process holds a
// lock on it: it creates its own file, then looks for others (two servers racing for one uid both back
// off and try the next); files of dead servers are removed (their sandboxes died with them:
// --die-with-parent, and sweepStaleCgroups). Without a usable lock directory (not root-owned, not
// writable) the table is per server only.

interface UidLease { uid: number; pooled: boolean; released: boolean }

const uidsInUse = new Set<number>();
/** uids whose run left processes behind that the cgroup could not be emptied of (re-checked before each allocation) */
const uidsLingering = new Map<number, RunCgroup>();
const uidsHandedOut = new Set<number>();
export const UID_LOCK_DIR = '/run/evom-sandbox-uids';
let uidLockDirState: string | null | undefined;

function uidLockDir(): string | null {
  if (uidLockDirState !== undefined) return uidLockDirState;
  uidLockDirState = null;
  try {
    fs.mkdirSync(UID_LOCK_DIR, { recursive: true, mode: 0o700 });
    const st = fs.lstatSync(UID_LOCK_DIR);
    if (st.isDirectory() && st.uid === process.getuid?.() && (st.mode & 0o022) === 0) {
      uidLockDirState = UID_LOCK_DIR;
      // files named after this pid are a dead process's (pid reuse): this process has taken none yet
      for (const n of fs.readdirSync(UID_LOCK_DIR)) if (n.endsWith(`.${process.pid}`)) fs.rmSync(path.join(UID_LOCK_DIR, n), { force: true });
    }
  } catch { /* per-server table only */ }
  return uidLockDirState;
}

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
}

/** Lock files of other processes, by uid (those of dead processes are removed on the way). */
function foreignUidLocks(dir: string): Set<number> {
  const held = new Set<number>();
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { return held; }
  for (const n of names) {
    const m = /^(\d+)\.(\d+)$/.exec(n);
    if (!m || Number(m[2]) === process.pid) continue;
    if (pidAlive(Number(m[2]))) held.add(Number(m[1]));
    else fs.rmSync(path.join(dir, n), { force: true });
  }
  return held;
}

function unlockUid(uid: number): void {
  const dir = uidLockDir();
  if (dir) fs.rmSync(path.join(dir, `${uid}.${process.pid}`), { force: true });
}

/** The configured range, validated (never uid 0, never past 2^32 - 2). */
function uidRange(cfg: SandboxConfig): { base: number; count: number } {
  const base = cfg.uidBase ?? DEFAULT_UID_BASE;
  const count = cfg.uidCount ?? DEFAULT_UID_COUNT;
  if (!Number.isInteger(count) || count < 0) throw new SandboxError(`uidCount must be an integer >= 0, not ${count}`);
  if (count === 0) {
    if (!Number.isInteger(cfg.uid) || cfg.uid <= 0 || cfg.uid > 0xfffffffe) throw new SandboxError(`the sandbox uid must be in 1..4294967294, not ${cfg.uid}`);
    return { base: cfg.uid, count: 0 };
  }
  if (!Number.isInteger(base) || base <= 0 || base + count - 1 > 0xfffffffe) {
    throw new SandboxError(`the sandbox uid range ${base} + ${count} must lie in 1..4294967294`);
  }
  return { base, count };
}

function acquireUid(cfg: SandboxConfig): UidLease {
  const { base, count } = uidRange(cfg);
  if (count === 0) return { uid: base, pooled: false, released: false };
  for (const [uid, cg] of uidsLingering) {
    if (!cg.dirs.some((d) => cgroupPids(d).length > 0)) { uidsLingering.delete(uid); unlockUid(uid); }
  }
  const dir = uidLockDir();
  const foreign = dir ? foreignUidLocks(dir) : new Set<number>();
  for (let uid = base; uid < base + count; uid++) {
    if (uidsInUse.has(uid) || uidsLingering.has(uid) || foreign.has(uid)) continue;
    if (dir) {
      // only this process writes files named after its pid; what excludes the others is the look below
      const mine = path.join(dir, `${uid}.${process.pid}`);
      let locked = true;
      try { fs.writeFileSync(mine, '', { mode: 0o600 }); } catch { locked = false; /* /run full or gone: this server's table only */ }
      if (locked) {
        let contested = false;
        try {
          contested = fs.readdirSync(dir).some((n) => n.startsWith(`${uid}.`) && n !== `${uid}.${process.pid}` && pidAlive(Number(n.slice(n.indexOf('.') + 1))));
        } catch { contested = true; }
        if (contested) { fs.rmSync(mine, { force: true }); continue; }
      }
    }
    uidsInUse.add(uid);
    uidsHandedOut.add(uid);
    return { uid, pooled: true, released: false };
  }
  throw new SandboxError(`no free uid for another sandbox: all ${count} uids from ${base} are in use`);
}

/** Give a uid back: free at once when its cgroup was emptied, else kept aside until it is. */
function releaseUid(lease: UidLease, emptied: boolean, cg: RunCgroup | null): void {
  if (!lease.pooled || lease.released) return;
  lease.released = true;
  uidsInUse.delete(lease.uid);
  if (!emptied && cg) uidsLingering.set(lease.uid, cg);
  else unlockUid(lease.uid);
}

/** The uid table: uids held by launched sandboxes now, uids held back for a run's leftovers, and how many distinct uids were ever handed out. */
export function sandboxUidStats(): { inUse: number[]; lingering: number[]; distinct: number } {
  return { inUse: [...uidsInUse].sort((a, b) => a - b), lingering: [...uidsLingering.keys()].sort((a, b) => a - b), distinct: uidsHandedOut.size };
}

// ------------------------------------------------------------------------------------------------
// seccomp: a small deny list on x86-64 (namespace creation, keyrings, ptrace, bpf, io_uring,
// module/kexec, mount) and an allow list of socket families. Classic BPF assembled here; bwrap loads it.

function seccompProgram(): Buffer | null {
  if (process.arch !== 'x64') return null;
  const AUDIT_ARCH_X86_64 = 0xc000003e;
  const RET_ALLOW = 0x7fff0000;
  const RET_KILL_PROCESS = 0x80000000;
  const RET_ERRNO = (e: number) => 0x00050000 | e;
  const EPERM = 1, ENOSYS = 38, EAFNOSUPPORT = 97;
  const LD_W_ABS = 0x20, JEQ_K = 0x15, JGE_K = 0x35, JSET_K = 0x45, RET_K = 0x06;
  const deny = [
    272, 308,             // unshare, setns
    165, 166, 155, 161,   // mount, umount2, pivot_root, chroot
    101, 310, 311,        // ptrace, process_vm_readv/writev
    248, 249, 250,        // add_key, request_key, keyctl
    321, 298, 323,        // bpf, perf_event_open, userfaultfd
    425, 426, 427,        // io_uring_setup/enter/register
    246, 320, 175, 313, 176, // kexec_load, kexec_file_load, init/finit/delete_module
    163, 167, 168, 169, 103, // acct, swapon, swapoff, reboot, syslog
    300, 303, 304, 212,   // fanotify_init, name_to_handle_at, open_by_handle_at, lookup_dcookie
    428, 429, 430, 431, 432, 433, // open_tree, move_mount, fsopen, fsconfig, fsmount, fspick
  ];
  const CLONE_NS_FLAGS = 0x7e020000; // NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
  type Ins = [number, number, number, number];
  const prog: Ins[] = [];
  prog.push([LD_W_ABS, 0, 0, 4]);                        // A = arch
  prog.push([JEQ_K, 1, 0, AUDIT_ARCH_X86_64]);
  prog.push([RET_K, 0, 0, RET_KILL_PROCESS]);            // no i386 / foreign-ABI syscalls
  prog.push([LD_W_ABS, 0, 0, 0]);                        // A = nr
  prog.push([JGE_K, 0, 1, 0x40000000]);                  // x32 ABI
  prog.push([RET_K, 0, 0, RET_ERRNO(EPERM)]);
  prog.push([JEQ_K, 0, 1, 435]);                         // clone3: ENOSYS, so libc falls back to clone
  prog.push([RET_K, 0, 0, RET_ERRNO(ENOSYS)]);
  prog.push([JEQ_K, 0, 3, 56]);                          // clone: refuse namespace flags
  prog.push([LD_W_ABS, 0, 0, 16]);                       // A = low word of args[0]
  prog.push([JSET_K, 0, 1, CLONE_NS_FLAGS]);
  prog.push([RET_K, 0, 0, RET_ERRNO(EPERM)]);
  // (after the clone test A may hold args[0]; reload nr)
  prog.push([LD_W_ABS, 0, 0, 0]);
  // socket(2) and socketpair(2): only AF_UNIX, AF_INET and AF_INET6 (Python, multiprocessing, the
  // solvers; glibc treats EAFNOSUPPORT for AF_NETLINK as "no interface information"). The family is
  // an int: the kernel reads the low word of args[0] only, and so does this test.
  const SOCKET_FAMILIES = [1, 2, 10]; // AF_UNIX, AF_INET, AF_INET6
  prog.push([JEQ_K, 1, 0, 41]);                          // socket
  prog.push([JEQ_K, 0, SOCKET_FAMILIES.length + 3, 53]); // socketpair; else skip the block
  prog.push([LD_W_ABS, 0, 0, 16]);                       // A = low word of args[0] (the family)
  SOCKET_FAMILIES.forEach((f, i) => prog.push([JEQ_K, SOCKET_FAMILIES.length - i, 0, f]));
  prog.push([RET_K, 0, 0, RET_ERRNO(EAFNOSUPPORT)]);
  prog.push([RET_K, 0, 0, RET_ALLOW]);
  // A = nr (the socket block returns on every path it loads args[0] on)
  for (let i = 0; i < deny.length; i++) {
    // jump to the shared EPERM return at the end when equal
    const remaining = deny.length - i - 1;
    prog.push([JEQ_K, remaining + 1, 0, deny[i]!]);
  }
  prog.push([RET_K, 0, 0, RET_ALLOW]);
  prog.push([RET_K, 0, 0, RET_ERRNO(EPERM)]);
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

const SECCOMP = seccompProgram();

// ------------------------------------------------------------------------------------------------
// The bwrap command line

const ROOT_ENTRIES = ['/bin', '/sbin', '/lib', '/lib64', '/lib32', '/libx32'];

function underAny(p: string, roots: string[]): boolean {
  return roots.some((r) => p === r || p.startsWith(r.endsWith('/') ? r : r + '/'));
}

function bwrapArgs(cfg: SandboxConfig, uid: number, harnessCfg: string, useSeccompFd: number | null): string[] {
  const info = probePython(cfg.python);
  const a: string[] = [
    '--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try',
    '--hostname', 'evom-sandbox', '--die-with-parent', '--new-session', '--clearenv',
  ];
  const env: Record<string, string> = {
    PATH: '/usr/bin:/bin', HOME: '/tmp', TMPDIR: '/tmp', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8',
    USER: 'nobody', LOGNAME: 'nobody',
    OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1', MKL_NUM_THREADS: '1', NUMEXPR_NUM_THREADS: '1',
  };
  for (const v of PASSTHROUGH_ENV) if (process.env[v]) env[v] = process.env[v]!;
  for (const [k, v] of Object.entries(env)) a.push('--setenv', k, v);

  a.push('--ro-bind', '/usr', '/usr');
  const visible = ['/usr'];
  for (const e of ROOT_ENTRIES) {
    let st: fs.Stats;
    try { st = fs.lstatSync(e); } catch { continue; }
    if (st.isSymbolicLink()) a.push('--symlink', fs.readlinkSync(e), e);
    else if (st.isDirectory()) { a.push('--ro-bind', e, e); visible.push(e); }
  }
  // Shared libraries reached through Debian's alternatives (liblapack.so.3, libblas.so.3 used by cbc
  // and cvxopt) and the loader cache; nothing else from /etc is visible.
  a.push('--perms', '0755', '--dir', '/etc');
  for (const e of ['/etc/alternatives', '/etc/ld.so.cache']) if (fs.existsSync(e)) a.push('--ro-bind', e, e);
  a.push('--proc', '/proc', '--dev', '/dev');
  a.push('--perms', '1777', '--size', String(Math.max(1, cfg.tmpSizeMb) * 1048576), '--tmpfs', '/tmp');

  // The interpreter's prefix, the extra sys.path dirs and the configured read-only paths, each at its
  // own path; parent directories are created 0755 (bwrap would make them 0700, unreadable for uid 65534).
  const wanted = [
    ...(info ? info.prefixes : []), path.dirname(path.dirname(cfg.python)),
    ...cfg.pythonPath, ...cfg.readOnlyPaths,
  ].filter((p) => path.isAbsolute(p)).map((p) => path.resolve(p));
  const binds: string[] = [];
  for (const p of [...new Set(wanted)].sort((x, y) => x.length - y.length)) {
    if (p === '/' || underAny(p, visible) || underAny(p, binds) || !fs.existsSync(p)) continue;
    if (underAny(p, ['/proc', '/dev', '/sys'])) continue;
    binds.push(p);
  }
  const made = new Set<string>(['/', '/tmp', '/etc']);
  const mkParents = (p: string) => {
    const parts = path.dirname(p).split('/').filter(Boolean);
    let cur = '';
    for (const part of parts) {
      cur += '/' + part;
      if (made.has(cur) || underAny(cur, visible)) continue;
      made.add(cur);
      a.push('--perms', '0755', '--dir', cur);
    }
  };
  for (const p of binds) {
    mkParents(p);
    a.push('--ro-bind', fs.realpathSync(p), p);
    made.add(p);
  }
  mkParents(HARNESS_IN_SANDBOX);
  a.push('--ro-bind', HARNESS_PATH, HARNESS_IN_SANDBOX);
  a.push('--chdir', '/tmp');
  if (useSeccompFd !== null) a.push('--seccomp', String(useSeccompFd));
  a.push('--cap-add', 'CAP_SETUID', '--cap-add', 'CAP_SETGID', '--');
  a.push(SETPRIV, '--reuid', String(uid), '--regid', String(cfg.gid), '--clear-groups',
    '--inh-caps=-all', '--bounding-set=-all', '--no-new-privs', '--');
  a.push(cfg.python, '-I', '-B', '-X', 'utf8', HARNESS_IN_SANDBOX, harnessCfg);
  return a;
}

// ------------------------------------------------------------------------------------------------
// Descriptors this process holds without close-on-exec: what whoever started the server left open
// (Node and libuv open all of their own with O_CLOEXEC). Scanned once, at the first launch; a spawned
// bwrap gets /dev/null in each of these slots instead (the harness then closes them too).

const O_CLOEXEC = 0o2000000;
let inheritedCache: number[] | null = null;
let devNullFd: number | null = null;

export function inheritedFds(): number[] {
  if (inheritedCache) return inheritedCache;
  const out: number[] = [];
  let names: string[] = [];
  try { names = fs.readdirSync('/proc/self/fd'); } catch { /* no /proc: the harness still closes them */ }
  for (const n of names) {
    const fd = Number(n);
    if (!Number.isInteger(fd) || fd < 3) continue;
    const m = /^flags:\s*([0-7]+)/m.exec(readText(`/proc/self/fdinfo/${fd}`) ?? '');
    if (m && (parseInt(m[1]!, 8) & O_CLOEXEC) === 0) out.push(fd);
  }
  inheritedCache = out.sort((a, b) => a - b);
  return inheritedCache;
}

/** bwrap's stdio: 0-2 and the report channel, the seccomp program on 4, /dev/null over every inherited descriptor. */
function spawnStdio(withSeccomp: boolean): ('pipe' | 'ignore' | number)[] {
  const stdio: ('pipe' | 'ignore' | number)[] = ['pipe', 'pipe', 'pipe', 'pipe', ...(withSeccomp ? ['pipe' as const] : [])];
  const extra = inheritedFds().filter((fd) => fd >= stdio.length);
  if (extra.length === 0) return stdio;
  devNullFd ??= fs.openSync('/dev/null', 'r'); // close-on-exec itself: bwrap sees it only where it is mapped
  const last = extra[extra.length - 1]!;
  const set = new Set(extra);
  for (let fd = stdio.length; fd <= last; fd++) stdio.push(set.has(fd) ? devNullFd : 'ignore');
  return stdio;
}

/** pid and all its descendants (via /proc/<pid>/task/<pid>/children, else a scan of /proc). */
function processTree(root: number): number[] {
  const out: number[] = [];
  const hasChildrenFile = fs.existsSync(`/proc/${root}/task/${root}/children`);
  let byParent: Map<number, number[]> | null = null;
  if (!hasChildrenFile) {
    byParent = new Map();
    for (const d of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const stat = readText(`/proc/${d}/stat`);
      const m = stat && /\) \S+ (\d+)/.exec(stat);
      if (!m) continue;
      const ppid = Number(m[1]);
      byParent.set(ppid, [...(byParent.get(ppid) ?? []), Number(d)]);
    }
  }
  const walk = (pid: number) => {
    out.push(pid);
    const kids = byParent ? byParent.get(pid) ?? []
      : (readText(`/proc/${pid}/task/${pid}/children`) ?? '').split(/\s+/).filter(Boolean).map(Number);
    for (const k of kids) walk(k);
  };
  walk(root);
  return out;
}

/**
 * Move the sandbox's processes (outer bwrap, its pid-namespace init, python) into the run's cgroups.
 * This happens after the harness has said "started" and while it waits for its job on stdin, so the
 * model code never runs outside the cgroup. (The first migration waits for an RCU grace period,
 * about 5-15 ms on cgroup v1 here; a prewarmed sandbox has paid it before its run starts.)
 */
async function joinCgroup(root: number, cg: RunCgroup): Promise<void> {
  const pids = processTree(root);
  await Promise.all(cg.procsFiles.map(async (file) => {
    for (const pid of pids) {
      try { await fs.promises.writeFile(file, String(pid)); } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
      }
    }
  }));
}

// ------------------------------------------------------------------------------------------------
// One harness run, in two halves: launch (bwrap → python → harness "started" → joined into a fresh
// cgroup, waiting for its job on stdin) and execute (per-request limits, the job, the wall clock).
// Launched sandboxes can be kept ready in a small pool (prewarmSandboxes), which hides Python's
// start-up and the cgroup migration; every sandbox still serves exactly one run.

interface RawRun {
  started: boolean;
  result: Record<string, unknown> | null;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  killed: 'timeout' | 'output' | 'cancelled' | null;
  oomKills: number;
  cpuS: number | null;
  wallMs: number;
  log: string[];
  /** the first stderr bytes, for infrastructure errors (bwrap's own messages) */
  stderrHead: string;
  /** mode 'raw' only: the streams kept apart (together at most maxOutputBytes) */
  stdout: string;
  stderr: string;
}

interface HarnessJob {
  mode: 'run' | 'discover' | 'raw';
  target: string;
  code: string;
  /** mode 'raw': what the program reads on stdin */
  stdin?: string;
  timeLimitS: number;
  memoryMb: number;
  maxOutputBytes: number;
  maxProcesses: number;
  maxLogLines: number;
}

interface Launched {
  child: ChildProcess;
  cg: RunCgroup;
  /** the uid the code runs as, held until the cgroup is empty */
  uid: UidLease;
  /** true once the harness said "started" and the process tree is in the cgroup; false if it died first */
  ready: Promise<boolean>;
  isReady: boolean;
  exited: boolean;
  joinError: Error | null;
  spawnError: Error | null;
  /** output seen before execute() (normally none) */
  early: { out: Buffer[]; err: Buffer[] };
  onOut: ((which: 'out' | 'err', chunk: Buffer) => void) | null;
  result: Buffer[];
  resultBytes: number;
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Start a sandbox up to the point where the harness waits for its job. Throws SandboxError only for machinery failures. */
function launch(cfg: SandboxConfig): Launched {
  const { layout, problem } = cgroupLayout();
  if (!layout) throw new SandboxError(`cgroups unavailable: ${problem}`);
  if (!staleSwept) { staleSwept = true; sweepStaleCgroups(); }
  // Static settings on the command line; the per-request ones come with the job on stdin.
  const nofile = Math.max(64, Math.floor(cfg.maxOpenFiles ?? DEFAULT_OPEN_FILES));
  const harnessCfg = JSON.stringify({ fsize: (Math.max(1, cfg.tmpSizeMb) + 1) * 1048576, nofile, python_path: cfg.pythonPath });
  const seccompFd = SECCOMP ? 4 : null;
  const uid = acquireUid(cfg);
  const args = bwrapArgs(cfg, uid.uid, harnessCfg, seccompFd);
  // Generous limits until the job sets its own (the idle harness uses ~10 MiB and 3 pids).
  let cg: RunCgroup;
  try { cg = createRunCgroup(layout, 2048 * 1048576, 64); } catch (e) { releaseUid(uid, true, null); throw e; }
  let child: ChildProcess;
  try {
    child = spawn(BWRAP, args, { stdio: spawnStdio(seccompFd !== null), env: { PATH: '/usr/bin:/bin' }, cwd: '/' });
  } catch (e) {
    void retire({ cg, uid });
    throw new SandboxError(`cannot start the sandbox: ${(e as Error).message}`);
  }
  let markReady: (ok: boolean) => void = () => {};
  const l: Launched = {
    child, cg, uid, ready: new Promise<boolean>((r) => { markReady = r; }), isReady: false, exited: false,
    joinError: null, spawnError: null, early: { out: [], err: [] }, onOut: null, result: [], resultBytes: 0,
    closed: null as unknown as Launched['closed'],
  };
  child.on('error', (e) => { l.spawnError = e; markReady(false); });
  const resultStream = child.stdio[3] as NodeJS.ReadableStream & { destroy(): void };
  for (const s of [child.stdin, child.stdout, child.stderr, resultStream, child.stdio[4]]) {
    (s as NodeJS.EventEmitter | null)?.on?.('error', () => { /* EPIPE etc.: the process is gone */ });
  }
  const out = (which: 'out' | 'err') => (chunk: Buffer) => {
    if (l.onOut) l.onOut(which, chunk); else l.early[which].push(chunk);
  };
  child.stdout!.on('data', out('out'));
  child.stderr!.on('data', out('err'));
  let joining = false;
  resultStream.on('data', (chunk: Buffer) => {
    if (l.resultBytes < RESULT_CAP_BYTES) { l.result.push(chunk); l.resultBytes += chunk.length; }
    if (!joining && chunk.includes(10)) {
      // The first line is the harness's {"started": true}: move the tree into the cgroup now.
      joining = true;
      joinCgroup(child.pid!, cg).then(
        () => { l.isReady = !l.exited; markReady(!l.exited); },
        (e: Error) => { l.joinError = e; markReady(false); },
      );
    }
  });
  l.closed = new Promise((resolve) => {
    let done = false;
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    const finish = () => { if (!done) { done = true; resolve(exitInfo ?? { code: null, signal: null }); } };
    child.on('close', (code, signal) => { exitInfo ??= { code, signal }; finish(); });
    child.on('exit', (code, signal) => {
      exitInfo = { code, signal };
      l.exited = true;
      l.isReady = false;
      markReady(false);
      // Nothing may outlive the run; the pipes close when the last holder is gone.
      killCgroup(cg);
      setTimeout(() => {
        for (const s of [child.stdout, child.stderr, resultStream]) (s as { destroy?: () => void } | null)?.destroy?.();
        finish();
      }, 2000).unref();
    });
    child.on('error', () => { if (child.pid === undefined) finish(); });
  });
  if (SECCOMP) (child.stdio[4] as NodeJS.WritableStream).end(SECCOMP);
  return l;
}

/** Remove the run's cgroup (killing what is left) and give its uid back once no process of it is left. */
async function retire(l: { cg: RunCgroup; uid: UidLease }): Promise<void> {
  let emptied = false;
  try { emptied = await destroyCgroup(l.cg); } finally { releaseUid(l.uid, emptied, l.cg); }
}

function setLimits(cg: RunCgroup, memoryBytes: number, maxPids: number): void {
  if (cg.layout.kind === 'v1') {
    const memsw = path.join(cg.memDir, 'memory.memsw.limit_in_bytes');
    const hasMemsw = fs.existsSync(memsw);
    // memsw must stay >= the memory limit: lower memory first, raise memsw first.
    if (hasMemsw) {
      const cur = Number((readText(memsw) ?? '').trim());
      if (memoryBytes > cur) fs.writeFileSync(memsw, String(memoryBytes));
    }
    fs.writeFileSync(path.join(cg.memDir, 'memory.limit_in_bytes'), String(memoryBytes));
    if (hasMemsw) fs.writeFileSync(memsw, String(memoryBytes));
    fs.writeFileSync(path.join(cg.pidsDir, 'pids.max'), String(maxPids));
  } else {
    fs.writeFileSync(path.join(cg.memDir, 'memory.max'), String(memoryBytes));
    fs.writeFileSync(path.join(cg.memDir, 'pids.max'), String(maxPids));
  }
}

/** Give a launched sandbox its one job and wait for the end. */
async function execute(l: Launched, job: HarnessJob, signal?: AbortSignal): Promise<RawRun> {
  const { child, cg } = l;
  const log = new LogBuffer(job.maxLogLines);
  let pendingLine = '';
  const decoders = { out: new StringDecoder('utf8'), err: new StringDecoder('utf8') };
  const pushText = (s: string) => {
    const parts = (pendingLine + s).split('\n');
    pendingLine = parts.pop() ?? '';
    for (const p of parts) log.push(p.replace(/\r$/, ''));
    if (pendingLine.length > 4000) { log.push(pendingLine.slice(0, 500) + '…'); pendingLine = ''; }
  };
  let outBytes = 0;
  let stderrHead = '';
  const apart: Record<'out' | 'err', Buffer[]> = { out: [], err: [] };
  let killed: RawRun['killed'] = null;
  const kill = (why: 'timeout' | 'output' | 'cancelled' | null) => {
    if (!killed && why) killed = why;
    killCgroup(cg);
    try { child.kill('SIGKILL'); } catch { /* gone */ } // --die-with-parent takes the namespace with it
  };
  const onOut = (which: 'out' | 'err', chunk: Buffer) => {
    if (killed === 'output') return;
    const room = job.maxOutputBytes - outBytes;
    outBytes += chunk.length;
    if (which === 'err' && stderrHead.length < 2000) stderrHead += chunk.toString('utf8', 0, Math.min(chunk.length, 2000));
    const kept = room >= chunk.length ? chunk : chunk.subarray(0, Math.max(0, room));
    if (job.mode === 'raw') apart[which].push(kept);
    pushText(decoders[which].write(kept));
    if (outBytes > job.maxOutputBytes) kill('output');
  };
  for (const w of ['out', 'err'] as const) for (const c of l.early[w].splice(0)) onOut(w, c);
  l.onOut = onOut;

  const t0 = performance.now();
  const timer = setTimeout(() => kill('timeout'), Math.max(100, job.timeLimitS * 1000));
  const cancel = () => kill('cancelled');
  if (signal?.aborted) cancel(); else signal?.addEventListener('abort', cancel, { once: true });
  const ok = await l.ready;
  if (ok && killed === null) {
    try {
      setLimits(cg, Math.max(MIN_MEMORY_MB, job.memoryMb) * 1048576, Math.max(8, job.maxProcesses));
    } catch (e) {
      l.joinError = e as Error;
      kill(null);
    }
    if (!l.joinError) {
      const code = Buffer.from(job.code, 'utf8');
      const header = JSON.stringify({
        mode: job.mode, target: job.target,
        solver_time_limit: Math.max(0.5, Math.round(job.timeLimitS * 0.8 * 100) / 100),
        cpu_limit: Math.max(1, Math.ceil(job.timeLimitS)),
        code_len: code.length,
      });
      child.stdin!.end(Buffer.concat([Buffer.from(header + '\n'), code, Buffer.from(job.stdin ?? '', 'utf8')]));
    }
  } else {
    kill(null);
  }
  const exit = await l.closed;
  clearTimeout(timer);
  signal?.removeEventListener('abort', cancel);
  const wallMs = performance.now() - t0;
  const oom = oomKills(cg);
  const cpuS = cpuSeconds(cg);
  await retire(l);
  if (l.spawnError) throw new SandboxError(`cannot start the sandbox: ${l.spawnError.message}`);
  if (l.joinError) throw new SandboxError(`cannot put the run into its cgroup: ${l.joinError.message}`);
  pushText(decoders.out.end() + decoders.err.end());
  if (pendingLine) { log.push(pendingLine); pendingLine = ''; }

  let started = false;
  let result: Record<string, unknown> | null = null;
  for (const line of Buffer.concat(l.result).toString('utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        const o = v as Record<string, unknown>;
        if (o.started === true && Object.keys(o).length === 1) started = true;
        else result = o; // the last complete line wins
      }
    } catch { /* a torn or forged line */ }
  }
  return {
    started, result, exitCode: exit.code, signal: exit.signal, killed, oomKills: oom, cpuS, wallMs, log: log.lines(), stderrHead,
    stdout: Buffer.concat(apart.out).toString('utf8'), stderr: Buffer.concat(apart.err).toString('utf8'),
  };
}

// The pool of launched, idle sandboxes, per configuration.
const pools = new Map<string, { size: number; cfg: SandboxConfig; idle: Launched[] }>();
const cfgKey = (cfg: SandboxConfig) => JSON.stringify([cfg.python, cfg.pythonPath, cfg.readOnlyPaths, cfg.tmpSizeMb, cfg.uidBase, cfg.uidCount, cfg.uid, cfg.gid, cfg.maxOpenFiles]);

function refill(key: string): void {
  const pool = pools.get(key);
  if (!pool) return;
  pool.idle = pool.idle.filter((l) => !l.exited);
  while (pool.idle.length < pool.size) {
    let l: Launched;
    try { l = launch(pool.cfg); } catch { return; }
    pool.idle.push(l);
    void l.closed.then(() => {
      // died while idle (or was used): drop it and its cgroup
      const p = pools.get(key);
      if (p) p.idle = p.idle.filter((x) => x !== l);
      if (!l.onOut) void retire(l);
    });
  }
}

const counts = { runs: 0, prewarmedReady: 0, prewarmedStarting: 0 };

/** Runs started, and how many of them took a prewarmed sandbox (ready, or still starting); idle ones ready now. */
export function sandboxStats(): { runs: number; prewarmedReady: number; prewarmedStarting: number; idleReady: number } {
  const idleReady = [...pools.values()].reduce((n, p) => n + p.idle.filter((l) => l.isReady && !l.exited).length, 0);
  return { ...counts, idleReady };
}

function takeLaunched(cfg: SandboxConfig): Launched {
  const key = cfgKey(cfg);
  const pool = pools.get(key);
  counts.runs++;
  if (pool) {
    // a ready one, else one still starting (ahead of a fresh launch), else a fresh launch
    let i = pool.idle.findIndex((l) => l.isReady && !l.exited);
    if (i >= 0) counts.prewarmedReady++;
    else if ((i = pool.idle.findIndex((l) => !l.exited)) >= 0) counts.prewarmedStarting++;
    const l = i >= 0 ? pool.idle.splice(i, 1)[0]! : launch(cfg);
    refill(key);
    return l;
  }
  return launch(cfg);
}

/**
 * Keep `count` sandboxes launched and waiting for this configuration (0 stops it). Each serves one
 * run; a run then starts in a few ms instead of a Python start-up plus a cgroup migration. Idle
 * sandboxes cost about 10 MiB each and no CPU; they die with the server (--die-with-parent).
 */
export function prewarmSandboxes(count: number, cfg: SandboxConfig = defaultSandboxConfig()): void {
  const key = cfgKey(cfg);
  const n = Math.max(0, Math.floor(count));
  if (n === 0) {
    const pool = pools.get(key);
    pools.delete(key);
    for (const l of pool?.idle ?? []) { killCgroup(l.cg); try { l.child.kill('SIGKILL'); } catch { /* gone */ } }
    return;
  }
  const pool = pools.get(key);
  if (pool) pool.size = n; else pools.set(key, { size: n, cfg: { ...cfg }, idle: [] });
  refill(key);
}

/** Stop every idle sandbox (server shutdown, tests). */
export function closeSandboxes(): void {
  for (const pool of [...pools.values()]) prewarmSandboxes(0, pool.cfg);
}

async function runHarness(job: HarnessJob, cfg: SandboxConfig, signal?: AbortSignal): Promise<RawRun> {
  return execute(takeLaunched(cfg), job, signal);
}

// ------------------------------------------------------------------------------------------------
// From the harness's JSON to a TargetRun

function normalizeRequest(req: SandboxRequest): HarnessJob {
  const num = (v: unknown, d: number) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : d);
  return {
    mode: 'run', target: String(req.target), code: String(req.code ?? ''),
    timeLimitS: Math.min(600, num(req.timeLimitS, 10)),
    memoryMb: Math.max(MIN_MEMORY_MB, Math.floor(num(req.memoryMb, 2048))),
    maxOutputBytes: Math.floor(num(req.maxOutputBytes, DEFAULT_OUTPUT_BYTES)),
    maxProcesses: Math.max(8, Math.floor(num(req.maxProcesses, DEFAULT_PROCESSES))),
    maxLogLines: DEFAULTS.max_log_lines,
  };
}

function limitFailure(raw: RawRun, job: HarnessJob): TargetRun | null {
  const pool = (text: string): Message => ({ severity: 'error', source: 'pool', text });
  const resultFirst = raw.result !== null && raw.killed === null;
  if (raw.killed === 'timeout' && !resultFirst) {
    return failedRun('timeout', [pool(`time limit: the code ran longer than ${job.timeLimitS} s (wall clock) and was stopped`)], raw.log);
  }
  if (raw.killed === 'cancelled') return failedRun('runtime_error', [pool('stopped: nobody waits for this run any more (the client went away)')], raw.log);
  if (raw.killed === 'output') {
    return failedRun('runtime_error', [pool(`output limit: the code wrote more than ${job.maxOutputBytes} bytes to stdout/stderr and was stopped`)], raw.log);
  }
  if (raw.oomKills > 0) {
    return failedRun('runtime_error', [pool(`memory limit: the code used more than ${job.memoryMb} MiB and was killed`)], raw.log);
  }
  if (raw.result) return null;
  const cpuLimit = Math.max(1, Math.ceil(job.timeLimitS));
  const sig = raw.exitCode !== null && raw.exitCode > 128 ? raw.exitCode - 128 : null;
  if (sig === 24 /* SIGXCPU */ || (sig === 9 && raw.cpuS !== null && raw.cpuS >= cpuLimit * 0.95)) {
    return failedRun('timeout', [pool(`time limit: the code used more than ${cpuLimit} s of CPU time and was stopped`)], raw.log);
  }
  return null;
}

/** Run model-written Python for one target in the sandbox. Never throws for anything the code does. */
export async function runSandboxed(req: SandboxRequest, cfg: SandboxConfig = defaultSandboxConfig()): Promise<HarnessRun> {
  const job = normalizeRequest(req);
  if (!sandboxTargetNames().includes(job.target)) {
    return failedRun('solver_error', [{ severity: 'error', source: 'pool', text: `unknown sandbox target "${job.target}"; known: ${sandboxTargetNames().join(', ')}` }]);
  }
  const raw = await runHarness(job, cfg, req.signal);
  const limited = limitFailure(raw, job);
  if (limited) return limited;
  if (raw.result) return fromHarness(raw.result, raw.log);
  if (!raw.started) {
    // Python never reached the harness: the machinery is broken, not the code.
    throw new SandboxError(`the sandbox did not start (exit ${raw.exitCode ?? raw.signal}): ${raw.stderrHead.trim().slice(0, 500)}`);
  }
  const how = raw.exitCode !== null && raw.exitCode > 128 ? `signal ${raw.exitCode - 128}` : `exit code ${raw.exitCode ?? raw.signal}`;
  return failedRun('runtime_error', [{ severity: 'error', source: 'pool', text: `the Python process ended without a result (${how})` }], raw.log);
}

/** A plain execution of Python code (SandboxFusion's /run_code): the same sandbox and limits, no solver hooks. */
export interface PythonRunRequest { code: string; stdin?: string; timeLimitS: number; memoryMb: number; maxOutputBytes?: number; maxProcesses?: number; signal?: AbortSignal }
export interface PythonRunResult { exitCode: number | null; stdout: string; stderr: string; timedOut: boolean; wallMs: number }

/**
 * Run Python code as `python main.py` would (stdin given, exit code 1 with a traceback on an uncaught
 * exception, sys.exit codes kept). Killed runs: timedOut for the time limits; exit code null and a
 * "[sandbox] …" line on stderr for the output and memory limits. Never throws for anything the code does.
 */
export async function runPython(req: PythonRunRequest, cfg: SandboxConfig = defaultSandboxConfig()): Promise<PythonRunResult> {
  const base = normalizeRequest({ target: 'pulp', code: req.code, timeLimitS: req.timeLimitS, memoryMb: req.memoryMb, maxOutputBytes: req.maxOutputBytes, maxProcesses: req.maxProcesses });
  const job: HarnessJob = { ...base, mode: 'raw', stdin: String(req.stdin ?? '') };
  const raw = await runHarness(job, cfg, req.signal);
  if (!raw.started && !raw.killed && raw.oomKills === 0) {
    throw new SandboxError(`the sandbox did not start (exit ${raw.exitCode ?? raw.signal}): ${raw.stderrHead.trim().slice(0, 500)}`);
  }
  const cpuLimit = Math.max(1, Math.ceil(job.timeLimitS));
  const sig = raw.exitCode !== null && raw.exitCode > 128 ? raw.exitCode - 128 : null;
  const timedOut = raw.killed === 'timeout' || (raw.result === null && (sig === 24 || (sig === 9 && raw.cpuS !== null && raw.cpuS >= cpuLimit * 0.95)));
  let stderr = raw.stderr;
  let exitCode = raw.exitCode;
  if (raw.killed === 'cancelled') { stderr += '\n[sandbox] stopped: the client went away\n'; exitCode = null; }
  else if (raw.killed === 'output') { stderr += `\n[sandbox] output limit: more than ${job.maxOutputBytes} bytes; the process was killed\n`; exitCode = null; }
  else if (raw.oomKills > 0) { stderr += `\n[sandbox] memory limit: more than ${job.memoryMb} MiB; the process was killed\n`; exitCode = null; }
  else if (timedOut) exitCode = null;
  return { exitCode, stdout: raw.stdout, stderr, timedOut, wallMs: raw.wallMs };
}

// ------------------------------------------------------------------------------------------------
// Start-up checks

/** /etc/passwd accounts and /etc/subuid ranges inside the sandbox uid range (they would share a uid with a run). */
export function uidRangeClashes(base: number, count: number, files = { passwd: '/etc/passwd', subuid: '/etc/subuid' }): string[] {
  const out: string[] = [];
  const end = base + count; // exclusive
  for (const line of (readText(files.passwd) ?? '').split('\n')) {
    const [name, , uid] = line.split(':');
    const u = Number(uid);
    if (name && uid && Number.isInteger(u) && u >= base && u < end) out.push(`the sandbox uid range ${base}..${end - 1} contains uid ${u} (${name}) of ${files.passwd}`);
  }
  for (const line of (readText(files.subuid) ?? '').split('\n')) {
    const [name, start, n] = line.split(':');
    const s0 = Number(start), c = Number(n);
    if (!name || !Number.isInteger(s0) || !Number.isInteger(c) || c <= 0) continue;
    if (s0 < end && s0 + c > base) out.push(`the sandbox uid range ${base}..${end - 1} overlaps ${name}'s subordinate uids ${s0}..${s0 + c - 1} in ${files.subuid}`);
  }
  return out;
}

export interface SandboxCheck { ok: boolean; cgroup: 'v1' | 'v2' | null; problems: string[] }

/** Self-test at server start: bwrap works, the cgroup is writable, Python runs, the sandbox holds. */
export async function checkSandbox(cfg: SandboxConfig = defaultSandboxConfig()): Promise<SandboxCheck> {
  const problems: string[] = [];
  for (const [bin, what] of [[BWRAP, 'bubblewrap'], [SETPRIV, 'setpriv (util-linux)']] as const) {
    try { fs.accessSync(bin, fs.constants.X_OK); } catch { problems.push(`${what} is missing at ${bin}`); }
  }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    problems.push('the server must run as root: bwrap sets up the mounts as root and drops the code to a uid of its own');
  }
  let range: { base: number; count: number } | null = null;
  try { range = uidRange(cfg); } catch (e) { problems.push((e as Error).message); }
  if (range && range.count > 0) problems.push(...uidRangeClashes(range.base, range.count));
  if (!fs.existsSync(HARNESS_PATH)) problems.push(`the harness is missing at ${HARNESS_PATH}`);
  const info = probePython(cfg.python);
  if (!info) problems.push(`the interpreter ${cfg.python} does not run`);
  const { layout, problem } = cgroupLayout();
  if (!layout) problems.push(`cgroups: ${problem}`);
  else {
    try { const cg = createRunCgroup(layout, 256 * 1048576, 16); await destroyCgroup(cg); } catch (e) { problems.push(`cgroups: ${(e as Error).message}`); }
    sweepStaleCgroups();
  }
  if (problems.length === 0) {
    const probe = [
      'import os, socket, json',
      'r = {"uid": os.getuid(), "gid": os.getgid(), "groups": os.getgroups()}',
      'caps = [l for l in open("/proc/self/status") if l.startswith(("CapEff", "CapPrm", "CapBnd", "NoNewPrivs"))]',
      'r["caps"] = {l.split(":")[0]: l.split(":")[1].strip() for l in caps}',
      'r["shadow"] = os.path.exists("/etc/shadow")',
      'import resource',
      'r["nofile"] = resource.getrlimit(resource.RLIMIT_NOFILE)[1]',
      'r["fds"] = [int(x) for x in os.listdir("/proc/self/fd")]',
      'try:\n    socket.socket(40, socket.SOCK_STREAM).close(); r["vsock"] = True\nexcept OSError:\n    r["vsock"] = False',
      'try:\n    socket.create_connection(("1.1.1.1", 53), timeout=1); r["net"] = True\nexcept OSError:\n    r["net"] = False',
      'print("EVOM-SELFTEST " + json.dumps(r))',
      'print("EVOM-SELFTEST-END")',
    ].join('\n');
    try {
      const run = await runSandboxed({ target: 'pulp', code: probe, timeLimitS: 20, memoryMb: 512 }, cfg);
      const line = run.log.find((l) => l.startsWith('EVOM-SELFTEST '));
      if (!line) problems.push(`the probe run gave no report: ${run.failure ?? run.status}: ${run.messages.map((m) => m.text).join('; ')}`);
      else {
        const r = JSON.parse(line.slice('EVOM-SELFTEST '.length)) as {
          uid: number; gid: number; groups: number[]; caps: Record<string, string>; shadow: boolean; net: boolean;
          nofile: number; fds: number[]; vsock: boolean;
        };
        const uidOk = range && (range.count === 0 ? r.uid === range.base : r.uid >= range.base && r.uid < range.base + range.count);
        if (!uidOk || r.gid !== cfg.gid) {
          const want = range ? (range.count === 0 ? `uid ${range.base}` : `a uid in ${range.base}..${range.base + range.count - 1}`) : 'a valid uid';
          problems.push(`the code runs as uid ${r.uid} gid ${r.gid}, expected ${want} and gid ${cfg.gid}`);
        }
        const nofile = Math.max(64, Math.floor(cfg.maxOpenFiles ?? DEFAULT_OPEN_FILES));
        if (r.nofile > nofile) problems.push(`the code may open ${r.nofile} files, expected at most ${nofile} (RLIMIT_NOFILE)`);
        // 0-2, the report channel 3, and the listing's own descriptor
        if (r.fds.filter((fd) => fd > 3).length > 1) problems.push(`the code holds descriptors beyond 0-3: ${r.fds.join(',')}`);
        if (r.vsock && process.arch === 'x64') problems.push('the code can create AF_VSOCK sockets (the seccomp filter is not in force)');
        if (r.groups.length) problems.push(`the code keeps supplementary groups ${r.groups.join(',')}`);
        for (const k of ['CapEff', 'CapPrm', 'CapBnd']) if (!/^0+$/.test(r.caps[k] ?? '')) problems.push(`the code has capabilities (${k} ${r.caps[k]})`);
        if (r.caps.NoNewPrivs !== '1') problems.push('no_new_privs is not set');
        if (r.shadow) problems.push('/etc/shadow is visible inside the sandbox');
        if (r.net) problems.push('the sandbox reached the network');
      }
      // the probe solves nothing: its report must come back through the result channel as exactly that
      if (!run.log.includes('EVOM-SELFTEST-END') || run.failure !== 'no_model' || !run.messages.some((m) => /never solved a model/.test(m.text))) {
        problems.push(`the probe run did not end as expected: ${run.failure ?? run.status}: ${run.messages.map((m) => m.text).join('; ')}`);
      }
    } catch (e) {
      problems.push(`the probe run failed: ${(e as Error).message}`);
    }
  }
  return { ok: problems.length === 0, cgroup: layout?.kind ?? null, problems };
}

export interface TargetAvailability { name: string; available: boolean; version?: string; reason?: string }

/** Import each solver package inside the sandbox once (and check licenses where importing is not enough). */
export async function discoverTargets(cfg: SandboxConfig = defaultSandboxConfig()): Promise<TargetAvailability[]> {
  let raw: RawRun;
  try {
    raw = await runHarness({ mode: 'discover', target: 'pulp', code: '', timeLimitS: 120, memoryMb: 2048, maxOutputBytes: 1 << 20, maxProcesses: 64, maxLogLines: 50 }, cfg);
  } catch (e) {
    return sandboxTargetNames().map((name) => ({ name, available: false, reason: `sandbox: ${(e as Error).message}` }));
  }
  const list = Array.isArray(raw.result?.discover) ? raw.result.discover as Record<string, unknown>[] : null;
  if (!list) {
    const why = raw.killed ? `the discovery run hit the ${raw.killed} limit` : `the discovery run gave no result (exit ${raw.exitCode})`;
    return sandboxTargetNames().map((name) => ({ name, available: false, reason: why }));
  }
  return sandboxTargetNames().map((name) => {
    const e = list.find((x) => x && x.name === name);
    if (!e) return { name, available: false, reason: 'not probed' };
    const out: TargetAvailability = { name, available: e.available === true };
    if (typeof e.version === 'string') out.version = e.version;
    if (typeof e.reason === 'string') out.reason = e.reason;
    return out;
  });
}
