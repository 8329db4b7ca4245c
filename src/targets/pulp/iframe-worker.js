// The pulp target's interpreter in a browser: a (classic) worker that a sandboxed iframe
// (isolate-browser.ts) starts from a blob: URL, for one use: making the snapshot, or one run. Plain
// JavaScript, handed over as text (nothing compiles TypeScript in there), with no imports of its own:
// everything it loads comes in its first message, as Blobs the page fetched.
//
// Where it runs: the iframe's opaque origin (no storage: IndexedDB, Cache Storage, OPFS throw), under
// the iframe's Content-Security-Policy, which a blob: worker inherits (no fetch, WebSocket or beacon
// to anywhere; scripts from blob: only; WebAssembly allowed). Pyodide asks for its files with fetch
// (the standard library, its wasm): the fetch below serves those, by name, from the handed-over
// Blobs, and nothing else.
//
// Protocol (all on the MessagePort that comes with the first message; the worker's own postMessage
// goes to the iframe, which ignores it):
//   in  (first message): { mode: 'snapshot' | 'run', files: { name: Blob }, snapshot?: Blob, maxLogLines }
//   out: snapshot mode: { snapshot: Uint8Array, prepareMs }
//        run mode:      { ready: true, prepareMs }; then in { code, cfg }; out { report, log, runMs }
//   out on any failure before the run: { error: string }

const INDEX_URL = 'https://pyodide.evom.invalid/';
const TYPES = {
  'pyodide.asm.wasm': 'application/wasm',
  'python_stdlib.zip': 'application/zip',
  'pyodide-lock.json': 'application/json',
};

addEventListener('message', async function first(e) {
  removeEventListener('message', first);
  const t0 = performance.now();
  const port = e.ports[0];
  if (!port) return;
  const { mode, files, snapshot, maxLogLines } = e.data ?? {};
  try {
    // a classic worker (see isolate-browser.ts): Pyodide refuses one that can importScripts, and the
    // code has no use for it (the CSP would refuse any URL but blob: anyway)
    self.importScripts = undefined;
    // Pyodide's own requests (by file name; whatever the URL's folder)
    const fetchable = new Map(Object.entries(TYPES).map(([name, type]) => [name, files[name] && new Blob([files[name]], { type })]));
    self.fetch = async (input) => {
      const url = String(input && typeof input === 'object' && 'url' in input ? input.url : input);
      const name = url.split(/[?#]/)[0].split('/').pop();
      const blob = fetchable.get(name);
      if (!blob) throw new TypeError(`Failed to fetch: ${url} (this interpreter has no network)`);
      return new Response(blob, { status: 200, headers: { 'content-type': blob.type } });
    };
    const moduleUrl = (name) => URL.createObjectURL(new Blob([files[name]], { type: 'text/javascript' }));
    const [{ loadPyodide }, { default: createPyodideModule }, { loadInterpreter, highsBridge }, { default: highsLoader }] = await Promise.all(
      ['pyodide.mjs', 'pyodide.asm.mjs', 'interpreter.js', 'highs.mjs'].map((n) => import(moduleUrl(n))),
    );
    // this HiGHS build ignores wasmBinary (and would look for highs.wasm next to a blob: URL)
    const highsWasm = await files['highs.wasm'].arrayBuffer();
    const highs = await highsLoader({
      instantiateWasm: (imports, receive) => { WebAssembly.instantiate(highsWasm, imports).then((r) => receive(r.instance)); return {}; },
      print: () => {}, printErr: () => {},
    });
    const interp = await loadInterpreter({
      loadPyodide,
      pyodideConfig: {
        indexURL: INDEX_URL,
        createPyodideModule,
        lockFileContents: JSON.parse(await files['pyodide-lock.json'].text()),
        packageBaseUrl: INDEX_URL,
      },
      pulpZip: new Uint8Array(await files['pulp.zip'].arrayBuffer()),
      harness: await files['harness.py'].text(),
      ...(mode === 'run' ? { snapshot: new Uint8Array(await snapshot.arrayBuffer()) } : {}),
      solveLp: highsBridge(highs),
      maxLogLines: maxLogLines ?? 200,
    });
    if (mode === 'snapshot') {
      const snap = interp.makeSnapshot();
      port.postMessage({ snapshot: snap, prepareMs: performance.now() - t0 }, [snap.buffer]);
      return;
    }
    port.onmessage = (m) => {
      port.onmessage = null;
      const t1 = performance.now();
      let out;
      try {
        const { report, log } = interp.run(String(m.data?.code ?? ''), m.data?.cfg ?? {});
        out = { report: String(report), log: log.map(String), runMs: performance.now() - t1 };
      } catch (err) {
        out = { error: `the interpreter failed: ${String(err?.message ?? err).slice(0, 500)}`, log: Array.isArray(err?.log) ? err.log.map(String) : [] };
      }
      port.postMessage(out);
    };
    port.postMessage({ ready: true, prepareMs: performance.now() - t0 });
  } catch (err) {
    port.postMessage({ error: `the interpreter could not start: ${String(err?.message ?? err).slice(0, 500)}` });
  }
});
