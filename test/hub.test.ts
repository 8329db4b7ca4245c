// hubSource against a real HTTP server on 127.0.0.1 that serves folders in the Hub's layout
// (/{owner}/{name}/resolve/{revision}/{file}) with the Hub's headers (ETag, X-Linked-Etag = sha256 for
// "LFS" files, X-Linked-Size, Content-Length), Range support, and switches to cut a response
// mid-file, corrupt bytes, ignore ranges, or answer 404/401/403/500.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  cacheApiCache, HubAuthError, HubDownloadInterruptedError, HubHttpError, HubIntegrityError, HubNotFoundError, HubOfflineError, hubSource,
  type DownloadProgress, type HubSourceOptions,
} from '../src/model/hub.ts';
import { nodeDirCache, nodeSha256 } from '../src/model/hub-node.ts';
import { loadModelConfig, ModelFileNotFoundError } from '../src/model/source.ts';
import { directorySource } from '../src/model/source-node.ts';
import { encodeFloats, openCheckpoint, serializeSafetensors } from '../src/model/safetensors.ts';
import { loadTokenizerFromSource } from '../src/model/tokenizer.ts';

interface Ctl {
  requests: { path: string; headers: IncomingHttpHeaders }[];
  /** Per file: a queue of absolute byte offsets at which to cut the next responses. */
  cuts: Map<string, number[]>;
  corrupt: Set<string>;
  /** Per file: answer this status (and X-Error-Code). */
  status: Map<string, { status: number; code?: string }>;
  ignoreRange: boolean;
  /** Per file: announce this X-Linked-Size instead of the real one. */
  lieSize: Map<string, number>;
}

const repos = new Map<string, string>(); // "owner/name" → folder
const ctl: Ctl = { requests: [], cuts: new Map(), corrupt: new Set(), status: new Map(), ignoreRange: false, lieSize: new Map() };
let server: Server;
let baseUrl: string;
let work: string;

function resetCtl() {
  ctl.requests = []; ctl.cuts.clear(); ctl.corrupt.clear(); ctl.status.clear(); ctl.ignoreRange = false; ctl.lieSize.clear();
}

async function startServer(): Promise<void> {
  server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url!, 'http://x').pathname);
    ctl.requests.push({ path, headers: req.headers });
    const m = path.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    if (!m) { res.writeHead(404).end(); return; }
    const [, repo, , file] = m as unknown as [string, string, string, string];
    const forced = ctl.status.get(file);
    if (forced) {
      res.writeHead(forced.status, forced.code ? { 'X-Error-Code': forced.code, 'X-Error-Message': 'forced' } : {}).end('error');
      return;
    }
    const dir = repos.get(repo);
    if (!dir) { res.writeHead(404, { 'X-Error-Code': 'RepoNotFound' }).end('Repository not found'); return; }
    const full = join(dir, file);
    if (!existsSync(full)) { res.writeHead(404, { 'X-Error-Code': 'EntryNotFound' }).end('Entry not found'); return; }
    let data: Uint8Array = readFileSync(full);
    const size = data.length;
    const lfs = file.endsWith('.safetensors');
    const headers: Record<string, string> = {
      'Accept-Ranges': 'bytes',
      ETag: `"${createHash(lfs ? 'sha256' : 'sha1').update(data).digest('hex')}"`,
    };
    if (lfs) {
      headers['X-Linked-Etag'] = headers.ETag!;
      headers['X-Linked-Size'] = String(ctl.lieSize.get(file) ?? size);
    }
    if (ctl.corrupt.has(file)) { data = Uint8Array.from(data); data[Math.floor(size / 2)]! ^= 0xff; }
    let start = 0;
    const range = req.headers.range?.match(/^bytes=(\d+)-$/);
    if (range && !ctl.ignoreRange) {
      start = Number(range[1]);
      if (start >= size) { res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end(); return; }
      headers['Content-Range'] = `bytes ${start}-${size - 1}/${size}`;
    }
    headers['Content-Length'] = String(size - start);
    res.writeHead(start > 0 ? 206 : 200, headers);
    const cut = ctl.cuts.get(file)?.shift();
    if (cut !== undefined && cut > start && cut < size) {
      res.write(data.subarray(start, cut), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(data.subarray(start));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

// Throwaway checkpoint: ~3 MiB of BF16 plus a config.
const MODEL_BYTES = serializeSafetensors([
  { name: 'model.embed_tokens.weight', dtype: 'BF16', shape: [1536, 1024], data: encodeFloats(Array.from({ length: 1536 * 1024 }, (_, i) => Math.sin(i) * 0.1), 'BF16') },
  { name: 'model.norm.weight', dtype: 'F32', shape: [1024], data: encodeFloats(new Array(1024).fill(1), 'F32') },
]);
const CONFIG = JSON.stringify({ model_type: 'qwen2', hidden_size: 1024, intermediate_size: 2048, num_attention_heads: 16, num_hidden_layers: 1, num_key_value_heads: 4, vocab_size: 1536, tie_word_embeddings: true });
const MODEL_SHA = createHash('sha256').update(MODEL_BYTES).digest('hex');

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'evom-hub-'));
  const repoDir = join(work, 'repo');
  await mkdir(repoDir);
  await writeFile(join(repoDir, 'model.safetensors'), MODEL_BYTES);
  await writeFile(join(repoDir, 'config.json'), CONFIG);
  repos.set('test-org/tiny', repoDir);
  await startServer();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await rm(work, { recursive: true, force: true });
});

