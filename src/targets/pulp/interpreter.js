// One Python interpreter (Pyodide) for one run of the pulp target. Plain JavaScript, because it runs
// inside the isolate, where nothing compiles TypeScript: a node process under bubblewrap
// (node-isolate.mjs) or a worker in an opaque-origin sandboxed iframe (iframe-worker.js). The host
// (isolate-node.ts, isolate-browser.ts) gives it what it needs; it reaches for nothing itself.
//
// Two uses:
//   makeSnapshot: a fresh interpreter, PuLP and the harness imported, PuLP's solvers bridged to
//     HiGHS; its memory snapshot (~31 MB) is what every run starts from.
//   prepare + run: an interpreter restored from that snapshot (~0.35 s), which runs one completion
//     through the harness (harness.py's run_code) and answers its report and what it printed.
// Nothing here is trusted by the verdict: the host re-solves the model the report exports.

/** Where the interpreter's files go (MEMFS: JavaScript memory, not part of the snapshot). */
const SITE_PACKAGES = '/lib/python3.14/site-packages';
const HARNESS_DIR = '/evom';

/**
 * The synchronous HiGHS behind PuLP's solve() in the interpreter (js.evom_highs).
 * @param {{ solve(lp: string, opts: object): any }} highs  an instance of npm `highs`
 * @returns {(lpText: string, optsJson: string) => string}  JSON: { status, objective, values } | { error }
 */
export function highsBridge(highs) {
  let broken = null;
  return (lpText, optsJson) => {
    if (broken) return JSON.stringify({ error: `the solver is unusable after an earlier error (${broken})` });
    try {
      const opts = JSON.parse(String(optsJson));
      const base = { output_flag: false, ...(opts.time_limit > 0 ? { time_limit: Number(opts.time_limit) } : {}) };
      let r = highs.solve(String(lpText), base);
      // HiGHS's presolve cannot tell infeasible from unbounded; without it, the simplex can
      if (r.Status === 'Primal infeasible or unbounded') r = highs.solve(String(lpText), { ...base, presolve: 'off' });
      const values = {};
      const solved = r.Status === 'Optimal' || (/limit reached/.test(r.Status) && Number.isFinite(r.ObjectiveValue) && Math.abs(r.ObjectiveValue) < 1e30);
      if (solved) for (const [name, col] of Object.entries(r.Columns ?? {})) values[name] = col.Primal;
      const offset = Number(opts.offset) || 0;
      return JSON.stringify({ status: r.Status, objective: solved ? r.ObjectiveValue + offset : null, values });
    } catch (e) {
      broken = String(e?.message ?? e).slice(0, 300);
      return JSON.stringify({ error: broken });
    }
  };
}

/** A log that keeps the first `maxLines` lines (each cut at 2,000 characters) and counts the rest. */
function boundedLog(maxLines) {
  const lines = [];
  let dropped = 0;
  return {
    push(s) {
      for (const line of String(s).split('\n')) {
        if (lines.length < maxLines) lines.push(line.length > 2000 ? line.slice(0, 2000) + '…' : line);
        else dropped++;
      }
    },
    lines: () => (dropped ? [...lines, `… ${dropped} more lines`] : [...lines]),
  };
}

/**
 * Load an interpreter: restored from `snapshot`, or fresh (to make one).
 * @param {object} o
 * @param {(cfg: object) => Promise<any>} o.loadPyodide   pyodide's loadPyodide (the host's files)
 * @param {object} o.pyodideConfig                       indexURL and the like, per environment
 * @param {Uint8Array} o.pulpZip                         PuLP's files (a zip of the pulp package)
 * @param {string} o.harness                             harness.py's source
 * @param {Uint8Array} [o.snapshot]                      from makeSnapshot; absent: a fresh interpreter
 * @param {(lpText: string, optsJson: string) => string} [o.solveLp]  js.evom_highs (highsBridge)
 * @param {number} [o.maxLogLines]
 */
