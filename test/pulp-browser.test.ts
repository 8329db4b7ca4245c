// The pulp target in headless Chromium: Python (Pyodide) with PuLP, solved by HiGHS in wasm, each run
// in a worker inside an opaque-origin sandboxed iframe whose CSP forbids connections
// (src/targets/pulp/isolate-browser.ts), reached from the verify page's verifier worker over a port.
// The built app (vite build, into a folder of its own) on Vite's preview server: a completion verifies
// with its objective constant; completions that try to get out (network, storage, memory, the report,
// the clock) each end in a clear class, and nothing reaches a server counting its connections; the
// iframe itself, probed with JavaScript as if Python had reached JavaScript's globals, lets nothing
// out either; "Make available offline" caches Pyodide, and with the server stopped pulp still
// verifies from the service worker's caches.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, mainThreadWork, MAIN_THREAD_PROBE } from './browser.ts';

const OUT = mkdtempSync(join(tmpdir(), 'evom-pulp-dist-'));
let url: string;
let app: PreviewServer | null = null;
let context: BrowserContext;
let closeBrowser: () => Promise<void>;
let page: Page;
const pageErrors: string[] = [];
/** connections to the trap server (a TCP listener: HTTP, WebSocket, anything) */
let trapPort = 0;
const trapped: string[] = [];
let trap: TcpServer;
/** timings for the report, ms */
const timings: Record<string, number> = {};

const MODEL = `import pulp
prob = pulp.LpProblem("m", pulp.LpMaximize)
x = pulp.LpVariable("x", 0, 3)
y = pulp.LpVariable("y", 0, cat="Integer")
prob += 3 * x + 2 * y + 10
prob += x + y <= 4
prob += x + 3 * y <= 6
prob.solve()
print("Optimal value:", pulp.value(prob.objective))`;
const fenced = (code: string) => '```python\n' + code + '\n```';

interface Seen { cls: string; reward: string; objective: string; messages: string; log: string; ms: number }

async function verify(code: string, answer: string, timeout = 60_000): Promise<Seen> {
  await page.selectOption('#target', 'pulp');
  await page.fill('#completion', fenced(code));
  await page.fill('#answer', answer);
  await page.evaluate(() => { document.querySelector('#busy')!.textContent = ''; });
  const t0 = Date.now();
  await page.click('#verify');
  await page.waitForFunction(() => document.querySelector('#busy')?.textContent?.startsWith('Done'), null, { timeout });
  const ms = Date.now() - t0;
  const text = async (id: string) => ((await page.textContent(id)) ?? '').trim();
  return { cls: await text('#class'), reward: await text('#reward'), objective: await text('#objective'), messages: await text('#messages'), log: await text('#log'), ms };
}

/** Select pulp on the verify page and wait for its first interpreter (prepared on selection). */
async function preparePulp(): Promise<number> {
  const t0 = Date.now();
  await page.selectOption('#target', 'pulp');
  await page.waitForFunction(() => document.querySelector('#busy')?.textContent === 'Python is ready.', null, { timeout: 120_000 });
  return Date.now() - t0;
}

