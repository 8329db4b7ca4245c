// The pulp target's interpreters in a browser page: each one a worker inside its own opaque-origin
// sandboxed iframe, one run each, prepared ahead of need. One host per page (src/verifier/
// pyodide-link.ts makes it on first use and lends it to the verifier workers over MessagePorts).
//
//   page (this)                           the page's origin: fetches the files, keeps the snapshot
//   └─ <iframe sandbox="allow-scripts" srcdoc>   a fresh opaque origin per interpreter (no storage,
//      │   no cookies, no same-origin access to the page); its CSP (a <meta>, below) allows scripts
//      │   from blob: and the nonce'd bootstrap only, WebAssembly, blob: workers, and no connections
//      └─ Worker (classic, blob:)        iframe-worker.js: Pyodide + PuLP + HiGHS (interpreter.js),
//                                        imported from blob: URLs; a blob: worker inherits the
//                                        iframe's origin and CSP. (Chromium does not start a module
//                                        worker from a blob: URL of an opaque origin; a classic one
//                                        can import() modules from such URLs.)
//
// The page fetches every file (Pyodide's, HiGHS's, PuLP's zip, the harness) and posts them into the
// iframe as Blobs, with a MessagePort the worker answers on; the worker's fetch serves Pyodide only
// those files. Pyodide's wasm is handed over with its memory's maximum already written into it
// (capWasmMemory: the run's memory limit, a Python MemoryError at the limit, whatever the code
// patches in JavaScript; HiGHS's wasm too). The snapshot is made once per page by a first interpreter
// that runs no model code, and restored by every later one. The wall clock is a timer here: at the
// limit the iframe is removed, which ends its worker. Nothing the interpreter answers is trusted:
// the runner re-solves the model the report exports (runner.ts).
//
// The CSP has no 'unsafe-eval': Python does not get the worker's globals through the Function
// constructor (js.x.constructor("return globalThis")), and what it does reach (Emscripten's module
// object: IDBFS, lazy files over XMLHttpRequest, sockets over WebSocket) meets the opaque origin and
// connect-src 'none' (test/pulp-browser.test.ts tries each, and probes the iframe with JavaScript).
//
// Not enforced from outside: the worker's JavaScript heap (Python can allocate there, e.g. with
// pyodide.ffi.to_js; only the wall clock bounds it), and its CPU share (a core per running
// interpreter). The interpreter prepared ahead (an iframe, its 31 MB snapshot restored) stays on the
// page until the next run.

import urls from 'virtual:evom-target-assets';
import interpreterSource from './interpreter.js?raw';
import workerSource from './iframe-worker.js?raw';
import harnessSource from '../python/harness.py?raw';
import pulpZipData from './vendor/pulp-2.6.0.zip?inline';
import { capWasmMemory } from './interpreter.js';
import { pulp } from './index.ts';
import type { AssetRef } from '../target.ts';
import type { IsolateOutcome, IsolateRun, PyodideHost } from './isolate.ts';

/** The iframe's policy: the bootstrap script (by nonce), modules and workers from blob: URLs that the
 *  iframe made itself, WebAssembly; no connection of any kind, no other resource. */
export function isolateCsp(nonce: string): string {
  return [
    "default-src 'none'", `script-src 'nonce-${nonce}' blob: 'wasm-unsafe-eval'`, 'worker-src blob:',
    "connect-src 'none'", "base-uri 'none'", "form-action 'none'",
  ].join('; ');
}

/** How long making the snapshot (a fresh Pyodide importing PuLP) may take, ms. */
const SNAPSHOT_MS = 120_000;

/** The iframe's document: its CSP, and a script that starts the worker from the source it is sent. */
function srcdoc(nonce: string): string {
  const script = `
addEventListener('message', function first(e) {
  if (e.source !== parent || !e.data || e.ports.length !== 2) return;
  removeEventListener('message', first);
  const control = e.ports[0], work = e.ports[1];
  try {
    const w = new Worker(URL.createObjectURL(new Blob([e.data.worker], { type: 'text/javascript' })), { name: 'evom-pyodide' });
    w.addEventListener('error', (ev) => { ev.preventDefault(); control.postMessage({ error: ev.message || 'the interpreter worker failed to load' }); });
    w.addEventListener('messageerror', () => control.postMessage({ error: 'a message to the interpreter could not be read' }));
    w.postMessage(e.data.init, [work]);
  } catch (err) {
    control.postMessage({ error: 'no worker: ' + String(err && err.message || err) });
  }
});`;
  return `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="${isolateCsp(nonce)}"></head><body><script nonce="${nonce}">${script}</script></body></html>`;
}

