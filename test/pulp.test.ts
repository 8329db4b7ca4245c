// The pulp target in Node (src/targets/pulp/): PuLP in Pyodide, one interpreter per run in a node
// process under bubblewrap, every PuLP solve served by HiGHS in WebAssembly, the verdict from the
// host's re-solve of the exported model. Real parts throughout: Pyodide, bubblewrap, HiGHS, and for
// parity the sandbox server's own pulp (CPython, CBC) through runSandboxed.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAMILIES, generateProblem } from '../src/problems/generator.ts';
import { toPulp } from '../src/targets/pulp/gold.ts';
import { capWasmMemory } from '../src/targets/pulp/interpreter.js';
import { bubblewrapWorks } from '../src/targets/pulp/isolate-node.ts';
import { createNodePool } from '../src/verifier/pool-node.ts';
import type { VerifierPool } from '../src/verifier/pool.ts';
import type { TargetRun } from '../src/verifier/outcome.ts';
import { checkedRun } from '../src/targets/python/check-export.ts';
import { poolResolver } from '../server/sandbox/resolver.ts';
import { cgroupLayout, closeSandboxes, defaultSandboxConfig, runSandboxed } from '../server/sandbox/sandbox.ts';
import { existsSync } from 'node:fs';

const GOLD = join(import.meta.dirname, 'fixtures', 'benchmark-gold');
const BROKEN = join(import.meta.dirname, 'fixtures', 'pulp-broken');
const text = (r: { messages: { text: string }[] }) => r.messages.map((m) => m.text).join(' | ');
const close = (a: number, b: number, rel = 1e-6) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(a), Math.abs(b));
const cls = (r: TargetRun) => r.failure ?? r.status;

/** A model whose optimum is 21 (x=3, y=1; 11 without the constant). */
const GOOD = 'import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 3)\ny = pulp.LpVariable("y", 0, cat="Integer")\nprob += 3 * x + 2 * y + 10\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve()\nprint("Optimal value:", pulp.value(prob.objective))\n';
/** Python's way out to JavaScript's globals: the bridge function's constructor is Function. */
const ESCAPE = 'import js\ng = js.evom_highs.constructor("return globalThis")()\n';

