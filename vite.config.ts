import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { fileURLToPath } from 'node:url';
import { targetAssetsPlugin } from './src/targets/vite-plugin.ts';

// Offline use after the first visit: a Workbox service worker (dist/sw.js) precaches the pages, the
// bundle and module workers, the wasm solvers, the built-in model, the configs and the bundled
// benchmarks. src/studio/offline.ts registers it. Builds only: the dev server used by the command
// line and the tests (src/host/chromium.ts) gets no service worker. Cross-origin requests (Hugging Face
// Hub downloads, cached in OPFS by src/model/hub.ts; a sandbox server) are never cached here.
const pwa = VitePWA({
  strategies: 'generateSW',
  mode: 'production', // the same service worker whatever NODE_ENV is (vitest sets 'test')
  registerType: 'autoUpdate',
  injectRegister: false,
  devOptions: { enabled: false },
  includeAssets: [], // the manifest's icon (favicon.svg) is precached with it
  manifest: {
    name: 'EVOM Studio',
    short_name: 'EVOM',
    description: 'Train language models to write optimization models, in the browser, rewarded by solving them.',
    start_url: './',
    scope: './',
    display: 'standalone',
    theme_color: '#1f4e79',
    background_color: '#ffffff',
    icons: [{ src: 'favicon.svg', sizes: 'any', type: 'image/svg+xml', purpose: 'any' }],
  },
  workbox: {
    globPatterns: [
      '*.html', 'assets/*.{js,css,wasm}',
      'models/evom-tiny*/*.{json,safetensors}', 'configs/**/*.json', 'benchmarks/*.jsonl',
    ],
    globIgnores: ['engine-host.html', '**/*.map', '**/node_modules/**', 'assets/minizinc*', 'assets/pyodide*', 'assets/python_stdlib*'],
    // HiGHS' wasm is about 3.4 MiB, over Workbox's 2 MiB default; the largest file is checked by
    // test/studio-offline.test.ts.
    maximumFileSizeToCacheInBytes: 8 * 1024 * 1024,
    // Pages are precached by name ('/' is index.html, '/verify' is verify.html): no single-page
    // fallback, so other navigations (engine-host.html, a raw benchmark file) still reach the server.
    navigateFallback: null,
    // injectRegister: false turns off the plugin's own autoUpdate defaults: a new worker takes over
    // at once (the Studio is told that an update is ready instead of being reloaded).
    skipWaiting: true,
    clientsClaim: true,
    cleanupOutdatedCaches: true,
    // Target files over that limit (MiniZinc's 18 MB wasm and its data file), and the pulp target's
    // Python (Pyodide's 9.6 MB wasm, its 2.5 MB standard library, its two modules and lock file, and
    // the HiGHS module its interpreter loads: 14 MB that only a page running Python needs) are cached
    // on first use instead (CacheFirst: the page fetches them, the service worker keeps them), and
    // the Studio's "Make available offline" fetches them ahead of need (src/studio/target-offline.ts);
    // test/studio-offline.test.ts and test/pulp-browser.test.ts check both.
    runtimeCaching: [{
      urlPattern: ({ url }) => /\/assets\/(?:minizinc[^/]*\.(?:wasm|data|js)|pyodide[^/]*\.(?:wasm|mjs|json)|python_stdlib[^/]*\.zip|highs[^/]*\.mjs)$/.test(url.pathname),
      handler: 'CacheFirst',
      options: { cacheName: 'evom-target-assets', cacheableResponse: { statuses: [200] } },
    }],
  },
});

// src/studio/offline.ts registers the service worker only in builds. import.meta.env.DEV cannot tell:
// it follows NODE_ENV, and builds made inside Vitest (NODE_ENV=test) have DEV true.
const devServerFlag: Plugin = {
  name: 'evom-dev-server-flag',
  config: (_config, { command }) => ({ define: { __EVOM_DEV_SERVER__: JSON.stringify(command === 'serve') } }),
};

// Worker bundles are told they are one, so that src/verifier/pyodide-link.ts leaves the page-only
// Python isolate host (src/targets/pulp/isolate-browser.ts, 200 KB) out of them. (A transform: worker
// builds inherit the pages' `define` and do not run their plugins' config hooks.)
const bundleKind = (worker: boolean): Plugin => ({
  name: 'evom-bundle-kind',
  transform: (code) => (code.includes('__EVOM_WORKER_BUNDLE__') ? code.replaceAll('__EVOM_WORKER_BUNDLE__', String(worker)) : null),
});

export default defineConfig({
  // the wasm of every registered target, for the pages and their workers (src/targets/assets-browser.ts)
  plugins: [pwa, devServerFlag, bundleKind(false), targetAssetsPlugin()],
  worker: { format: 'es', plugins: () => [bundleKind(true), targetAssetsPlugin()] },
  // PuLP's files (84 KB) are inlined into the pulp target's page-side chunk (isolate-browser.ts, `?inline`)
  assetsInclude: ['**/targets/pulp/vendor/*.zip'],
  build: {
    target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 4096,
    rollupOptions: { input: { studio: fileURLToPath(new URL('./index.html', import.meta.url)), verify: fileURLToPath(new URL('./verify.html', import.meta.url)) } },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
