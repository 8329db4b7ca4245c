// Browser helpers for tests: the built app served by Vite's preview server, and the engine page.
// Chromium itself is launched by src/host/chromium.ts (shared with the command line).
import { build, preview, type PreviewServer } from 'vite';
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

/** Chromium with WebGPU on the engine host page, with page errors forwarded to the test log. */
export async function gpuPage(): ReturnType<typeof enginePage> {
  const env = await enginePage();
  env.page.on('pageerror', (e) => console.error('page error:', e));
  env.page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}:`, m.text()); });
  return env;
}
