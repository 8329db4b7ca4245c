// The sandbox server's Python runner (server/sandbox/sandbox.ts + src/targets/python/harness.py) with the real thing:
// bubblewrap, cgroups, Debian's PuLP/CBC, swiglpk and cvxopt, pyenv's scipy. Needs root (bwrap sets
// up the mounts as root, the code runs as a uid of its own, gid 65534) and a cgroup hierarchy with memory + pids;
// skipped elsewhere. Licensed solvers are exercised through fake packages (test/fixtures/python/fakes,
// see its README): that tests the harness's extraction code, not the real gurobipy/coptpy/ortools.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { TargetRun } from '../src/verifier/outcome.ts';
import { classifyRun } from '../src/verifier/score.ts';
import {
  HARNESS_PATH, cgroupLayout, checkSandbox, closeSandboxes, defaultSandboxConfig, discoverTargets, prewarmSandboxes,
  runPython, runSandboxed, sandboxStats, sweepStaleCgroups, type SandboxConfig, type SandboxRequest,
} from '../server/sandbox/sandbox.ts';
import { checkedRun } from '../src/targets/python/check-export.ts';
import { poolResolver } from '../server/sandbox/resolver.ts';

const FIX = path.join(import.meta.dirname, 'fixtures', 'python');
const FAKES = path.join(FIX, 'fakes');
const fixture = (name: string) => fs.readFileSync(path.join(FIX, name), 'utf8');

const usable = process.platform === 'linux' && process.getuid?.() === 0 && fs.existsSync('/usr/bin/bwrap')
  && fs.existsSync('/usr/bin/setpriv') && cgroupLayout().layout !== null;

const cfg: SandboxConfig = usable ? defaultSandboxConfig() : { python: '', pythonPath: [], readOnlyPaths: [], tmpSizeMb: 64, uid: 65534, gid: 65534 };
const run = (req: Partial<SandboxRequest> & { code: string }, c: SandboxConfig = cfg) =>
  runSandboxed({ target: 'pulp', timeLimitS: 10, memoryMb: 1024, ...req }, c);
const text = (r: TargetRun) => r.messages.map((m) => m.text).join(' | ');
const logText = (r: TargetRun) => r.log.join('\n');
const cls = (r: TargetRun, answer: number | 'infeasible') => classifyRun(r, answer, 'rel5pct');

/** The code ran to its end and the harness reported it: a run that solves nothing says exactly that,
 *  and quotes what the code printed as an objective (never a verdict). */
function expectRanToTheEnd(r: TargetRun, printed: string) {
  expect(r.failure, text(r)).toBe('no_model');
  expect(text(r)).toMatch(/never solved a model/);
  expect(text(r)).toContain(`the code printed "${printed}"`);
}

/** A quick run that must work after every attack. */
async function expectHealthy(): Promise<void> {
  const r = await run({ code: 'print("objective = 42")', timeLimitS: 5, memoryMb: 256 });
  expectRanToTheEnd(r, 'objective = 42');
}

function hostProcesses(): string[] {
  return execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' }).split('\n');
}

function runCgroups(): string[] {
  const { layout } = cgroupLayout();
  if (!layout) return [];
  return [layout.memory, layout.pids].flatMap((b) => {
    try { return fs.readdirSync(b).filter((n) => n.startsWith(`r${process.pid}-`)); } catch { return []; }
  });
}

let targets: Awaited<ReturnType<typeof discoverTargets>> = [];
const has = (name: string) => targets.some((t) => t.name === name && t.available);

describe.skipIf(!usable)('sandbox self-test and discovery', () => {
  beforeAll(async () => { targets = await discoverTargets(cfg); }, 60_000);

  it('checkSandbox passes: bwrap, cgroup, python, a uid from the range, no capabilities, no network, no /etc/shadow', async () => {
    const c = await checkSandbox(cfg);
    expect(c.problems).toEqual([]);
    expect(c.ok).toBe(true);
    expect(c.cgroup).toMatch(/^v[12]$/);
  });

  it('discoverTargets imports every solver package inside the sandbox', () => {
    expect(targets.map((t) => t.name)).toEqual(['pulp', 'scipy', 'cvxopt', 'swiglpk', 'ortools', 'gurobi', 'copt']);
    expect(targets.find((t) => t.name === 'pulp')).toMatchObject({ available: true });
    expect(targets.find((t) => t.name === 'scipy')).toMatchObject({ available: true });
    for (const t of targets) if (!t.available) expect(t.reason, t.name).toBeTruthy();
    console.log('[sandbox] targets:', targets.map((t) => `${t.name}=${t.available ? t.version ?? 'yes' : 'no'}`).join(' '));
  });
});

