// Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core) with WebGPU, and a Vite
// dev server on 127.0.0.1 that serves this repository's sources to it. The command line runs the
// engine in such a page where Node's own WebGPU is not reliable (SwiftShader, GUIDE §1); tests use
// the same helpers. Node only.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import type { Plugin, ViteDevServer } from 'vite';
import { SetupError } from '../errors.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '..', '..');

export class ChromiumMissingError extends SetupError {
  constructor(path: string) {
    super(`Chromium not found at ${path}: run \`npm run setup\` (it installs Debian's chromium with the other system packages), or set CHROMIUM_PATH`);
  }
}

/** Throws ChromiumMissingError unless the browser that runs the engine is installed. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) throw new ChromiumMissingError(CHROMIUM);
}

export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  requireChromium();
  const { chromium } = await import('playwright-core');
  const userDataDir = mkdtempSync(join(tmpdir(), 'evom-chromium-'));
  const args = [
    '--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    ...(opts.webgpu ? ['--enable-unsafe-webgpu', '--enable-features=Vulkan'] : []),
  ];
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** A Vite dev server for the repository (TypeScript transformed on request), on 127.0.0.1. */
export async function startDevServer(plugins: Plugin[] = []): Promise<{ server: ViteDevServer; base: string }> {
  const { createServer } = await import('vite');
  const server = await createServer({
    root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', appType: 'mpa', plugins,
    server: { port: 0, host: '127.0.0.1', hmr: false },
  });
  await server.listen();
  const addr = server.httpServer!.address() as { port: number };
  return { server, base: `http://127.0.0.1:${addr.port}` };
}

/** Chromium with WebGPU on a blank page of the dev server, ready to import engine modules. */
export async function enginePage(plugins: Plugin[] = []): Promise<{ page: Page; base: string; close: () => Promise<void> }> {
  requireChromium(); // before the dev server starts, so a missing browser is one line, not a server's stack trace
  const { server, base } = await startDevServer(plugins);
  try {
    const b = await launchChromium({ webgpu: true });
    const page = await b.context.newPage();
    await page.goto(`${base}/engine-host.html`);
    return { page, base, close: async () => { await b.close(); await server.close(); } };
  } catch (e) {
    await server.close();
    throw e;
  }
}

/**
 * Call `fn(...args)` exported by `module` (a path under the repository root) inside the page.
 * Built as a string so that test transforms do not rewrite the page-side `import()`.
 */
export function callInPage<T>(page: Page, module: string, fn: string, ...args: unknown[]): Promise<T> {
  const call = `import(${JSON.stringify(module)}).then((m) => m[${JSON.stringify(fn)}](...${JSON.stringify(args)}))`;
  return page.evaluate(call) as Promise<T>;
}
