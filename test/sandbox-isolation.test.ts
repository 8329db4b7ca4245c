// Isolation of the sandbox server's runs from the host and from each other (server/sandbox/sandbox.ts,
// src/targets/python/harness.py), for findings a12, a13, a16 and a18 of the outside review
// (shared/reference/security-review.md):
//   * descriptors the process that started the server left open never reach the sandboxed code (a12);
//   * RLIMIT_NOFILE is lowered and cannot be raised again (a16);
//   * concurrent runs get uids of their own, so per-uid kernel limits (inotify instances here) are not
//     shared, and the uids are reused once a run is over (a13);
//   * only AF_UNIX, AF_INET and AF_INET6 sockets can be created (a18: AF_VSOCK is not isolated by the
//     network namespace).
// Needs what test/sandbox.test.ts needs (root, bubblewrap, setpriv, cgroups); skipped elsewhere.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  DEFAULT_UID_BASE, DEFAULT_UID_COUNT, HARNESS_PATH, UID_LOCK_DIR, cgroupLayout, checkSandbox, defaultSandboxConfig, runPython, runSandboxed,
  sandboxUidStats, uidRangeClashes, type PythonRunResult, type SandboxConfig,
} from '../server/sandbox/sandbox.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const SANDBOX_TS = path.join(ROOT, 'server', 'sandbox', 'sandbox.ts');

const usable = process.platform === 'linux' && process.getuid?.() === 0 && fs.existsSync('/usr/bin/bwrap')
  && fs.existsSync('/usr/bin/setpriv') && cgroupLayout().layout !== null;
const cfg: SandboxConfig = usable ? defaultSandboxConfig() : { python: '', pythonPath: [], readOnlyPaths: [], tmpSizeMb: 64, uid: 65534, gid: 65534 };

const py = (code: string, c: SandboxConfig = cfg, timeLimitS = 20): Promise<PythonRunResult> =>
  runPython({ code, timeLimitS, memoryMb: 256 }, c);

/** The one JSON line the sandboxed code printed with the given tag. */
function tagged<T>(r: PythonRunResult, tag: string): T {
  const line = r.stdout.split('\n').find((l) => l.startsWith(tag + ' '));
  if (!line) throw new Error(`no "${tag}" line; exit ${r.exitCode}; stdout: ${r.stdout.slice(0, 2000)}; stderr: ${r.stderr.slice(0, 2000)}`);
  return JSON.parse(line.slice(tag.length + 1)) as T;
}

// Sandboxed code that tries every descriptor from 3 to 1024: fstat, read, write.
const PROBE_FDS = [
  'import os, json, select',
  'res = {"listed": sorted(int(x) for x in os.listdir("/proc/self/fd")), "stat": [], "read": [], "wrote": []}',
  'for fd in range(3, 1025):',
  '    try:',
  '        st = os.fstat(fd)',
  '    except OSError:',
  '        continue',
  '    res["stat"].append(fd)',
  '    try:',
  '        os.lseek(fd, 0, 0)',
  '    except OSError:',
  '        pass',
  '    try:',
  '        p = select.poll(); p.register(fd, select.POLLIN)',
  '        if p.poll(0):  # never block (fd 3 is one end of a socket pair)',
  '            res["read"].append([fd, os.read(fd, 4096).decode("latin-1")])',
  '    except OSError:',
  '        pass',
  '    try:',
  '        res["wrote"].append([fd, os.write(fd, b"\\nEVOM-PWNED\\n")])',
  '    except OSError:',
  '        pass',
  'print("FDS " + json.dumps(res))',
].join('\n');
interface FdProbe { listed: number[]; stat: number[]; read: [number, string][]; wrote: [number, number][] }