function randomNonce(): string {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
}

/** The files every interpreter gets, as Blobs (the wasm of Pyodide separately: capped per limit). */
interface Files {
  blobs: Record<string, Blob>;
  pyodideWasm: Uint8Array;
  highsWasm: Uint8Array;
}

const REFS: Record<string, AssetRef | undefined> = {
  'pyodide.mjs': pulp.assets?.pyodide,
  'pyodide.asm.mjs': pulp.assets?.pyodideAsm,
  'pyodide.asm.wasm': pulp.assets?.pyodideWasm,
  'python_stdlib.zip': pulp.assets?.pyodideStdlib,
  'pyodide-lock.json': pulp.assets?.pyodideLock,
  'highs.mjs': pulp.assets?.highsModule,
  'highs.wasm': pulp.assets?.highsWasm,
};

async function fetchFiles(): Promise<Files> {
  const blobs: Record<string, Blob> = {};
  const bytes: Record<string, Uint8Array> = {};
  await Promise.all(Object.entries(REFS).map(async ([name, ref]) => {
    const url = ref && urls[`${ref.package}/${ref.file}`];
    if (!url) throw new Error(`the build has no ${name} for the pulp target: rebuild with it registered (npm run build)`);
    const res = await fetch(url);
    if (!res.ok) throw new Error(`could not load ${url}: HTTP ${res.status}`);
    if (name.endsWith('.wasm')) bytes[name] = new Uint8Array(await res.arrayBuffer());
    else blobs[name] = await res.blob();
  }));
  const b64 = pulpZipData.slice(pulpZipData.indexOf(',') + 1);
  blobs['pulp.zip'] = new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], { type: 'application/zip' });
  blobs['harness.py'] = new Blob([harnessSource], { type: 'text/plain' });
  blobs['interpreter.js'] = new Blob([interpreterSource], { type: 'text/javascript' });
  return { blobs, pyodideWasm: bytes['pyodide.asm.wasm']!, highsWasm: bytes['highs.wasm']! };
}

type WorkerMessage = { ready?: boolean; prepareMs?: number; snapshot?: Uint8Array; report?: unknown; log?: unknown; runMs?: number; error?: unknown };

/** One iframe and its worker, from its start to its one use. */
class IframeIsolate {
  private iframe: HTMLIFrameElement | null;
  private readonly port: MessagePort;
  private readonly control: MessagePort;
  /** the next message from the worker or the iframe (one use: ready, then the result) */
  private waiting: ((m: WorkerMessage) => void) | null = null;
  private queued: WorkerMessage[] = [];
  private dead: string | null = null;
  readonly ready: Promise<boolean>;
  readyAt: number | null = null;
  prepareMs: number | null = null;

  constructor(readonly memoryBytes: number, init: { mode: 'snapshot' | 'run' } & Record<string, unknown>) {
    const work = new MessageChannel();
    const control = new MessageChannel();
    this.port = work.port1;
    this.control = control.port1;
    const deliver = (m: WorkerMessage) => {
      if (!m || typeof m !== 'object') return;
      const w = this.waiting;
      if (w) { this.waiting = null; w(m); } else this.queued.push(m);
    };
    this.port.onmessage = (e) => deliver(e.data as WorkerMessage);
    this.control.onmessage = (e) => deliver(e.data as WorkerMessage);
    const nonce = randomNonce();
    const iframe = this.iframe = document.createElement('iframe');
    iframe.setAttribute('sandbox', 'allow-scripts');
    iframe.setAttribute('aria-hidden', 'true');
    iframe.tabIndex = -1;
    iframe.title = 'Python interpreter (pulp target)';
    iframe.style.cssText = 'position:absolute;width:0;height:0;border:0;visibility:hidden';
    iframe.addEventListener('load', () => {
      // opaque origin: the only way in is postMessage to '*'; the iframe takes the first message from
      // its parent only, and the bytes in it are no secret
      iframe.contentWindow?.postMessage({ worker: workerSource, init }, '*', [control.port2, work.port2]);
    }, { once: true });
    iframe.srcdoc = srcdoc(nonce);
    (document.body ?? document.documentElement).append(iframe);
    // a snapshot maker answers once, with the snapshot; a run's interpreter first says it is ready
    this.ready = init.mode === 'snapshot' ? Promise.resolve(false) : this.next().then((m) => {
      if (m.ready === true) {
        this.readyAt = performance.now();
        this.prepareMs = typeof m.prepareMs === 'number' ? m.prepareMs : null;
        return true;
      }
      this.queued.unshift(m);
      return false;
    });
  }

