# EVOM sandbox harness: runs model-written Python code inside the bubblewrap sandbox built by
# server/sandbox/sandbox.ts and reports ONE JSON result on file descriptor 3.
#
#   python -I -B -X utf8 /evom/harness.py '<json config>'   (job on stdin, result on fd 3)
#
# What it does, in order:
#   0. closes every file descriptor but 0-2 and the report channel (3): whatever the process that
#      started the server left open (not close-on-exec) would otherwise pass through node, bwrap and
#      setpriv into this process and the model code (the server also maps /dev/null over such
#      descriptors when it spawns bwrap; this is the guarantee, however the server was started);
#   1. says {"started": true} on fd 3 and waits for its job on stdin (the server sends it after moving
#      this process into the run's cgroups): a JSON line of per-request settings, then the code; lowers
#      its own resource limits (CPU seconds, file size, core dumps, open files: RLIMIT_NOFILE soft and
#      hard, which the code cannot raise again) before any model code runs;
#   2. compiles the code as "model.py" (SyntaxError -> parse_error with line/column);
#   3. installs light hooks on the solver packages as the code imports them (pulp, scipy.optimize,
#      cvxopt, swiglpk, OR-Tools, gurobipy, coptpy) that record every solve: status, objective,
#      variables, and hand the solver the time limit where the API allows it;
#   4. exec()s the code with __name__ == "__main__" while copying what it prints through sys.stdout
#      (the copy feeds the printed-objective rules below; the text itself still goes to the real stdout,
#      which the server captures as the log);
#   5. writes one JSON object to fd 3 and leaves with os._exit (no atexit handlers, no waiting for
#      threads the code started).
#
# Classification (the server maps the JSON straight onto src/verifier/outcome.ts TargetRun):
#   * compile() fails                               -> failure "parse_error" (line, column)
#   * uncaught exception while running              -> "runtime_error" (line in model.py, message);
#     ModuleNotFoundError for the target's own package -> "solver_error" (the package is not installed);
#     an exception of the solver package raised inside a hooked solve call -> "solver_error"
#   * sys.exit(0) / sys.exit() count as a normal end; a non-zero exit counts only when a solve was recorded
#   * several solves -> the last one counts
#   * no solve recorded -> the objects left in the code's global namespace are inspected (a solved
#     LpProblem, a scipy OptimizeResult, a gurobipy Model); else "no_model": "the code never solved a
#     model". What the code printed is never a verdict: a line that names an objective is quoted in an
#     info message only.
#   * every recorded solve exports its model ("model": MPS from the library's own writer, or the arrays
#     an array API was given; "model_error" when it cannot). The server checks the export outside this
#     process (exported-model.ts: the integrity rule, and a re-solve with HiGHS that must agree with the
#     reported status and objective), so a report forged on fd 3 or a patched hook gains nothing that
#     writing the same model directly would not.
#   * minimise-only APIs (scipy linprog/milp, cvxopt lp/ilp) are often used for maximisation by
#     negating c and printing -res.fun. When the code printed (after the solve) a number whose absolute
#     value equals |fun| (to the printed precision), the objective takes that number's sign (magnitude
#     from fun); lines with objective-like words are preferred; otherwise fun is used as it is.
#   * nothing at all -> runtime_error "the code never solved a model".
#
# Integrity: the model code runs in this same interpreter, so it can tamper with the harness (replace
# hooks, write its own JSON to fd 3, kill itself before the report). The sandbox (namespaces, uid,
# cgroups, read-only filesystem) is the security boundary. The server takes the LAST complete JSON
# line from fd 3; this harness writes its line last and then exits at once, and forked children never
# report. Whatever the report says, the answer reward rests only on the exported model, checked and
# re-solved by the server: a forged report can at most submit a model, which the same rule judges.

import os
import sys

_MAIN_PID = os.getpid()
_os_exit = os._exit
RESULT_FD = 3

# Top-level package each target's code imports; a missing one is the server's problem (solver_error).
TARGET_PACKAGES = {
    'pulp': 'pulp', 'scipy': 'scipy', 'cvxopt': 'cvxopt', 'swiglpk': 'swiglpk',
    'ortools': 'ortools', 'gurobi': 'gurobipy', 'copt': 'coptpy',
}

MAX_VARS = 1000
MAX_LINE = 2000


def _emit(obj):
    """Write the one result line to fd 3 (only the main process ever reports)."""
    import json
    if os.getpid() != _MAIN_PID:
        return
    try:
        data = (json.dumps(obj, allow_nan=False, default=str) + '\n').encode('utf-8')
    except (ValueError, TypeError):
        data = (json.dumps(_sanitize(obj), default=str) + '\n').encode('utf-8')
    view = memoryview(data)
    while view:
        try:
            n = os.write(RESULT_FD, view)
        except InterruptedError:
            continue
        except OSError:
            return
        view = view[n:]