describe.skipIf(!usable)('descriptors the server inherited never reach the sandboxed code (a12)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `evom-fd-${process.pid}-`));
  const secret = `evom-fd-secret-${process.pid}-${Date.now()}`;
  const readFile = path.join(dir, 'read-secret');
  const writeFile = path.join(dir, 'write-target');
  const writeText = `root only, must stay as it is ${secret}\n`;
  beforeAll(() => {
    fs.writeFileSync(readFile, secret + '\n', { mode: 0o600 });
    fs.writeFileSync(writeFile, writeText, { mode: 0o600 });
    for (const f of [readFile, writeFile]) fs.chmodSync(f, 0o600);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const expectUntouched = (probe: FdProbe, out: string) => {
    expect(out).not.toContain(secret);
    // only 0-2, the report channel (3) and the directory listing's own descriptor are open
    expect(probe.listed.filter((fd) => fd > 3).length).toBeLessThanOrEqual(1);
    expect(probe.listed).not.toContain(30);
    expect(probe.listed).not.toContain(31);
    expect(probe.stat.filter((fd) => fd !== 3)).toEqual([]);
    expect(fs.readFileSync(readFile, 'utf8')).toBe(secret + '\n');
    expect(fs.readFileSync(writeFile, 'utf8')).toBe(writeText);
  };

  it('a server started with extra open descriptors (fds 30, 31, 700 on root-only files): neither bwrap nor the code gets them', async () => {
    // The child plays `evom serve` started by a launcher that left descriptors open (not close-on-exec).
    const script = path.join(dir, 'child.mts');
    fs.writeFileSync(script, [
      'import * as fs from "node:fs";',
      `const sb = await import(${JSON.stringify(pathToFileURL(SANDBOX_TS).href)});`,
      'const secrets = JSON.parse(process.env.EVOM_FD_SECRETS!) as string[];',
      'const own = [30, 31, 700].map((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`); } catch { return null; } });',
      'const ppid = (pid: number) => Number(/\\) \\S+ (\\d+)/.exec(fs.readFileSync(`/proc/${pid}/stat`, "utf8"))?.[1] ?? 0);',
      'const comm = (pid: number) => fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim();',
      '/** a sandbox process of this server: bwrap started by it, or something below such a bwrap */',
      'const below = (pid: number) => { let sb = false; for (let p = pid, i = 0; p > 1 && i < 64; i++) { if (comm(p) === "bwrap") sb = true; p = ppid(p); if (p === process.pid) return sb; } return false; };',
      '/** sandbox processes started by this one that hold one of the secret files open */',
      'function holders(): string[] {',
      '  const out: string[] = [];',
      '  for (const d of fs.readdirSync("/proc")) {',
      '    if (!/^\\d+$/.test(d) || Number(d) === process.pid) continue;',
      '    try {',
      '      if (!below(Number(d))) continue;',
      '      for (const f of fs.readdirSync(`/proc/${d}/fd`)) {',
      '        let l = ""; try { l = fs.readlinkSync(`/proc/${d}/fd/${f}`); } catch { continue; }',
      '        if (secrets.includes(l)) out.push(`${d}:${f} ${fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\\0").slice(0, 2).join(" ")}`);',
      '      }',
      '    } catch { /* gone */ }',
      '  }',
      '  return out;',
      '}',
      'const cfg = sb.defaultSandboxConfig();',
      'sb.prewarmSandboxes(1, cfg);',
      'while (sb.sandboxStats().idleReady < 1) await new Promise((r) => setTimeout(r, 20));',
      'const idleHolders = holders();',
      `const run = await sb.runPython({ code: ${JSON.stringify(PROBE_FDS)}, timeLimitS: 20, memoryMb: 256 }, cfg);`,
      'sb.closeSandboxes();',
      'process.stdout.write("RESULT " + JSON.stringify({ own, idleHolders, run }) + "\\n");',
      'process.exit(0);',
    ].join('\n'));
    const fdRead = fs.openSync(readFile, 'r');
    const fdWrite = fs.openSync(writeFile, 'r+');
    const stdio: (string | number)[] = ['ignore', 'pipe', 'pipe'];
    while (stdio.length < 701) stdio.push('ignore');
    stdio[30] = fdRead; stdio[31] = fdWrite; stdio[700] = fdWrite;
    let stdout = '';
    let stderr = '';
    const code = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', script], {
        cwd: ROOT, stdio: stdio as never, env: { ...process.env, EVOM_FD_SECRETS: JSON.stringify([readFile, writeFile]) },
      });
      child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.stderr!.on('data', (c: Buffer) => { stderr += c.toString(); });
      child.on('error', reject);
      child.on('close', resolve);
    });
    fs.closeSync(fdRead);
    fs.closeSync(fdWrite);
    expect(code, stderr).toBe(0);
    const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
    expect(line, stdout + stderr).toBeTruthy();
    const res = JSON.parse(line!.slice(7)) as { own: (string | null)[]; idleHolders: string[]; run: PythonRunResult };
    // the child really had them (so this test can fail) ...
    expect(res.own).toEqual([readFile, writeFile, writeFile]);
    // ... bwrap, its init and the waiting harness do not ...
    expect(res.idleHolders).toEqual([]);
    // ... and the code reached none of them
    expect(res.run.exitCode, res.run.stderr).toBe(0);
    expectUntouched(tagged<FdProbe>(res.run, 'FDS'), res.run.stdout + res.run.stderr);
  }, 120_000);

  it('the harness closes every descriptor but 0-3 before it reads its job, however it was started', async () => {
    // The harness alone (no bwrap, no server-side filtering), started with fds 30 and 31 open.
    const fdRead = fs.openSync(readFile, 'r');
    const fdWrite = fs.openSync(writeFile, 'r+');
    const stdio: (string | number)[] = ['pipe', 'pipe', 'pipe', 'pipe'];
    while (stdio.length < 32) stdio.push('ignore');
    stdio[30] = fdRead; stdio[31] = fdWrite;
    const code = Buffer.from(PROBE_FDS);
    let stdout = '';
    const exit = await new Promise<number | null>((resolve, reject) => {
      const child = spawn(cfg.python, ['-I', '-B', HARNESS_PATH, JSON.stringify({ python_path: [] })], { stdio: stdio as never, cwd: dir });
      child.stdout!.on('data', (c: Buffer) => { stdout += c.toString(); });
      child.on('error', reject);
      child.on('close', resolve);
      child.stdin!.end(Buffer.concat([Buffer.from(JSON.stringify({ mode: 'raw', code_len: code.length }) + '\n'), code]));
    });
    fs.closeSync(fdRead);
    fs.closeSync(fdWrite);
    expect(exit, stdout).toBe(0);
    expectUntouched(tagged<FdProbe>({ exitCode: exit, stdout, stderr: '', timedOut: false, wallMs: 0 }, 'FDS'), stdout);
  }, 60_000);
});

