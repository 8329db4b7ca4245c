// Types for packages that ship none for the entry points we use.
declare module 'glpk-wasm/full' {
  const load: (opts?: Record<string, unknown>) => Promise<unknown>;
  export default load;
}
/** "package/file" → URL of every target asset in the browser build (src/targets/vite-plugin.ts) */
declare module 'virtual:evom-target-assets' {
  const urls: Record<string, string>;
  export default urls;
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  /** Wrap a worker_threads Worker or MessagePort as a comlink Endpoint. */
  export default function nodeEndpoint(nep: unknown): Endpoint;
}
