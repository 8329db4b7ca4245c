// Where a model's files come from: a folder on disk (Node, `model-source-node.ts`), files the user
// picked in the browser (`File`/`FileList`, from a file or directory picker), the Hugging Face Hub
// (`hub.ts`), or bytes in memory. Everything downstream (config, tokenizer, safetensors) reads through
// this interface only. No `node:*` imports here: this file runs in browsers.

import { EvomError } from '../errors.ts';
import { parseModelConfig, type ModelConfig } from './config.ts';

export interface ModelSource {
  /** For messages: a path, a repo id, "picked files"… */
  readonly name: string;
  /** Relative paths of the files (when the source can enumerate them). */
  list?(): Promise<string[]>;
  readText(file: string): Promise<string>;
  readBytes(file: string): Promise<Uint8Array>;
  /** `length` bytes from `offset` (fewer at the end of the file). */
  readRange?(file: string, offset: number, length: number): Promise<Uint8Array>;
  /** Size in bytes (when cheaply known). */
  size?(file: string): Promise<number>;
}

/** A file the source does not have. `code` is 'model_file_not_found' for every source. */
export class ModelFileNotFoundError extends EvomError {
  constructor(readonly file: string, readonly sourceName: string, message?: string) {
    super(message ?? `${sourceName}: no file "${file}"`, 'model_file_not_found');
  }
}

/** A file that exists but cannot be used (bad JSON…). */
export class ModelFileError extends EvomError {
  constructor(readonly file: string, readonly sourceName: string, message: string) {
    super(`${sourceName}: ${file}: ${message}`, 'model_file');
  }
}

/** Rejects absolute paths and `..` so a file name can never leave its model folder. */
export function checkRelativePath(file: string, sourceName: string): string {
  const norm = file.replace(/\\/g, '/').replace(/^\.\//, '');
  if (norm === '' || norm.startsWith('/') || norm.split('/').some((p) => p === '..' || p === '')) {
    throw new ModelFileError(file, sourceName, 'not a relative path inside the model folder');
  }
  return norm;
}

/** Parse a JSON file of a source; errors name the file. */
export async function readJson(source: ModelSource, file: string): Promise<unknown> {
  const text = await source.readText(file);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(file, source.name, `not valid JSON (${(e as Error).message})`);
  }
}

/** Like `readJson`, but null when the file does not exist. */
export async function readJsonIfExists(source: ModelSource, file: string): Promise<unknown | null> {
  try {
    return await readJson(source, file);
  } catch (e) {
    if (e instanceof ModelFileNotFoundError) return null;
    throw e;
  }
}

/** `config.json` (+ `generation_config.json` when present) of a source, parsed and validated. */
export async function loadModelConfig(source: ModelSource): Promise<ModelConfig> {
  const config = await readJson(source, 'config.json');
  const gen = await readJsonIfExists(source, 'generation_config.json');
  return parseModelConfig(config, gen);
}

const utf8 = new TextDecoder();

// ---- bytes in memory -----------------------------------------------------------------------------

/** A source over files held in memory (tests, generated models). */
export function memorySource(files: Record<string, Uint8Array | string>, name = 'memory'): ModelSource {
  const enc = new TextEncoder();
  const map = new Map(Object.entries(files).map(([k, v]) => [k, typeof v === 'string' ? enc.encode(v) : v]));
  const get = (file: string) => {
    const b = map.get(checkRelativePath(file, name));
    if (!b) throw new ModelFileNotFoundError(file, name);
    return b;
  };
  return {
    name,
    async list() { return [...map.keys()].sort(); },
    async readText(file) { return utf8.decode(get(file)); },
    async readBytes(file) { return get(file); },
    async readRange(file, offset, length) { const b = get(file); return b.subarray(offset, Math.min(b.length, offset + length)); },
    async size(file) { return get(file).length; },
  };
}

// ---- files picked in the browser -----------------------------------------------------------------

/** The slice of the DOM `File` this module uses (so tests can pass look-alikes). */
export interface PickedFile {
  readonly name: string;
  readonly size: number;
  readonly webkitRelativePath?: string;
  slice(start?: number, end?: number): { arrayBuffer(): Promise<ArrayBuffer> };
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}

/**
 * Files from `<input type="file" multiple>` (names) or `<input type="file" webkitdirectory>` /
 * drag-and-drop of a folder (`webkitRelativePath`, e.g. "Qwen2.5-0.5B/config.json"). When every path
 * starts with the same folder, that folder is dropped, so `config.json` is found either way; the
 * full path works too.
 */
export function fileListSource(files: Iterable<PickedFile> | ArrayLike<PickedFile>, name = 'picked files'): ModelSource {
  const list: PickedFile[] = Array.from(files as ArrayLike<PickedFile>);
  const paths = list.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/'));
  const firsts = new Set(paths.map((p) => (p.includes('/') ? p.split('/')[0] : '')));
  const stripTop = firsts.size === 1 && !firsts.has('');
  const map = new Map<string, PickedFile>();
  list.forEach((f, i) => {
    const full = paths[i]!;
    const rel = stripTop ? full.slice(full.indexOf('/') + 1) : full;
    map.set(rel, f);
    if (!map.has(full)) map.set(full, f);
  });
  const relNames = list.map((_, i) => (stripTop ? paths[i]!.slice(paths[i]!.indexOf('/') + 1) : paths[i]!));
  const get = (file: string) => {
    const f = map.get(checkRelativePath(file, name));
    if (!f) throw new ModelFileNotFoundError(file, name, `${name}: no file "${file}" among the picked files (${relNames.slice(0, 8).join(', ')}${relNames.length > 8 ? ', …' : ''})`);
    return f;
  };
  return {
    name,
    async list() { return [...relNames].sort(); },
    async readText(file) { return get(file).text(); },
    async readBytes(file) { return new Uint8Array(await get(file).arrayBuffer()); },
    async readRange(file, offset, length) {
      return new Uint8Array(await get(file).slice(offset, offset + length).arrayBuffer());
    },
    async size(file) { return get(file).size; },
  };
}

/**
 * Files under a URL folder (`{base}/{file}`), e.g. the built-in policy the app serves from public/.
 * With `files`, other names are known to be absent without a request (offline, a service worker
 * answers only for what it cached).
 */
export function urlSource(base: string, name = base, files?: readonly string[]): ModelSource {
  const url = (file: string) => `${base.replace(/\/$/, '')}/${checkRelativePath(file, name)}`;
  const get = async (file: string): Promise<Response> => {
    if (files && !files.includes(checkRelativePath(file, name))) throw new ModelFileNotFoundError(file, name);
    let res: Response;
    try { res = await fetch(url(file)); } catch (e) { throw new ModelFileError(file, name, `could not be fetched (${(e as Error).message})`); }
    // 404, or an app server's fallback page (single-page hosting answers every path with index.html)
    if (res.status === 404 || (res.ok && !file.endsWith('.html') && (res.headers.get('content-type') ?? '').includes('text/html'))) throw new ModelFileNotFoundError(file, name);
    if (!res.ok) throw new ModelFileError(file, name, `HTTP ${res.status} ${res.statusText}`);
    return res;
  };
  return {
    name,
    ...(files ? { list: async () => [...files].sort() } : {}),
    readText: async (file) => (await get(file)).text(),
    readBytes: async (file) => new Uint8Array(await (await get(file)).arrayBuffer()),
  };
}
