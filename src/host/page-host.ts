// The engine host inside a headless Chromium page driven by the command line (the other side is
// src/host/page-transport.ts). The page has no file system of its own: its run store and the
// sandbox servers' HTTP go through functions the command line exposes (evomFiles, evomFetch).

import { createBrowserPool } from '../verifier/pool-browser.ts';
import { RemoteVerifier } from '../verifier/remote.ts';
import { browserSource, createEngineHost, defaultGpu, type EngineHost } from './engine-host.ts';
import { RunStore, type StoreFiles } from './run-store.ts';
import { EvomError } from '../errors.ts';
import { errorToWire, fromWire, toWire } from './wire.ts';

interface Bridge {
  evomFiles(op: 'read' | 'write' | 'list' | 'remove', path: string[], data?: unknown): Promise<unknown>;
  evomFetch(url: string, init: { method: string; headers: Record<string, string>; body: string | null }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  evomCallback(id: number, args: unknown): Promise<void>;
  evomHost?: EngineHost;
  evomCall?: (method: string, args: unknown) => Promise<unknown>;
}
const g = globalThis as unknown as Bridge;

const bridgedFiles: StoreFiles = {
  read: async (path) => fromWire(await g.evomFiles('read', path)) as Uint8Array | null,
  write: async (path, data) => { await g.evomFiles('write', path, toWire(typeof data === 'string' ? new TextEncoder().encode(data) : data)); },
  list: async (path) => (await g.evomFiles('list', path)) as { name: string; kind: 'file' | 'directory' }[],
  remove: async (path) => { await g.evomFiles('remove', path); },
};

/** fetch through the command line's process (a sandbox server need not allow this page's origin). */
async function bridgedFetch(input: RequestInfo | URL, init: RequestInit = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((v, k) => { headers[k] = v; });
  const r = await g.evomFetch(String(input instanceof Request ? input.url : input), { method: init.method ?? 'GET', headers, body: typeof init.body === 'string' ? init.body : null });
  return new Response(r.status === 204 ? null : r.body, { status: r.status, headers: r.headers });
}

/** Install the host and the call entry point (`evomCall(method, wireArgs)`). */
export function installPageHost(): void {
  const host = createEngineHost({
    acquireGpu: defaultGpu,
    openPool: (o) => createBrowserPool({
      warm: true, ...(o.size ? { size: o.size } : {}),
      ...(o.remote ? { remote: new RemoteVerifier({ urls: o.remote.urls, token: o.remote.token, fetch: bridgedFetch as typeof fetch }) } : {}),
    }),
    source: browserSource(location.origin + '/', false),
    store: new RunStore(bridgedFiles, 'the run folder'),
  });
  g.evomHost = host;
  g.evomCall = async (method, args) => {
    const f = (host as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method];
    if (typeof f !== 'function') throw new TypeError(`the engine host has no method ${method}`);
    // callbacks are not awaited by the engine (a token per decode step), but all of them reach the
    // command line before the call's result does
    const delivered: Promise<void>[] = [];
    const decoded = fromWire(args, (id) => (...a: unknown[]) => { delivered.push(g.evomCallback(id, toWire(a))); }) as unknown[];
    try {
      const result = await f(...decoded);
      await Promise.all(delivered);
      return toWire(result);
    } catch (e) {
      // a typed error crosses as a result, so that the command line reports it as one
      if (!(e instanceof EvomError)) throw e;
      await Promise.allSettled(delivered);
      return errorToWire(e);
    }
  };
}
