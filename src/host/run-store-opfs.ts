// Studio runs and cached models in the origin-private file system (OPFS), readable from the page
// and from the engine worker. One folder per run:
//   evom-runs/{id}/run.json         what the run is (StudioRun: settings, model, data description)
//   evom-runs/{id}/data.json        its train and evaluation items
//   evom-runs/{id}/metrics.jsonl    one StepMetrics line per step done
//   evom-runs/{id}/checkpoint.json  adapter + AdamW state after the last step (WireCheckpoint)
//   evom-runs/{id}/rollouts.json    the groups of the last steps (rollout inspector)
//   evom-runs/{id}/evals.json       evaluations of this run's adapter (StoredEval[])
// Every file is written whole through createWritable(), which replaces the file only on close(),
// so a reload or crash mid-write leaves the previous version.

import { EvomError } from '../errors.ts';
import type { RolloutGroup, StepMetrics } from '../rl/trainer.ts';
import type { WireCheckpoint } from './train-host.ts';

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

/** Ids of the saved runs (folders under evom-runs/), without sizing anything. */
export async function listRunIds(): Promise<string[]> {
  const runs = await dirAt([RUNS_DIR], false);
  const ids: string[] = [];
  if (runs) for await (const r of children(runs)) if (r.kind === 'directory') ids.push(r.name);
  return ids.sort();
}

export async function deleteStored(path: string[]): Promise<void> {
  await removeEntry(path.slice(0, -1), path[path.length - 1]!);
}

export const runPath = (id: string): string[] => [RUNS_DIR, id];

export const RUN_FILES = { run: 'run.json', data: 'data.json', checkpoint: 'checkpoint.json', metrics: 'metrics.jsonl', rollouts: 'rollouts.json', evals: 'evals.json' };

/** rollouts.json: the groups of the last ROLLOUT_STEPS_KEPT steps. */
export interface StepRollouts { step: number; groups: RolloutGroup[] }
export const ROLLOUT_STEPS_KEPT = 20;

/** The kept rollouts once `next` is added (a resumed step replaces its earlier attempt and any later ones). */
export function keepRollouts(prev: readonly StepRollouts[], next: StepRollouts): StepRollouts[] {
  return [...prev.filter((r) => r.step < next.step).slice(-(ROLLOUT_STEPS_KEPT - 1)), next];
}

export function loadCheckpoint(runId: string): Promise<WireCheckpoint | null> {
  return readJsonFile<WireCheckpoint>(runPath(runId), RUN_FILES.checkpoint);
}

/** The run's saved metrics, one per step done. */
export async function loadMetrics(runId: string): Promise<StepMetrics[]> {
  const f = await readFile(runPath(runId), RUN_FILES.metrics);
  return f ? (await f.text()).split('\n').filter(Boolean).map((l) => JSON.parse(l) as StepMetrics) : [];
}