describe.skipIf(!usable)('per-run kernel resources (a13, a16)', () => {
  it('RLIMIT_NOFILE is lowered to 1024 for the code and its children, and cannot be raised', async () => {
    const r = await py([
      'import os, json, resource, subprocess',
      'res = {"limit": list(resource.getrlimit(resource.RLIMIT_NOFILE))}',
      'try:',
      '    resource.setrlimit(resource.RLIMIT_NOFILE, (4096, 4096)); res["raised"] = True',
      'except (ValueError, OSError) as e:',
      '    res["raised"] = type(e).__name__',
      'fds = []',
      'try:',
      '    while len(fds) < 5000:',
      '        fds.append(os.open("/dev/null", os.O_RDONLY))',
      'except OSError as e:',
      '    res["errno"] = e.errno',
      'res["opened"] = len(fds)',
      'for fd in fds: os.close(fd)',
      'res["child"] = subprocess.run(["/bin/sh", "-c", "ulimit -n; ulimit -Hn"], capture_output=True, text=True).stdout.split()',
      'print("NOFILE " + json.dumps(res))',
    ].join('\n'));
    const res = tagged<{ limit: number[]; raised: unknown; errno?: number; opened: number; child: string[] }>(r, 'NOFILE');
    expect(res.limit).toEqual([1024, 1024]);
    expect(res.raised).toBe('ValueError');
    expect(res.errno).toBe(24); // EMFILE
    expect(res.opened).toBeLessThan(1024);
    expect(res.child).toEqual(['1024', '1024']);
  });

  it('two concurrent runs have different uids: one holding every inotify instance its uid may have does not stop the other', async () => {
    const mark = `evom-inotify-${process.pid}-${Date.now()}`;
    const libc = 'import ctypes, os, time, json\nlibc = ctypes.CDLL(None, use_errno=True)\n';
    const holder = py(libc + [
      'fds, err = [], 0',
      'while len(fds) < 5000:',
      '    fd = libc.inotify_init()',
      '    if fd < 0:',
      '        err = ctypes.get_errno(); break',
      '    fds.append(fd)',
      `open("/tmp/${mark}-held", "w").write(str(len(fds)))`,
      `while not os.path.exists("/tmp/${mark}-release"):`,
      '    time.sleep(0.02)',
      'print("A " + json.dumps({"uid": os.getuid(), "held": len(fds), "errno": err}))',
    ].join('\n'), cfg, 60);
    // wait until A holds them all (its /tmp, seen from the host through /proc/<pid>/root)
    const holderRoot = (): string | null => {
      for (const d of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(d)) continue;
        try { if (fs.existsSync(`/proc/${d}/root/tmp/${mark}-held`)) return `/proc/${d}/root/tmp`; } catch { /* gone */ }
      }
      return null;
    };
    await expect.poll(holderRoot, { timeout: 30_000, interval: 50 }).not.toBeNull();
    const root = holderRoot()!;
    let b: PythonRunResult;
    try {
      b = await py(libc + [
        'fd = libc.inotify_init()',
        'print("B " + json.dumps({"uid": os.getuid(), "fd": fd, "errno": ctypes.get_errno() if fd < 0 else 0}))',
      ].join('\n'));
    } finally {
      fs.writeFileSync(path.join(root, `${mark}-release`), '1');
    }
    const a = await holder;
    const ra = tagged<{ uid: number; held: number; errno: number }>(a, 'A');
    const rb = tagged<{ uid: number; fd: number; errno: number }>(b, 'B');
    expect(ra.errno).toBe(24); // EMFILE: A ran out of instances (its uid's max_user_instances) ...
    expect(ra.held).toBeGreaterThan(0);
    expect(rb.errno).toBe(0); // ... while B could still create one
    expect(rb.fd).toBeGreaterThanOrEqual(0);
    expect(ra.uid).not.toBe(rb.uid);
    for (const u of [ra.uid, rb.uid]) {
      expect(u).toBeGreaterThanOrEqual(cfg.uidBase!);
      expect(u).toBeLessThan(cfg.uidBase! + cfg.uidCount!);
    }
  }, 90_000);

  it('uids come from the configured range, are given back when a run ends, and are reused (no growth)', async () => {
    const base = 0x7e00f000; // outside the default range
    const small: SandboxConfig = { ...cfg, uidBase: base, uidCount: 2 };
    const inRange = (u: number) => u >= base && u < base + 2;
    const uidOf = async (c: SandboxConfig) => tagged<number>(await py('import os\nprint("UID", os.getuid())', c), 'UID');
    const seen: number[] = [];
    for (let i = 0; i < 5; i++) seen.push(await uidOf(small));
    seen.push(...await Promise.all([uidOf(small), uidOf(small)]));
    expect(seen.every(inRange), seen.join(',')).toBe(true);
    expect(new Set(seen).size).toBeLessThanOrEqual(2);
    const stats = sandboxUidStats();
    expect(stats.inUse.filter(inRange)).toEqual([]);
    expect(stats.lingering.filter(inRange)).toEqual([]);
    // a range with one uid: a second concurrent run is refused, not given a uid another run holds
    const one: SandboxConfig = { ...cfg, uidBase: base, uidCount: 1 };
    const busy = runSandboxed({ target: 'pulp', code: 'import time\ntime.sleep(100)\n', timeLimitS: 2, memoryMb: 256 }, one);
    expect(sandboxUidStats().inUse).toContain(base);
    await expect(runSandboxed({ target: 'pulp', code: 'print(1)', timeLimitS: 5, memoryMb: 256 }, one)).rejects.toThrow(/no free uid/);
    expect((await busy).failure).toBe('timeout');
    expect(sandboxUidStats().inUse).not.toContain(base);
    expect(await uidOf(one)).toBe(base); // free again
  }, 90_000);

  it('a uid another live server process holds (its lock file) is skipped; a dead one\'s lock is cleared', async () => {
    const base = 0x7e00e000;
    const two: SandboxConfig = { ...cfg, uidBase: base, uidCount: 2 };
    const uidOf = async () => tagged<number>(await py('import os\nprint("UID", os.getuid())', two), 'UID');
    const live = path.join(UID_LOCK_DIR, `${base}.${process.ppid}`); // a live process that is not this one
    const dead = path.join(UID_LOCK_DIR, `${base + 1}.${spawnSync('/usr/bin/true').pid}`);
    fs.mkdirSync(UID_LOCK_DIR, { recursive: true, mode: 0o700 });
    try {
      fs.writeFileSync(live, '');
      fs.writeFileSync(dead, '');
      expect(await uidOf()).toBe(base + 1); // base is the other server's; the dead server's lock is gone
      expect(fs.existsSync(dead)).toBe(false);
      const busy = runSandboxed({ target: 'pulp', code: 'import time\ntime.sleep(100)\n', timeLimitS: 2, memoryMb: 256 }, two);
      expect(fs.existsSync(path.join(UID_LOCK_DIR, `${base + 1}.${process.pid}`))).toBe(true);
      await expect(runSandboxed({ target: 'pulp', code: 'print(1)', timeLimitS: 5, memoryMb: 256 }, two)).rejects.toThrow(/no free uid/);
      expect((await busy).failure).toBe('timeout');
      expect(fs.existsSync(path.join(UID_LOCK_DIR, `${base + 1}.${process.pid}`))).toBe(false);
    } finally {
      fs.rmSync(live, { force: true });
    }
    expect(await uidOf()).toBe(base); // free once the other server let go
    expect(fs.readdirSync(UID_LOCK_DIR).filter((n) => n.startsWith(`${base}.`) || n.startsWith(`${base + 1}.`))).toEqual([]);
  }, 60_000);
});

