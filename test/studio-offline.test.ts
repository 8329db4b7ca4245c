// EVOM Studio offline, in headless Chromium: the first visit installs the Workbox service worker
// (vite.config.ts, registered by src/studio/offline.ts) and precaches the app; with the browser
// offline, the pages, module workers, wasm solvers, built-in model and bundled benchmarks then come
// from the service worker, the verify page still verifies in its worker, files that were never
// cached fail, and nothing reaches the server.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { launchChromium, serveApp } from './browser.ts';

const DIST = join(import.meta.dirname, '..', 'dist');

let url: string;
let page: Page;
let context: BrowserContext;
let close: () => Promise<void>;
let stopServer: () => Promise<void>;
/** Paths the preview server was asked for (cleared when the browser goes offline). */
const served: string[] = [];
const pageErrors: string[] = [];

/** Build files cached on first use (or by the Studio's "Make available offline"), not at install. */
const CACHED_ON_USE = /^(?:minizinc|pyodide|python_stdlib)/;

/** The files dist/sw.js precaches, relative to the site root (from its generated manifest). */
function precacheList(): string[] {
  const sw = readFileSync(join(DIST, 'sw.js'), 'utf8');
  return [...new Set([...sw.matchAll(/["']?\burl["']?:\s*"([^"]+)"/g)].map((m) => m[1]!))];
}

/** Files from the build that must be available offline, with their sizes on disk. */
function requiredFiles(): { path: string; bytes: number }[] {
  const assets = readdirSync(join(DIST, 'assets'));
  // MiniZinc's files (an 18 MB wasm, over the precache limit) are cached on first use or by "Make
  // available offline" instead (vite.config.ts runtimeCaching): tested below
  const wasm = assets.filter((f) => f.endsWith('.wasm') && !CACHED_ON_USE.test(f)).map((f) => `assets/${f}`);
  const workers = assets.filter((f) => /\.browser-[\w-]+\.js$/.test(f)).map((f) => `assets/${f}`);
  const benchmarks = readdirSync(join(DIST, 'benchmarks')).filter((f) => f.endsWith('.jsonl')).map((f) => `benchmarks/${f}`);
  const model = ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'].map((f) => `models/evom-tiny/${f}`);
  // the bundle's entry points and stylesheets, named in the built pages
  const entries = ['index.html', 'verify.html'].flatMap((p) => [...readFileSync(join(DIST, p), 'utf8').matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]!));
  const all = [...new Set(['index.html', 'verify.html', 'manifest.webmanifest', ...entries, ...workers, ...wasm, ...model, ...benchmarks, 'configs/qwen2.5-0.5b-instruct/config.json'])];
  return all.map((path) => ({ path, bytes: statSync(join(DIST, path)).size }));
}

/** fetch() from the page: status and body size, or the error it threw. */
function fetchInPage(paths: string[]): Promise<{ path: string; status?: number; bytes?: number; error?: string }[]> {
  return page.evaluate(async (ps) => Promise.all(ps.map(async (path) => {
    try {
      const res = await fetch(new URL(path, document.baseURI), { cache: 'no-store' });
      return { path, status: res.status, bytes: (await res.arrayBuffer()).byteLength };
    } catch (e) {
      return { path, error: String(e) };
    }
  })), paths);
}

/** The Studio shows registerOffline's state (src/studio/offline.ts): the app is cached. */
async function expectOfflineReady(): Promise<void> {
  await page.waitForFunction(() => document.body.textContent?.includes('Available offline'), null, { timeout: 30_000 })
    .catch(async () => { throw new Error(`the Studio does not say "Available offline"; its status line: ${await page.textContent('#offline-status').catch(() => '(none)')}`); });
}

beforeAll(async () => {
  const app = await serveApp();
  url = app.url;
  stopServer = () => app.server.close();
  (app.server.httpServer as Server).on('request', (req) => { served.push(req.url ?? ''); });
  const b = await launchChromium({ webgpu: true });
  close = b.close;
  context = b.context;
  page = await context.newPage();
  page.on('pageerror', (e) => { pageErrors.push(String(e)); console.error('page error:', e); });
}, 180_000);

afterAll(async () => {
  await context?.setOffline(false).catch(() => undefined);
  await close?.();
  await stopServer?.();
});

describe('EVOM Studio offline', () => {
  it('the build precaches the app, workers, wasm solvers, built-in model and benchmarks, and nothing else', () => {
    const list = precacheList();
    for (const f of requiredFiles()) expect(list, f.path).toContain(f.path);
    expect(list.filter((p) => p.endsWith('.wasm')).length).toBeGreaterThanOrEqual(2); // HiGHS, GLPK
    expect(list.some((p) => /highs[^/]*\.wasm$/.test(p))).toBe(true);
    expect(list.filter((p) => /\.browser-[\w-]+\.js$/.test(p)).length).toBeGreaterThanOrEqual(2);
    expect(list.filter((p) => p.startsWith('benchmarks/')).length).toBeGreaterThanOrEqual(6);
    expect(list).not.toContain('engine-host.html');
    expect(list.filter((p) => p.endsWith('.map') || p.includes('://'))).toEqual([]);
  });

  it('the first visit installs the service worker and caches every precached file', async () => {
    await page.goto(`${url}index.html`);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toContain('EVOM Studio');
    // The Studio registers the worker itself (after the page's load event); active means installed,
    // and a worker installs only once its whole precache is stored.
    const scope = await page.evaluate(() => Promise.race([
      navigator.serviceWorker.ready.then((r) => r.scope),
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no service worker became active within 120 s')), 120_000)),
    ]));
    expect(scope).toBe(url);
    // clientsClaim: the worker takes over the open page without a reload
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 30_000 });
    const cached = await page.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith('workbox-precache'));
      const paths: string[] = [];
      for (const n of names) for (const r of await (await caches.open(n)).keys()) paths.push(new URL(r.url).pathname.slice(1));
      return paths;
    });
    expect(new Set(cached)).toEqual(new Set(precacheList()));
    await expectOfflineReady();
  }, 180_000);

  it('MiniZinc is not precached; "Make available offline" caches its files', async () => {
    expect(precacheList().filter((p) => /assets\/minizinc/.test(p))).toEqual([]);
    const big = readdirSync(join(DIST, 'assets')).filter((f) => CACHED_ON_USE.test(f));
    expect(big.some((f) => f.endsWith('.wasm') && statSync(join(DIST, 'assets', f)).size > 8 * 1024 * 1024)).toBe(true);
    await page.click('#tab-targets');
    await page.selectOption('#target', 'minizinc');
    await page.waitForSelector('#target-offline');
    expect(await page.textContent('#target-offline')).toContain('cached the first time it solves');
    await page.click('#make-offline');
    await page.waitForFunction(() => document.querySelector('#target-offline')?.textContent?.includes('is available offline'), null, { timeout: 120_000 });
    const cached = await page.evaluate(async () => (await (await caches.open('evom-target-assets')).keys()).map((r) => new URL(r.url).pathname));
    expect(cached.filter((p) => /\/assets\/minizinc[^/]*\.wasm$/.test(p))).toHaveLength(1);
    expect(cached.filter((p) => /\/assets\/minizinc[^/]*\.data$/.test(p))).toHaveLength(1);
    await page.selectOption('#target', 'highs');
  }, 180_000);

  it('offline, the Studio reloads from the service worker', async () => {
    served.length = 0;
    await context.setOffline(true);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    const res = await page.reload();
    expect(res?.status()).toBe(200);
    expect(res?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toContain('EVOM Studio');
    // the start URL of the web manifest ('./') is index.html too
    await expectOfflineReady(); // now from the registration found at start-up, not a fresh install
    const root = await page.goto(url);
    expect(root?.fromServiceWorker()).toBe(true);
    await page.waitForSelector('h1');
    expect(await page.textContent('h1')).toContain('EVOM Studio');
  }, 180_000);

  it('offline, the built-in model, wasm solvers, module workers and benchmarks are served whole', async () => {
    const files = requiredFiles();
    const got = await fetchInPage(files.map((f) => f.path));
    for (const [i, f] of files.entries()) expect(got[i], f.path).toEqual({ path: f.path, status: 200, bytes: f.bytes });
    const bytes = (p: string) => files.find((f) => f.path === p)!.bytes;
    expect(bytes('models/evom-tiny/model.safetensors')).toBeGreaterThan(500_000);
    expect(bytes('models/evom-tiny/tokenizer.json')).toBeGreaterThan(1_000);
    expect(Math.max(...files.filter((f) => /highs[^/]*\.wasm$/.test(f.path)).map((f) => f.bytes))).toBeGreaterThan(2_000_000);
    expect(files.filter((f) => f.path.startsWith('benchmarks/')).reduce((s, f) => s + f.bytes, 0)).toBeGreaterThan(2_000_000);
  }, 180_000);

  it('offline really is offline: files that were never cached fail', async () => {
    const got = await fetchInPage(['engine-host.html', 'benchmarks/README.md', 'no-such-file.bin']);
    for (const r of got) {
      expect(r.status, r.path).toBeUndefined();
      expect(r.error, r.path).toMatch(/Failed to fetch|NetworkError/);
    }
  }, 60_000);

  it('offline, verify.html loads and verifies with each wasm solver in its worker', async () => {
    const res = await page.goto(`${url}verify.html`);
    expect(res?.fromServiceWorker()).toBe(true);
    for (const target of ['highs', 'glpk', 'glpk-json', 'minizinc']) {
      await page.selectOption('#target', target);
      await page.click('#example');
      await page.click('#verify');
      await page.waitForFunction(() => document.querySelector('#busy')?.textContent?.startsWith('Done'), null, { timeout: 60_000 });
      expect(await page.textContent('#class'), target).toBe('correct');
      await page.evaluate(() => { document.querySelector('#busy')!.textContent = ''; });
    }
    // Nothing of the app reached the server while offline. The browser's own update check of the
    // service worker script (sw.js and the Workbox runtime it imports) escapes Playwright's offline
    // emulation, which does not cover service workers; with the network really down it fails and
    // the installed worker goes on serving.
    expect(served.filter((p) => !/^\/(sw|workbox-[\w-]+)\.js$/.test(p))).toEqual([]);
  }, 180_000);

  it('back online, the server answers again', async () => {
    await context.setOffline(false);
    const [host] = await fetchInPage(['engine-host.html']);
    expect(host).toMatchObject({ status: 200 });
    expect(served.length).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
