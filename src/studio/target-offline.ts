// "Make available offline" for a target whose files are too large for the service worker's
// precache (Workbox skips files over maximumFileSizeToCacheInBytes: MiniZinc's wasm is 18 MB).
// vite.config.ts routes those files through a runtime cache (CacheFirst, LARGE_ASSET_CACHE): the
// first solve caches them, and this action fetches them ahead of need so that the target also
// works offline before it was ever used.

import urls from 'virtual:evom-target-assets';
import { targetModule } from '../targets/registry.ts';

/** The runtime cache of large target files (the name vite.config.ts gives it). */
export const LARGE_ASSET_CACHE = 'evom-target-assets';

/** The URLs of a target's files in this build. */
export function targetAssetUrls(target: string): string[] {
  const refs = Object.values(targetModule(target)?.assets ?? {});
  return refs.map((r) => urls[`${r.package}/${r.file}`]).filter((u): u is string => typeof u === 'string');
}

/** Whether every file of the target is in the runtime cache or the precache. */
export async function targetCachedOffline(target: string): Promise<boolean> {
  if (typeof caches === 'undefined') return false;
  const list = targetAssetUrls(target);
  const found = await Promise.all(list.map((u) => caches.match(new URL(u, location.href).href)));
  return list.length > 0 && found.every(Boolean);
}

/**
 * Fetch every file of the target through the service worker, so that it caches them, and wait until
 * the cache holds them all (CacheFirst answers the page before its write of a 10 MB file ends);
 * bytes fetched. Gives up waiting after `waitMs` (the caller then finds the files missing).
 */
export async function cacheTargetOffline(target: string, waitMs = 30_000): Promise<number> {
  let bytes = 0;
  for (const u of targetAssetUrls(target)) {
    const res = await fetch(u);
    if (!res.ok) throw new Error(`could not fetch ${u}: HTTP ${res.status}`);
    bytes += (await res.arrayBuffer()).byteLength;
  }
  for (const t0 = Date.now(); Date.now() - t0 < waitMs && !(await targetCachedOffline(target));) {
    await new Promise((r) => setTimeout(r, 250));
  }
  return bytes;
}
