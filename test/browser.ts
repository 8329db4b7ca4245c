// Browser helpers for tests: the built app served by Vite's preview server, and the engine page.
// Chromium itself is launched by src/host/chromium.ts (shared with the command line).
import { build, preview, type PreviewServer } from 'vite';
import type { BrowserContext, Page } from 'playwright-core';
import { callInPage, enginePage, launchChromium } from '../src/host/chromium.ts';

export { callInPage, launchChromium };

let built: Promise<void> | null = null;
/** Build the app once per test process (vite build → dist/). */
export function buildApp(): Promise<void> {
  built ??= build({ logLevel: 'error' }).then(() => undefined);
  return built;
}

export async function serveApp(): Promise<{ url: string; server: PreviewServer }> {
  await buildApp();
  const server = await preview({ preview: { port: 0, host: '127.0.0.1', strictPort: false }, logLevel: 'error' });
  const addr = server.httpServer.address();
  if (!addr || typeof addr === 'string') throw new Error('preview server has no address');
  return { url: `http://127.0.0.1:${addr.port}/`, server };
}

/** The Studio in headless Chromium with WebGPU: one page at `viewport`, its GPU report shown. */
export interface StudioSession {
  url: string; context: BrowserContext; page: Page;
  /** page errors of every page opened through newPage (a test expects none) */
  pageErrors: string[];
  newPage(ctx?: BrowserContext): Promise<Page>;
  close(): Promise<void>;
}

export async function openStudio(viewport = { width: 1366, height: 900 }): Promise<StudioSession> {
  const app = await serveApp();
  const b = await launchChromium({ webgpu: true });
  const pageErrors: string[] = [];
  const newPage = async (ctx: BrowserContext = b.context) => {
    const p = await ctx.newPage();
    p.on('pageerror', (e) => { pageErrors.push(String(e)); console.error('page error:', e); });
    return p;
  };
  const page = await newPage();
  await page.setViewportSize(viewport);
  await page.goto(app.url);
  await page.waitForFunction(() => /GPU: /.test(document.querySelector('#gpu-status')?.textContent ?? ''), null, { timeout: 120_000 });
  return { url: app.url, context: b.context, page, pageErrors, newPage, close: async () => { await b.close(); await app.server.close(); } };
}

/** The Classroom tab's share link of the page's configuration (the tab must be open). */
export async function makeShareLink(page: Page): Promise<string> {
  await page.click('#make-link');
  await page.waitForSelector('#share-link');
  return page.inputValue('#share-link');
}

/** Chromium with WebGPU on the engine host page, with page errors forwarded to the test log. */
export async function gpuPage(): ReturnType<typeof enginePage> {
  const env = await enginePage();
  env.page.on('pageerror', (e) => console.error('page error:', e));
  env.page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}:`, m.text()); });
  return env;
}

/**
 * Records, on a page's main thread, every use of WebGPU and WebAssembly and every worker started.
 * Add it with page.addInitScript(MAIN_THREAD_PROBE) before the page loads; read it with
 * mainThreadWork(page). Init scripts run in the page's frames, never in its workers, so what it
 * records is exactly the work done on the thread that renders.
 */
export const MAIN_THREAD_PROBE = `(() => {
  const w = window.__mainThreadWork = { webgpu: [], wasm: [], workers: [] };
  if (navigator.gpu) {
    const ra = navigator.gpu.requestAdapter.bind(navigator.gpu);
    navigator.gpu.requestAdapter = (...a) => { w.webgpu.push('requestAdapter'); return ra(...a); };
  }
  for (const k of ['compile', 'compileStreaming', 'instantiate', 'instantiateStreaming', 'validate']) {
    const f = WebAssembly[k];
    if (f) WebAssembly[k] = function (...a) { w.wasm.push(k); return f.apply(this, a); };
  }
  for (const k of ['Module', 'Instance', 'Memory']) {
    const C = WebAssembly[k];
    WebAssembly[k] = new Proxy(C, { construct(t, a) { w.wasm.push('new ' + k); return Reflect.construct(t, a); } });
  }
  const W = window.Worker;
  window.Worker = new Proxy(W, { construct(t, a) { w.workers.push((a[1] && a[1].name) || String(a[0])); return Reflect.construct(t, a); } });
})();`;

export interface MainThreadWork { webgpu: string[]; wasm: string[]; workers: string[] }
export const mainThreadWork = (p: import('playwright-core').Page): Promise<MainThreadWork> =>
  p.evaluate(() => (window as unknown as { __mainThreadWork: MainThreadWork }).__mainThreadWork);