beforeAll(async () => {
  trap = createTcpServer((s) => { trapped.push(`${s.remoteAddress}:${s.remotePort}`); s.on('error', () => undefined); s.destroy(); });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as { port: number }).port;
  let t0 = Date.now();
  // a folder of its own: dist/ may be in use by other tests
  await build({ logLevel: 'error', build: { outDir: OUT, emptyOutDir: true } });
  timings.build = Date.now() - t0;
  app = await preview({ build: { outDir: OUT }, preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const addr = app.httpServer.address() as { port: number };
  url = `http://127.0.0.1:${addr.port}/`;
  const b = await launchChromium({ webgpu: true }); // the Studio (offline test) wants a GPU adapter
  context = b.context;
  closeBrowser = b.close;
  page = await context.newPage();
  await page.addInitScript(MAIN_THREAD_PROBE);
  page.on('pageerror', (e) => { pageErrors.push(String(e)); console.error('page error:', e); });
  t0 = Date.now();
  await page.goto(`${url}verify.html`);
  await page.waitForSelector('#target option[value=pulp]', { state: 'attached' });
}, 180_000);

afterAll(async () => {
  await closeBrowser?.();
  await app?.close();
  trap?.close();
  rmSync(OUT, { recursive: true, force: true });
  console.log('pulp-browser timings (ms):', JSON.stringify(timings));
});

describe('pulp in the browser', () => {
  it('the build leaves Python out of the precache and puts the page-side host in one chunk', () => {
    const sw = readFileSync(join(OUT, 'sw.js'), 'utf8');
    const precached = [...sw.matchAll(/["']?\burl["']?:\s*"([^"]+)"/g)].map((m) => m[1]!);
    const assets = readdirSync(join(OUT, 'assets'));
    for (const f of ['pyodide.asm', 'python_stdlib', 'pyodide-lock']) expect(assets.some((a) => a.startsWith(f)), f).toBe(true);
    expect(precached.filter((p) => /pyodide|python_stdlib|\.mjs$/.test(p))).toEqual([]);
    expect(assets.filter((a) => a.startsWith('isolate-browser'))).toHaveLength(1);
  });

  it('verifies a PuLP completion in the page: optimal, with the objective constant', async () => {
    timings.firstPrepare = await preparePulp();
    const first = await verify(MODEL, '21');
    timings.firstVerifyAfterPrepare = first.ms;
    expect(first.cls, first.messages).toBe('correct');
    expect(first.objective).toBe('21');
    expect(first.reward).toBe('2');
    expect(first.messages).toMatch(/pulp: Optimal/);
    expect(first.log).toMatch(/Optimal value: 21/);
    const again = await verify(MODEL.replace('+ 10', '+ 7'), '18');
    timings.warmVerify = again.ms;
    expect(again.cls, again.messages).toBe('correct');
    expect(again.objective).toBe('18');
    // the page's thread only renders: Pyodide and HiGHS ran in the iframes' workers
    const w = await mainThreadWork(page);
    expect(w.wasm).toEqual([]);
  }, 180_000);

  it('completions that try to get out each end in a clear class; nothing reaches the server', async () => {
    const trap = `http://127.0.0.1:${trapPort}`;
    const cases: { name: string; code: string; answer?: string; cls: string; text?: RegExp }[] = [
      {
        // (a) JavaScript's globals, then fetch: the Function constructor is eval, which the CSP refuses
        name: 'globals + fetch', cls: 'runtime_error', text: /EvalError|Content Security Policy/,
        code: `import js\ng = js.evom_highs.constructor("return globalThis")()\ng.fetch("${trap}/fetch")`,
      },
      {
        // (a) the ways out Pyodide has without globals: sockets (WebSocket), urllib, loadPackage (fetch),
        // a lazy file (synchronous XMLHttpRequest, which ends the interpreter)
        name: 'other ways out', cls: 'runtime_error', text: /XMLHttpRequest|interpreter/,
        code: [
          'import pyodide_js, socket, urllib.request',
          'for f in (lambda: socket.create_connection(("127.0.0.1", ' + trapPort + '), timeout=1),',
          '          lambda: urllib.request.urlopen("' + trap + '/urllib", timeout=1),',
          '          lambda: pyodide_js.loadPackage("' + trap + '/x-1.0-py3-none-any.whl")):',
          '    try:',
          '        print("reached:", f())',
          '    except Exception as e:',
          '        print("refused:", type(e).__name__)',
          'pyodide_js._module.FS.createLazyFile("/tmp", "lazy", "' + trap + '/lazy", True, False)',
          'print(open("/tmp/lazy", "rb").read())',
        ].join('\n'),
      },
      {
        // (b) IndexedDB, reached through Emscripten's IDBFS: the iframe's opaque origin has no storage
        name: 'indexedDB', cls: 'runtime_error', text: /SecurityError|denied/,
        code: 'import pyodide_js\nreq = pyodide_js._module.IDBFS.indexedDB().open("x")\nprint("opened", req)',
      },
      {
        // (c) OPFS and Cache Storage need the globals: refused
        name: 'OPFS, caches', cls: 'runtime_error', text: /EvalError|Content Security Policy/,
        code: 'import js\ng = js.evom_highs.constructor("return globalThis")()\ng.navigator.storage.getDirectory()\ng.caches.open("x")',
      },
      {
        // (d) the memory's growth patched wherever Python can reach it, then allocation: the module's own
        // maximum (written into its bytes on the page) still holds
        name: 'patched growth', cls: 'runtime_error', text: /memory/i,
        code: [
          'import js, pyodide_js',
          'from pyodide.ffi import create_proxy',
          'for patch in (lambda: setattr(js.evom_highs.constructor("return WebAssembly")().Memory.prototype, "grow", create_proxy(lambda *a: 0)),',
          '              lambda: setattr(pyodide_js._module, "_emscripten_resize_heap", create_proxy(lambda *a: 1)),',
          '              lambda: setattr(pyodide_js._module, "INITIAL_MEMORY", 2**32)):',
          '    try:',
          '        patch()',
          '    except Exception as e:',
          '        print("patch refused:", type(e).__name__)',
          'x = []',
          'while True:',
          '    x.append(bytearray(10**8))',
        ].join('\n'),
      },
      {
        // (e) a forged report: a printed one, and the harness's own functions patched to claim 999;
        // the verdict is the exported model, re-solved outside (optimum 5)
        name: 'forged report', cls: 'wrong_answer', answer: '999',
        code: [
          'import pulp, json, evom_harness',
          'prob = pulp.LpProblem("m", pulp.LpMaximize)',
          'x = pulp.LpVariable("x", 0, 5)',
          'prob += x',
          'prob += x <= 5',
          'prob.solve()',
          '_real_dumps, _real_sanitize = json.dumps, evom_harness._sanitize',
          'def _dumps(o, *a, **k):',
          '    if isinstance(o, dict) and "status" in o:',
          '        o = dict(o, status="optimal", objective=999.0, solver_objective=999.0, failure=None)',
          '    return _real_dumps(o, *a, **k)',
          'def _sanitize(r, *a, **k):',
          '    r = _real_sanitize(r, *a, **k)',
          '    if isinstance(r, dict) and "status" in r:',
          '        r.update(status="optimal", objective=999.0, solver_objective=999.0)',
          '    return r',
          'json.dumps, evom_harness._sanitize = _dumps, _sanitize',
          'print(_real_dumps({"status": "optimal", "objective": 999}))',
          'print("Optimal value: 999")',
        ].join('\n'),
      },
      // (f) the wall clock: the page removes the iframe (its worker with it)
      { name: 'endless loop', cls: 'timeout', text: /time limit|wall/, code: 'while True:\n    pass' },
      // (g) memory: one allocation over the limit, and a growing list
      { name: 'one large allocation', cls: 'runtime_error', text: /MemoryError|memory/, code: 'x = bytearray(1_500_000_000)\nprint(len(x))' },
      { name: 'growing list', cls: 'runtime_error', text: /MemoryError|memory/, code: 'x = []\nwhile True:\n    x.append(" " * 10**8 + str(len(x)))' },
    ];
    const wrong: string[] = [];
    for (const c of cases) {
      const o = await verify(c.code, c.answer ?? '21', 60_000);
      timings[`attack: ${c.name}`] = o.ms;
      if (o.cls !== c.cls || (c.text && !c.text.test(o.messages))) wrong.push(`${c.name}: ${o.cls} (expected ${c.cls}) — ${o.messages.slice(0, 300)}`);
      if (c.name === 'forged report') {
        expect(o.objective, 'the re-solved optimum, not the forged one').toBe('5');
        expect(o.reward).toBe('1'); // the format reward only
      }
    }
    expect(wrong).toEqual([]);
    // a normal completion after them all is still verified, by a fresh interpreter
    const after = await verify(MODEL, '21');
    expect(after.cls, after.messages).toBe('correct');
    expect(after.objective).toBe('21');
    await new Promise((r) => setTimeout(r, 500)); // anything asynchronous that was started
    expect(trapped).toEqual([]);
  }, 240_000);

  it('the iframe itself, probed with JavaScript as if Python had reached its globals, lets nothing out', async () => {
    // the interpreter prepared for the next run lives in an iframe of the page: clone it (its very
    // document: CSP and bootstrap) and run a JavaScript probe as its worker
    const probe = `addEventListener('message', async (e) => {
  const port = e.ports[0], trap = e.data.trap, r = {};
  const attempt = async (name, f) => {
    try { r[name] = 'ALLOWED ' + String(await f()).slice(0, 80); }
    catch (err) { r[name] = 'refused: ' + String(err && err.name || err) + ' ' + String(err && err.message || '').slice(0, 100); }
  };
  const never = (ms) => new Promise((_, rej) => setTimeout(() => rej(new Error('no answer')), ms));
  await attempt('fetch', () => fetch(trap + '/fetch'));
  await attempt('fetch no-cors', () => fetch(trap + '/nocors', { mode: 'no-cors' }));
  await attempt('XMLHttpRequest', () => { const x = new XMLHttpRequest(); x.open('GET', trap + '/xhr', false); x.send(); return x.status; });
  await attempt('WebSocket', () => Promise.race([new Promise((res, rej) => { const w = new WebSocket(trap.replace('http', 'ws') + '/ws'); w.onopen = () => res('open'); w.onerror = () => rej(new Error('error event')); }), never(1500)]));
  await attempt('EventSource', () => Promise.race([new Promise((res, rej) => { const s = new EventSource(trap + '/es'); s.onopen = () => res('open'); s.onerror = () => { s.close(); rej(new Error('error event')); }; }), never(1500)]));
  await attempt('import()', () => import(trap + '/module.js'));
  await attempt('Worker', () => Promise.race([new Promise((res, rej) => { const w = new Worker(trap + '/worker.js'); w.onerror = () => rej(new Error('error event')); }), never(1500)]));
  await attempt('eval', () => (0, eval)('1 + 1'));
  await attempt('indexedDB', () => new Promise((res, rej) => { const q = indexedDB.open('x'); q.onsuccess = () => res('opened'); q.onerror = () => rej(q.error); }));
  await attempt('caches', () => caches.open('x'));
  await attempt('OPFS', () => navigator.storage.getDirectory());
  r.origin = self.origin;
  port.postMessage(r);
});`;
    const got = await page.evaluate(async ([probe, trap]) => {
      const live = document.querySelector('iframe[srcdoc]');
      if (!live) throw new Error('no interpreter iframe on the page');
      const frame = document.createElement('iframe');
      frame.setAttribute('sandbox', live.getAttribute('sandbox')!);
      frame.srcdoc = live.getAttribute('srcdoc')!;
      const control = new MessageChannel(), work = new MessageChannel();
      const answer = new Promise((resolve) => {
        work.port1.onmessage = (e) => resolve(e.data);
        control.port1.onmessage = (e) => resolve({ error: e.data });
        setTimeout(() => resolve({ error: 'no answer in 20 s' }), 20_000);
      });
      frame.onload = () => frame.contentWindow!.postMessage({ worker: probe, init: { trap } }, '*', [control.port2, work.port2]);
      document.body.append(frame);
      try {
        return { sandbox: live.getAttribute('sandbox'), csp: /Content-Security-Policy" content="([^"]+)"/.exec(live.getAttribute('srcdoc')!)?.[1], result: await answer as Record<string, string> };
      } finally {
        frame.remove();
      }
    }, [probe, `http://127.0.0.1:${trapPort}`] as const);
    expect(got.sandbox).toBe('allow-scripts');
    expect(got.csp).toMatch(/connect-src 'none'/);
    expect(got.csp).not.toMatch(/'unsafe-eval'|'unsafe-inline'/);
    const r = got.result;
    expect(r.error).toBeUndefined();
    expect(r.origin).toBe('null');
    for (const k of ['fetch', 'fetch no-cors', 'XMLHttpRequest', 'WebSocket', 'EventSource', 'import()', 'Worker', 'eval', 'indexedDB', 'caches', 'OPFS']) {
      expect(r[k], k).toMatch(/^refused/);
    }
    await new Promise((res) => setTimeout(res, 500));
    expect(trapped).toEqual([]);
  }, 60_000);

  it('"Make available offline" caches Python; with the server stopped, pulp still verifies', async () => {
    await page.goto(`${url}index.html`);
    await page.waitForSelector('h1');
    await page.evaluate(() => Promise.race([
      navigator.serviceWorker.ready,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no service worker became active within 120 s')), 120_000)),
    ]));
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    await page.click('#tab-targets');
    await page.selectOption('#target', 'pulp');
    await page.waitForSelector('#target-offline');
    if (!/is available offline/.test((await page.textContent('#target-offline')) ?? '')) {
      expect(await page.textContent('#target-offline')).toContain('cached the first time it solves');
      await page.click('#make-offline');
      await page.waitForFunction(() => document.querySelector('#target-offline')?.textContent?.includes('is available offline'), null, { timeout: 120_000 });
    }
    const files = [/pyodide\.asm[^/]*\.wasm$/, /pyodide\.asm[^/]*\.mjs$/, /\/pyodide-[^/]*\.mjs$/, /python_stdlib[^/]*\.zip$/, /pyodide-lock[^/]*\.json$/, /highs[^/]*\.mjs$/];
    // the service worker writes a file to its cache after answering the page with it: on a busy
    // machine the 10 MB wasm may still be on its way when the page already says so (CI, 2026-12-07)
    const cachedPaths = () => page.evaluate(async () => (await (await caches.open('evom-target-assets')).keys()).map((r) => new URL(r.url).pathname));
    let cached = await cachedPaths();
    for (const t0 = Date.now(); Date.now() - t0 < 60_000 && !files.every((f) => cached.some((p) => f.test(p)));) {
      await new Promise((r) => setTimeout(r, 500));
      cached = await cachedPaths();
    }
    for (const f of files) expect(cached.filter((p) => f.test(p)), String(f)).toHaveLength(1);
    // the server goes away: everything now comes from the service worker's caches
    await app!.close();
    app = null;
    const res = await page.goto(`${url}verify.html`);
    expect(res?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('#target option[value=pulp]', { state: 'attached' });
    timings.offlinePrepare = await preparePulp();
    const o = await verify(MODEL, '21');
    timings.offlineVerify = o.ms;
    expect(o.cls, o.messages).toBe('correct');
    expect(o.objective).toBe('21');
    expect(pageErrors).toEqual([]);
  }, 240_000);
});
