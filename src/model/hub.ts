// Hugging Face Hub as a ModelSource: `${baseUrl}/${repo}/resolve/${revision}/${file}`, with
// progress events, a pluggable blob cache (browser Cache API, OPFS, a Node folder in hub-node.ts),
// offline use once cached, resumable downloads (HTTP Range), size and sha256 verification, and
// typed errors. No `node:*` imports: this file runs in browsers.
//
// Integrity: the Hub answers with `X-Linked-Etag` (LFS files: the quoted sha256 of the content) or
// `ETag`, and `X-Linked-Size` / `Content-Length`. The size is always checked; the sha256 when the
// etag is 64 hex digits. Hashing uses WebCrypto's one-shot `crypto.subtle.digest` over the whole
// file (WebCrypto has no incremental API), so a 1 GB file is hashed from one 1 GB ArrayBuffer once
// after download; pass `sha256` (e.g. `nodeSha256` from hub-node.ts, which streams) to hash
// incrementally. In browsers, LFS files redirect to a CDN and fetch() hides the redirect's
// X-Linked-* headers, so only the CDN's own ETag/length are seen.

import { EvomError } from '../errors.ts';
import { checkRelativePath, ModelFileNotFoundError, type ModelSource } from './source.ts';

// ---- caches --------------------------------------------------------------------------------------

/**
 * Where downloaded files live. Keys are `/`-separated paths. `get` returns a Blob that the platform
 * may back by disk (Cache API, OPFS, Node `openAsBlob`), so tensors can be sliced without loading a
 * whole file. `append` and `move` are optional fast paths (used for partial downloads).
 */
/** The Hugging Face Hub (overridden by a base URL: a mirror, HF_ENDPOINT, a local stand-in). */
export const HUB_URL = 'https://huggingface.co';