describe.skipIf(!usable)('open targets give the solver\'s verdict', () => {
  beforeAll(async () => { if (targets.length === 0) targets = await discoverTargets(cfg); }, 60_000);

  it.concurrent('pulp LP (PULP_CBC_CMD) → optimal 11 with variables', async () => {
    const r = await run({ code: fixture('pulp_lp.py') });
    expect(r.failure, text(r)).toBeNull();
    expect(r.status).toBe('optimal');
    expect(r.objective).toBeCloseTo(11, 6);
    expect(r.variables).toEqual({ x: 3, y: 1 });
    expect(cls(r, 11)).toBe('correct');
    expect(r.messages.some((m) => m.line === 11)).toBe(true); // where the solve happened
    expect(r.log).toContain('Total profit: 11.0');
  });

  it.concurrent('pulp MILP with the default solver → optimal 25', async () => {
    const r = await run({ code: fixture('pulp_milp.py') });
    expect(r.status, text(r)).toBe('optimal');
    expect(r.objective).toBeCloseTo(25, 6);
    expect(r.log.join('\n')).not.toMatch(/Welcome to the CBC/); // solver logs quiet by default
  });

  it.concurrent('pulp infeasible MILP → infeasible; unbounded LP → unbounded', async () => {
    const inf = await run({ code: fixture('pulp_infeasible.py') });
    expect(inf.failure, text(inf)).toBeNull();
    expect(inf.status).toBe('infeasible');
    expect(inf.objective).toBeNull();
    expect(cls(inf, 'infeasible')).toBe('correct');
    const unb = await run({ code: fixture('pulp_unbounded.py') });
    expect(unb.status, text(unb)).toBe('unbounded');
    expect(cls(unb, 11)).toBe('unbounded');
  });

  it.concurrent('scipy linprog maximisation via negated c, printing -res.fun → +11', async () => {
    const r = await run({ target: 'scipy', code: fixture('scipy_linprog_max.py') });
    expect(r.failure, text(r)).toBeNull();
    expect(r.status).toBe('optimal');
    expect(r.objective).toBeCloseTo(11, 9);
    expect(text(r)).toMatch(/minimises; the code printed "Maximum profit: 11.00"/);
    expect(cls(r, 11)).toBe('correct');
  });

  it.concurrent('scipy linprog without a printed objective keeps fun (the minimiser\'s sign)', async () => {
    const r = await run({ target: 'scipy', code: 'from scipy.optimize import linprog\nres = linprog([-3, -2], A_ub=[[1, 1], [1, 3], [1, 0]], b_ub=[4, 6, 3])\nprint(res.x)\n' });
    expect(r.status, text(r)).toBe('optimal');
    expect(r.objective).toBeCloseTo(-11, 9);
  });

  it.concurrent('scipy milp knapsack → 25; infeasible; unbounded', async () => {
    const r = await run({ target: 'scipy', code: fixture('scipy_milp.py') });
    expect(r.status, text(r)).toBe('optimal');
    expect(r.objective).toBeCloseTo(25, 9);
    const inf = await run({ target: 'scipy', code: fixture('scipy_infeasible.py') });
    expect(inf.status, text(inf)).toBe('infeasible');
    const unb = await run({ target: 'scipy', code: fixture('scipy_unbounded.py') });
    expect(unb.status, text(unb)).toBe('unbounded');
  });

  it.concurrent('cvxopt solvers.lp and glpk.ilp (when cvxopt imports here)', async () => {
    if (!has('cvxopt')) return;
    const lp = await run({ target: 'cvxopt', code: fixture('cvxopt_lp.py') });
    expect(lp.status, text(lp)).toBe('optimal');
    expect(lp.objective).toBeCloseTo(11, 5);
    const ilp = await run({ target: 'cvxopt', code: fixture('cvxopt_ilp.py') });
    expect(ilp.status, text(ilp)).toBe('optimal');
    expect(ilp.objective).toBeCloseTo(25, 9);
  });

  it.concurrent('swiglpk glp_simplex → optimal 11 with column names', async () => {
    if (!has('swiglpk')) return;
    const r = await run({ target: 'swiglpk', code: fixture('swiglpk_lp.py') });
    expect(r.status, text(r)).toBe('optimal');
    expect(r.objective).toBeCloseTo(11, 9);
    expect(r.variables).toEqual({ x: 3, y: 1 });
  });

  it.concurrent('a syntax error → parse_error with line and column', async () => {
    const r = await run({ code: fixture('syntax_error.py') });
    expect(r.failure).toBe('parse_error');
    expect(r.messages[0]).toMatchObject({ severity: 'error', source: 'checker', line: 4 });
    expect(r.messages[0]!.column).toBeGreaterThan(0);
    expect(r.messages[0]!.text).toMatch(/SyntaxError: '\(' was never closed/);
    const ind = await run({ code: 'if True:\nprint(1)\n' });
    expect(ind.failure).toBe('parse_error');
    expect(ind.messages[0]).toMatchObject({ line: 2 });
    expect(ind.messages[0]!.text).toMatch(/IndentationError/);
  });

  it.concurrent('a NameError → runtime_error at its line with the traceback in the log', async () => {
    const r = await run({ code: fixture('name_error.py') });
    expect(r.failure).toBe('runtime_error');
    expect(r.messages[0]).toMatchObject({ line: 5 });
    expect(r.messages[0]!.text).toBe("NameError: name 'y' is not defined");
    expect(logText(r)).toMatch(/File "model.py", line 5/);
    expect(logText(r)).not.toMatch(/harness\.py/); // the harness's own frames are dropped
  });

  it.concurrent('code that only prints an objective solved nothing: runtime_error, the printed line quoted, no objective', async () => {
    const r = await run({ code: fixture('print_only.py') });
    expect(r.objective).toBeNull();
    expect(r.status).toBe('not_solved');
    expectRanToTheEnd(r, 'Optimal value: 11');
    const words = await run({ code: 'print("x = 2, y = 3")\nprint("Total profit = 1.5e3")\n' });
    expectRanToTheEnd(words, 'Total profit = 1.5e3');
    expect(words.objective).toBeNull();
  });

  it.concurrent('no solve and no objective, or a printed verdict without a solver → no_model', async () => {
    const none = await run({ code: 'x = 1 + 1\nprint("done")\n' });
    expect(none.failure).toBe('no_model');
    expect(text(none)).toMatch(/the code never solved a model/);
    const contra = await run({ code: 'print("The problem is infeasible")\nprint("Total cost: 0")\n' });
    expect(contra.failure).toBe('no_model');
    expect(text(contra)).toMatch(/never solved a model.*\(the printed output says "infeasible"\)/);
  });

  it.concurrent('the last of several solves counts; a crash after a solve is a runtime_error', async () => {
    const two = await run({ code: fixture('pulp_lp.py') + '\nprob += x <= 1\nprob.solve()\nprint(pulp.value(prob.objective))\n' });
    expect(two.status, text(two)).toBe('optimal');
    expect(two.objective).toBeCloseTo(3 + 2 * (5 / 3), 6); // x = 1, y = 5/3
    const crash = await run({ code: fixture('pulp_lp.py') + '\nprint(x.varValue / 0)\n' });
    expect(crash.failure).toBe('runtime_error');
    expect(text(crash)).toMatch(/ZeroDivisionError.*before the error, the last solve \(pulp\) ended optimal with objective 11/);
  });

  it.concurrent('sys.exit(0) after a solve is a normal end; a missing target package is a solver_error', async () => {
    const ex = await run({ code: fixture('pulp_lp.py') + '\nimport sys\nsys.exit(0)\n' });
    expect(ex.objective).toBeCloseTo(11, 6);
    const missing = await run({ target: 'gurobi', code: 'import gurobipy as gp\nm = gp.Model()\nm.optimize()\n' });
    if (has('gurobi')) return;
    expect(missing.failure).toBe('solver_error');
    expect(text(missing)).toMatch(/gurobi target's package gurobipy is not installed/);
    const other = await run({ target: 'pulp', code: 'import gurobipy\n' });
    expect(other.failure).toBe('runtime_error');
  });

  it.concurrent('the solver gets the time limit (80 % of the run\'s)', async () => {
    const r = await run({ timeLimitS: 5, code: fixture('pulp_lp.py') + '\nprint("limit", prob.solver.timeLimit)\n' });
    expect(r.log).toContain('limit 4');
  });
});

describe.skipIf(!usable)('licensed solvers: the report stands only when the exported model confirms it (fakes)', () => {
  const fakeCfg = (): SandboxConfig => ({ ...cfg, readOnlyPaths: [...cfg.readOnlyPaths, FAKES] });
  const prelude = `import sys\nsys.path.insert(0, ${JSON.stringify(FAKES)})\n`;
  // the example's model (max 3x + 2y, x + y <= 4, x + 3y <= 6, x <= 3: 11 at x = 3, y = 1) as MPS
  const MPS = ['NAME m', 'OBJSENSE', '    MAX', 'ROWS', ' N obj', ' L c1', ' L c2', 'COLUMNS', '    x obj 3 c1 1', '    x c2 1', '    y obj 2 c1 1', '    y c2 3',
    'RHS', '    rhs c1 4 c2 6', 'BOUNDS', ' UP bnd x 3', 'ENDATA'].join('\\n');
  const verified = async (target: string, code: string) => {
    const { exported, ...r } = await run({ target, timeLimitS: 5, code: prelude + code }, fakeCfg());
    return checkedRun(r, exported, 5, poolResolver);
  };
  const grb = (objval: number, mps: string | null) => [
    'import gurobipy as gp', 'm = gp.Model("t")', 'x = m.addVar(name="x")', 'y = m.addVar(name="y")', 'm.ModelSense = -1',
    `m._fake = (2, ${objval}, [3.0, 1.0])`, `m._fake_mps = ${mps === null ? 'None' : `"${mps}"`}`, 'm.optimize()',
  ].join('\n');

  it.concurrent('gurobipy: confirmed by re-solving the written MPS; a report the model does not give is no_model', async () => {
    const ok = await verified('gurobi', grb(11, MPS));
    expect(ok.failure, text(ok)).toBeNull();
    expect(ok).toMatchObject({ status: 'optimal', objective: 11 });
    expect(ok.facts?.objectiveTerms).toBe(2);
    const forged = await verified('gurobi', grb(224, MPS));
    expect(forged.failure).toBe('no_model');
    expect(text(forged)).toMatch(/re-solve of the exported model with HiGHS ends optimal at 11.*not optimal at the reported 224/);
    const unwritten = await verified('gurobi', grb(11, null));
    expect(unwritten.failure).toBe('no_model');
    expect(text(unwritten)).toMatch(/could not be exported \(GurobiError: fake: no model scripted/);
  });

  it.concurrent('coptpy and pywraplp: the same check on their writers', async () => {
    const copt = await verified('copt', ['import coptpy as cp', 'm = cp.Envr().createModel("t")', 'x = m.addVar(name="x")', 'y = m.addVar(name="y")',
      'm.ObjSense = -1', 'm._fake = (1, 11.0, [3.0, 1.0])', `m._fake_mps = "${MPS}"`, 'm.solve()'].join('\n'));
    expect(copt).toMatchObject({ failure: null, status: 'optimal', objective: 11 });
    const lp = await verified('ortools', ['from ortools.linear_solver import pywraplp', 's = pywraplp.Solver.CreateSolver("SCIP")',
      'x = s.NumVar(0, 3, "x")', 'y = s.NumVar(0, 9, "y")', 's.Objective()._max = True', 's._fake = (0, 11.0, [3.0, 1.0])', `s._fake_mps = "${MPS}"`, 's.Solve()'].join('\n'));
    expect(lp).toMatchObject({ failure: null, status: 'optimal', objective: 11 });
    const infeasible = await verified('ortools', ['from ortools.linear_solver import pywraplp', 's = pywraplp.Solver.CreateSolver("SCIP")',
      's._fake = (2, None, [])', `s._fake_mps = "${MPS}"`, 's.Solve()'].join('\n'));
    expect(infeasible.failure).toBe('no_model');
    expect(text(infeasible)).toMatch(/the reported infeasible status is not confirmed/);
  });

  it.concurrent('CP-SAT: a linear model is exported from its proto, re-solved, and judged by the rule', async () => {
    const model = (hi: number, objval: number) => ['from ortools.sat.python import cp_model', 'm = cp_model.CpModel()',
      'x = m.NewIntVar(0, 3, "x")', 'y = m.NewIntVar(0, 9, "y")', 'm.AddLinear([x, y], [1, 1], -2**62, 4)', `m.AddLinear([x, y], [1, 3], -2**62, ${hi})`,
      'm.SetLinearObjective([x, y], [3, 2], maximize=True)', 's = cp_model.CpSolver()', `s._fake = (cp_model.OPTIMAL, ${objval}, [3, 1])`, 's.Solve(m)'].join('\n');
    const ok = await verified('ortools', model(6, 11));
    expect(ok.failure, text(ok)).toBeNull();
    expect(ok.objective).toBe(11);
    const lie = await verified('ortools', model(6, 13));
    expect(lie.failure).toBe('no_model');
  });
});

describe.skipIf(!usable)('licensed-solver hooks, against fake packages (extraction code path only)', () => {
  const fakeCfg = (): SandboxConfig => ({ ...cfg, readOnlyPaths: [...cfg.readOnlyPaths, FAKES] });
  const prelude = `import sys\nsys.path.insert(0, ${JSON.stringify(FAKES)})\n`;

  it.concurrent('gurobipy: Model subclass hook, Status/ObjVal/X, TimeLimit and Threads set', async () => {
    const code = prelude + [
      'import gurobipy as gp', 'from gurobipy import GRB', 'assert gp.FAKE',
      'm = gp.Model("t")', 'x = m.addVar(name="x")', 'y = m.addVar(name="y")',
      'm._fake = (GRB.OPTIMAL, 11.0, [3.0, 1.0])', 'm.optimize()',
      'print("params", m.Params.TimeLimit, m.Params.Threads, isinstance(m, gp.Model))', 'print("Obj:", m.ObjVal)',
    ].join('\n');
    const r = await run({ target: 'gurobi', timeLimitS: 5, code }, fakeCfg());
    expect(r.failure, text(r)).toBeNull();
    expect(r).toMatchObject({ status: 'optimal', objective: 11, variables: { x: 3, y: 1 } });
    expect(r.log).toContain('params 4.0 1 True');
    for (const [code2, status] of [[3, 'infeasible'], [4, 'infeasible_or_unbounded'], [5, 'unbounded']] as const) {
      const s = await run({ target: 'gurobi', code: prelude + `import gurobipy as gp\nm = gp.Model()\nm._fake = (${code2}, None, [])\nm.optimize()\n` }, fakeCfg());
      expect(s.status, text(s)).toBe(status);
    }
    const tl = await run({ target: 'gurobi', code: prelude + 'import gurobipy as gp\nm = gp.Model()\nm.addVar(name="x")\nm._fake = (9, 7.5, [1.0])\nm.optimize()\n' }, fakeCfg());
    expect(tl).toMatchObject({ failure: null, status: 'time_limit', objective: 7.5 });
    expect(cls(tl, 7.5)).toBe('timeout');
    const err = await run({ target: 'gurobi', code: prelude + 'import gurobipy as gp\nm = gp.Model()\nm._fake = "raise"\nm.optimize()\n' }, fakeCfg());
    expect(err.failure).toBe('solver_error');
    expect(text(err)).toMatch(/GurobiError: Model too large/);
  });

  it.concurrent('coptpy: Envr().createModel(), solve()/solveLP(), status/objval', async () => {
    const code = prelude + [
      'import coptpy as cp', 'from coptpy import COPT', 'env = cp.Envr()', 'm = env.createModel("t")',
      'x = m.addVar(name="x")', 'm._fake = (COPT.OPTIMAL, 11.0, [3.0])', 'm.solve()',
      'print("params", m.getParam(COPT.Param.TimeLimit), m.getParam(COPT.Param.Threads))',
    ].join('\n');
    const r = await run({ target: 'copt', timeLimitS: 5, code }, fakeCfg());
    expect(r).toMatchObject({ failure: null, status: 'optimal', objective: 11, variables: { x: 3 } });
    expect(r.log).toContain('params 4.0 1');
    const iu = await run({ target: 'copt', code: prelude + 'import coptpy as cp\nm = cp.Envr().createModel()\nm._fake = (cp.COPT.INF_OR_UNB, None, [])\nm.solveLP()\n' }, fakeCfg());
    expect(iu.status, text(iu)).toBe('infeasible_or_unbounded');
  });

  it.concurrent('ortools: pywraplp Solve() codes and CP-SAT statuses', async () => {
    const lp = prelude + [
      'from ortools.linear_solver import pywraplp', 's = pywraplp.Solver.CreateSolver("SCIP")',
      'x = s.NumVar(0, 10, "x")', 's._fake = (pywraplp.Solver.OPTIMAL, 11.0, [3.0])',
      'status = s.Solve()', 'print("limit", s.time_limit_ms)',
    ].join('\n');
    const r = await run({ target: 'ortools', timeLimitS: 5, code: lp }, fakeCfg());
    expect(r).toMatchObject({ failure: null, status: 'optimal', objective: 11, variables: { x: 3 } });
    expect(r.log).toContain('limit 4000');
    const sat = prelude + [
      'from ortools.sat.python import cp_model', 'm = cp_model.CpModel()', 'v = m.NewIntVar(0, 9, "v")',
      's = cp_model.CpSolver()', 's._fake = (cp_model.OPTIMAL, 9.0, [9])', 's.Solve(m)',
      'print("params", s.parameters.max_time_in_seconds, s.parameters.num_workers)',
    ].join('\n');
    const c = await run({ target: 'ortools', timeLimitS: 5, code: sat }, fakeCfg());
    expect(c).toMatchObject({ failure: null, status: 'optimal', objective: 9, variables: { v: 9 } });
    expect(c.log).toContain('params 4.0 1');
    const inf = await run({ target: 'ortools', code: prelude + 'from ortools.sat.python import cp_model\ns = cp_model.CpSolver()\ns._fake = (cp_model.INFEASIBLE, None, [])\ns.Solve(cp_model.CpModel())\n' }, fakeCfg());
    expect(inf.status, text(inf)).toBe('infeasible');
  });
});

describe.skipIf(!usable)('attacks are contained, and a normal run works right after each', () => {
  const secret = `evom-secret-${process.pid}-${Date.now()}`;
  const tokenFiles = ['/tmp/evom-test-tokens', '/root/evom-test-tokens'];
  const roDir = `/tmp/evom-ro-test-${process.pid}`;
  let harnessHash = '';

  beforeAll(() => {
    process.env.EVOM_TEST_SECRET = secret;
    for (const f of tokenFiles) { fs.writeFileSync(f, secret + '\n', { mode: 0o600 }); fs.chmodSync(f, 0o600); }
    fs.mkdirSync(roDir, { recursive: true });
    fs.writeFileSync(path.join(roDir, 'token'), secret + '\n', { mode: 0o600 });
    harnessHash = createHash('sha256').update(fs.readFileSync(HARNESS_PATH)).digest('hex');
  });
  afterAll(() => {
    delete process.env.EVOM_TEST_SECRET;
    for (const f of tokenFiles) fs.rmSync(f, { force: true });
    fs.rmSync(roDir, { recursive: true, force: true });
  });

  it('network: loopback of the host, an external IP and DNS are all unreachable', async () => {
    let connections = 0;
    const server = net.createServer((s) => { connections++; s.destroy(); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const code = [
      'import socket',
      'def probe(label, f):',
      '    try:',
      '        f(); print("NET", label, "CONNECTED")',
      '    except OSError as e:',
      '        print("NET", label, type(e).__name__, e.errno)',
      `probe("loopback", lambda: socket.create_connection(("127.0.0.1", ${port}), timeout=2))`,
      'probe("external", lambda: socket.create_connection(("1.1.1.1", 53), timeout=2))',
      'probe("dns", lambda: socket.getaddrinfo("example.com", 80))',
      'socket.create_connection(("8.8.8.8", 53), timeout=2)',
    ].join('\n');
    const r = await run({ code, timeLimitS: 5 });
    server.close();
    expect(connections).toBe(0);
    const lines = r.log.filter((l) => l.startsWith('NET '));
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).not.toMatch(/CONNECTED/);
    expect(lines[1]).toMatch(/NET external OSError 101/); // ENETUNREACH
    expect(lines[2]).toMatch(/NET dns gaierror/);
    expect(r.failure).toBe('runtime_error');
    expect(r.messages[0]).toMatchObject({ line: 10 });
    expect(text(r)).toMatch(/Network is unreachable/);
    await expectHealthy();
  });

  it('reading /etc/shadow, the token files, a root-only file in a bound path and the server env fails', async () => {
    const code = [
      'import os, glob',
      'def read(p):',
      '    try:',
      '        print("READ", p, open(p).read().strip())',
      '    except OSError as e:',
      '        print("READ", p, type(e).__name__)',
      `for p in ["/etc/shadow", "/etc/passwd", ${tokenFiles.map((f) => JSON.stringify(f)).join(', ')}, ${JSON.stringify(roDir + '/token')}, "/proc/1/environ"]:`,
      '    read(p)',
      'for p in glob.glob("/proc/[0-9]*/environ"):',
      '    read(p)',
      'print("ENV", dict(os.environ))',
      'print("UID", os.getuid(), os.geteuid(), os.getgid(), os.getgroups())',
      'print("PIDS", sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))',
      'open("/etc/shadow")',
    ].join('\n');
    const r = await run({ code, timeLimitS: 5 }, { ...cfg, readOnlyPaths: [...cfg.readOnlyPaths, roDir] });
    const out = logText(r);
    expect(out).not.toContain(secret);
    expect(out).toMatch(/READ \/etc\/shadow FileNotFoundError/);
    expect(out).toMatch(/READ \/etc\/passwd FileNotFoundError/);
    expect(out).toMatch(/READ \/tmp\/evom-test-tokens FileNotFoundError/);
    expect(out).toMatch(/READ \/root\/evom-test-tokens FileNotFoundError/);
    expect(out).toContain(`READ ${roDir}/token PermissionError`); // visible through the bind, but an unprivileged uid really
    expect(out).toMatch(/READ \/proc\/1\/environ PermissionError/); // bwrap's init, root-owned
    const ids = /UID (\d+) (\d+) (\d+) \[\]/.exec(out);
    expect(ids, out).not.toBeNull();
    expect(ids![1]).toBe(ids![2]);
    expect(Number(ids![1])).toBeGreaterThanOrEqual(cfg.uidBase!);
    expect(Number(ids![1])).toBeLessThan(cfg.uidBase! + cfg.uidCount!);
    expect(ids![3]).toBe('65534');
    expect(out).not.toContain('EVOM_TEST_SECRET');
    expect(r.failure).toBe('runtime_error');
    expect(r.messages[0]).toMatchObject({ line: 14 });
    expect(text(r)).toMatch(/FileNotFoundError.*\/etc\/shadow/);
    await expectHealthy();
  });

  it('writing outside /tmp (/usr, /root, /, the harness, /etc) fails; /tmp works', async () => {
    const code = [
      'for p in ["/usr/evil", "/root/evil", "/evil", "/evom/harness.py", "/etc/evil", "/tmp/fine"]:',
      '    try:',
      '        with open(p, "a") as f: f.write("x")',
      '        print("WRITE", p, "OK")',
      '    except OSError as e:',
      '        print("WRITE", p, type(e).__name__, e.errno)',
    ].join('\n');
    const r = await run({ code, timeLimitS: 5 });
    const out = logText(r);
    for (const p of ['/usr/evil', '/root/evil', '/evil', '/evom/harness.py', '/etc/evil']) {
      expect(out).toMatch(new RegExp(`WRITE ${p} (PermissionError 13|OSError 30)`));
    }
    expect(out).toContain('WRITE /tmp/fine OK');
    expect(fs.existsSync('/usr/evil')).toBe(false);
    expect(fs.existsSync('/root/evil')).toBe(false);
    expect(createHash('sha256').update(fs.readFileSync(HARNESS_PATH)).digest('hex')).toBe(harnessHash);
    await expectHealthy();
  });

  it('seccomp: user namespaces, keyrings and ptrace are refused; threads and subprocesses work', async () => {
    if (process.arch !== 'x64') return;
    const code = [
      'import ctypes, os, threading, subprocess',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def res(label, rc):',
      '    print("SYS", label, rc, os.strerror(ctypes.get_errno()) if rc == -1 else "")',
      'res("unshare", libc.unshare(0x10000000))',
      'res("keyctl", libc.syscall(250, 0, 0, 0, 0, 0))',
      'res("ptrace", libc.syscall(101, 16, 1, 0, 0))',
      't = threading.Thread(target=lambda: print("THREAD ok")); t.start(); t.join()',
      'print("SUB", subprocess.run(["/usr/bin/echo", "hi"], capture_output=True, text=True).stdout.strip())',
      'print("objective = 1")',
    ].join('\n');
    const r = await run({ code, timeLimitS: 5 });
    const out = logText(r);
    expect(out).toMatch(/SYS unshare -1 Operation not permitted/);
    expect(out).toMatch(/SYS keyctl -1 Operation not permitted/);
    expect(out).toMatch(/SYS ptrace -1 Operation not permitted/);
    expect(out).toContain('THREAD ok');
    expect(out).toContain('SUB hi');
    expectRanToTheEnd(r, 'objective = 1');
  });

  it('fork bomb: the pids limit holds, the run times out, nothing is left', async () => {
    const code = 'import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n';
    const r = await run({ code, timeLimitS: 2, memoryMb: 512, maxProcesses: 32 });
    expect(r.failure).toBe('timeout');
    expect(text(r)).toMatch(/time limit/);
    expect(hostProcesses().filter((a) => a.includes('/evom/harness.py'))).toEqual([]);
    expect(runCgroups()).toEqual([]);
    await expectHealthy();
  });

  it('memory bomb: the cgroup OOM-kills it → runtime_error "memory limit"', async () => {
    const code = 'chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n';
    const r = await run({ code, timeLimitS: 5, memoryMb: 200 });
    expect(r.failure).toBe('runtime_error');
    expect(text(r)).toMatch(/memory limit: the code used more than 200 MiB/);
    await expectHealthy();
  });

  it('infinite loop: timeout', async () => {
    const r = await run({ code: 'while True:\n    pass\n', timeLimitS: 2 });
    expect(r.failure).toBe('timeout');
    expect(r.status).toBe('time_limit');
    expect(text(r)).toMatch(/time limit: the code (used more than 2 s of CPU time|ran longer than 2 s \(wall clock\))/);
    await expectHealthy();
  });

  it('gigabytes of output: killed at the cap → runtime_error "output limit"', async () => {
    // killed at the cap, not at the 5 s time limit (which would be a timeout)
    const r = await run({ code: 'import sys\nwhile True:\n    sys.stdout.write("x" * 65536 + "\\n")\n', timeLimitS: 5, maxOutputBytes: 64 * 1024 });
    expect(r.failure).toBe('runtime_error');
    expect(text(r)).toMatch(/output limit/);
    expect(r.log.join('\n').length).toBeLessThanOrEqual(64 * 1024 + 2000);
    await expectHealthy();
  });

  it('sleeping past the deadline: the wall-clock timer stops it (sleep uses no CPU)', async () => {
    const r = await run({ code: 'import time\nprint("objective: 5")\ntime.sleep(100)\n', timeLimitS: 2 });
    expect(r.failure).toBe('timeout');
    expect(r.log).toContain('objective: 5');
    expect(text(r)).toMatch(/ran longer than 2 s \(wall clock\) and was stopped/);
    await expectHealthy();
  });

  it('a detached child (double fork + setsid, and Popen(start_new_session)) does not survive the run', async () => {
    const code = [
      'import os, subprocess',
      'pid = os.fork()',
      'if pid == 0:',
      '    os.setsid()',
      '    if os.fork() == 0:',
      '        os.execv("/usr/bin/sleep", ["sleep", "1000.4242"])',
      '    os._exit(0)',
      'os.waitpid(pid, 0)',
      'subprocess.Popen(["/usr/bin/sleep", "1000.4343"], start_new_session=True)',
      'print("objective: 5")',
    ].join('\n');
    // a run that waited for the sleepers would end in a timeout, not a result
    const r = await run({ code, timeLimitS: 5 });
    expectRanToTheEnd(r, 'objective: 5');
    const left = hostProcesses().filter((a) => a.includes('1000.4242') || a.includes('1000.4343'));
    expect(left).toEqual([]);
    expect(runCgroups()).toEqual([]);
    await expectHealthy();
  });

  it('filling /tmp: ENOSPC at the tmpfs size', async () => {
    const code = [
      'with open("/tmp/big", "wb") as f:',
      '    for i in range(200):',
      '        f.write(b"0" * (1 << 20))',
    ].join('\n');
    const r = await run({ code, timeLimitS: 5, memoryMb: 512 });
    expect(r.failure).toBe('runtime_error');
    expect(text(r)).toMatch(/OSError: \[Errno 28\] No space left on device/);
    await expectHealthy();
  });
});

describe.skipIf(!usable)('runPython: plain execution in the same sandbox (SandboxFusion /run_code)', () => {
  it.concurrent('stdin, stdout, stderr and exit codes as `python main.py` gives them', async () => {
    const ok = await runPython({ code: 'import sys\nname = input()\nprint("hello", name)\nprint("warn", file=sys.stderr)\n', stdin: 'evom\n', timeLimitS: 5, memoryMb: 256 }, cfg);
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'hello evom\n', stderr: 'warn\n', timedOut: false });
    const exc = await runPython({ code: 'x = 1\nraise ValueError("bad")\n', timeLimitS: 5, memoryMb: 256 }, cfg);
    expect(exc.exitCode).toBe(1);
    expect(exc.stderr).toMatch(/File "main.py", line 2[\s\S]*ValueError: bad/);
    expect(exc.stderr).not.toMatch(/harness/);
    const ex3 = await runPython({ code: 'import sys\nsys.exit(3)\n', timeLimitS: 5, memoryMb: 256 }, cfg);
    expect(ex3.exitCode).toBe(3);
    const syn = await runPython({ code: 'def f(:\n', timeLimitS: 5, memoryMb: 256 }, cfg);
    expect(syn.exitCode).toBe(1);
    expect(syn.stderr).toMatch(/SyntaxError/);
  });

  it.concurrent('the limits hold: timeout, output cap, no network', async () => {
    const slow = await runPython({ code: 'import time\ntime.sleep(50)\n', timeLimitS: 1, memoryMb: 256 }, cfg);
    expect(slow).toMatchObject({ timedOut: true, exitCode: null });
    const loud = await runPython({ code: 'while True:\n    print("y" * 1000)\n', timeLimitS: 5, memoryMb: 256, maxOutputBytes: 10_000 }, cfg);
    expect(loud.exitCode).toBeNull();
    expect(loud.stdout.length).toBeLessThanOrEqual(10_000);
    expect(loud.stderr).toMatch(/\[sandbox\] output limit/);
    const netr = await runPython({ code: 'import socket\nsocket.create_connection(("1.1.1.1", 53), timeout=2)\n', timeLimitS: 5, memoryMb: 256 }, cfg);
    expect(netr.exitCode).toBe(1);
    expect(netr.stderr).toMatch(/Network is unreachable/);
  });
});

describe.skipIf(!usable)('concurrency and overhead', () => {
  it('parallel runs do not interfere (own cgroup, own /tmp, own result)', async () => {
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => run({
      code: `import os\nopen("/tmp/mine", "w").write("${i}")\nassert sorted(os.listdir("/tmp")) == ["mine"], os.listdir("/tmp")\nprint("objective = ${i + 1}")\n`,
      timeLimitS: 10, memoryMb: 256,
    })));
    runs.forEach((r, i) => expectRanToTheEnd(r, `objective = ${i + 1}`));
    expect(runCgroups()).toEqual([]);
  });

  it('run cgroups left by a dead server are swept', () => {
    const dead = spawnSync('/usr/bin/true').pid!;
    const { layout } = cgroupLayout();
    const dirs = [layout!.memory, layout!.pids].map((b) => path.join(b, `r${dead}-1-deadbeef`));
    for (const d of dirs) fs.mkdirSync(d);
    expect(sweepStaleCgroups()).toBeGreaterThanOrEqual(dirs.length);
    for (const d of dirs) expect(fs.existsSync(d)).toBe(false);
  });

  it('a run takes a prewarmed sandbox when one is ready (figures: bench/sandbox.ts)', async () => {
    prewarmSandboxes(1, cfg);
    await expect.poll(() => sandboxStats().idleReady, { timeout: 20_000, interval: 50 }).toBe(1);
    const before = sandboxStats();
    expect((await run({ code: fixture('pulp_lp.py') })).failure).toBeNull();
    expect(sandboxStats().prewarmedReady - before.prewarmedReady).toBe(1);
    closeSandboxes();
    expect(sandboxStats().idleReady).toBe(0);
  });

  it('prewarmed sandboxes get each request\'s own limits, serve one run each and leave nothing behind', async () => {
    prewarmSandboxes(2, cfg);
    await expect.poll(() => sandboxStats().idleReady, { timeout: 20_000, interval: 50 }).toBe(2);
    const bomb = await run({ code: 'chunks = []\nwhile True:\n    chunks.append(bytearray(16 * 1024 * 1024))\n', timeLimitS: 5, memoryMb: 150 });
    expect(text(bomb)).toMatch(/memory limit: the code used more than 150 MiB/);
    const pids = await run({ code: 'import subprocess\nps = [subprocess.Popen(["/usr/bin/sleep", "5"]) for _ in range(40)]\n', timeLimitS: 5, maxProcesses: 16 });
    expect(pids.failure).toBe('runtime_error');
    expect(text(pids)).toMatch(/BlockingIOError|Resource temporarily unavailable/);
    const tmp = await run({ code: 'import os\nprint(os.listdir("/tmp"))\nopen("/tmp/left", "w").write("x")\nprint("objective = 3")\n' });
    const again = await run({ code: 'import os\nassert os.listdir("/tmp") == [], os.listdir("/tmp")\nprint("objective = 4")\n' });
    expectRanToTheEnd(tmp, 'objective = 3');
    expectRanToTheEnd(again, 'objective = 4');
    const slow = await run({ code: 'import time\ntime.sleep(100)\n', timeLimitS: 1 });
    expect(slow.failure).toBe('timeout');
    closeSandboxes();
    await expect.poll(() => hostProcesses().filter((a) => a.includes('/evom/harness.py')), { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => runCgroups(), { timeout: 10_000 }).toEqual([]);
  });
});
