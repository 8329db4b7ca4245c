// The pulp target's interpreter process in Node: started by isolate-node.ts under bubblewrap (no
// network, none of the host's files: /usr, the Pyodide and HiGHS packages and this folder, read-only,
// and an empty /tmp), one run per process. Plain JavaScript (nothing compiles TypeScript in here).
//
//   node node-isolate.mjs '<json settings>'    messages to the host on fd 3, one JSON line each
//
// settings: { mode: 'snapshot' | 'run', pyodide: dir, highs: dir, pulpZip: file, harness: file,
//             snapshot: file (run), maxLogLines }
// snapshot: loads a fresh interpreter, writes {"snapshot": n} and then n bytes.
// run: restores the snapshot, writes {"ready": true, "prepare_ms"}; reads one JSON line from stdin
//   ({ code, cfg }); writes {"report", "log", "run_ms"} and exits. Whatever the code writes to
//   stdout or stderr is the host's to ignore; the host takes the last complete line on fd 3.

import { readFileSync, writeSync } from 'node:fs';
import { highsBridge, loadInterpreter } from './interpreter.js';

const settings = JSON.parse(process.argv[2]);
const send = (obj, bytes) => {
  const line = Buffer.from(JSON.stringify(obj) + '\n');
  for (const b of bytes ? [line, bytes] : [line]) {
    for (let off = 0; off < b.length;) off += writeSync(3, b, off, b.length - off);
  }
};

/** The one job, a JSON line on stdin; stdin's end without one (the host went away) ends the process. */
async function readJob() {
  const chunks = [];
  for await (const c of process.stdin) {
    chunks.push(c);
    if (c.includes(10)) break;
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.includes('\n')) process.exit(0);
  return JSON.parse(text.slice(0, text.indexOf('\n')));
}

const t0 = performance.now();
const { loadPyodide } = await import(`${settings.pyodide}/pyodide.mjs`);
const { default: highsLoader } = await import(`${settings.highs}/highs.mjs`);
const wasm = readFileSync(`${settings.highs}/highs.wasm`);
const highs = await highsLoader({ wasmBinary: wasm, print: () => {}, printErr: () => {} });
const interp = await loadInterpreter({
  loadPyodide,
  pyodideConfig: { indexURL: `${settings.pyodide}/` },
  pulpZip: new Uint8Array(readFileSync(settings.pulpZip)),
  harness: readFileSync(settings.harness, 'utf8'),
  ...(settings.mode === 'run' ? { snapshot: new Uint8Array(readFileSync(settings.snapshot)) } : {}),
  solveLp: highsBridge(highs),
  maxLogLines: settings.maxLogLines ?? 200,
});
if (settings.mode === 'snapshot') {
  const snap = interp.makeSnapshot();
  send({ snapshot: snap.length, prepare_ms: performance.now() - t0 }, Buffer.from(snap.buffer, snap.byteOffset, snap.length));
  process.exit(0);
}
send({ ready: true, prepare_ms: performance.now() - t0 });
const job = await readJob();
const t1 = performance.now();
let result;
try {
  const { report, log } = interp.run(String(job.code), job.cfg ?? {});
  result = { report, log };
} catch (e) {
  result = { crash: String(e?.message ?? e), log: Array.isArray(e?.log) ? e.log : [] };
}
const cpu = process.cpuUsage();
send({ ...result, run_ms: performance.now() - t1, cpu_ms: (cpu.user + cpu.system) / 1000 });
process.exit(0);