export async function loadInterpreter(o) {
  const log = boundedLog(o.maxLogLines ?? 200);
  // what `import js` reaches: the bridge only (the isolate, not this, is the security boundary)
  const jsglobals = { evom_highs: o.solveLp ?? (() => JSON.stringify({ error: 'no solver in this interpreter' })) };
  const py = await o.loadPyodide({
    ...o.pyodideConfig,
    jsglobals,
    stdout: (s) => log.push(s),
    stderr: (s) => log.push(s),
    ...(o.snapshot ? { _loadSnapshot: o.snapshot } : { _makeSnapshot: true }),
  });
  // the files live in MEMFS, outside the snapshot: unpacked again on every restore (84 KB)
  py.unpackArchive(o.pulpZip, 'zip', { extractDir: SITE_PACKAGES });
  py.FS.mkdirTree(HARNESS_DIR);
  py.FS.writeFile(`${HARNESS_DIR}/evom_harness.py`, o.harness);
  if (!o.snapshot) {
    py.runPython(`
import sys
sys.path.insert(0, '${HARNESS_DIR}')
import json, tempfile, linecache, traceback, collections, math
import pulp, evom_harness
evom_harness._pulp_bridge(pulp)
`);
  }
  return {
    /** The snapshot of a fresh interpreter (only before any run). */
    makeSnapshot: () => py.makeMemorySnapshot(),
    /**
     * Run one completion through the harness.
     * @returns {{ report: string, log: string[] }}  report: the harness's JSON
     */
    run(code, cfg) {
      py.globals.set('evom_code', code);
      py.globals.set('evom_cfg', JSON.stringify(cfg));
      try {
        const report = py.runPython(`
import json as _json, evom_harness as _h
_json.dumps(_h._sanitize(_h.run_code(evom_code.encode('utf-8'), _json.loads(evom_cfg))), default=str)
`);
        return { report: String(report), log: log.lines() };
      } catch (e) {
        // the interpreter itself failed (a fatal error, a trap): what the code printed still goes back
        const err = new Error(String(e?.message ?? e).split('\n').slice(-3).join(' ').slice(0, 500));
        err.log = log.lines();
        throw err;
      }
    },
  };
}

/**
 * The bytes of a wasm module with its own memory's maximum set to `maxBytes` (the memory section
 * rewritten): the engine refuses to grow past it, whatever code inside the interpreter patches.
 * A module without a memory section comes back unchanged.
 * @param {Uint8Array} bytes
 * @param {number} maxBytes
 * @returns {Uint8Array}
 */
export function capWasmMemory(bytes, maxBytes) {
  const leb = (at) => {
    let v = 0, shift = 0, i = at, b;
    do { b = bytes[i++]; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return [v, i];
  };
  const enc = (v) => {
    const out = [];
    do { let b = v % 128; v = Math.floor(v / 128); if (v > 0) b |= 0x80; out.push(b); } while (v > 0);
    return out;
  };
  let p = 8;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, start] = leb(p + 1);
    if (id === 5) {
      let [count, q] = leb(start);
      const body = [...enc(count)];
      for (let k = 0; k < count; k++) {
        const flags = bytes[q++];
        if (flags & 0x04) throw new Error('capWasmMemory: 64-bit memories are not supported');
        const [min, q1] = leb(q);
        q = q1;
        let max = null;
        if (flags & 0x01) { [max, q] = leb(q); }
        const pages = Math.max(min, Math.min(max ?? 65536, Math.floor(maxBytes / 65536)));
        body.push(flags | 0x01, ...enc(min), ...enc(pages));
      }
      const section = [5, ...enc(body.length), ...body];
      const out = new Uint8Array(p + section.length + (bytes.length - (start + size)));
      out.set(bytes.subarray(0, p), 0);
      out.set(section, p);
      out.set(bytes.subarray(start + size), p + section.length);
      return out;
    }
    p = start + size;
  }
  return bytes;
}