  /** The worker's (or the iframe's) next message; a synthetic error once killed. */
  next(): Promise<WorkerMessage> {
    const q = this.queued.shift();
    if (q) return Promise.resolve(q);
    if (this.dead) return Promise.resolve({ error: this.dead });
    return new Promise((resolve) => { this.waiting = resolve; });
  }

  send(m: unknown): void { this.port.postMessage(m); }

  get alive(): boolean { return this.dead === null; }

  /** Remove the iframe: its document goes, and with it the worker, whatever it is doing. */
  kill(why = 'stopped'): void {
    if (this.dead) return;
    this.dead = why;
    this.iframe?.remove();
    this.iframe = null;
    this.port.close();
    this.control.close();
    const w = this.waiting;
    this.waiting = null;
    w?.({ error: why });
  }
}

/** Interpreters for the pulp target on this page, `ahead` of them prepared while others run. */
export class IframePyodideHost implements PyodideHost {
  private files: Promise<Files> | null = null;
  private snapshot: Promise<Blob> | null = null;
  private snapshotMs: number | null = null;
  private readonly wasm = new Map<number, { pyodide: Blob; highs: Blob }>();
  private readonly ready: IframeIsolate[] = [];
  private started = 0;
  private preparing = 0;
  private runs = 0;
  private closed = false;

  constructor(private readonly ahead = 1) {}

  private loadFiles(): Promise<Files> {
    const p = this.files ??= fetchFiles();
    p.catch(() => { if (this.files === p) this.files = null; }); // fetched again on the next run
    return p;
  }

  /** The snapshot, made once per page by an interpreter that runs no model code. */
  private snapshotBlob(): Promise<Blob> {
    const p = this.snapshot ??= (async () => {
      const files = await this.loadFiles();
      const t0 = performance.now();
      this.started++;
      const iso = new IframeIsolate(0, { mode: 'snapshot', files: { ...files.blobs, 'pyodide.asm.wasm': new Blob([files.pyodideWasm as BlobPart]), 'highs.wasm': new Blob([files.highsWasm as BlobPart]) } });
      const timer = setTimeout(() => iso.kill(`the snapshot took longer than ${SNAPSHOT_MS / 1000} s`), SNAPSHOT_MS);
      try {
        const m = await iso.next();
        if (!(m.snapshot instanceof Uint8Array)) throw new Error(`the Pyodide snapshot could not be made: ${String(m.error ?? 'no snapshot')}`);
        this.snapshotMs = performance.now() - t0;
        return new Blob([m.snapshot as BlobPart]);
      } finally {
        clearTimeout(timer);
        iso.kill('done');
      }
    })();
    p.catch(() => { if (this.snapshot === p) this.snapshot = null; });
    return p;
  }

  /** Pyodide's and HiGHS's modules with their memory's maximum set to `bytes` (one pair per limit). */
  private capped(files: Files, bytes: number): { pyodide: Blob; highs: Blob } {
    const pages = Math.floor(bytes / 65536);
    let c = this.wasm.get(pages);
    if (!c) {
      c = { pyodide: new Blob([capWasmMemory(files.pyodideWasm, bytes) as BlobPart]), highs: new Blob([capWasmMemory(files.highsWasm, bytes) as BlobPart]) };
      this.wasm.set(pages, c);
    }
    return c;
  }

  private async start(memoryBytes: number, maxLogLines: number): Promise<IframeIsolate> {
    const [files, snapshot] = await Promise.all([this.loadFiles(), this.snapshotBlob()]);
    const wasm = this.capped(files, memoryBytes);
    this.started++;
    return new IframeIsolate(memoryBytes, {
      mode: 'run', files: { ...files.blobs, 'pyodide.asm.wasm': wasm.pyodide, 'highs.wasm': wasm.highs }, snapshot, maxLogLines,
    });
  }