export interface BlobCache {
  readonly name: string;
  get(key: string): Promise<Blob | null>;
  put(key: string, data: Blob | Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** Append to a key (created when missing). */
  append?(key: string, data: Uint8Array): Promise<void>;
  /** Rename a key (replacing the target). */
  move?(from: string, to: string): Promise<void>;
}

function toBlob(data: Blob | Uint8Array): Blob {
  return data instanceof Uint8Array ? new Blob([data as Uint8Array<ArrayBuffer>]) : data;
}

/** The browser Cache API (`caches.open('evom-models')`). No append: partials are rewritten when flushed. */
export function cacheApiCache(cacheName = 'evom-models'): BlobCache {
  const req = (key: string) => new Request(`https://evom-cache.invalid/${key.split('/').map(encodeURIComponent).join('/')}`);
  const open = () => caches.open(cacheName);
  return {
    name: `Cache API "${cacheName}"`,
    async get(key) {
      const res = await (await open()).match(req(key));
      return res ? res.blob() : null;
    },
    async put(key, data) {
      const blob = toBlob(data);
      await (await open()).put(req(key), new Response(blob, { headers: { 'content-length': String(blob.size) } }));
    },
    async delete(key) { await (await open()).delete(req(key)); },
  };
}

/** The origin-private file system (`navigator.storage.getDirectory()`), one file per key. */
export function opfsCache(dirName = 'evom-models'): BlobCache {
  const locate = async (key: string, create: boolean): Promise<[FileSystemDirectoryHandle, string]> => {
    let dir = await (await navigator.storage.getDirectory()).getDirectoryHandle(dirName, { create });
    const parts = key.split('/');
    for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p, { create });
    return [dir, parts[parts.length - 1]!];
  };
  const isNotFound = (e: unknown) => (e as { name?: string }).name === 'NotFoundError' || (e as { name?: string }).name === 'TypeError';
  return {
    name: `OPFS "${dirName}"`,
    async get(key) {
      try {
        const [dir, name] = await locate(key, false);
        return await (await dir.getFileHandle(name)).getFile();
      } catch (e) {
        if (isNotFound(e)) return null;
        throw e;
      }
    },
    async put(key, data) {
      const [dir, name] = await locate(key, true);
      const w = await (await dir.getFileHandle(name, { create: true })).createWritable();
      await w.write(toBlob(data));
      await w.close();
    },
    async append(key, data) {
      const [dir, name] = await locate(key, true);
      const fh = await dir.getFileHandle(name, { create: true });
      const size = (await fh.getFile()).size;
      const w = await fh.createWritable({ keepExistingData: true });
      await w.seek(size);
      await w.write(data as Uint8Array<ArrayBuffer>);
      await w.close();
    },
    async delete(key) {
      try {
        const [dir, name] = await locate(key, false);
        await dir.removeEntry(name);
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}

/** OPFS where writable files are supported (Chromium, Firefox), else the Cache API, else null. */
export function defaultBrowserCache(): BlobCache | null {
  const g = globalThis as { navigator?: Navigator; caches?: CacheStorage; FileSystemFileHandle?: { prototype: object } };
  if (g.navigator?.storage?.getDirectory && g.FileSystemFileHandle && 'createWritable' in g.FileSystemFileHandle.prototype) {
    return opfsCache();
  }
  if (g.caches) return cacheApiCache();
  return null;
}

// ---- errors --------------------------------------------------------------------------------------

/** Where Hugging Face access tokens are made. */
export const HUB_TOKENS_PAGE = 'https://huggingface.co/settings/tokens';

/**
 * 404: the repository, revision or file does not exist. `code` is 'model_file_not_found'. A missing
 * repository, or a missing config.json (the first file read), says "no such model" on its first line;
 * the lines after it give the URL.
 */
export class HubNotFoundError extends ModelFileNotFoundError {
  constructor(readonly url: string, file: string, repo: string, readonly what: 'repository' | 'revision' | 'file', fromCache = false, revision = '') {
    const detail = `Hugging Face Hub: ${what === 'file' ? `file "${file}"` : what === 'repository' ? `repository "${repo}"` : `revision "${revision}" of "${repo}"`} not found (404): ${url}${fromCache ? ' (remembered from an earlier request)' : ''}`;
    const noModel = what === 'repository' || (what === 'file' && file === 'config.json');
    super(file, repo, noModel ? `no such model on the Hub (404): check the id "${repo}"\n${detail}` : detail);
  }
}

/**
 * 401/403: private or gated repository, or a bad token. The first line says what to do;
 * `tokenAdvice` says how this program takes a token (default: the `token` option).
 */
export class HubAuthError extends EvomError {
  constructor(readonly url: string, readonly status: number, readonly repo: string, hubCode: string | null, hasToken: boolean,
    tokenAdvice = `pass a token from ${HUB_TOKENS_PAGE} as { token }`) {
    const gated = hubCode === 'GatedRepo';
    const terms = `accept its terms at ${HUB_URL}/${repo}`;
    const action = hubCode === 'RepoNotFound'
      ? `no such model on the Hub, or it is private (${status}): check the id "${repo}"${hasToken ? ' and the token' : `, or ${tokenAdvice}`}`
      : hasToken
        ? `the model "${repo}" is gated or private (${status}) and the Hub refused the token: check that it has read access (${HUB_TOKENS_PAGE})${gated ? ` and ${terms}` : ''}`
        : `the model "${repo}" is gated or private (${status}): ${gated ? `${terms}, then ` : ''}${tokenAdvice}`;
    const why = gated
      ? `"${repo}" is a gated repository: accept its terms at ${HUB_URL}/${repo} and pass an access token ({ token })`
      : hubCode === 'RepoNotFound'
        ? `repository "${repo}" was not found, or it is private: check the name${hasToken ? ' and the token' : ', or pass an access token ({ token })'}`
        : hasToken
          ? `access to "${repo}" was refused with the given token (private or gated repository, or the token lacks read access)`
          : `"${repo}" is private or gated: pass a Hugging Face access token ({ token })`;
    super(`${action}\nHugging Face Hub: ${status} for ${url}: ${why}`, 'hub_auth');
  }
}

/** Any other HTTP failure. */
export class HubHttpError extends EvomError {
  constructor(readonly url: string, readonly status: number, detail: string) {
    super(`Hugging Face Hub: HTTP ${status} for ${url}${detail ? `: ${detail}` : ''}`, 'hub_http');
  }
}

/** The server could not be reached and the file is not cached. */
export class HubOfflineError extends EvomError {
  constructor(readonly url: string, readonly file: string, readonly partialBytes: number, cause: unknown) {
    super(`cannot reach ${url} (offline? ${(cause as Error)?.message ?? cause}) and "${file}" is not in the cache`
      + (partialBytes ? ` (${partialBytes} bytes of an interrupted download are kept and will be resumed)` : ''), 'hub_offline');
  }
}

/** The connection broke mid-download (after the retries). With a cache, the next attempt resumes. */
export class HubDownloadInterruptedError extends EvomError {
  constructor(readonly url: string, readonly file: string, readonly bytesDone: number, readonly total: number | null,
    readonly resumable: boolean, cause: unknown) {
    super(`download of ${url} interrupted at ${bytesDone}${total !== null ? ` of ${total}` : ''} bytes (${(cause as Error)?.message ?? cause}); `
      + (resumable ? 'the partial download is kept in the cache and the next attempt resumes it' : 'no cache is configured, so the next attempt starts over'),
    'hub_interrupted');
  }
}

/** The downloaded bytes do not match the size or sha256 the server announced; the cached copy is deleted. */
export class HubIntegrityError extends EvomError {
  constructor(readonly url: string, readonly file: string, readonly check: 'size' | 'sha256', readonly expected: string, readonly actual: string) {
    super(`integrity check failed for ${url}: ${check} is ${actual}, expected ${expected}; the download was deleted from the cache`, 'hub_integrity');
  }
}

// ---- source --------------------------------------------------------------------------------------

export interface DownloadProgress {
  file: string;
  url: string;
  phase: 'cached' | 'download' | 'verify' | 'done';
  /** Bytes of the file on hand (resumed bytes included). */
  loaded: number;
  /** Expected size, when the server said. */
  total: number | null;
  /** Bytes that came from an earlier, interrupted download. */
  resumedFrom: number;
  /** Average speed of this download (resumed bytes excluded). */
  bytesPerSecond: number;
  /** Seconds left at that speed, when known. */
  etaSeconds: number | null;
}

export interface HubSourceOptions {
  baseUrl?: string;
  revision?: string;
  /** Where files are kept; null/undefined: nothing is cached (no offline use, no resume across calls). */
  cache?: BlobCache | null;
  onProgress?: (p: DownloadProgress) => void;
  fetch?: typeof fetch;
  /** Hugging Face access token for private/gated repositories (sent as a bearer token). */
  token?: string;
  /** How a user of this program gives a token, for HubAuthError ("set HF_TOKEN to a token from …"). */
  tokenAdvice?: string;
  /** Automatic resumes/retries within one call after a network failure (default 3). */
  retries?: number;
  retryDelayMs?: number;
  /** Partial downloads are written to the cache every this many bytes (default 32 MiB). */
  flushBytes?: number;
  /** Verify sha256 when the etag is one (default true). */
  verifyHash?: boolean;
  /** sha256 (hex) of a blob; default WebCrypto over the whole file. */
  sha256?: (blob: Blob) => Promise<string>;
  /** Minimum milliseconds between 'download' progress events (default 100; first and last always sent). */
  progressIntervalMs?: number;
  signal?: AbortSignal;
}

export interface HubSource extends ModelSource {
  readonly repo: string;
  readonly revision: string;
  url(file: string): string;
  /** The file as a Blob (disk-backed when it comes from a cache), downloading it when needed. */
  getBlob(file: string): Promise<Blob>;
  /** Whether the file is complete in the cache (no network). */
  isCached(file: string): Promise<boolean>;
  /** Cache key of a file. */
  cacheKey(file: string): string;
  readRange(file: string, offset: number, length: number): Promise<Uint8Array>;
  size(file: string): Promise<number>;
}

/** WebCrypto sha256 of a whole blob, lower-case hex. */
export async function webCryptoSha256(blob: Blob): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** `"abc…"` / `W/"abc…"` → the bare value. */
function bareEtag(etag: string): string {
  return etag.replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

function parseContentRange(v: string | null): { start: number; end: number; total: number | null } | null {
  const m = v?.match(/^bytes (\d+)-(\d+)\/(\d+|\*)$/);
  if (!m) return null;
  return { start: Number(m[1]), end: Number(m[2]), total: m[3] === '*' ? null : Number(m[3]) };
}

function intHeader(res: Response, name: string): number | null {
  const v = res.headers.get(name);
  if (v === null || !/^\d+$/.test(v.trim())) return null;
  return Number(v);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface PartialMeta { url: string; etag: string | null; total: number | null }

/** Bytes of one download: in memory, and (with a cache) flushed to `key#partial` as they arrive. */
class Sink {
  private base: Blob | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  meta: PartialMeta | null = null;
  private metaDirty = false;
  constructor(private readonly cache: BlobCache | null, private readonly key: string, private readonly flushBytes: number) {}
  get partialKey() { return `${this.key}#partial`; }
  get metaKey() { return `${this.key}#partial-meta`; }
  get size() { return (this.base?.size ?? 0) + this.pendingBytes; }

  /** Pick up an earlier partial download from the cache. */
  async load(url: string): Promise<void> {
    if (!this.cache) return;
    const [data, metaBlob] = await Promise.all([this.cache.get(this.partialKey), this.cache.get(this.metaKey)]);
    if (!data || !metaBlob) { if (data || metaBlob) await this.reset(); return; }
    try {
      const meta = JSON.parse(await metaBlob.text()) as PartialMeta;
      if (meta.url !== url || (meta.total !== null && data.size > meta.total)) { await this.reset(); return; }
      this.base = data;
      this.meta = meta;
    } catch {
      await this.reset();
    }
  }
  setMeta(meta: PartialMeta) { this.meta = meta; this.metaDirty = true; }
  async write(chunk: Uint8Array): Promise<void> {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    if (this.cache && this.pendingBytes >= this.flushBytes) await this.persist();
  }
  /** Write what is in memory to the cache (no-op without one). */
  async persist(): Promise<void> {
    if (!this.cache) return;
    if (this.metaDirty && this.meta) {
      await this.cache.put(this.metaKey, new TextEncoder().encode(JSON.stringify(this.meta)));
      this.metaDirty = false;
    }
    if (this.pendingBytes === 0) return;
    if (this.cache.append) {
      const all = new Uint8Array(this.pendingBytes);
      let p = 0;
      for (const c of this.pending) { all.set(c, p); p += c.length; }
      await this.cache.append(this.partialKey, all);
    } else {
      await this.cache.put(this.partialKey, new Blob([...(this.base ? [this.base] : []), ...this.pending as Uint8Array<ArrayBuffer>[]]));
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.base = await this.cache.get(this.partialKey);
  }
  async reset(): Promise<void> {
    this.base = null;
    this.pending = [];
    this.pendingBytes = 0;
    this.meta = null;
    if (this.cache) await Promise.all([this.cache.delete(this.partialKey), this.cache.delete(this.metaKey)]);
  }
  /** All bytes as one Blob (persisted first when there is a cache). */
  async blob(): Promise<Blob> {
    if (!this.cache) return new Blob(this.pending as Uint8Array<ArrayBuffer>[]);
    await this.persist();
    return this.base ?? new Blob([]);
  }
  /** Make the partial the cached file. */
  async commit(): Promise<void> {
    if (!this.cache) return;
    await this.persist();
    if (!this.base) await this.cache.put(this.partialKey, new Uint8Array(0));
    if (this.cache.move) await this.cache.move(this.partialKey, this.key);
    else {
      await this.cache.put(this.key, this.base ?? new Uint8Array(0));
      await this.cache.delete(this.partialKey);
    }
    await this.cache.delete(this.metaKey);
  }
}

/**
 * A Hugging Face model repository as a ModelSource. Files are downloaded on first use, verified, and
 * kept in `cache`; a cached file is served without any network request (a 404 is remembered too).
 */
export function hubSource(repo: string, opts: HubSourceOptions = {}): HubSource {
  if (!/^[\w.-]+(\/[\w.-]+)?$/.test(repo)) throw new EvomError(`"${repo}" is not a Hugging Face repository id (owner/name)`, 'hub_repo');
  const baseUrl = (opts.baseUrl ?? HUB_URL).replace(/\/+$/, '');
  const revision = opts.revision ?? 'main';
  const cache = opts.cache ?? null;
  const fetchImpl = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const retries = opts.retries ?? 3;
  const retryDelayMs = opts.retryDelayMs ?? 1000;
  const flushBytes = opts.flushBytes ?? 32 * 1024 * 1024;
  const verifyHash = opts.verifyHash ?? true;
  const sha256 = opts.sha256 ?? webCryptoSha256;
  const interval = opts.progressIntervalMs ?? 100;
  const name = `${repo}@${revision}`;
  const host = new URL(baseUrl).host.replace(/[^\w.-]/g, '_');
  const keyPrefix = `${host}/${repo}/${encodeURIComponent(revision)}`;

  const url = (file: string) => `${baseUrl}/${repo}/resolve/${encodeURIComponent(revision)}/${checkRelativePath(file, name).split('/').map(encodeURIComponent).join('/')}`;
  const cacheKey = (file: string) => `${keyPrefix}/${checkRelativePath(file, name)}`;
  const memo = new Map<string, Promise<Blob>>();

  async function download(file: string): Promise<Blob> {
    const key = cacheKey(file);
    const u = url(file);
    const emit = (p: Omit<DownloadProgress, 'file' | 'url'>) => opts.onProgress?.({ file, url: u, ...p });
    if (cache) {
      const hit = await cache.get(key);
      if (hit) {
        emit({ phase: 'cached', loaded: hit.size, total: hit.size, resumedFrom: 0, bytesPerSecond: 0, etaSeconds: 0 });
        return hit;
      }
      if (await cache.get(`${key}#missing`)) throw new HubNotFoundError(u, file, repo, 'file', true);
    }
    const sink = new Sink(cache, key, flushBytes);
    await sink.load(u);
    let resumedFrom = sink.size;
    let etag = sink.meta?.etag ?? null;
    let total = sink.meta?.total ?? null;
    let attempt = 0;
    let connected = false;
    const t0 = Date.now();
    let sessionBytes = 0;
    let lastEmit = 0;
    const progress = (force: boolean) => {
      const now = Date.now();
      if (!force && now - lastEmit < interval) return;
      lastEmit = now;
      const secs = Math.max((now - t0) / 1000, 1e-3);
      const bps = sessionBytes / secs;
      const loaded = sink.size;
      emit({
        phase: 'download', loaded, total, resumedFrom, bytesPerSecond: bps,
        etaSeconds: total !== null && bps > 0 ? Math.max(0, (total - loaded) / bps) : null,
      });
    };
    const fail = async (cause: unknown): Promise<never> => {
      await sink.persist();
      if (!connected) throw new HubOfflineError(u, file, sink.size, cause);
      throw new HubDownloadInterruptedError(u, file, sink.size, total, cache !== null, cause);
    };

    // A partial that is already complete (interrupted between download and commit) needs no request.
    const complete = total !== null && sink.size === total && total > 0;
    while (!complete) {
      const offset = sink.size;
      const headers: Record<string, string> = {};
      if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
      // Without a token only CORS-safelisted headers (a single `bytes=N-` range is one), so browsers
      // send no preflight (a token's Authorization header needs one: the Hub answers it); the continuation is checked against the stored etag when it arrives instead of
      // with If-Range.
      if (offset > 0) headers.Range = `bytes=${offset}-`;
      let res: Response;
      try {
        // no-store: the browser's HTTP cache would keep a second copy of every file (and has
        // answered resumed ranges from stale partial entries).
        res = await fetchImpl(u, { headers, signal: opts.signal, cache: 'no-store' });
      } catch (e) {
        if (opts.signal?.aborted) { await sink.persist(); throw e; }
        if (attempt++ < retries) { await sleep(retryDelayMs); continue; }
        return fail(e);
      }
      connected = true;
      const hubCode = res.headers.get('x-error-code');
      if (res.status === 404) {
        await res.body?.cancel();
        const what = hubCode === 'RepoNotFound' ? 'repository' : hubCode === 'RevisionNotFound' ? 'revision' : 'file';
        if (cache && what === 'file') await cache.put(`${key}#missing`, new Uint8Array(0));
        throw new HubNotFoundError(u, file, repo, what, false, revision);
      }
      if (res.status === 401 || res.status === 403) {
        await res.body?.cancel();
        throw new HubAuthError(u, res.status, repo, hubCode, !!opts.token, opts.tokenAdvice);
      }
      if (res.status === 416) {
        await res.body?.cancel();
        if (offset === 0) throw new HubHttpError(u, 416, 'range not satisfiable');
        // Our partial is not a prefix the server recognizes (the file shrank?): start over.
        await sink.reset();
        etag = null; total = null; resumedFrom = 0;
        continue;
      }
      if (!res.ok || (res.status !== 200 && res.status !== 206)) {
        const detail = res.headers.get('x-error-message') ?? res.statusText;
        await res.body?.cancel();
        if (res.status >= 500 && attempt++ < retries) { await sleep(retryDelayMs); continue; }
        throw new HubHttpError(u, res.status, detail);
      }
      const newEtag = res.headers.get('x-linked-etag') ?? res.headers.get('etag');
      const linkedSize = intHeader(res, 'x-linked-size');
      if (res.status === 206) {
        const cr = parseContentRange(res.headers.get('content-range'));
        if (!cr || cr.start !== offset || (etag !== null && newEtag !== null && bareEtag(newEtag) !== bareEtag(etag))) {
          // Not the continuation we asked for, or the file changed since the partial download.
          await res.body?.cancel();
          if (offset === 0) throw new HubHttpError(u, 206, `unexpected Content-Range ${res.headers.get('content-range')}`);
          await sink.reset(); // start over (a request without Range cannot come here again)
          etag = null; total = null; resumedFrom = 0;
          continue;
        }
        total = cr.total ?? linkedSize ?? total;
      } else {
        if (offset > 0) { await sink.reset(); resumedFrom = 0; } // the server ignored the range (or the file changed): restart
        const encoded = res.headers.get('content-encoding');
        total = linkedSize ?? (encoded && encoded !== 'identity' ? null : intHeader(res, 'content-length'));
      }
      etag = newEtag;
      sink.setMeta({ url: u, etag, total });
      const before = sink.size;
      progress(true);
      let streamError: unknown = null;
      try {
        if (res.body) {
          const reader = res.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            await sink.write(value);
            sessionBytes += value.length;
            progress(false);
          }
        }
      } catch (e) {
        if (opts.signal?.aborted) { await sink.persist(); throw e; }
        streamError = e;
      }
      if (streamError === null && total !== null && sink.size < total) {
        streamError = new Error(`connection closed after ${sink.size} of ${total} bytes`);
      }
      if (streamError !== null) {
        if (sink.size > before) attempt = 0; // progress was made: the retry budget starts again
        if (attempt++ < retries) { await sink.persist(); await sleep(retryDelayMs); continue; }
        return fail(streamError);
      }
      break;
    }
    progress(true);

    // Verify, then commit.
    const size = sink.size;
    const discard = async (check: 'size' | 'sha256', expected: string, actual: string): Promise<never> => {
      await sink.reset();
      throw new HubIntegrityError(u, file, check, expected, actual);
    };
    if (total !== null && size !== total) await discard('size', `${total} bytes`, `${size} bytes`);
    let blob = await sink.blob();
    const digest = etag ? bareEtag(etag).toLowerCase() : '';
    if (verifyHash && /^[0-9a-f]{64}$/.test(digest)) {
      emit({ phase: 'verify', loaded: size, total, resumedFrom, bytesPerSecond: 0, etaSeconds: null });
      const actual = (await sha256(blob)).toLowerCase();
      if (actual !== digest) await discard('sha256', digest, actual);
    }
    if (cache) {
      await sink.commit();
      blob = (await cache.get(key)) ?? blob;
    }
    emit({ phase: 'done', loaded: size, total: size, resumedFrom, bytesPerSecond: sessionBytes / Math.max((Date.now() - t0) / 1000, 1e-3), etaSeconds: 0 });
    return blob;
  }

  const getBlob = (file: string): Promise<Blob> => {
    const cached = memo.get(file);
    if (cached) return cached;
    const p = download(file);
    memo.set(file, p);
    // With a cache, the blob is re-read from it next time; without one, keep the bytes (success only).
    p.then(() => { if (cache) memo.delete(file); }, () => memo.delete(file));
    return p;
  };

  return {
    name, repo, revision, url, cacheKey, getBlob,
    async isCached(file) { return cache ? (await cache.get(cacheKey(file))) !== null : memo.has(file); },
    async readText(file) { return (await getBlob(file)).text(); },
    async readBytes(file) { return new Uint8Array(await (await getBlob(file)).arrayBuffer()); },
    async readRange(file, offset, length) {
      return new Uint8Array(await (await getBlob(file)).slice(offset, offset + length).arrayBuffer());
    },
    async size(file) { return (await getBlob(file)).size; },
  };
}