beforeEach(resetCtl);

let cacheCounter = 0;
/** A fresh cache folder per test. */
function newCacheDir(): string { return join(work, `cache-${++cacheCounter}`); }

function source(cacheDir: string | null, opts: HubSourceOptions = {}) {
  return hubSource('test-org/tiny', { baseUrl, cache: cacheDir ? nodeDirCache(cacheDir) : null, retryDelayMs: 0, flushBytes: 256 * 1024, ...opts });
}

/** Byte equality without vitest's element-by-element diff (slow on megabytes). */
function expectSame(a: Uint8Array | Float32Array, b: Uint8Array | Float32Array): void {
  const bytes = (x: Uint8Array | Float32Array) => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
  expect(a.length).toBe(b.length);
  expect(Buffer.compare(bytes(a), bytes(b))).toBe(0);
}

/** Request `i` asked for a range starting after 0 and at most at `cut`. */
function expectResumedAt(i: number, cut: number): void {
  const m = ctl.requests[i]!.headers.range?.match(/^bytes=(\d+)-$/);
  expect(m, `request ${i} has a Range header`).toBeTruthy();
  expect(Number(m![1])).toBeGreaterThan(0);
  expect(Number(m![1])).toBeLessThanOrEqual(cut);
}

async function listFiles(dir: string): Promise<string[]> {
  if (!existsSync(dir)) return [];
  return (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error('expected a rejection');
}

describe('hubSource', () => {
  it('downloads with progress events, verifies sha256, and caches', async () => {
    const events: DownloadProgress[] = [];
    const cacheDir = newCacheDir();
    const src = source(cacheDir, { onProgress: (p) => events.push(p), progressIntervalMs: 0 });
    expect(src.url('model.safetensors')).toBe(`${baseUrl}/test-org/tiny/resolve/main/model.safetensors`);
    const bytes = await src.readBytes('model.safetensors');
    expectSame(bytes, MODEL_BYTES);
    expect(ctl.requests.length).toBe(1);
    const dl = events.filter((e) => e.phase === 'download');
    expect(dl.length).toBeGreaterThan(2);
    for (let i = 1; i < dl.length; i++) expect(dl[i]!.loaded).toBeGreaterThanOrEqual(dl[i - 1]!.loaded);
    expect(dl.every((e) => e.total === MODEL_BYTES.length && e.file === 'model.safetensors')).toBe(true);
    expect(dl.at(-1)!.loaded).toBe(MODEL_BYTES.length);
    expect(dl.some((e) => e.bytesPerSecond > 0 && e.etaSeconds !== null)).toBe(true);
    expect(events.some((e) => e.phase === 'verify')).toBe(true);
    expect(events.at(-1)).toMatchObject({ phase: 'done', loaded: MODEL_BYTES.length, total: MODEL_BYTES.length, resumedFrom: 0 });
    expect(await src.isCached('model.safetensors')).toBe(true);
    expect((await listFiles(cacheDir)).sort()).toEqual(['model.safetensors']); // no partial left behind
    // JSON through the same source (size-only verification: its etag is not a sha256).
    expect((await loadModelConfig(src)).hidden).toBe(1024);
  });

  it('serves cached files without any network request, also once the server is unreachable', async () => {
    const cacheDir = newCacheDir();
    await openCheckpoint(source(cacheDir)); // probes model.safetensors.index.json (404), reads the header
    await source(cacheDir).readText('config.json');
    await expect(source(cacheDir).readText('generation_config.json')).rejects.toBeInstanceOf(HubNotFoundError);
    ctl.requests = [];
    let fetches = 0;
    const counting: typeof fetch = (...a) => { fetches++; return fetch(...a); };
    const events: DownloadProgress[] = [];
    const again = source(cacheDir, { fetch: counting, onProgress: (p) => events.push(p) });
    expectSame(await again.readBytes('model.safetensors'), MODEL_BYTES);
    expect(await again.readRange('model.safetensors', 8, 4)).toEqual(MODEL_BYTES.subarray(8, 12));
    expect(JSON.parse(await again.readText('config.json')).hidden_size).toBe(1024);
    // The 404 is remembered: no request, same typed error (and loadModelConfig treats it as absent).
    const e = await rejection(again.readText('generation_config.json'));
    expect(e).toBeInstanceOf(ModelFileNotFoundError);
    expect(e.message).toContain('remembered');
    expect((await loadModelConfig(again)).layers).toBe(1);
    expect(fetches).toBe(0);
    expect(ctl.requests.length).toBe(0);
    expect(events[0]).toMatchObject({ phase: 'cached', loaded: MODEL_BYTES.length });
    // Offline (a fetch that cannot connect at all): everything seen before still works.
    const offline: typeof fetch = async () => { fetches++; throw new TypeError('fetch failed'); };
    const off = source(cacheDir, { fetch: offline });
    const ck = await openCheckpoint(off);
    expect(ck.files).toEqual(['model.safetensors']);
    expect((await ck.readFloat32('model.norm.weight'))[0]).toBe(1);
    expect(fetches).toBe(0);
    const e2 = await rejection(off.readText('tokenizer.json'));
    expect(e2).toBeInstanceOf(HubOfflineError);
    expect(e2.message).toContain('"tokenizer.json" is not in the cache');
  });

  it('resumes within one call after the connection is cut (Range request, intact result)', async () => {
    ctl.cuts.set('model.safetensors', [1_000_003]);
    const cacheDir = newCacheDir();
    const bytes = await source(cacheDir, { sha256: nodeSha256 }).readBytes('model.safetensors');
    expectSame(bytes, MODEL_BYTES);
    expect(ctl.requests.length).toBe(2);
    expect(ctl.requests[0]!.headers.range).toBeUndefined();
    // The resumed request starts where the received bytes end (at most the cut: bytes still in the
    // client's buffers when the socket died are lost and fetched again).
    expectResumedAt(1, 1_000_003);
  });

  it('keeps a partial download in the cache and resumes it in a later call', async () => {
    ctl.cuts.set('model.safetensors', [2_000_001]);
    const cacheDir = newCacheDir();
    const e = await rejection(source(cacheDir, { retries: 0 }).readBytes('model.safetensors'));
    expect(e).toBeInstanceOf(HubDownloadInterruptedError);
    const ie = e as HubDownloadInterruptedError;
    expect(ie.bytesDone).toBeGreaterThan(0);
    expect(ie.bytesDone).toBeLessThanOrEqual(2_000_001);
    expect(ie.total).toBe(MODEL_BYTES.length);
    expect(ie.resumable).toBe(true);
    expect(ie.message).toContain('resumes');
    expect((await listFiles(cacheDir)).sort()).toEqual(['model.safetensors#partial', 'model.safetensors#partial-meta']);
    const events: DownloadProgress[] = [];
    const bytes = await source(cacheDir, { onProgress: (p) => events.push(p) }).readBytes('model.safetensors');
    expectSame(bytes, MODEL_BYTES);
    expect(ctl.requests.length).toBe(2);
    expect(ctl.requests[1]!.headers.range).toBe(`bytes=${ie.bytesDone}-`);
    expect(events.at(-1)).toMatchObject({ phase: 'done', resumedFrom: ie.bytesDone });
    expect((await listFiles(cacheDir)).sort()).toEqual(['model.safetensors']);
  });

  it('commits a partial that is already complete without a request (crash between download and commit)', async () => {
    const cacheDir = newCacheDir();
    const src = source(cacheDir);
    const cache = nodeDirCache(cacheDir);
    const key = src.cacheKey('model.safetensors');
    await cache.put(`${key}#partial`, MODEL_BYTES);
    await cache.put(`${key}#partial-meta`, new TextEncoder().encode(JSON.stringify({ url: src.url('model.safetensors'), etag: `"${MODEL_SHA}"`, total: MODEL_BYTES.length })));
    expectSame(await src.readBytes('model.safetensors'), MODEL_BYTES);
    expect(ctl.requests.length).toBe(0);
    expect((await listFiles(cacheDir)).sort()).toEqual(['model.safetensors']);
    // The same, corrupted: the sha256 check still runs and throws the partial away.
    const bad = Uint8Array.from(MODEL_BYTES); bad[12345]! ^= 1;
    const cacheDir2 = newCacheDir();
    await nodeDirCache(cacheDir2).put(`${key}#partial`, bad);
    await nodeDirCache(cacheDir2).put(`${key}#partial-meta`, new TextEncoder().encode(JSON.stringify({ url: src.url('model.safetensors'), etag: `"${MODEL_SHA}"`, total: MODEL_BYTES.length })));
    expect(await rejection(source(cacheDir2).readBytes('model.safetensors'))).toBeInstanceOf(HubIntegrityError);
    expect(await listFiles(cacheDir2)).toEqual([]);
  });

  it('starts over when the file changed on the server since the partial download', async () => {
    const repoDir = repos.get('test-org/tiny')!;
    const v1 = new Uint8Array(600_000).map((_, i) => i % 251);
    const v2 = new Uint8Array(650_000).map((_, i) => (i * 7) % 253);
    await writeFile(join(repoDir, 'changing.safetensors'), v1);
    ctl.cuts.set('changing.safetensors', [300_000]);
    const cacheDir = newCacheDir();
    await rejection(source(cacheDir, { retries: 0 }).readBytes('changing.safetensors'));
    await writeFile(join(repoDir, 'changing.safetensors'), v2);
    expectSame(await source(cacheDir).readBytes('changing.safetensors'), v2);
    // cut, then a 206 whose etag differs from the partial's (discarded), then the whole new file
    expect(ctl.requests.length).toBe(3);
    expect(ctl.requests[0]!.headers.range).toBeUndefined();
    expectResumedAt(1, 300_000);
    expect(ctl.requests[2]!.headers.range).toBeUndefined();
  });

  it('restarts from zero when the server ignores the Range header (200)', async () => {
    ctl.cuts.set('model.safetensors', [1_500_000]);
    ctl.ignoreRange = true;
    const bytes = await source(newCacheDir()).readBytes('model.safetensors');
    expectSame(bytes, MODEL_BYTES);
    expect(ctl.requests.length).toBe(2);
    expectResumedAt(1, 1_500_000);
  });

  it('resumes in memory too when there is no cache', async () => {
    ctl.cuts.set('model.safetensors', [700_000, 1_400_000]);
    const src = source(null);
    expectSame(await src.readBytes('model.safetensors'), MODEL_BYTES);
    expect(ctl.requests.length).toBe(3);
    expect(ctl.requests[0]!.headers.range).toBeUndefined();
    expectResumedAt(1, 700_000);
    expectResumedAt(2, 1_400_000);
    // Without a cache, the bytes stay in memory for this source (no second request).
    expect(await src.readRange('model.safetensors', 0, 8)).toEqual(MODEL_BYTES.subarray(0, 8));
    expect(ctl.requests.length).toBe(3);
    ctl.cuts.set('model.safetensors', [10]);
    const e = await rejection(source(null, { retries: 0 }).readBytes('model.safetensors'));
    expect(e).toBeInstanceOf(HubDownloadInterruptedError);
    expect((e as HubDownloadInterruptedError).resumable).toBe(false);
    expect(e.message).toContain('starts over');
  });

  it('deletes a corrupted download and raises an integrity error (sha256 and size)', async () => {
    ctl.corrupt.add('model.safetensors');
    const cacheDir = newCacheDir();
    const e = await rejection(source(cacheDir).readBytes('model.safetensors'));
    expect(e).toBeInstanceOf(HubIntegrityError);
    expect((e as HubIntegrityError).check).toBe('sha256');
    expect((e as HubIntegrityError).expected).toBe(MODEL_SHA);
    expect(e.message).toContain('deleted');
    expect(await listFiles(cacheDir)).toEqual([]);
    ctl.corrupt.clear();
    expectSame(await source(cacheDir).readBytes('model.safetensors'), MODEL_BYTES);

    ctl.lieSize.set('model.safetensors', MODEL_BYTES.length - 10);
    const cacheDir2 = newCacheDir();
    const s = await rejection(source(cacheDir2).readBytes('model.safetensors'));
    expect(s).toBeInstanceOf(HubIntegrityError);
    expect((s as HubIntegrityError).check).toBe('size');
    expect(await listFiles(cacheDir2)).toEqual([]);
  });

  it('raises specific errors for 404, 401/403, 5xx and offline', async () => {
    const nf = await rejection(source(newCacheDir()).readText('nope.json'));
    expect(nf).toBeInstanceOf(HubNotFoundError);
    expect((nf as HubNotFoundError).what).toBe('file');
    expect(nf.message).toContain(`${baseUrl}/test-org/tiny/resolve/main/nope.json`);
    const repo = await rejection(hubSource('test-org/missing', { baseUrl }).readText('config.json'));
    expect((repo as HubNotFoundError).what).toBe('repository');
    expect(repo.message).toContain('repository "test-org/missing" not found');

    ctl.status.set('config.json', { status: 401 });
    const a = await rejection(source(null).readText('config.json'));
    expect(a).toBeInstanceOf(HubAuthError);
    expect(a.message).toMatch(/private or gated: pass a Hugging Face access token/);
    await rejection(source(null, { token: 'hf_secret' }).readText('config.json'));
    expect(ctl.requests.at(-1)!.headers.authorization).toBe('Bearer hf_secret');
    ctl.status.set('config.json', { status: 403, code: 'GatedRepo' });
    const g = await rejection(source(null, { token: 'hf_secret' }).readText('config.json'));
    expect(g.message).toContain('gated repository: accept its terms at https://huggingface.co/test-org/tiny');
    ctl.status.set('config.json', { status: 401, code: 'RepoNotFound' });
    expect((await rejection(source(null).readText('config.json'))).message).toContain('not found, or it is private');

    ctl.status.set('config.json', { status: 503 });
    ctl.requests = [];
    const h = await rejection(source(null, { retries: 2 }).readText('config.json'));
    expect(h).toBeInstanceOf(HubHttpError);
    expect((h as HubHttpError).status).toBe(503);
    expect(ctl.requests.length).toBe(3);

    // A port nothing listens on (bound, then released).
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const off = await rejection(hubSource('test-org/tiny', { baseUrl: `http://127.0.0.1:${closedPort}`, retries: 1, retryDelayMs: 0, cache: nodeDirCache(newCacheDir()) }).readText('config.json'));
    expect(off).toBeInstanceOf(HubOfflineError);
    expect(off.message).toContain('not in the cache');
  });

  it('works with a cache that cannot append (Cache API shape): partials are rewritten, then resumed', async () => {
    // A minimal in-memory stand-in for the browser's CacheStorage (Node has none).
    const store = new Map<string, Blob>();
    const g = globalThis as { caches?: unknown };
    const saved = g.caches;
    g.caches = {
      open: async () => ({
        match: async (req: Request) => (store.has(req.url) ? new Response(store.get(req.url)!) : undefined),
        put: async (req: Request, res: Response) => { store.set(req.url, await res.blob()); },
        delete: async (req: Request) => store.delete(req.url),
      }),
    };
    try {
      const cache = cacheApiCache();
      ctl.cuts.set('model.safetensors', [1_234_567]);
      const first = hubSource('test-org/tiny', { baseUrl, cache, retries: 0, retryDelayMs: 0, flushBytes: 300_000 });
      expect(await rejection(first.readBytes('model.safetensors'))).toBeInstanceOf(HubDownloadInterruptedError);
      const partial = [...store.entries()].find(([k]) => k.endsWith('%23partial'));
      const partialSize = partial![1].size;
      expect(partialSize).toBeGreaterThan(0);
      expect(partialSize).toBeLessThanOrEqual(1_234_567);
      const second = hubSource('test-org/tiny', { baseUrl, cache, retryDelayMs: 0 });
      expectSame(await second.readBytes('model.safetensors'), MODEL_BYTES);
      expect(ctl.requests[1]!.headers.range).toBe(`bytes=${partialSize}-`);
      expect([...store.keys()].filter((k) => k.includes('%23')).length).toBe(0);
      expect(await second.isCached('model.safetensors')).toBe(true);
    } finally {
      g.caches = saved;
    }
  });

  it('shares one download between concurrent readers', async () => {
    const src = source(newCacheDir());
    const [a, b] = await Promise.all([src.readBytes('model.safetensors'), src.readRange('model.safetensors', 100, 10)]);
    expectSame(a, MODEL_BYTES);
    expect(b).toEqual(MODEL_BYTES.subarray(100, 110));
    expect(ctl.requests.length).toBe(1);
  });
});

const fixtures = new URL('./fixtures/models/', import.meta.url).pathname;
describe.runIf(existsSync(`${fixtures}tiny-qwen3/model.safetensors.index.json`))('fixture models through the Hub', () => {
  it('tiny-qwen3 (sharded): config, tokenizer and tensors through a hub source equal the folder', async () => {
    repos.set('test-org/tiny-qwen3', `${fixtures}tiny-qwen3`);
    const cacheDir = newCacheDir();
    ctl.cuts.set('model-00001-of-00002.safetensors', [5_000_000]);
    const hub = hubSource('test-org/tiny-qwen3', { baseUrl, cache: nodeDirCache(cacheDir), retryDelayMs: 0 });
    const local = directorySource(`${fixtures}tiny-qwen3`);
    expect(await loadModelConfig(hub)).toEqual(await loadModelConfig(local));
    const tok = (await loadTokenizerFromSource(hub))!;
    expect(tok.encode('Hello world')).toEqual([9707, 1879]);
    const [a, b] = await Promise.all([openCheckpoint(hub), openCheckpoint(local)]);
    expect(a.files).toEqual(b.files);
    for (const name of ['model.embed_tokens.weight', 'model.layers.1.self_attn.k_norm.weight', 'model.norm.weight']) {
      expectSame(await a.readFloat32(name), await b.readFloat32(name));
    }
    // Shards verified against their sha256 (the reference's figures) and cached.
    const ref = JSON.parse(readFileSync(new URL('./fixtures/reference/tiny-qwen3.json', import.meta.url), 'utf8'));
    for (const [f, sha] of Object.entries(ref.weight_files_sha256 as Record<string, string>)) {
      expect(await nodeSha256((await hub.getBlob(f)))).toBe(sha);
    }
    expect(ctl.requests.some((r) => /^bytes=[1-9]\d*-$/.test(r.headers.range ?? ''))).toBe(true);
  });
});