def _sanitize(x):
    import math
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, dict):
        return {str(k): _sanitize(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_sanitize(v) for v in x]
    return x


def _finite(v):
    """A finite float, or None."""
    import math
    try:
        f = float(v)
    except Exception:
        return None
    return f if math.isfinite(f) else None


# --------------------------------------------------------------------------------------------------
# What the code prints

class _Recorder:
    """Keeps the last lines written through sys.stdout (bounded) and counts all of them."""

    def __init__(self, max_lines=4000):
        import collections
        self.lines = collections.deque(maxlen=max_lines)
        self.count = 0
        self.pending = ''

    def feed(self, s):
        if not s:
            return
        self.pending += s
        if '\n' not in self.pending:
            if len(self.pending) > 100_000:
                self.pending = self.pending[-MAX_LINE:]
            return
        parts = self.pending.split('\n')
        self.pending = parts.pop()
        for p in parts:
            self.lines.append((self.count, p[:MAX_LINE]))
            self.count += 1

    def finish(self):
        if self.pending:
            self.lines.append((self.count, self.pending[:MAX_LINE]))
            self.count += 1
            self.pending = ''

    def after(self, index):
        return [(i, l) for (i, l) in self.lines if i >= index]


def _make_tee(real, rec):
    import io

    class Tee(io.TextIOBase):
        def write(self, s):
            if not isinstance(s, str):
                raise TypeError('write() argument must be str, not %s' % type(s).__name__)
            try:
                rec.feed(s)
            except Exception:
                pass
            return real.write(s)

        def writelines(self, lines):
            for l in lines:
                self.write(l)

        def flush(self):
            return real.flush()

        def fileno(self):
            return real.fileno()

        def isatty(self):
            return False

        def writable(self):
            return True

        def readable(self):
            return False

        @property
        def encoding(self):
            return real.encoding

        @property
        def errors(self):
            return real.errors

        @property
        def buffer(self):
            return real.buffer

        @property
        def line_buffering(self):
            return real.line_buffering

        def reconfigure(self, *a, **k):
            return real.reconfigure(*a, **k)

        def __getattr__(self, name):
            return getattr(real, name)

    return Tee()


# --------------------------------------------------------------------------------------------------
# Numbers in printed text

_NUM = (r'[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?(?:[eE][-+]?\d+)?'
        r'|[-+]?\.\d+(?:[eE][-+]?\d+)?')
_STRONG = (r'objective|optimal|optimum|total|profit|cost|revenue|income|earnings|minimum|maximum'
           r'|minimi[sz]ed|maximi[sz]ed|minimi[sz]ing|maximi[sz]ing')
_WEAK = r'value|result|answer|\bmin\b|\bmax\b|\bobj\b'
_CONTRA = (r'\binfeasib\w*|\bunbounded|\bno (?:feasible |optimal )?solution|\bnot optimal|\bnot solved'
           r'|\berror\b|\bfailed\b|\bfailure\b')


def _parse_num(tok):
    """(value, half unit of the last printed digit) for a printed number."""
    import re
    t = tok.replace(',', '')
    try:
        v = float(t)
    except ValueError:
        return None, None
    m = re.match(r'[-+]?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$', t)
    decimals = len(m.group(2) or '') if m else 0
    exp = int(m.group(3)) if m and m.group(3) else 0
    return v, 0.5 * 10.0 ** (exp - decimals)


def _printed_objective(rec):
    """The printed-objective fallback (rules in the header). -> (value, line) or (None, reason)."""
    import re
    rec.finish()
    lines = list(rec.lines)
    text = '\n'.join(l for _, l in lines)
    contra = re.search(_CONTRA, text, re.I)
    best = None
    for strength, pat in ((2, _STRONG), (1, _WEAK)):
        for _, line in reversed(lines):
            kws = list(re.finditer(pat, line, re.I))
            if not kws:
                continue
            tail = line[kws[-1].end():]
            m = re.match(r'[^:=\n]*[:=]\s*\$?\s*(' + _NUM + r')', tail)
            if not m:
                m = re.search('(' + _NUM + ')', tail)
            if not m:
                # "42 is the optimal value": a number before the word
                nums = list(re.finditer('(' + _NUM + ')', line[:kws[-1].start()]))
                m = nums[-1] if nums else None
            if m:
                v, _ = _parse_num(m.group(1))
                if v is not None and _finite(v) is not None:
                    best = (v, line)
                    break
        if best:
            break
    if best is None:
        return None, None
    if contra:
        return None, 'the printed output says "%s"' % contra.group(0)
    return best


def _sign_from_print(rec, fun, after_index):
    """For minimise-only APIs: the sign of a printed number equal to |fun| (see header)."""
    import re
    if fun is None or fun == 0:
        return fun, None
    a = abs(fun)
    cands = []
    for i, line in rec.after(after_index):
        for m in re.finditer('(' + _NUM + ')', line):
            v, half = _parse_num(m.group(1))
            if v is None or v == 0:
                continue
            tol = max(half * 1.02, 1e-9 * max(1.0, a))
            if abs(abs(v) - a) <= tol:
                strong = bool(re.search(_STRONG + '|' + _WEAK, line, re.I))
                cands.append((strong, i, v, line))
    if not cands:
        return fun, None
    strong = [c for c in cands if c[0]]
    pick = (strong or cands)[-1]
    v = pick[2]
    signed = a if v > 0 else -a
    return signed, pick[3]


# --------------------------------------------------------------------------------------------------
# Recording solves

class _State:
    def __init__(self, cfg, rec):
        self.cfg = cfg
        self.rec = rec
        self.solves = []
        self.notes = []          # info messages
        self.depth = 0           # nested hooked calls record only the outermost
        self.solve_ms = 0.0
        self.in_solve_exc = None  # (exception object, lib) raised inside a hooked solve
        self.limit = float(cfg.get('solver_time_limit') or 0) or None
        self.patched = set()
        self.patch_errors = []


ST = None  # the _State, set in main()


def _model_line():
    """Line in model.py of the innermost frame of the model code on the current stack."""
    f = sys._getframe(1)
    while f is not None:
        if f.f_code.co_filename == 'model.py':
            return f.f_lineno
        f = f.f_back
    return None


def _solve_call(lib, call, before=None, after=None, min_only=False):
    """Run one solver call; record it through after(ret) -> dict (status, objective, variables)."""
    import time
    st = ST
    outer = st.depth == 0
    if outer and before is not None:
        try:
            before()
        except Exception as e:  # a hook must never break the code
            st.patch_errors.append('%s: %s' % (lib, e))
    st.depth += 1
    t0 = time.perf_counter()
    try:
        ret = call()
    except BaseException as e:
        st.depth -= 1
        if outer:
            st.solve_ms += (time.perf_counter() - t0) * 1000
            st.in_solve_exc = (e, lib)
        raise
    st.depth -= 1
    if not outer:
        return ret
    ms = (time.perf_counter() - t0) * 1000
    st.solve_ms += ms
    rec = None
    if after is not None:
        try:
            rec = after(ret, ms)
        except Exception as e:
            rec = {'status': 'error', 'objective': None, 'variables': {},
                   'raw_status': 'the harness could not read the result: %s' % e}
    if rec is not None:
        rec['lib'] = lib
        rec['solve_ms'] = ms
        rec['line'] = _model_line()
        rec['print_index'] = st.rec.count
        rec['min_only'] = min_only
        st.solves.append(rec)
    return ret


def _near_limit(ms):
    return ST.limit is not None and ms >= 0.9 * ST.limit * 1000


def _cap_vars(d):
    if len(d) <= MAX_VARS:
        return d
    return dict(list(d.items())[:MAX_VARS])


# --------------------------------------------------------------------------------------------------
# Exporting each solve's model. The server (exported-model.ts, outside this process) reads it, applies
# the integrity rule to it and re-solves it with HiGHS: the verdict never rests on a number the code
# reported. Libraries with a writer export with it (MPS); array APIs export the arrays they were given.

EXPORT_CAP = 8 * 1024 * 1024


def _tmp_file(ext):
    import tempfile
    fd, path = tempfile.mkstemp(prefix='evom-export-', suffix=ext)
    os.close(fd)
    return path


def _read_tmp(path):
    try:
        with open(path, 'r', encoding='utf-8', errors='replace') as f:
            text = f.read(EXPORT_CAP + 1)
    finally:
        try:
            os.unlink(path)
        except OSError:
            pass
    if len(text) > EXPORT_CAP:
        raise ValueError('the model is larger than %d bytes' % EXPORT_CAP)
    return text


def _with_export(rec, fn):
    """Attach the solve's model to its record, or why it could not be exported."""
    if rec is None:
        return rec
    try:
        rec['model'] = fn()
    except Exception as e:  # a writer that fails must not break the code
        rec['model_error'] = ('%s: %s' % (type(e).__name__, e))[:500]
    return rec


def _num_or_none(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if f == f and abs(f) < 1e30 else None


def _vec(x, n, fill):
    """A length-n list of floats (None for infinite) from a scalar, a sequence or an array."""
    import numpy as np
    if x is None:
        return [fill] * n
    a = np.asarray(x, dtype=float).ravel()
    if a.size == 1 and n != 1:
        a = np.full(n, float(a[0]))
    if a.size != n:
        raise ValueError('a vector of length %d where %d were expected' % (a.size, n))
    return [_num_or_none(v) for v in a]


def _matrix_rows(A):
    """Rows of [column, coefficient] pairs of a dense array or a scipy.sparse matrix."""
    import numpy as np
    try:
        import scipy.sparse as sp
        if sp.issparse(A):
            A = sp.csr_matrix(A)
            return [[[int(j), float(v)] for j, v in zip(A.indices[A.indptr[i]:A.indptr[i + 1]],
                                                         A.data[A.indptr[i]:A.indptr[i + 1]]) if v != 0]
                    for i in range(A.shape[0])]
    except ImportError:
        pass
    A = np.atleast_2d(np.asarray(A, dtype=float))
    return [[[int(j), float(v)] for j, v in enumerate(row) if v != 0] for row in A]


def _pulp_export(prob):
    path = _tmp_file('.mps')
    prob.writeMPS(path)  # PuLP writes *SENSE:<sense>; its writers drop the objective constant
    const = 0.0
    if prob.objective is not None:
        const = float(getattr(prob.objective, 'constant', 0) or 0)
    return {'format': 'mps', 'text': _read_tmp(path), 'constant': const}


def _linprog_bounds(b, n):
    import numpy as np
    lo, hi = [0.0] * n, [None] * n
    if b is None:
        return lo, hi
    if hasattr(b, 'lb') and hasattr(b, 'ub'):  # scipy.optimize.Bounds
        return _vec(b.lb, n, 0.0), _vec(b.ub, n, None)
    seq = list(b) if not isinstance(b, np.ndarray) else b.tolist()
    if len(seq) == 2 and all(x is None or np.isscalar(x) for x in seq):
        seq = [seq] * n
    if len(seq) != n:
        raise ValueError('bounds for %d variables where %d were expected' % (len(seq), n))
    for j, pair in enumerate(seq):
        a, z = (pair if pair is not None else (None, None))
        lo[j], hi[j] = (_num_or_none(a) if a is not None else None), (_num_or_none(z) if z is not None else None)
    return lo, hi


def _scipy_export(name, a, k):
    import numpy as np
    if name == 'linprog':
        args = dict(zip(['c', 'A_ub', 'b_ub', 'A_eq', 'b_eq', 'bounds', 'method', 'callback', 'options', 'x0',
                         'integrality'], a))
        args.update(k)
        c = np.asarray(args['c'], dtype=float).ravel()
        n = c.size
        rows = []
        if args.get('A_ub') is not None:
            for r, b in zip(_matrix_rows(args['A_ub']), _vec(args.get('b_ub'), len(_matrix_rows(args['A_ub'])), None)):
                rows.append({'terms': r, 'lo': None, 'hi': b})
        if args.get('A_eq') is not None:
            for r, b in zip(_matrix_rows(args['A_eq']), _vec(args.get('b_eq'), len(_matrix_rows(args['A_eq'])), None)):
                rows.append({'terms': r, 'lo': b, 'hi': b})
        lo, hi = _linprog_bounds(args.get('bounds'), n)
    else:  # milp(c, *, integrality=None, bounds=None, constraints=None, options=None)
        args = dict(zip(['c'], a))
        args.update(k)
        c = np.asarray(args['c'], dtype=float).ravel()
        n = c.size
        rows = []
        cons = args.get('constraints')
        if cons is not None:
            if hasattr(cons, 'A') or (isinstance(cons, tuple) and len(cons) == 3 and not hasattr(cons[0], 'A')):
                cons = [cons]
            for con in cons:
                A, clo, chi = (con.A, con.lb, con.ub) if hasattr(con, 'A') else con
                mr = _matrix_rows(A)
                for r, l, h in zip(mr, _vec(clo, len(mr), None), _vec(chi, len(mr), None)):
                    rows.append({'terms': r, 'lo': l, 'hi': h})
        b = args.get('bounds')
        if b is None:
            lo, hi = [0.0] * n, [None] * n
        elif hasattr(b, 'lb'):
            lo, hi = _vec(b.lb, n, 0.0), _vec(b.ub, n, None)
        else:
            lo, hi = _vec(b[0], n, 0.0), _vec(b[1], n, None)
    integ = args.get('integrality')
    integer = [bool(v) for v in _vec(integ, n, 0.0)] if integ is not None else [False] * n
    if any(v is None for v in c):
        raise ValueError('an objective coefficient is not finite')
    return {'format': 'linear', 'sense': 'min', 'c': [float(v) for v in c], 'rows': rows, 'lo': lo, 'hi': hi,
            'integer': integer}


def _cvx_export(kind, a, k):
    names = ['c', 'G', 'h', 'A', 'b'] + (['I', 'B'] if kind == 'ilp' else [])
    args = dict(zip(names, a))
    args.update(k)

    def rows_of(M):
        if M is None:
            return []
        m, n = M.size
        out = [[] for _ in range(m)]
        if type(M).__name__ == 'spmatrix':
            for i, j, v in zip(M.I, M.J, M.V):
                if v != 0:
                    out[i].append([int(j), float(v)])
        else:
            for i in range(m):
                for j in range(n):
                    v = float(M[i, j])
                    if v != 0:
                        out[i].append([j, v])
        return out
    c = [float(v) for v in list(args['c'])]
    n = len(c)
    rows = [{'terms': r, 'lo': None, 'hi': _num_or_none(b)} for r, b in zip(rows_of(args.get('G')), list(args.get('h') or []))]
    if args.get('A') is not None:
        rows += [{'terms': r, 'lo': _num_or_none(b), 'hi': _num_or_none(b)} for r, b in zip(rows_of(args['A']), list(args['b']))]
    ints = set(args.get('I') or ()) | set(args.get('B') or ())
    lo, hi = [None] * n, [None] * n  # cvxopt's variables are free
    for j in set(args.get('B') or ()):
        lo[j], hi[j] = 0.0, 1.0
    return {'format': 'linear', 'sense': 'min', 'c': c, 'rows': rows, 'lo': lo, 'hi': hi,
            'integer': [j in ints for j in range(n)]}


def _glpk_export(g, lp):
    path = _tmp_file('.mps')
    if g.glp_write_mps(lp, g.GLP_MPS_FILE, None, path) != 0:
        raise RuntimeError('glp_write_mps failed')
    return {'format': 'mps', 'text': _read_tmp(path), 'sense': 'max' if g.glp_get_obj_dir(lp) == g.GLP_MAX else 'min',
            'constant': float(g.glp_get_obj_coef(lp, 0))}


def _pywraplp_export(solver):
    o = solver.Objective()
    return {'format': 'mps', 'text': solver.ExportModelAsMpsFormat(False, False),
            'sense': 'max' if o.maximization() else 'min', 'constant': float(o.offset())}


def _cp_export(model):
    proto = model.Proto() if hasattr(model, 'Proto') else model.proto
    big = 2 ** 62

    def interval(d, what):
        d = list(d)
        if len(d) != 2:
            raise ValueError('%s has a domain with holes' % what)
        return (None if d[0] <= -big else float(d[0])), (None if d[1] >= big else float(d[1]))
    names, lo, hi = [], [], []
    for i, v in enumerate(proto.variables):
        names.append(v.name or 'x%d' % i)
        a, z = interval(v.domain, 'variable %d' % i)
        lo.append(a)
        hi.append(z)
    n = len(names)
    rows = []
    for c in proto.constraints:
        kind = c.WhichOneof('constraint')
        if kind != 'linear' or list(c.enforcement_literal):
            raise ValueError('a %s constraint: only plain linear CP-SAT models are exported' % kind)
        if any(int(v) < 0 for v in c.linear.vars):
            raise ValueError('a negated variable in a linear constraint')
        a, z = interval(c.linear.domain, 'a linear constraint')
        rows.append({'terms': [[int(v), float(x)] for v, x in zip(c.linear.vars, c.linear.coeffs)], 'lo': a, 'hi': z})
    obj = proto.objective
    scale = float(getattr(obj, 'scaling_factor', 0) or 1.0)
    cvec = [0.0] * n
    for v, x in zip(obj.vars, obj.coeffs):
        if int(v) < 0:
            raise ValueError('a negated variable in the objective')
        cvec[int(v)] += scale * float(x)
    # CP-SAT stores Maximize(e) as minimize(-e) with scaling_factor -1: the value is scale·(e' + offset)
    return {'format': 'linear', 'sense': 'max' if scale < 0 else 'min', 'c': cvec, 'names': names,
            'constant': scale * float(getattr(obj, 'offset', 0) or 0), 'rows': rows, 'lo': lo, 'hi': hi,
            'integer': [True] * n}


def _file_export(write, sense, constant):
    path = _tmp_file('.mps')
    write(path)
    return {'format': 'mps', 'text': _read_tmp(path), 'sense': sense, 'constant': float(constant or 0)}


# ---- PuLP ----------------------------------------------------------------------------------------

def _patch_pulp(pulp):
    import shutil
    if sys.platform == 'emscripten':
        if not getattr(pulp, '_evom_bridge', False):
            _pulp_bridge(pulp)  # Pyodide: HiGHS in WebAssembly serves every solver class (below)
        _patch_pulp_solve(pulp)
        return
    apis = getattr(pulp, 'apis', None)
    coin = getattr(apis, 'coin_api', None) if apis else None
    P = getattr(pulp, 'PULP_CBC_CMD', None)
    COIN = getattr(pulp, 'COIN_CMD', None)
    cbc = shutil.which('cbc') or '/usr/bin/cbc'
    # Debian strips PuLP's bundled CBC. When the class body's chmod of the bundled path failed, PuLP
    # 2.6 defines PULP_CBC_CMD with stub available()/actualSolve() that always fail: drop the stubs so
    # COIN_CMD's real methods (which find `cbc` on PATH) apply, and point pulp_cbc_path at /usr/bin/cbc.
    if P is not None and COIN is not None:
        bundled = getattr(P, 'pulp_cbc_path', None)
        if not (bundled and os.access(bundled, os.X_OK)):
            for name in ('available', 'actualSolve'):
                if name in P.__dict__:
                    try:
                        delattr(P, name)
                    except Exception:
                        pass
            P.pulp_cbc_path = cbc
            if coin is not None:
                try:
                    coin.pulp_cbc_path = cbc
                except Exception:
                    pass
    # Quiet solver logs unless the code asks for them (msg=True is PuLP's default).
    for cls_name in ('PULP_CBC_CMD', 'COIN_CMD', 'GLPK_CMD'):
        cls = getattr(pulp, cls_name, None)
        if cls is None or '__init__' not in cls.__dict__:
            continue
        orig_init = cls.__dict__['__init__']

        def make(orig_init):
            def __init__(self, *a, **k):
                if 'msg' not in k and len(a) < 2:
                    k['msg'] = False
                return orig_init(self, *a, **k)
            __init__.__wrapped__ = orig_init
            return __init__
        cls.__init__ = make(orig_init)
    # The default solver was chosen at import time (GLPK_CMD when CBC looked unavailable).
    try:
        if P is not None and P(msg=False).available():
            default = P(msg=False)
            for mod in (pulp, getattr(pulp, 'pulp', None), apis):
                if mod is not None and hasattr(mod, 'LpSolverDefault'):
                    mod.LpSolverDefault = default
    except Exception as e:
        ST.patch_errors.append('pulp default solver: %s' % e)

    _patch_pulp_solve(pulp)


def _patch_pulp_solve(pulp):
    LpProblem = pulp.LpProblem
    orig_solve = LpProblem.solve

    def solve(self, solver=None, **kwargs):
        def before():
            s = solver or getattr(self, 'solver', None) or getattr(pulp.pulp, 'LpSolverDefault', None)
            if s is not None and ST.limit and getattr(s, 'timeLimit', None) is None:
                s.timeLimit = max(1, int(ST.limit))

        def after(ret, ms):
            return _with_export(_pulp_record(pulp, self, ms), lambda: _pulp_export(self))
        return _solve_call('pulp', lambda: orig_solve(self, solver, **kwargs), before, after)

    solve.__wrapped__ = orig_solve
    solve.__doc__ = orig_solve.__doc__
    LpProblem.solve = solve


# ---- PuLP in Pyodide (the in-process pulp target: src/targets/pulp/) -------------------------------
# No solver binary runs in WebAssembly. Every PuLP solver class a model names (the default solver,
# PULP_CBC_CMD, COIN_CMD, GLPK_CMD, and HiGHS_CMD / HiGHS of newer PuLP) becomes one class whose
# actualSolve writes the model as LP text with PuLP's own writer and hands it, with the objective
# constant PuLP's writers drop, to HiGHS in WebAssembly: js.evom_highs, provided by the interpreter's
# host (src/targets/pulp/interpreter.js). Status and values come back as PuLP's own solvers set them.
# None of it is the verdict: the host re-solves the exported model outside this interpreter.

_HIGHS_STATUS = {  # HiGHS model status -> (PuLP status, PuLP solution status)
    'Optimal': (1, 1), 'Infeasible': (-1, -1), 'Unbounded': (-2, -2),
}


def _pulp_bridge(pulp):
    import json
    import time
    # PuLP times its solves with resource.getrusage, and Pyodide has no `resource` module
    for mod in (getattr(pulp, 'pulp', None), getattr(getattr(pulp, 'apis', None), 'core', None)):
        if mod is not None and hasattr(mod, 'clock'):
            mod.clock = time.process_time

    def actual_solve(self, lp, **kwargs):
        import js
        path = _tmp_file('.lp')
        try:
            lp.writeLP(path, writeSOS=0, mip=1 if self.mip else 0)
            with open(path, 'r', encoding='utf-8') as f:
                text = f.read()
        finally:
            try:
                os.unlink(path)
            except OSError:
                pass
        const = float(getattr(lp.objective, 'constant', 0) or 0) if lp.objective is not None else 0.0
        limit = self.timeLimit if self.timeLimit else self.optionsDict.get('maxSeconds')
        opts = {'time_limit': float(limit) if limit else None, 'offset': const}
        res = json.loads(str(js.evom_highs(text, json.dumps(opts))))
        if res.get('error'):
            raise pulp.PulpSolverError('HiGHS: %s' % res['error'])
        status = res.get('status')
        values = res.get('values') or {}
        if status in _HIGHS_STATUS:
            code, sol = _HIGHS_STATUS[status]
        elif status in ('Time limit reached', 'Iteration limit reached') and values:
            code, sol = 1, 2  # stopped on a limit with a feasible solution (PuLP's LpSolutionIntegerFeasible)
        elif status in ('Time limit reached', 'Iteration limit reached'):
            code, sol = 0, 0
        else:
            code, sol = -3, 0
        if values:
            lp.assignVarsVals({v.name: values.get(v.name, 0.0) for v in lp.variables()})
        lp.assignStatus(code, sol)
        return code

    def make(name, positional):
        def __init__(self, *args, **kwargs):
            for k, v in zip(positional, args):
                kwargs.setdefault(k, v)
            if kwargs.get('timeLimit') is None and kwargs.get('maxSeconds') is not None:
                kwargs['timeLimit'] = kwargs.get('maxSeconds')
            pulp.LpSolver.__init__(self, mip=kwargs.pop('mip', True), msg=False, options=kwargs.pop('options', None),
                                   timeLimit=kwargs.pop('timeLimit', None),
                                   **{k: v for k, v in kwargs.items() if k != 'msg'})
        return type(name, (pulp.LpSolver,), {
            'name': name, '__init__': __init__, 'available': lambda self: True,
            'actualSolve': actual_solve, 'actualResolve': actual_solve,
            'copy': lambda self: self,
            '__doc__': '%s, served by HiGHS in WebAssembly (EVOM)' % name,
        })

    cbc_args = ('mip', 'msg', 'timeLimit', 'fracGap', 'maxSeconds', 'gapRel', 'gapAbs', 'presolve', 'cuts', 'strong',
                'options', 'warmStart', 'keepFiles', 'path', 'threads', 'logPath')
    classes = {
        'PULP_CBC_CMD': make('PULP_CBC_CMD', cbc_args), 'COIN_CMD': make('COIN_CMD', cbc_args),
        'GLPK_CMD': make('GLPK_CMD', ('path', 'keepFiles', 'mip', 'msg', 'options', 'timeLimit')),
        'HiGHS_CMD': make('HiGHS_CMD', ('path', 'keepFiles', 'mip', 'msg', 'options', 'timeLimit')),
        'HiGHS': make('HiGHS', ('mip', 'msg', 'gapAbs', 'gapRel', 'threads', 'timeLimit')),
    }
    classes['COIN'] = classes['COIN_CMD']
    classes['PULP_CBC'] = classes['PULP_CBC_CMD']
    apis = getattr(pulp, 'apis', None)
    default = classes['PULP_CBC_CMD']()
    for mod in (pulp, getattr(pulp, 'pulp', None), apis):
        if mod is None:
            continue
        for k, cls in classes.items():
            setattr(mod, k, cls)
        if hasattr(mod, 'LpSolverDefault') or mod is pulp:
            mod.LpSolverDefault = default
    if apis is not None:
        by_name = dict(classes)

        def getSolver(solver, *args, **kwargs):
            if solver not in by_name:
                raise pulp.PulpSolverError('%s is not an available solver here; the available ones are %s'
                                           % (solver, ', '.join(sorted(by_name))))
            return by_name[solver](*args, **kwargs)
        apis.getSolver = getSolver
        pulp.getSolver = getSolver
        apis.listSolvers = lambda onlyAvailable=False: sorted(by_name)
        pulp.listSolvers = apis.listSolvers
    pulp._evom_bridge = True


def _pulp_record(pulp, prob, ms):
    status_code = getattr(prob, 'status', 0)
    raw = pulp.LpStatus.get(status_code, str(status_code))
    sol = getattr(prob, 'sol_status', None)
    status = {1: 'optimal', -1: 'infeasible', -2: 'unbounded', 0: 'not_solved', -3: 'not_solved'}.get(status_code, 'error')
    # CBC stopped on a limit with an incumbent: PuLP 2.6 says "Optimal" with sol_status 2
    # (LpSolutionIntegerFeasible). Not a proof of optimality.
    if status == 'optimal' and sol == 2:
        status = 'time_limit'
        raw += ' (stopped on a limit with a feasible solution)'
    elif status == 'not_solved' and status_code == 0 and _near_limit(ms):
        status = 'time_limit'
    obj = None
    variables = {}
    if status in ('optimal', 'time_limit'):
        try:
            # value() is None when any variable lacks a value, even one with coefficient 0 (PuLP 2.6 leaves
            # its dummy variable `0*__dummy` in a constant objective after solving)
            e = prob.objective
            obj = 0.0 if e is None else float(e.constant) + sum(
                c * v.varValue for v, c in e.items() if c != 0 and v.varValue is not None)
            if e is not None and any(c != 0 and v.varValue is None for v, c in e.items()):
                obj = None
        except Exception:
            obj = None
        obj = 0.0 if obj is None and prob.objective is None else _finite(obj)
        try:
            for v in prob.variables()[:MAX_VARS]:
                val = _finite(v.varValue)
                if val is not None:
                    variables[v.name] = val
        except Exception:
            pass
    return {'status': status, 'raw_status': raw, 'objective': obj, 'variables': variables}


# ---- scipy ---------------------------------------------------------------------------------------

def _scipy_record(res, ms, kind):
    status = int(getattr(res, 'status', 4))
    msg = str(getattr(res, 'message', ''))
    low = msg.lower()
    if status == 0:
        s = 'optimal'
    elif status == 1:
        s = 'time_limit' if 'time' in low else 'iteration_limit'
    elif status == 2:
        s = 'infeasible'
    elif status == 3:
        s = 'unbounded'
    else:
        s = 'infeasible_or_unbounded' if ('unbounded or infeasible' in low or 'infeasible or unbounded' in low) else 'error'
    obj = _finite(getattr(res, 'fun', None)) if s in ('optimal', 'time_limit') else None
    variables = {}
    x = getattr(res, 'x', None)
    if x is not None and s in ('optimal', 'time_limit'):
        try:
            for i, v in enumerate(list(x)[:MAX_VARS]):
                fv = _finite(v)
                if fv is not None:
                    variables['x[%d]' % i] = fv
        except Exception:
            pass
    return {'status': s, 'raw_status': '%s status %d: %s' % (kind, status, msg[:300]), 'objective': obj,
            'variables': variables}


def _patch_scipy_optimize(opt):
    import functools
    mods = [opt]
    for sub in ('_linprog', '_milp'):
        m = sys.modules.get('scipy.optimize.' + sub)
        if m is not None:
            mods.append(m)
    for name in ('linprog', 'milp'):
        orig = getattr(opt, name, None)
        if orig is None or getattr(orig, '_evom_hook', False):
            continue

        def make(orig, name):
            @functools.wraps(orig)
            def hooked(*a, **k):
                # linprog(c, A_ub, b_ub, A_eq, b_eq, bounds, method, callback, options, ...): options is
                # the 9th positional; milp's options is keyword-only.
                if ST.limit and (name == 'milp' or len(a) <= 8):
                    method = k.get('method', a[6] if len(a) > 6 else 'highs')
                    if name == 'milp' or (isinstance(method, str) and method.startswith('highs')):
                        opts = dict(k.get('options') or {})
                        if 'time_limit' not in opts:
                            opts['time_limit'] = float(ST.limit)
                            k['options'] = opts
                return _solve_call('scipy', lambda: orig(*a, **k), None,
                                   lambda ret, ms: _with_export(_scipy_record(ret, ms, name), lambda: _scipy_export(name, a, k)),
                                   min_only=True)
            hooked._evom_hook = True
            return hooked
        h = make(orig, name)
        for m in mods:
            if getattr(m, name, None) is orig:
                setattr(m, name, h)


# ---- cvxopt --------------------------------------------------------------------------------------

def _cvx_vars(x):
    out = {}
    if x is None:
        return out
    try:
        for i, v in enumerate(list(x)[:MAX_VARS]):
            fv = _finite(v)
            if fv is not None:
                out['x[%d]' % i] = fv
    except Exception:
        pass
    return out


def _cvx_dot(c, x):
    try:
        return _finite(sum(float(a) * float(b) for a, b in zip(list(c), list(x))))
    except Exception:
        return None


def _patch_cvxopt_solvers(solvers):
    try:
        solvers.options.setdefault('show_progress', False)
        solvers.options.setdefault('glpk', {}).setdefault('msg_lev', 'GLP_MSG_OFF')
    except Exception:
        pass
    orig = getattr(solvers, 'lp', None)
    if orig is None or getattr(orig, '_evom_hook', False):
        return

    def record(res, ms):
        raw = str(res.get('status'))
        s = {'optimal': 'optimal', 'primal infeasible': 'infeasible', 'dual infeasible': 'unbounded',
             'unknown': 'not_solved'}.get(raw, 'error')
        obj = _finite(res.get('primal objective')) if s == 'optimal' else None
        return {'status': s, 'raw_status': 'cvxopt.solvers.lp: ' + raw, 'objective': obj,
                'variables': _cvx_vars(res.get('x')) if s == 'optimal' else {}}

    def lp(*a, **k):
        return _solve_call('cvxopt', lambda: orig(*a, **k), None,
                           lambda ret, ms: _with_export(record(ret, ms), lambda: _cvx_export('lp', a, k)), min_only=True)
    lp._evom_hook = True
    lp.__doc__ = orig.__doc__
    solvers.lp = lp


def _patch_cvxopt_glpk(glpk):
    try:
        glpk.options.setdefault('msg_lev', 'GLP_MSG_OFF')
        if ST.limit:
            glpk.options.setdefault('tm_lim', int(ST.limit * 1000))
    except Exception:
        pass
    o_ilp = getattr(glpk, 'ilp', None)
    if o_ilp is not None and not getattr(o_ilp, '_evom_hook', False):
        def ilp(*a, **k):
            c = a[0] if a else k.get('c')

            def record(ret, ms):
                raw, x = ret[0], ret[1]
                s = {'optimal': 'optimal', 'LP relaxation is primal infeasible': 'infeasible',
                     'LP relaxation is dual infeasible': 'infeasible_or_unbounded',
                     'feasible': 'time_limit', 'undefined': 'not_solved'}.get(str(raw), 'error')
                if s == 'error' and 'infeasible' in str(raw):
                    s = 'infeasible'
                ok = s in ('optimal', 'time_limit') and x is not None
                return {'status': s, 'raw_status': 'cvxopt.glpk.ilp: %s' % raw,
                        'objective': _cvx_dot(c, x) if ok else None, 'variables': _cvx_vars(x) if ok else {}}
            return _solve_call('cvxopt', lambda: o_ilp(*a, **k), None,
                               lambda ret, ms: _with_export(record(ret, ms), lambda: _cvx_export('ilp', a, k)), min_only=True)
        ilp._evom_hook = True
        ilp.__doc__ = o_ilp.__doc__
        glpk.ilp = ilp
    o_lp = getattr(glpk, 'lp', None)
    if o_lp is not None and not getattr(o_lp, '_evom_hook', False):
        def glp(*a, **k):
            c = a[0] if a else k.get('c')

            def record(ret, ms):
                raw, x = ret[0], ret[1]
                s = {'optimal': 'optimal', 'primal infeasible': 'infeasible', 'dual infeasible': 'unbounded',
                     'undefined': 'not_solved'}.get(str(raw), 'error')
                ok = s == 'optimal' and x is not None
                return {'status': s, 'raw_status': 'cvxopt.glpk.lp: %s' % raw,
                        'objective': _cvx_dot(c, x) if ok else None, 'variables': _cvx_vars(x) if ok else {}}
            return _solve_call('cvxopt', lambda: o_lp(*a, **k), None,
                               lambda ret, ms: _with_export(record(ret, ms), lambda: _cvx_export('lp', a, k)), min_only=True)
        glp._evom_hook = True
        glp.__doc__ = o_lp.__doc__
        glpk.lp = glp


# ---- swiglpk -------------------------------------------------------------------------------------

def _patch_swiglpk(g):
    C = lambda name, default: getattr(g, name, default)
    OPT, FEAS, INFEAS, NOFEAS, UNBND, UNDEF = (C('GLP_OPT', 5), C('GLP_FEAS', 2), C('GLP_INFEAS', 3),
                                               C('GLP_NOFEAS', 4), C('GLP_UNBND', 6), C('GLP_UNDEF', 1))
    rc_status = {C('GLP_ENOPFS', 10): 'infeasible', C('GLP_ENODFS', 11): 'infeasible_or_unbounded',
                 C('GLP_ETMLIM', 9): 'time_limit', C('GLP_EITLIM', 8): 'iteration_limit'}
    INT_MAX = 2147483647

    def lp_status(code):
        return {OPT: 'optimal', FEAS: 'not_solved', INFEAS: 'infeasible', NOFEAS: 'infeasible',
                UNBND: 'unbounded', UNDEF: 'not_solved'}.get(code, 'error')

    def cols(lp, value_fn):
        out = {}
        try:
            n = g.glp_get_num_cols(lp)
            for j in range(1, min(n, MAX_VARS) + 1):
                name = g.glp_get_col_name(lp, j) or 'x%d' % j
                fv = _finite(value_fn(lp, j))
                if fv is not None:
                    out[name] = fv
        except Exception:
            pass
        return out

    def with_limit(parm, init_name, cls_name):
        if not ST.limit:
            return parm
        try:
            if parm is None:
                parm = getattr(g, cls_name)()
                getattr(g, init_name)(parm)
            if getattr(parm, 'tm_lim', INT_MAX) >= INT_MAX:
                parm.tm_lim = int(ST.limit * 1000)
        except Exception:
            pass
        return parm

    def make_lp(name, init_name, cls_name, status_fn, obj_fn, col_fn):
        orig = getattr(g, name, None)
        if orig is None or getattr(orig, '_evom_hook', False):
            return

        def hooked(lp, parm=None, *rest):
            if init_name:
                parm = with_limit(parm, init_name, cls_name)

            def record(rc, ms):
                raw = status_fn(lp)
                s = lp_status(raw)
                if rc:
                    s = rc_status.get(rc, 'error')
                    if s == 'iteration_limit' and _near_limit(ms):
                        s = 'time_limit'
                ok = s == 'optimal' or (s in ('time_limit', 'iteration_limit') and raw == FEAS)
                return {'status': s, 'raw_status': '%s returned %s, status %s' % (name, rc, raw),
                        'objective': _finite(obj_fn(lp)) if ok else None,
                        'variables': cols(lp, col_fn) if ok else {}}
            return _solve_call('swiglpk', lambda: orig(lp, parm, *rest), None,
                               lambda rc, ms: _with_export(record(rc, ms), lambda: _glpk_export(g, lp)))
        hooked._evom_hook = True
        hooked.__doc__ = orig.__doc__
        setattr(g, name, hooked)

    make_lp('glp_simplex', 'glp_init_smcp', 'glp_smcp', g.glp_get_status, g.glp_get_obj_val, g.glp_get_col_prim)
    make_lp('glp_exact', 'glp_init_smcp', 'glp_smcp', g.glp_get_status, g.glp_get_obj_val, g.glp_get_col_prim)
    make_lp('glp_interior', None, None, g.glp_ipt_status, g.glp_ipt_obj_val, g.glp_ipt_col_prim)

    orig_int = getattr(g, 'glp_intopt', None)
    if orig_int is not None and not getattr(orig_int, '_evom_hook', False):
        def glp_intopt(lp, parm=None):
            parm = with_limit(parm, 'glp_init_iocp', 'glp_iocp')

            def record(rc, ms):
                raw = g.glp_mip_status(lp)
                s = {OPT: 'optimal', FEAS: 'time_limit', NOFEAS: 'infeasible', UNDEF: 'not_solved'}.get(raw, 'error')
                if rc:
                    s = rc_status.get(rc, 'error')
                    if rc == C('GLP_EROOT', 6):
                        s = 'error'
                ok = raw in (OPT, FEAS) and s in ('optimal', 'time_limit')
                return {'status': s, 'raw_status': 'glp_intopt returned %s, mip status %s' % (rc, raw),
                        'objective': _finite(g.glp_mip_obj_val(lp)) if ok else None,
                        'variables': cols(lp, g.glp_mip_col_val) if ok else {}}
            return _solve_call('swiglpk', lambda: orig_int(lp, parm), None,
                               lambda rc, ms: _with_export(record(rc, ms), lambda: _glpk_export(g, lp)))
        glp_intopt._evom_hook = True
        glp_intopt.__doc__ = orig_int.__doc__
        g.glp_intopt = glp_intopt


# ---- OR-Tools ------------------------------------------------------------------------------------

def _patch_pywraplp(pywraplp):
    S = pywraplp.Solver
    if getattr(S, '_evom_hooked', False):
        return
    names = {}
    for n, default in (('OPTIMAL', 0), ('FEASIBLE', 1), ('INFEASIBLE', 2), ('UNBOUNDED', 3),
                       ('ABNORMAL', 4), ('MODEL_INVALID', 5), ('NOT_SOLVED', 6)):
        names[getattr(S, n, default)] = n
    smap = {'OPTIMAL': 'optimal', 'FEASIBLE': 'time_limit', 'INFEASIBLE': 'infeasible',
            'UNBOUNDED': 'unbounded', 'ABNORMAL': 'error', 'MODEL_INVALID': 'error', 'NOT_SOLVED': 'not_solved'}
    limited = set()  # ids of solvers whose code set its own time limit (SWIG proxies take no new attributes)
    for setter in ('SetTimeLimit', 'set_time_limit'):
        o = getattr(S, setter, None)
        if o is None:
            continue

        def mk(o):
            def f(self, *a, **k):
                limited.add(id(self))
                return o(self, *a, **k)
            return f
        setattr(S, setter, mk(o))
    orig = S.Solve

    def Solve(self, *a, **k):
        def before():
            if ST.limit and id(self) not in limited:
                o = getattr(S, 'SetTimeLimit', None)
                if o is not None:
                    o(self, int(ST.limit * 1000))

        def record(rc, ms):
            name = names.get(int(rc), str(rc))
            s = smap.get(name, 'error')
            obj, variables = None, {}
            if name in ('OPTIMAL', 'FEASIBLE'):
                try:
                    obj = _finite(self.Objective().Value())
                except Exception:
                    obj = None
                try:
                    for v in list(self.variables())[:MAX_VARS]:
                        fv = _finite(v.solution_value())
                        if fv is not None:
                            variables[v.name()] = fv
                except Exception:
                    pass
            return {'status': s, 'raw_status': 'pywraplp ' + name, 'objective': obj, 'variables': variables}
        return _solve_call('ortools', lambda: orig(self, *a, **k), before,
                           lambda rc, ms: _with_export(record(rc, ms), lambda: _pywraplp_export(self)))
    Solve.__doc__ = orig.__doc__
    S.Solve = Solve
    try:
        S._evom_hooked = True
    except Exception:
        pass


def _patch_cp_model(cp):
    Cp = getattr(cp, 'CpSolver', None)
    if Cp is None or getattr(Cp, '_evom_hooked', False):
        return
    names = {}
    for n, default in (('UNKNOWN', 0), ('MODEL_INVALID', 1), ('FEASIBLE', 2), ('INFEASIBLE', 3), ('OPTIMAL', 4)):
        names[getattr(cp, n, default)] = n

    def wrap(meth):
        orig = getattr(Cp, meth, None)
        if orig is None:
            return

        def hooked(self, *a, **k):
            model = a[0] if a else k.get('model')

            def before():
                p = self.parameters
                if ST.limit and (p.max_time_in_seconds <= 0 or p.max_time_in_seconds > ST.limit):
                    p.max_time_in_seconds = float(ST.limit)
                # RLIMIT_CPU counts every thread: one worker unless the code chose a number.
                if getattr(p, 'num_workers', 0) == 0 and getattr(p, 'num_search_workers', 0) == 0:
                    p.num_workers = 1

            def record(rc, ms):
                name = names.get(int(rc), str(rc))
                s = {'OPTIMAL': 'optimal', 'FEASIBLE': 'time_limit', 'INFEASIBLE': 'infeasible',
                     'MODEL_INVALID': 'error'}.get(name)
                if s is None:
                    s = 'time_limit' if _near_limit(ms) else 'not_solved'
                obj, variables = None, {}
                if name in ('OPTIMAL', 'FEASIBLE'):
                    try:
                        obj = _finite(self.ObjectiveValue() if hasattr(self, 'ObjectiveValue') else self.objective_value)
                    except Exception:
                        obj = None
                    try:
                        proto = model.Proto() if hasattr(model, 'Proto') else model.proto
                        sol = list(self.ResponseProto().solution if hasattr(self, 'ResponseProto') else self.response_proto.solution)
                        for i, v in enumerate(list(proto.variables)[:MAX_VARS]):
                            if i < len(sol):
                                variables[v.name or 'x%d' % i] = float(sol[i])
                    except Exception:
                        pass
                return {'status': s, 'raw_status': 'CpSolver ' + name, 'objective': obj, 'variables': variables}
            return _solve_call('ortools', lambda: orig(self, *a, **k), before,
                               lambda rc, ms: _with_export(record(rc, ms), lambda: _cp_export(model)))
        hooked.__doc__ = orig.__doc__
        setattr(Cp, meth, hooked)
    wrap('Solve')
    wrap('solve')
    Cp._evom_hooked = True


# ---- Gurobi --------------------------------------------------------------------------------------
# gurobipy.Model is a compiled (Cython) class whose methods cannot be reassigned, but it can be
# subclassed (public code does `class M(gp.Model)`), so gurobipy.Model is replaced by a subclass
# whose optimize() records. Models that do not come from gurobipy.Model(...) (gp.read(), m.copy())
# are not hooked; the namespace scan at the end still finds them when the code keeps them global.

GRB_STATUS = {1: 'not_solved', 2: 'optimal', 3: 'infeasible', 4: 'infeasible_or_unbounded', 5: 'unbounded',
              6: 'not_solved', 7: 'iteration_limit', 8: 'iteration_limit', 9: 'time_limit', 10: 'not_solved',
              11: 'not_solved', 12: 'error', 13: 'error', 14: 'not_solved', 15: 'not_solved',
              16: 'time_limit', 17: 'error'}


def _grb_record(m, ms=0):
    code = int(m.Status)
    s = GRB_STATUS.get(code, 'error')
    obj, variables = None, {}
    try:
        has_sol = int(m.SolCount) > 0
    except Exception:
        has_sol = code == 2
    if has_sol and s in ('optimal', 'time_limit', 'iteration_limit'):
        try:
            obj = _finite(m.ObjVal)
        except Exception:
            obj = None
        try:
            for v in list(m.getVars())[:MAX_VARS]:
                fv = _finite(v.X)
                if fv is not None:
                    variables[str(v.VarName)] = fv
        except Exception:
            pass
    return {'status': s, 'raw_status': 'gurobi Status %d' % code, 'objective': obj, 'variables': variables}


def _grb_export(m):
    return _file_export(m.write, 'max' if int(getattr(m, 'ModelSense', 1)) == -1 else 'min', getattr(m, 'ObjCon', 0))


def _patch_gurobipy(gp):
    Base = getattr(gp, 'Model', None)
    if Base is None or getattr(Base, '_evom_hooked', False):
        return

    def before(m):
        p = m.Params
        if ST.limit and float(p.TimeLimit) > ST.limit:
            p.TimeLimit = float(ST.limit)
        # RLIMIT_CPU counts every thread: one thread unless the code chose a number.
        if int(p.Threads) == 0:
            p.Threads = 1

    class Model(Base):
        _evom_hooked = True

        def optimize(self, *a, **k):
            return _solve_call('gurobi', lambda: Base.optimize(self, *a, **k), lambda: before(self),
                               lambda ret, ms: _with_export(_grb_record(self, ms), lambda: _grb_export(self)))

    Model.__name__ = Base.__name__
    Model.__qualname__ = getattr(Base, '__qualname__', 'Model')
    Model.__module__ = getattr(Base, '__module__', 'gurobipy')
    Model.__doc__ = Base.__doc__
    gp.Model = Model


# ---- COPT ----------------------------------------------------------------------------------------
# coptpy's Model is a Python-level class (its methods can be reassigned); solve() and solveLP() are
# wrapped. Status constants are read from coptpy.COPT by name (numbers only as a fallback).

def _copt_export(m):
    write = getattr(m, 'writeMps', None) or m.write
    return _file_export(write, 'max' if int(getattr(m, 'ObjSense', 1)) == -1 else 'min', getattr(m, 'ObjConst', 0))


def _patch_coptpy(cp):
    M = getattr(cp, 'Model', None)
    COPT = getattr(cp, 'COPT', None)
    if M is None or getattr(M, '_evom_hooked', False):
        return
    codes = {}
    for n, default, s in (('UNSTARTED', 0, 'not_solved'), ('OPTIMAL', 1, 'optimal'), ('INFEASIBLE', 2, 'infeasible'),
                          ('UNBOUNDED', 3, 'unbounded'), ('INF_OR_UNB', 4, 'infeasible_or_unbounded'),
                          ('NUMERICAL', 5, 'error'), ('NODELIMIT', 6, 'iteration_limit'), ('IMPRECISE', 7, 'error'),
                          ('TIMEOUT', 8, 'time_limit'), ('UNFINISHED', 9, 'not_solved'),
                          ('INTERRUPTED', 10, 'not_solved'), ('ITERLIMIT', 11, 'iteration_limit')):
        codes[getattr(COPT, n, default) if COPT is not None else default] = (n, s)

    def before(m):
        P = getattr(COPT, 'Param', None)
        if P is None:
            return
        if ST.limit:
            try:
                if float(m.getParam(P.TimeLimit)) > ST.limit:
                    m.setParam(P.TimeLimit, float(ST.limit))
            except Exception:
                pass
        try:  # RLIMIT_CPU counts every thread
            if int(m.getParam(P.Threads)) <= 0:
                m.setParam(P.Threads, 1)
        except Exception:
            pass

    def record(m, ms):
        code = int(m.status)
        name, s = codes.get(code, (str(code), 'error'))
        obj, variables = None, {}
        if s in ('optimal', 'time_limit', 'iteration_limit'):
            for attr in ('objval', 'BestObj', 'LpObjval'):
                try:
                    obj = _finite(getattr(m, attr))
                    if obj is not None:
                        break
                except Exception:
                    continue
            try:
                for v in list(m.getVars())[:MAX_VARS]:
                    fv = _finite(v.x)
                    if fv is not None:
                        variables[str(v.name)] = fv
            except Exception:
                pass
        return {'status': s, 'raw_status': 'COPT status %d (%s)' % (code, name), 'objective': obj, 'variables': variables}

    for meth in ('solve', 'solveLP'):
        orig = getattr(M, meth, None)
        if orig is None:
            continue

        def mk(orig):
            def hooked(self, *a, **k):
                return _solve_call('copt', lambda: orig(self, *a, **k), lambda: before(self),
                                   lambda ret, ms: _with_export(record(self, ms), lambda: _copt_export(self)))
            hooked.__doc__ = getattr(orig, '__doc__', None)
            return hooked
        setattr(M, meth, mk(orig))
    M._evom_hooked = True


PATCHERS = {
    'pulp': _patch_pulp,
    'scipy.optimize': _patch_scipy_optimize,
    'cvxopt.solvers': _patch_cvxopt_solvers,
    'cvxopt.glpk': _patch_cvxopt_glpk,
    'swiglpk': _patch_swiglpk,
    'ortools.linear_solver.pywraplp': _patch_pywraplp,
    'ortools.sat.python.cp_model': _patch_cp_model,
    'gurobipy': _patch_gurobipy,
    'coptpy': _patch_coptpy,
}


def _check_imports():
    """Patch every hooked module that has finished importing and is not patched yet."""
    st = ST
    for name, fn in PATCHERS.items():
        if name in st.patched:
            continue
        m = sys.modules.get(name)
        if m is None:
            continue
        spec = getattr(m, '__spec__', None)
        if spec is not None and getattr(spec, '_initializing', False):
            continue
        st.patched.add(name)
        try:
            fn(m)
        except Exception as e:
            st.patch_errors.append('%s: %s: %s' % (name, type(e).__name__, e))


def _install_import_hook():
    import builtins
    real_import = builtins.__import__
    busy = [False]

    def __import__(name, globals=None, locals=None, fromlist=(), level=0):
        m = real_import(name, globals, locals, fromlist, level)
        if not busy[0] and len(ST.patched) < len(PATCHERS):
            busy[0] = True
            try:
                _check_imports()
            finally:
                busy[0] = False
        return m
    builtins.__import__ = __import__


# --------------------------------------------------------------------------------------------------
# The end: late scan of the namespace, then the result

def _scan_namespace(ns):
    """No hooked solve was seen: look for solved model objects the code left in its globals."""
    out = []
    pulp = sys.modules.get('pulp')
    gp = sys.modules.get('gurobipy')
    for v in list(ns.values()):
        try:
            if pulp is not None and isinstance(v, pulp.LpProblem) and getattr(v, 'status', 0) != 0:
                out.append(dict(_with_export(_pulp_record(pulp, v, 0), lambda: _pulp_export(v)), lib='pulp', min_only=False))
            elif isinstance(v, dict) and type(v).__name__ == 'OptimizeResult' and 'status' in v and 'fun' in v:
                out.append(dict(_scipy_record(v, 0, 'OptimizeResult'), lib='scipy', min_only=True))
            elif gp is not None and type(v).__module__.startswith('gurobipy') and type(v).__name__ == 'Model' \
                    and int(v.Status) != 1:
                out.append(dict(_with_export(_grb_record(v), lambda: _grb_export(v)), lib='gurobi', min_only=False))
        except Exception:
            continue
    for r in out:
        r.setdefault('line', None)
        r['print_index'] = 0
        r['solve_ms'] = 0
    return out


def _exc_location(exc):
    import traceback
    line = col = None
    try:
        for fs in traceback.extract_tb(exc.__traceback__):
            if fs.filename == 'model.py':
                line = fs.lineno
                c = getattr(fs, 'colno', None)
                col = c + 1 if isinstance(c, int) else None
    except Exception:
        pass
    return line, col


def _format_tb(exc):
    """The traceback from the first model.py frame on, without the harness's own frames."""
    import traceback
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != 'model.py':
        tb = tb.tb_next
    try:
        frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
        return ('Traceback (most recent call last):\n' + ''.join(traceback.format_list(frames))
                + ''.join(traceback.format_exception_only(type(exc), exc)))
    except Exception:
        return '%s: %s\n' % (type(exc).__name__, exc)


def _msg(severity, source, text, line=None, column=None):
    m = {'severity': severity, 'source': source, 'text': text[:2000]}
    if line is not None:
        m['line'] = line
    if column is not None:
        m['column'] = column
    return m


def _result_from_solve(st, last, extra_msgs):
    msgs = list(extra_msgs)
    obj = last.get('objective')
    if last.get('min_only') and last['status'] in ('optimal', 'time_limit') and obj is not None:
        signed, line = _sign_from_print(st.rec, obj, last.get('print_index', 0))
        if line is not None and signed != obj:
            msgs.append(_msg('info', 'solver', '%s minimises; the code printed "%s", so the objective is %r (the '
                             'solver reported %r)' % (last['lib'], line.strip()[:200], signed, obj)))
            obj = signed
    msgs.append(_msg('info', 'solver', '%s: %s' % (last['lib'], last.get('raw_status', last['status'])), last.get('line')))
    out = {'failure': None, 'status': last['status'], 'objective': obj, 'variables': _cap_vars(last.get('variables') or {}),
           'messages': msgs, 'solve_ms': st.solve_ms, 'lib': last['lib'], 'solves': len(st.solves),
           'solver_objective': last.get('objective')}
    if 'model' in last:
        out['model'] = last['model']
    else:
        out['model_error'] = last.get('model_error', 'the solve\'s model was not exported')
    return out


def _failure(kind, text, line=None, column=None, source='solver', extra=()):
    status = {'timeout': 'time_limit', 'solver_error': 'error'}.get(kind, 'not_solved')
    return {'failure': kind, 'status': status, 'objective': None, 'variables': {},
            'messages': [_msg('error', source, text, line, column)] + list(extra),
            'solve_ms': ST.solve_ms if ST else 0}


def run_code(code_bytes, cfg):
    import builtins
    import linecache
    global ST

    try:
        compiled = compile(code_bytes, 'model.py', 'exec', dont_inherit=True)
    except SyntaxError as e:
        text = '%s: %s' % (type(e).__name__, e.msg)
        if e.text:
            text += ' (%s)' % e.text.strip()[:200]
        return _failure('parse_error', text, e.lineno, e.offset, 'checker')
    except (ValueError, UnicodeError) as e:
        return _failure('parse_error', '%s: %s' % (type(e).__name__, e), None, None, 'checker')

    src = code_bytes.decode('utf-8', 'replace')
    linecache.cache['model.py'] = (len(src), None, src.splitlines(True), 'model.py')

    rec = _Recorder()
    ST = _State(cfg, rec)
    _install_import_hook()
    sys.stdout = _make_tee(sys.stdout, rec)
    ns = {'__name__': '__main__', '__file__': 'model.py', '__builtins__': builtins, '__doc__': None,
          '__package__': None, '__spec__': None, '__loader__': None}
    sys.argv = ['model.py']

    exc = None
    exit_code = None
    try:
        exec(compiled, ns)
    except SystemExit as e:
        exit_code = e.code
    except BaseException as e:  # noqa: B902 - every failure of the code is reported
        exc = e
    try:
        sys.stdout.flush()
    except Exception:
        pass
    try:
        _check_imports()
    except Exception:
        pass
    st = ST
    notes = [_msg('warning', 'solver', 'harness hook failed: ' + p) for p in st.patch_errors[:5]]

    if exc is not None:
        try:
            sys.__stderr__.write(_format_tb(exc))
            sys.__stderr__.flush()
        except Exception:
            pass
        line, col = _exc_location(exc)
        text = '%s: %s' % (type(exc).__name__, exc)
        pkg = TARGET_PACKAGES.get(cfg.get('target'))
        if isinstance(exc, ModuleNotFoundError) and pkg and (exc.name or '').split('.')[0] == pkg:
            return _failure('solver_error', 'the %s target\'s package %s is not installed on this server (%s)'
                            % (cfg.get('target'), pkg, text), line, col, extra=notes)
        if isinstance(exc, MemoryError):
            text = 'MemoryError: memory limit (%s)' % (exc or 'allocation failed')
        extra = list(notes)
        if st.solves:
            last = st.solves[-1]
            extra.append(_msg('info', 'solver', 'before the error, the last solve (%s) ended %s with objective %r'
                              % (last['lib'], last['status'], last.get('objective')), last.get('line')))
        if st.in_solve_exc is not None and st.in_solve_exc[0] is exc:
            lib = st.in_solve_exc[1]
            mod = type(exc).__module__ or ''
            lib_pkgs = {'pulp': 'pulp', 'scipy': 'scipy', 'cvxopt': 'cvxopt', 'swiglpk': 'swiglpk',
                        'ortools': 'ortools', 'gurobi': 'gurobipy', 'copt': 'coptpy'}
            if mod.split('.')[0] == lib_pkgs.get(lib):
                return _failure('solver_error', 'the solver failed: ' + text, line, col, extra=extra)
        return _failure('runtime_error', text, line, col, extra=extra)

    extra = list(notes)
    if exit_code not in (None, 0):
        extra.append(_msg('warning', 'solver', 'the code exited with status %r' % (exit_code,)))
        if not st.solves:
            return _failure('runtime_error', 'the code exited with status %r before solving a model' % (exit_code,),
                            extra=notes)
    if st.solves:
        return _result_from_solve(st, st.solves[-1], extra)

    found = _scan_namespace(ns)
    if found:
        extra.append(_msg('info', 'solver', 'no solve call was seen; the result was read from a solved %s object '
                          'the code left in its globals' % found[-1]['lib']))
        return _result_from_solve(st, found[-1], extra)

    # A printed number is not a verdict: without a recorded solve there is no model to check.
    value, line = _printed_objective(rec)
    if value is not None:
        extra.append(_msg('info', 'solver', 'the code printed "%s", but no solver call was recorded, so it is not taken '
                          'as the objective' % line.strip()[:200]))
        line = None
    why = ' (%s)' % line if line else ''
    return _failure('no_model', 'the code never solved a model: no call of a solver API was recorded' + why, extra=extra)


# --------------------------------------------------------------------------------------------------
# Discovery: which targets this sandbox can run

def discover(cfg):
    import importlib
    import io
    import contextlib
    global ST
    ST = _State(cfg, _Recorder())
    out = []

    def attempt(name, fn):
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                version = fn()
            out.append({'name': name, 'available': True, 'version': str(version) if version is not None else None})
        except BaseException as e:  # noqa: B902
            out.append({'name': name, 'available': False,
                        'reason': ('%s: %s' % (type(e).__name__, e))[:500]})

    def pulp_check():
        pulp = importlib.import_module('pulp')
        _patch_pulp(pulp)
        if not pulp.PULP_CBC_CMD(msg=False).available():
            raise RuntimeError('PULP_CBC_CMD is not available (no cbc binary found)')
        return pulp.__version__

    def scipy_check():
        import scipy
        opt = importlib.import_module('scipy.optimize')
        if not hasattr(opt, 'milp'):
            raise RuntimeError('scipy %s has no scipy.optimize.milp' % scipy.__version__)
        return scipy.__version__

    def cvxopt_check():
        cvxopt = importlib.import_module('cvxopt')
        importlib.import_module('cvxopt.solvers')
        return cvxopt.__version__

    def swiglpk_check():
        g = importlib.import_module('swiglpk')
        return 'GLPK ' + str(g.glp_version())

    def ortools_check():
        ortools = importlib.import_module('ortools')
        importlib.import_module('ortools.linear_solver.pywraplp')
        return getattr(ortools, '__version__', None)

    def gurobi_check():
        gp = importlib.import_module('gurobipy')
        v = gp.gurobi.version() if hasattr(gp, 'gurobi') else None
        env = gp.Env()  # checks the license (file licenses only: the sandbox has no network)
        try:
            env.dispose()
        except Exception:
            pass
        return '.'.join(str(x) for x in v) if v else getattr(gp, '__version__', None)

    def copt_check():
        cp = importlib.import_module('coptpy')
        cp.Envr()  # checks the license
        return getattr(cp, '__version__', None)

    for name, fn in (('pulp', pulp_check), ('scipy', scipy_check), ('cvxopt', cvxopt_check),
                     ('swiglpk', swiglpk_check), ('ortools', ortools_check), ('gurobi', gurobi_check),
                     ('copt', copt_check)):
        attempt(name, fn)
    return {'discover': out}


# --------------------------------------------------------------------------------------------------
# Plain execution (the server's SandboxFusion-compatible /run_code): `python main.py` semantics

def run_raw(code, stdin_data):
    import builtins
    import linecache
    import traceback
    if stdin_data:
        try:
            fd = os.memfd_create('stdin')
            view = memoryview(stdin_data)
            while view:
                view = view[os.write(fd, view):]
            os.lseek(fd, 0, 0)
            os.dup2(fd, 0)
            os.close(fd)
        except OSError:
            pass
    src = code.decode('utf-8', 'replace')
    linecache.cache['main.py'] = (len(src), None, src.splitlines(True), 'main.py')
    ns = {'__name__': '__main__', '__file__': 'main.py', '__builtins__': builtins, '__doc__': None,
          '__package__': None, '__spec__': None, '__loader__': None}
    sys.argv = ['main.py']
    rc = 0
    try:
        exec(compile(code, 'main.py', 'exec', dont_inherit=True), ns)
    except SystemExit as e:
        if e.code is None:
            rc = 0
        elif isinstance(e.code, int):
            rc = e.code & 0xff
        else:
            try:
                print(e.code, file=sys.stderr)
            except Exception:
                pass
            rc = 1
    except BaseException as e:  # noqa: B902
        tb = e.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != 'main.py':
            tb = tb.tb_next
        try:
            frames = [f for f in traceback.extract_tb(tb) if f.filename != __file__]
            sys.stderr.write('Traceback (most recent call last):\n' + ''.join(traceback.format_list(frames))
                             if frames else '')
            sys.stderr.write(''.join(traceback.format_exception_only(type(e), e)))
        except Exception:
            pass
        rc = 1
    for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            s.flush()
        except Exception:
            pass
    if os.getpid() != _MAIN_PID:
        _os_exit(rc)
    _emit({'raw': True, 'exit_code': rc})
    _os_exit(rc)


# --------------------------------------------------------------------------------------------------

def _close_inherited_fds():
    """Close every descriptor but 0-2 and RESULT_FD (bwrap has already read and closed the seccomp fd 4)."""
    keep = (0, 1, 2, RESULT_FD)
    try:
        fds = [int(n) for n in os.listdir('/proc/self/fd')]
    except (OSError, ValueError):
        fds = None
    if fds is not None:
        for fd in fds:
            if fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass  # the listing's own descriptor, already closed
        return
    # no /proc: everything above the report channel, up to the hard limit (close_range where Python has it)
    import resource
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    top = 1 << 20 if hard == resource.RLIM_INFINITY else min(int(hard), 1 << 20)
    os.closerange(RESULT_FD + 1, max(top, RESULT_FD + 2))


def _set_limits(cfg):
    import resource
    cpu = int(cfg.get('cpu_limit') or 0)
    if cpu > 0:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    fsize = int(cfg.get('fsize') or 0)
    if fsize > 0:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    nofile = int(cfg.get('nofile') or 0)
    if nofile > 0:
        # soft = hard: without CAP_SYS_RESOURCE the code cannot raise the hard limit again
        hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
        if hard != resource.RLIM_INFINITY:
            nofile = min(nofile, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))


def main():
    _close_inherited_fds()  # before anything else: no descriptor of the host reaches the code
    import json
    cfg = json.loads(sys.argv[1])
    try:
        os.set_inheritable(RESULT_FD, False)  # solver subprocesses (cbc, glpsol) must not get it
    except OSError:
        pass
    _emit({'started': True})  # tells the server Python reached the harness (before any model code runs)
    for p in cfg.get('python_path') or []:
        if p not in sys.path:
            sys.path.append(p)  # after site-packages, so e.g. Debian's older numpy never shadows pyenv's
    for s in (sys.stdout, sys.stderr):
        try:
            s.reconfigure(line_buffering=True)
        except Exception:
            pass

    # The server sends the job once this process is in the run's cgroups: a JSON line with the
    # per-request settings (mode, target, time limits), then the code. Nothing below runs before that.
    data = sys.stdin.buffer.read()
    try:
        fd = os.open('/dev/null', os.O_RDONLY)
        os.dup2(fd, 0)
        os.close(fd)
    except OSError:
        pass
    header, _, code = data.partition(b'\n')
    try:
        cfg.update(json.loads(header or b'{}'))
    except ValueError:
        _os_exit(2)
    _set_limits(cfg)
    if cfg.get('mode') == 'raw':
        n = int(cfg.get('code_len') or len(code))
        run_raw(code[:n], code[n:])  # never returns
    if cfg.get('mode') == 'discover':
        result = discover(cfg)
    else:
        try:
            result = run_code(code, cfg)
        except BaseException as e:  # noqa: B902 - a harness bug must still produce a report
            result = {'failure': 'runtime_error', 'status': 'not_solved', 'objective': None, 'variables': {},
                      'messages': [_msg('error', 'pool', 'harness failure: %s: %s' % (type(e).__name__, e))],
                      'solve_ms': 0}
    for s in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            s.flush()
        except Exception:
            pass
    if os.getpid() != _MAIN_PID:
        _os_exit(1)
    _emit(result)
    _os_exit(0)


if __name__ == '__main__':
    main()
