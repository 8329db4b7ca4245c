// Types for packages that ship none for the entry points we use.
declare module 'glpk-wasm/full' {
  const load: (opts?: Record<string, unknown>) => Promise<unknown>;
  export default load;
}
declare module 'glpk-wasm-full.wasm?url' {
  const url: string;
  export default url;
}
declare module 'highs/runtime?url' {
  const url: string;
  export default url;
}
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  /** Wrap a worker_threads Worker or MessagePort as a comlink Endpoint. */
  export default function nodeEndpoint(nep: unknown): Endpoint;
}