describe('the sandbox uid range', () => {
  it('clashes with /etc/passwd accounts and /etc/subuid ranges are reported; the default range has none here', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'evom-uids-'));
    try {
      const passwd = path.join(dir, 'passwd');
      const subuid = path.join(dir, 'subuid');
      fs.writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nnobody:x:65534:65534::/:/bin/false\nsvc:x:2113929300:100::/:/bin/false\n');
      fs.writeFileSync(subuid, 'alice:100000:65536\nbob:2113933000:65536\n');
      const files = { passwd, subuid };
      expect(uidRangeClashes(200000, 1000, files)).toEqual([]);
      const clashes = uidRangeClashes(DEFAULT_UID_BASE, DEFAULT_UID_COUNT, files);
      expect(clashes).toHaveLength(2);
      expect(clashes[0]).toMatch(/contains uid 2113929300 \(svc\)/);
      expect(clashes[1]).toMatch(/overlaps bob's subordinate uids 2113933000\.\./);
      expect(uidRangeClashes(65000, 1000, files)[0]).toMatch(/uid 65534 \(nobody\)/);
      expect(uidRangeClashes(165535, 1, files)[0]).toMatch(/alice/);
      expect(uidRangeClashes(165536, 1, files)).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(uidRangeClashes(DEFAULT_UID_BASE, DEFAULT_UID_COUNT)).toEqual([]); // this machine's own files
  });
});

