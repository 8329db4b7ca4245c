import { defineConfig } from 'vite';
import { fileURLToPath } from 'node:url';

// glpk-wasm does not export its .wasm files; alias the MathProg build so the browser bundle can
// import its URL (src/solver-assets-browser.ts).
const glpkFullWasm = fileURLToPath(new URL('./node_modules/glpk-wasm/dist/glpk.full.wasm', import.meta.url));

export default defineConfig({
  resolve: { alias: [{ find: /^glpk-wasm-full\.wasm/, replacement: glpkFullWasm }] },
  worker: { format: 'es' },
  build: {
    target: 'es2022', outDir: 'dist', chunkSizeWarningLimit: 4096,
    rollupOptions: { input: { studio: fileURLToPath(new URL('./index.html', import.meta.url)), verify: fileURLToPath(new URL('./verify.html', import.meta.url)), train: fileURLToPath(new URL('./train.html', import.meta.url)) } },
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
