// The browser's storage: the run store's OPFS backend (runs under evom-runs/, the layout of
// src/host/run-store.ts, readable from the page and from the engine worker) and the cached models
// (evom-models/). Every file is written whole through createWritable(), which replaces the file
// only on close(), so a reload or crash mid-write leaves the previous version.

import { EvomError } from '../errors.ts';
import { RunStore, type StoreFiles } from './run-store.ts';

export const RUNS_DIR = 'evom-runs';
export const MODELS_DIR = 'evom-models';

export class StorageQuotaError extends EvomError {
  constructor(what: string, detail: string) {
    super(`Browser storage is full: could not save ${what} (${detail}). Free space in the Storage panel (delete cached models or old runs), or allow this site more storage in the browser's site settings.`, 'storage_quota');
  }
}

export class StorageUnavailableError extends EvomError {
  constructor(detail: string) {
    super(`This browser gives the page no private file storage (OPFS: ${detail}); runs cannot be saved or resumed. Use a current Chrome, Edge, Firefox or Safari outside private-browsing mode.`, 'storage_unavailable');
  }
}

async function root(): Promise<FileSystemDirectoryHandle> {
  if (!globalThis.navigator?.storage?.getDirectory) throw new StorageUnavailableError('navigator.storage.getDirectory is missing');
  try { return await navigator.storage.getDirectory(); } catch (e) { throw new StorageUnavailableError((e as Error).message); }
}

const isNotFound = (e: unknown) => ['NotFoundError', 'TypeError'].includes((e as { name?: string }).name ?? '');

async function dirAt(path: string[], create: boolean): Promise<FileSystemDirectoryHandle | null> {
  let d = await root();
  try {
    for (const p of path) d = await d.getDirectoryHandle(p, { create });
    return d;
  } catch (e) {
    if (!create && isNotFound(e)) return null;
    throw e;
  }
}

/** Write a file whole (replaced atomically on close). Quota failures become StorageQuotaError. */
export async function writeFile(path: string[], name: string, data: string | Uint8Array | Blob): Promise<void> {
  try {
    const d = (await dirAt(path, true))!;
    const w = await (await d.getFileHandle(name, { create: true })).createWritable();
    try {
      await w.write(data as FileSystemWriteChunkType);
      await w.close();
    } catch (e) {
      await w.abort().catch(() => undefined);
      throw e;
    }
  } catch (e) {
    if ((e as { name?: string }).name === 'QuotaExceededError') throw new StorageQuotaError([...path, name].join('/'), (e as Error).message);
    throw e;
  }
}

export async function readFile(path: string[], name: string): Promise<File | null> {
  const d = await dirAt(path, false);
  if (!d) return null;
  try { return await (await d.getFileHandle(name)).getFile(); } catch (e) { if (isNotFound(e)) return null; throw e; }
}

export async function readJsonFile<T>(path: string[], name: string): Promise<T | null> {
  const f = await readFile(path, name);
  return f ? (JSON.parse(await f.text()) as T) : null;
}

export async function removeEntry(path: string[], name: string): Promise<void> {
  const d = await dirAt(path, false);
  if (!d) return;
  try { await d.removeEntry(name, { recursive: true }); } catch (e) { if (!isNotFound(e)) throw e; }
}

/** A directory's entries (values() is missing from some DOM typings). */
const children = (d: FileSystemHandle) => (d as unknown as { values(): AsyncIterable<FileSystemHandle> }).values();

/** Total bytes of files under a directory handle. */
async function treeBytes(d: FileSystemDirectoryHandle): Promise<number> {
  let n = 0;
  for await (const h of children(d)) {
    n += h.kind === 'file' ? (await (h as FileSystemFileHandle).getFile()).size : await treeBytes(h as FileSystemDirectoryHandle);
  }
  return n;
}

export interface StoredEntry { kind: 'model' | 'run'; name: string; bytes: number; path: string[] }

/** Cached models (one per Hub repository and host) and saved runs, with sizes. */
export async function listStorage(): Promise<StoredEntry[]> {
  const out: StoredEntry[] = [];
  const models = await dirAt([MODELS_DIR], false);
  if (models) {
    // hub.ts keys: {host}/{owner}/{name}/{revision}/{file}
    for await (const host of children(models)) {
      if (host.kind !== 'directory') continue;
      for await (const owner of children(host)) {
        if (owner.kind !== 'directory') continue;
        for await (const repo of children(owner)) {
          if (repo.kind === 'directory') out.push({ kind: 'model', name: `${owner.name}/${repo.name} (${host.name})`, bytes: await treeBytes(repo as FileSystemDirectoryHandle), path: [MODELS_DIR, host.name, owner.name, repo.name] });
        }
      }
    }
  }
  const runs = await dirAt([RUNS_DIR], false);
  if (runs) {
    for await (const r of children(runs)) {
      if (r.kind === 'directory') out.push({ kind: 'run', name: r.name, bytes: await treeBytes(r as FileSystemDirectoryHandle), path: [RUNS_DIR, r.name] });
    }
  }
  return out.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
}

export async function deleteStored(path: string[]): Promise<void> {
  await removeEntry(path.slice(0, -1), path[path.length - 1]!);
}

/** OPFS files under `rootPath` as the run store's backend. */
export function opfsFiles(rootPath: string[]): StoreFiles {
  return {
    async read(path) {
      const f = await readFile([...rootPath, ...path.slice(0, -1)], path[path.length - 1]!);
      return f ? new Uint8Array(await f.arrayBuffer()) : null;
    },
    write: (path, data) => writeFile([...rootPath, ...path.slice(0, -1)], path[path.length - 1]!, data),
    async list(path) {
      const d = await dirAt([...rootPath, ...path], false);
      const out: { name: string; kind: 'file' | 'directory' }[] = [];
      if (d) for await (const h of children(d)) out.push({ name: h.name, kind: h.kind });
      return out.sort((a, b) => a.name.localeCompare(b.name));
    },
    remove: (path) => path.length ? removeEntry([...rootPath, ...path.slice(0, -1)], path[path.length - 1]!) : Promise.resolve(),
  };
}

/** The Studio's runs (evom-runs/ in OPFS). */
export const browserRunStore = (): RunStore => new RunStore(opfsFiles([RUNS_DIR]), 'browser storage');