describe.skipIf(!usable)('checkSandbox and the uid range', () => {
  it('refuses a range with uid 0 or one that holds an account; uidCount 0 runs everything as `uid`', async () => {
    expect((await checkSandbox({ ...cfg, uidBase: 0, uidCount: 10 })).problems.join('; ')).toMatch(/must lie in 1\.\.4294967294/);
    const account = fs.readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => l.split(':')).find((f) => Number(f[2]) > 0);
    if (account) {
      const clash = await checkSandbox({ ...cfg, uidBase: Number(account[2]), uidCount: 10 });
      expect(clash.ok).toBe(false);
      expect(clash.problems.join('; ')).toContain(`contains uid ${account[2]} (${account[0]})`);
    }
    const shared: SandboxConfig = { ...cfg, uidCount: 0, uid: 65534 };
    expect((await checkSandbox(shared)).problems).toEqual([]);
    expect(tagged<number>(await py('import os\nprint("UID", os.getuid())', shared), 'UID')).toBe(65534);
  }, 60_000);
});

describe.skipIf(!usable)('socket families (a18)', () => {
  it('AF_VSOCK, AF_PACKET, AF_NETLINK, AF_BLUETOOTH, AF_ALG, AF_XDP are refused (EAFNOSUPPORT); AF_UNIX, AF_INET, AF_INET6 and socketpair(AF_UNIX) work', async () => {
    if (process.arch !== 'x64') return;
    const r = await py([
      'import socket, json, ctypes',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'res = {}',
      'def try_(label, f):',
      '    try:',
      '        s = f()',
      '        for x in (s if isinstance(s, tuple) else (s,)): x.close()',
      '        res[label] = "ok"',
      '    except OSError as e:',
      '        res[label] = e.errno',
      'for name, fam, typ in [("VSOCK", 40, 1), ("VSOCK_DGRAM", 40, 2), ("PACKET", 17, 3), ("NETLINK", 16, 3), ("BLUETOOTH", 31, 1),',
      '                       ("ALG", 38, 5), ("XDP", 44, 3), ("UNIX", 1, 1), ("UNIX_DGRAM", 1, 2), ("INET", 2, 1), ("INET_DGRAM", 2, 2), ("INET6", 10, 2)]:',
      '    try_(name, lambda: socket.socket(fam, typ))',
      'try_("PAIR_UNIX", lambda: socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM))',
      'try_("PAIR_VSOCK", lambda: socket.socketpair(40, socket.SOCK_STREAM))',
      '# the family is an int: high bits in the 64-bit register do not hide AF_VSOCK',
      'fd = libc.syscall(41, ctypes.c_long((1 << 32) | 40), 1, 0)',
      'res["RAW_HIGH"] = ctypes.get_errno() if fd < 0 else "ok"',
      'print("SOCK " + json.dumps(res))',
    ].join('\n'));
    const res = tagged<Record<string, number | 'ok'>>(r, 'SOCK');
    for (const k of ['VSOCK', 'VSOCK_DGRAM', 'PACKET', 'NETLINK', 'BLUETOOTH', 'ALG', 'XDP', 'PAIR_VSOCK', 'RAW_HIGH']) {
      expect(res[k], k).toBe(97); // EAFNOSUPPORT, from the seccomp filter
    }
    for (const k of ['UNIX', 'UNIX_DGRAM', 'INET', 'INET_DGRAM', 'INET6', 'PAIR_UNIX']) expect(res[k], k).toBe('ok');
  });
});
