// The command line's way to the engine: headless Chromium with WebGPU (src/host/chromium.ts), the
// model served to it from loopback in the Hub's layout, and the engine host of
// src/host/page-host.ts reached through page.evaluate. The returned object has the EngineHost's
// methods; arguments and results cross as JSON (src/host/wire.ts), typed errors as EvomErrors
// (with the original's name and code), callbacks through an exposed function, and the page's run
// store is this process's file system under `storeRoot`. Node only.

import type { ModelSource } from '../model/source.ts';
import { serveModel } from './serve-model.ts';
import type { EngineHost, ModelRef } from './engine-host.ts';
import { fsFiles } from './run-store-fs.ts';
import { errorFromWire, fromWire, toWire } from './wire.ts';

/** The host's methods as seen from this process (every one async). */
export type HostClient = { [K in keyof EngineHost]: EngineHost[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => Promise<R> : never };

export const SERVED_REPO = 'local/model';

export interface PageHost {
  host: HostClient;
  /** how the page names the served model */
  model: ModelRef;
  close(): Promise<void>;
}

/** Open headless Chromium with the engine host; `source` is the one model it serves; runs live under `storeRoot`. */
export async function openPageHost(source: ModelSource, storeRoot: string): Promise<PageHost> {
  const { enginePage, callInPage } = await import('./chromium.ts');
  const env = await enginePage([serveModel(source, SERVED_REPO)]);
  try {
    const files = fsFiles(storeRoot);
    await env.page.exposeFunction('evomFiles', async (op: string, path: string[], data?: unknown) => {
      if (op === 'read') return toWire(await files.read(path));
      if (op === 'write') return files.write(path, fromWire(data) as Uint8Array);
      if (op === 'list') return files.list(path);
      if (op === 'remove') return files.remove(path);
      throw new TypeError(`unknown store operation ${op}`);
    });
    await env.page.exposeFunction('evomFetch', async (url: string, init: { method: string; headers: Record<string, string>; body: string | null }) => {
      const r = await fetch(url, { method: init.method, headers: init.headers, ...(init.body !== null ? { body: init.body } : {}) });
      const headers: Record<string, string> = {};
      r.headers.forEach((v, k) => { headers[k] = v; });
      return { status: r.status, headers, body: await r.text() };
    });
    const callbacks = new Map<number, (...a: unknown[]) => unknown>();
    await env.page.exposeFunction('evomCallback', (id: number, args: unknown) => { callbacks.get(id)?.(...(fromWire(args) as unknown[])); });
    await callInPage(env.page, '/src/host/page-host.ts', 'installPageHost');
    let next = 0;
    const call = async (method: string, args: unknown[]) => {
      const ids: number[] = [];
      const wire = toWire(args, (f) => { const id = next++; callbacks.set(id, f); ids.push(id); return id; });
      try {
        const result = await env.page.evaluate(`globalThis.evomCall(${JSON.stringify(method)}, ${JSON.stringify(wire)})`);
        const error = errorFromWire(result);
        if (error) throw error;
        return fromWire(result);
      } finally {
        for (const id of ids) callbacks.delete(id);
      }
    };
    const host = new Proxy({}, { get: (_t, method) => (...args: unknown[]) => call(String(method), args) }) as HostClient;
    return { host, model: { kind: 'hub', id: SERVED_REPO, hubUrl: env.base }, close: env.close };
  } catch (e) {
    await env.close();
    throw e;
  }
}
