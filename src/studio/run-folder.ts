// A run as a folder leaves and enters the Studio: the run store's layout (src/host/run-store.ts),
// the same `evom train --out DIR` writes, so `evom train --resume DIR` continues a Studio run and
// the Studio opens a command-line run (evaluate, compare, continue).
import { unzipSync, zipSync } from 'fflate';
import { browserRunStore } from '../host/run-store-opfs.ts';

/** The run's folder as a zip, every file under "{id}/". */
export async function runFolderZip(id: string): Promise<Uint8Array<ArrayBuffer>> {
  const files = await browserRunStore().exportRun(id);
  return zipSync(Object.fromEntries(Object.entries(files).map(([k, v]) => [`${id}/${k}`, v])), { level: 6 }) as Uint8Array<ArrayBuffer>;
}

/**
 * Store a run given as a picked folder's files (webkitRelativePath "DIR/…") or a zip of such a
 * folder, under the folder's name (made unique). Returns the id it was stored under.
 */
export async function importRunFiles(picked: File[]): Promise<string> {
  let entries: [string, Uint8Array][];
  if (picked.length === 1 && /\.zip$/i.test(picked[0]!.name)) {
    entries = Object.entries(unzipSync(new Uint8Array(await picked[0]!.arrayBuffer()))).filter(([k]) => !k.endsWith('/'));
  } else {
    entries = await Promise.all(picked.map(async (f) => [f.webkitRelativePath || f.name, new Uint8Array(await f.arrayBuffer())] as [string, Uint8Array]));
  }
  // a common top folder is the run's name
  const tops = new Set(entries.map(([k]) => (k.includes('/') ? k.split('/')[0]! : '')));
  const top = tops.size === 1 ? [...tops][0]! : '';
  const files = Object.fromEntries(entries.map(([k, v]) => [top ? k.slice(top.length + 1) : k, v]));
  const store = browserRunStore();
  const taken = new Set(await store.listRuns());
  const base = (top || 'imported-run').replace(/[^\w.-]+/g, '-');
  let id = base;
  for (let i = 2; taken.has(id); i++) id = `${base}-${i}`;
  return (await store.importRun(id, files)).id;
}

