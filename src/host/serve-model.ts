// A model's files served from the Vite dev server at /{repo}/resolve/main/{file} (the Hub's URL
// layout), so the engine page loads a local folder or a cached Hub model exactly as it would load
// from the Hub. Node only.

import type { Plugin } from 'vite';
import type { ModelSource } from '../model/source.ts';

export function serveModel(source: ModelSource, repo: string): Plugin {
  const prefix = `/${repo}/resolve/main/`;
  return {
    name: 'evom-serve-model',
    configureServer(server) {
      server.middlewares.use(async (req, res, next) => {
        const url = (req.url ?? '').split('?')[0]!;
        if (!url.startsWith(prefix)) return next();
        const file = decodeURIComponent(url.slice(prefix.length));
        try {
          const bytes = await source.readBytes(file);
          res.statusCode = 200;
          res.setHeader('content-length', String(bytes.length));
          res.setHeader('content-type', 'application/octet-stream');
          res.end(req.method === 'HEAD' ? undefined : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
        } catch (e) {
          res.statusCode = (e as { code?: string }).code === 'model_file_not_found' ? 404 : 500;
          res.end(String((e as Error).message));
        }
      });
    },
  };
}
