// Node-only: a model folder on disk as a ModelSource. Tensors are read at an offset through a file
// handle, so a large checkpoint is never loaded whole.

import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { checkRelativePath, ModelFileNotFoundError, type ModelSource } from './source.ts';

function notFound(e: unknown, file: string, name: string): never {
  if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') {
    throw new ModelFileNotFoundError(file, name);
  }
  throw e;
}

async function walk(dir: string, root: string, out: string[]): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) await walk(p, root, out);
    else if (ent.isFile()) out.push(relative(root, p).split(sep).join('/'));
  }
}

/** The files of a folder (paths relative to it, `/`-separated). */
export function directorySource(dir: string): ModelSource {
  const name = dir;
  const path = (file: string) => join(dir, checkRelativePath(file, name));
  return {
    name,
    async list() { const out: string[] = []; await walk(dir, dir, out); return out.sort(); },
    async readText(file) {
      try { return await readFile(path(file), 'utf8'); } catch (e) { return notFound(e, file, name); }
    },
    async readBytes(file) {
      try {
        const b = await readFile(path(file));
        return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      } catch (e) { return notFound(e, file, name); }
    },
    async readRange(file, offset, length) {
      let fh;
      try { fh = await open(path(file), 'r'); } catch (e) { return notFound(e, file, name); }
      try {
        const out = new Uint8Array(length);
        let done = 0;
        while (done < length) {
          const { bytesRead } = await fh.read(out, done, length - done, offset + done);
          if (bytesRead === 0) break;
          done += bytesRead;
        }
        return done === length ? out : out.subarray(0, done);
      } finally {
        await fh.close();
      }
    },
    async size(file) {
      try { return (await stat(path(file))).size; } catch (e) { return notFound(e, file, name); }
    },
  };
}
