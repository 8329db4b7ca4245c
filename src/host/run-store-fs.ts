// The run store on a file system (Node): `evom train --out DIR` keeps its run at DIR, that is
// run id basename(DIR) under the root dirname(DIR). Files are written to a temporary name and
// renamed over the old one, so a run killed mid-write keeps the previous version.

import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { bytesOf, RunStore, type StoreFiles } from './run-store.ts';

export function fsFiles(root: string): StoreFiles {
  const at = (path: string[]) => join(root, ...path);
  const missing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as { code?: string }).code ?? '');
  return {
    async read(path) {
      try { return new Uint8Array(await readFile(at(path))); } catch (e) { if (missing(e)) return null; throw e; }
    },
    async write(path, data) {
      const file = at(path);
      await mkdir(dirname(file), { recursive: true });
      const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
      await writeFile(tmp, bytesOf(data));
      await rename(tmp, file);
    },
    async list(path) {
      try {
        return (await readdir(at(path), { withFileTypes: true }))
          .filter((e) => !e.name.startsWith('.') && (e.isFile() || e.isDirectory()))
          .map((e) => ({ name: e.name, kind: e.isDirectory() ? 'directory' as const : 'file' as const }));
      } catch (e) { if (missing(e)) return []; throw e; }
    },
    async remove(path) { await rm(at(path), { recursive: true, force: true }); },
  };
}

/** The store holding the run folder `dir`, and the run's id in it. */
export function fsRunAt(dir: string): { store: RunStore; id: string } {
  const abs = resolve(dir);
  return { store: new RunStore(fsFiles(dirname(abs)), dirname(abs)), id: basename(abs) };
}