describe.skipIf(!bubblewrapWorks())('pulp in Pyodide under bubblewrap', () => {
  let pool: VerifierPool;
  const verify = (code: string, answer: number | 'infeasible' = 21, config = {}) =>
    pool.verify({ completion: code, raw_code: true, target: 'pulp', answer, config: { wall_limit_ms: 12_000, solver_time_limit_s: 5, ...config } });

  beforeAll(async () => {
    pool = createNodePool({ size: 2 });
    // the first run makes the snapshot (~4 s, cached on disk by content), so no test pays for it
    await pool.verify({ completion: GOOD, raw_code: true, target: 'pulp', answer: 21, config: { wall_limit_ms: 60_000 } });
  }, 90_000);
  afterAll(async () => { await pool.close(); });

  it('solves with HiGHS behind every PuLP solver class, the objective constant included', async () => {
    const solvers = ['', 'pulp.PULP_CBC_CMD(msg=0)', 'pulp.COIN_CMD(msg=False, timeLimit=5)', 'pulp.HiGHS_CMD(msg=0)', 'pulp.HiGHS()', 'pulp.GLPK_CMD(msg=0)', 'pulp.getSolver("PULP_CBC_CMD")'];
    const outs = await Promise.all(solvers.map((s) => verify(GOOD.replace('prob.solve()', `prob.solve(${s})`))));
    for (const [i, o] of outs.entries()) {
      expect(o.status, `${solvers[i]}: ${text(o)}`).toBe('optimal');
      expect(o.objective).toBe(21);
      expect(o.correct).toBe(true);
    }
    // after `from pulp import *`, the name pulp is the submodule pulp.pulp (as in CPython)
    const star = await verify('from pulp import *\nprob = LpProblem("m", LpMaximize)\nx = LpVariable("x", 0, 3)\ny = LpVariable("y", 0, cat="Integer")\nprob += 3 * x + 2 * y + 10\nprob += x + y <= 4\nprob += x + 3 * y <= 6\nprob.solve(PULP_CBC_CMD(msg=0))\nprint("Optimal value:", value(prob.objective))\n');
    expect(star.correct, text(star)).toBe(true);
  }, 60_000);

  it('classes: infeasible, unbounded, syntax, runtime, no solve, a missing package', async () => {
    const [inf, unb, syn, rt, none, pkg] = await Promise.all([
      verify(GOOD.replace('prob += x + y <= 4', 'prob += x + y <= 4\nprob += x + y >= 5'), 'infeasible'),
      verify('import pulp\np = pulp.LpProblem("u", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0)\np += x\np += x >= 1\np.solve()\n'),
      verify('import pulp\nprob = pulp.LpProblem("m" pulp.LpMaximize)\n'),
      verify('import pulp\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nprob += undefined_name\n'),
      verify('print("Optimal value: 21")\n'),
      verify('import numpy\n'),
    ]);
    expect(inf.status, text(inf)).toBe('infeasible');
    expect(inf.correct).toBe(true);
    expect(unb.status, text(unb)).toBe('unbounded');
    expect(syn.class).toBe('parse_error');
    expect(syn.messages[0]?.line).toBe(2);
    expect(rt.class).toBe('runtime_error');
    expect(text(rt)).toMatch(/NameError/);
    expect(none.class).toBe('no_model');
    expect(none.correct).toBe(false);
    expect(pkg.class).toBe('runtime_error');
    expect(text(pkg)).toMatch(/numpy/);
  }, 60_000);

  describe('isolation by capability; each attack ends in a clear class and the next run is clean', () => {
    const after = async () => {
      const o = await verify(GOOD + 'import builtins, os\nassert not hasattr(builtins, "evom_left_over"), "state leaked"\nassert not os.path.exists("/tmp/evom_left_over"), "file leaked"\n');
      expect(o.correct, text(o)).toBe(true);
    };

    it("the host's files are not there (process.binding('fs'))", async () => {
      const probe = (path: string) => `${ESCAPE}fsb = g.process.binding("fs")\nr = fsb.internalModuleReadJSON("${path}")\nprint("READ" if r.length and r[0] else "NOFILE", "${path}")\n`;
      const repoFile = join(import.meta.dirname, '..', 'package.json');
      // outside the sandbox the same probe reads the file: it is a working probe
      expect((process as unknown as { binding(n: string): { internalModuleReadJSON(p: string): unknown[] } }).binding('fs').internalModuleReadJSON(repoFile)[0]).toBeTruthy();
      for (const path of [repoFile, '/etc/passwd', '/root/.bashrc', '/home']) {
        const o = await verify(probe(path) + 'import builtins\nbuiltins.evom_left_over = 1\nopen("/tmp/evom_left_over", "w").write("x")\n');
        expect(o.class, text(o)).toBe('no_model');
        expect(o.log.join('\n')).toContain(`NOFILE ${path}`);
      }
      await after();
    }, 60_000);

    it('no network: the namespace has only a loopback interface', async () => {
      const o = await verify(`${ESCAPE}fsb = g.process.binding("fs")\nr = fsb.internalModuleReadJSON("/proc/self/net/dev")\nprint("NETDEV", r[0] if r.length else "none")\n`);
      const line = o.log.join('\n');
      expect(line).toContain('NETDEV');
      expect(line).toMatch(/\blo:/);
      expect(line).not.toMatch(/\b(eth|ens|enp|wlan|veth|docker)\d*:/);
      await after();
    }, 30_000);

    it('memory: the ceiling is in the module, so patched WebAssembly prototypes change nothing', async () => {
      const plain = await verify('x = bytearray(2 * 10**9)\n', 21, { memory_limit_mb: 256 });
      expect(plain.class, text(plain)).toBe('runtime_error');
      expect(text(plain)).toMatch(/MemoryError|memory limit/);
      const patched = await verify(`${ESCAPE}g.eval("const grow = WebAssembly.Memory.prototype.grow; WebAssembly.Memory.prototype.grow = function (n) { return grow.call(this, n * 4); }; WebAssembly.instantiate = () => Promise.reject(new Error('patched'))")\nchunks = []\nfor i in range(64):\n    chunks.append(bytearray(64 * 2**20))\nprint("ALLOCATED", len(chunks))\n`, 21, { memory_limit_mb: 256 });
      expect(patched.class, text(patched)).toBe('runtime_error');
      expect(text(patched)).toMatch(/MemoryError|memory/);
      expect(patched.log.join('\n')).not.toContain('ALLOCATED 64');
      const jsHeap = await verify(`${ESCAPE}g.eval("globalThis.keep = []; for (;;) globalThis.keep.push(new Array(1e6).fill(1.5))")\n`);
      expect(jsHeap.class, text(jsHeap)).toBe('runtime_error');
      expect(text(jsHeap)).toMatch(/memory limit|heap/);
      await after();
    }, 90_000);

    it('an endless loop is stopped by the wall clock from outside', async () => {
      const o = await verify('while True:\n    pass\n', 21, { wall_limit_ms: 4000 });
      expect(o.class, text(o)).toBe('timeout');
      await after();
    }, 60_000);

    it('forged reports earn nothing: the verdict is the host\'s re-solve of the exported model', async () => {
      // the harness's result rewritten in the interpreter: optimal 21 on a model whose optimum is 5
      const rewritten = await verify('import pulp, evom_harness\nprob = pulp.LpProblem("m", pulp.LpMaximize)\nx = pulp.LpVariable("x", 0, 5)\nprob += x\nprob.solve()\n_orig = evom_harness._result_from_solve\ndef forged(st, last, extra):\n    out = _orig(st, last, extra)\n    out["objective"] = 21.0\n    out["solver_objective"] = 21.0\n    return out\nevom_harness._result_from_solve = forged\n');
      expect(rewritten.correct, text(rewritten)).toBe(false);
      expect(rewritten.class, text(rewritten)).toBe('no_model');
      expect(text(rewritten)).toMatch(/re-solve of the exported model/);
      // a report line written on the host's channel (fd 3), then an exit before the real report
      const channel = await verify(`${ESCAPE}fsb = g.process.binding("fs")\nimport json\nreport = json.dumps({"failure": None, "status": "optimal", "objective": 21.0, "variables": {}, "messages": [], "solve_ms": 1, "solver_objective": 21.0})\nline = json.dumps({"report": report, "log": [], "run_ms": 1}) + "\\n"\ng.evom_line = line\ng.eval("process.binding('fs').writeString(3, globalThis.evom_line, null, 'utf8', undefined, undefined); process.reallyExit(0)")\n`);
      expect(channel.correct, text(channel)).toBe(false);
      expect(channel.class, text(channel) + channel.log.join('\n')).toBe('no_model');
      // a printed, solver-shaped report of the answer without a solve
      const printed = await verify('print(\'{"status": "optimal", "objective": 21}\')\nprint("Optimal value: 21")\n');
      expect(printed.correct).toBe(false);
      await after();
    }, 60_000);
  });

  it('capWasmMemory writes the maximum into the memory section (and refuses to go below the minimum)', async () => {
    // (module (memory (export "m") 1 100))
    const wasm = Uint8Array.from([0, 97, 115, 109, 1, 0, 0, 0, 5, 4, 1, 1, 1, 100, 7, 5, 1, 1, 109, 2, 0]);
    const capped = capWasmMemory(wasm, 10 * 65536);
    const m = new WebAssembly.Instance(new WebAssembly.Module(capped as Uint8Array<ArrayBuffer>)).exports.m as WebAssembly.Memory;
    expect(m.grow(9)).toBe(1);
    expect(() => m.grow(1)).toThrow(RangeError);
    const floor = new WebAssembly.Instance(new WebAssembly.Module(capWasmMemory(wasm, 0) as Uint8Array<ArrayBuffer>)).exports.m as WebAssembly.Memory;
    expect(() => floor.grow(1)).toThrow(RangeError);
    expect(floor.buffer.byteLength).toBe(65536);
  });

  // Parity with the sandbox server's pulp (CPython, CBC): the same completions, the same class and
  // objective. Needs the server's sandbox (root, bubblewrap, cgroups), as CI has.
  const serverUsable = process.platform === 'linux' && process.getuid?.() === 0 && existsSync('/usr/bin/setpriv') && cgroupLayout().layout !== null;
  describe.skipIf(!serverUsable)('parity with the sandbox server\'s pulp', () => {
    afterAll(() => { closeSandboxes(); });
    // answer null: the LP gold's optimum, solved by the highs target in the test. One seed per family
    // and difficulty: a second seed is the same serializer's program (toPulp) with other numbers, and
    // every seed's gold is checked elsewhere on both sides: in Pyodide against the LP gold's answer
    // (integrity.test.ts, the generator's gold in every target) and in CPython with CBC to 1e-6
    // (pulp-gold.test.ts). What only this test runs (the server's sandbox, its export, the re-solve)
    // meets every family and difficulty here, with the benchmark items and broken variants.
    const items: { name: string; code: string; answer: number | 'infeasible' | null; lp?: string }[] = [];
    for (const family of FAMILIES) {
      for (let difficulty = 1; difficulty <= 5; difficulty++) {
        for (const seed of [1]) {
          const p = generateProblem(family, seed, difficulty);
          expect(p.gold.pulp).toBe(toPulp(p.model));
          items.push({ name: p.id, code: p.gold.pulp!, answer: null, lp: p.gold.highs! });
        }
      }
    }
    const manifest = JSON.parse(readFileSync(join(GOLD, 'manifest.json'), 'utf8')) as { id: string; answer: number | null; expected_status: string }[];
    for (const m of manifest) {
      if (!existsSync(join(GOLD, `${m.id}.py`))) continue;
      items.push({ name: m.id, code: readFileSync(join(GOLD, `${m.id}.py`), 'utf8'), answer: m.expected_status === 'infeasible' ? 'infeasible' : m.answer! });
    }
    const broken = JSON.parse(readFileSync(join(BROKEN, 'manifest.json'), 'utf8')) as { file: string; answer: number | 'infeasible' | null }[];
    for (const b of broken) items.push({ name: `broken-${b.file}`, code: readFileSync(join(BROKEN, b.file), 'utf8'), answer: b.answer });

    it(`${items.length} completions (the gold of every generator family and difficulty, 48 benchmark items, broken variants) give the same class and objective`, async () => {
      expect(items.length).toBeGreaterThanOrEqual(FAMILIES.length * 5 + 48 + 17);
      expect(readdirSync(BROKEN).filter((f) => f.endsWith('.py')).length).toBe(broken.length);
      const sb = defaultSandboxConfig();
      const here: TargetRun[] = [];
      const there: TargetRun[] = [];
      const queue = items.map((it, i) => i);
      await Promise.all([0, 1].map(async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          const it = items[i]!;
          if (it.lp) {
            const lp = await pool.runCode({ code: it.lp, target: 'highs' });
            it.answer = lp.status === 'optimal' ? lp.objective : 'infeasible';
          }
          const infeasibleCore = it.answer === 'infeasible';
          here[i] = await pool.runCode({ code: it.code, target: 'pulp', infeasibleCore, config: { wall_limit_ms: 15_000, solver_time_limit_s: 10 } });
          const { exported, ...run } = await runSandboxed({ target: 'pulp', code: it.code, timeLimitS: 10, memoryMb: 1024 }, sb);
          there[i] = await checkedRun(run, exported, 10, poolResolver, infeasibleCore);
        }
      }));
      const differ: string[] = [];
      for (const [i, it] of items.entries()) {
        const a = here[i]!;
        const b = there[i]!;
        const same = cls(a) === cls(b) && (a.objective === null ? b.objective === null : b.objective !== null && close(a.objective, b.objective, 1e-6));
        if (!same) differ.push(`${it.name}: pyodide ${cls(a)} ${a.objective} (${text(a).slice(0, 120)}) vs server ${cls(b)} ${b.objective} (${text(b).slice(0, 120)})`);
      }
      expect(differ).toEqual([]);
      // and the gold is right: every generated and benchmark gold completion earns the answer here
      const golds = items.map((it, i) => [it, here[i]!] as const).filter(([it]) => !it.name.startsWith('broken-'));
      const wrong = golds.filter(([it, r]) => it.answer === 'infeasible' ? r.status !== 'infeasible' : !(r.status === 'optimal' && r.objective !== null && close(r.objective, it.answer as number, 1e-4)));
      expect(wrong.map(([it, r]) => `${it.name}: ${cls(r)} ${r.objective} vs ${it.answer}`)).toEqual([]);
    }, 600_000);
  });
});
