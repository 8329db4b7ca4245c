// Headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, and the built app
// served by Vite's preview server on 127.0.0.1. Flags from GUIDE §1.
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export async function launchChromium(opts: { webgpu?: boolean } = {}): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH`);
  const userDataDir = mkdtempSync(join(tmpdir(), 'evom-chromium-'));
  const args = [
    '--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', '--disable-quic',
    ...(opts.webgpu ? ['--enable-unsafe-webgpu'] : []),
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
