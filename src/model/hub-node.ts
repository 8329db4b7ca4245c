// Node-only helpers for hub.ts: a folder as the download cache, and a streaming sha256.

import { createHash, randomBytes } from 'node:crypto';
import { openAsBlob } from 'node:fs';
import { appendFile, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { BlobCache } from './hub.ts';

/** A folder as a BlobCache: one file per key (`key` segments become subfolders). */
export function nodeDirCache(dir: string): BlobCache {
  const path = (key: string) => {
    const parts = key.split('/');
    if (parts.some((p) => p === '' || p === '.' || p === '..')) throw new Error(`bad cache key "${key}"`);
    return join(dir, ...parts);
  };
  const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');
  return {
    name: `folder ${dir}`,
    async get(key) {
      const p = path(key);
      try {
        if (!(await stat(p)).isFile()) return null;
        return (await openAsBlob(p)) as unknown as Blob;
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },
    async put(key, data) {
      const p = path(key);
      await mkdir(dirname(p), { recursive: true });
      const tmp = `${p}.tmp-${randomBytes(6).toString('hex')}`;
      const fh = await open(tmp, 'w');
      try {
        if (data instanceof Uint8Array) await fh.write(data);
        else for await (const chunk of data.stream() as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
      } finally {
        await fh.close();
      }
      await rename(tmp, p);
    },
    async append(key, data) {
      const p = path(key);
      await mkdir(dirname(p), { recursive: true });
      await appendFile(p, data);
    },
    async move(from, to) {
      const t = path(to);
      await mkdir(dirname(t), { recursive: true });
      await rename(path(from), t);
    },
    async delete(key) { await rm(path(key), { force: true }); },
  };
}

/** sha256 (hex) of a blob, hashed incrementally as it streams (constant memory). */
export async function nodeSha256(blob: Blob): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of blob.stream() as unknown as AsyncIterable<Uint8Array>) h.update(chunk);
  return h.digest('hex');
}
