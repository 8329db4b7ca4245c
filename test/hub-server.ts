// A Hugging Face Hub stand-in on 127.0.0.1: serves model folders at /{repo}/resolve/main/{file}
// with the Hub's headers (Content-Length, ETag, X-Linked-Etag = sha256 of the file, X-Linked-Size)
// and byte ranges; counts requests. For tests of the real loading code.
import { createServer, type Server } from 'node:http';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface HubServer { base: string; requests: string[]; close(): Promise<void> }

export async function startHubServer(repos: Record<string, string>): Promise<HubServer> {
  const requests: string[] = [];
  const hashes = new Map<string, string>();
  const server: Server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ''}`);
    const m = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(decodeURIComponent((req.url ?? '').split('?')[0]!));
    const dir = m ? repos[m[1]!] : undefined;
    const path = dir ? join(dir, m![2]!) : '';
    if (!dir || m![2]!.includes('..') || !existsSync(path) || !statSync(path).isFile()) {
      res.writeHead(404, { 'x-error-code': dir ? 'EntryNotFound' : 'RepoNotFound', 'access-control-allow-origin': '*', 'access-control-expose-headers': 'x-error-code' });
      res.end('not found');
      return;
    }
    const body = readFileSync(path);
    let sha = hashes.get(path);
    if (!sha) { sha = createHash('sha256').update(body).digest('hex'); hashes.set(path, sha); }
    const headers: Record<string, string> = {
      'content-type': 'application/octet-stream', 'accept-ranges': 'bytes',
      etag: `"${sha}"`, 'x-linked-etag': `"${sha}"`, 'x-linked-size': String(body.length),
      'access-control-allow-origin': '*', 'access-control-expose-headers': 'etag, x-linked-etag, x-linked-size, content-range, content-length, x-error-code',
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      const start = Number(range[1]), end = range[2] ? Math.min(Number(range[2]), body.length - 1) : body.length - 1;
      res.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${body.length}`, 'content-length': String(end - start + 1) });
      res.end(req.method === 'HEAD' ? undefined : body.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(body.length) });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { base: `http://127.0.0.1:${port}`, requests, close: () => new Promise((r) => server.close(() => r())) };
}