  private refill(memoryBytes: number, maxLogLines: number): Promise<unknown>[] {
    const started: Promise<unknown>[] = [];
    while (!this.closed && this.ready.length + this.preparing < this.ahead) {
      this.preparing++;
      started.push(this.start(memoryBytes, maxLogLines).then((iso) => {
        this.preparing--;
        if (this.closed) { iso.kill('closed'); return false; }
        this.ready.push(iso);
        return iso.ready.then((ok) => { if (!ok) this.drop(iso); return ok; });
      }, () => { this.preparing--; return false; }));
    }
    return started;
  }

  /**
   * Do the first run's preparation now (the files, the snapshot, an interpreter for runs with these
   * limits), for a page that knows it will run pulp: the first run then waits for nothing. Resolves
   * when that interpreter is ready; never rejects (a failure shows in the run that follows).
   */
  async prepare(memoryBytes: number, maxLogLines: number): Promise<void> {
    if (this.closed || typeof document === 'undefined') return;
    try {
      await this.snapshotBlob();
    } catch {
      return;
    }
    this.dropOthers(memoryBytes);
    await Promise.all([...this.refill(memoryBytes, maxLogLines), ...this.ready.map((i) => i.ready)]);
  }

  /** Interpreters prepared for another memory limit (an earlier setting) make way for this one's. */
  private dropOthers(memoryBytes: number): void {
    for (const iso of this.ready.filter((x) => x.memoryBytes !== memoryBytes || !x.alive)) this.drop(iso);
  }

  private drop(iso: IframeIsolate): void {
    const i = this.ready.indexOf(iso);
    if (i >= 0) this.ready.splice(i, 1);
    iso.kill('failed');
  }

  async run(job: IsolateRun): Promise<IsolateOutcome> {
    if (typeof document === 'undefined' || typeof document.createElement !== 'function') {
      return { kind: 'unavailable', detail: 'the pulp target runs Python in sandboxed iframes, which need a page (this is a worker without one)' };
    }
    if (this.closed) return { kind: 'unavailable', detail: 'the Python isolate host is closed' };
    const t0 = performance.now();
    let iso: IframeIsolate;
    try {
      this.dropOthers(job.memoryBytes);
      iso = this.ready.shift() ?? await this.start(job.memoryBytes, job.maxLogLines);
    } catch (e) {
      return { kind: 'unavailable', detail: `the Python interpreter could not be prepared: ${(e as Error).message}` };
    }
    this.runs++;
    let timedOut = false;
    let startTimedOut = false;
    // first the wait for the interpreter (the verifier's time), then the code's own wall clock
    let timer = setTimeout(() => { startTimedOut = true; iso.kill('timeout'); }, Math.max(0, job.startMs - (performance.now() - t0)));
    try {
      const ok = await iso.ready;
      clearTimeout(timer);
      // the next run's interpreter starts once this one is ready (not competing with its start)
      this.refill(job.memoryBytes, job.maxLogLines);
      const waitMs = performance.now() - t0;
      if (startTimedOut) return { kind: 'unavailable', detail: `the Python interpreter did not start within ${(job.startMs / 1000).toFixed(0)} s (the machine is busy)` };
      if (!ok) {
        const m = await iso.next();
        return { kind: 'crashed', detail: String(m.error ?? 'the interpreter ended before it was ready').slice(0, 500), log: [] };
      }
      timer = setTimeout(() => { timedOut = true; iso.kill('timeout'); }, job.wallMs);
      iso.send({ code: job.code, cfg: job.cfg });
      const m = await iso.next();
      if (timedOut) return { kind: 'timeout', log: [] };
      if (typeof m.report === 'string') {
        return { kind: 'report', report: m.report, log: Array.isArray(m.log) ? m.log.map(String) : [], waitMs, runMs: Number(m.runMs) || 0 };
      }
      return { kind: 'crashed', detail: String(m.error ?? 'the interpreter ended without a report').slice(0, 500), log: Array.isArray(m.log) ? (m.log as unknown[]).map(String) : [] };
    } finally {
      clearTimeout(timer);
      iso.kill('done');
    }
  }

  async stats() {
    return { started: this.started, runs: this.runs, ready: this.ready.filter((i) => i.readyAt !== null && i.alive).length, snapshotMs: this.snapshotMs };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const iso of this.ready.splice(0)) iso.kill('closed');
  }
}
