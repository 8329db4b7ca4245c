// Vite plugin: the module `virtual:evom-target-assets` maps every asset of every registered target
// ("package/file") to the URL the build emits it at, so that a new target's wasm reaches the browser
// bundle with no change outside its folder. Used for the pages and for the workers (vite.config.ts).
// On the dev server, JavaScript assets are served as they are in the package (DEV_PREFIX), as the
// build emits them: Vite's dev transform would rewrite their imports (the pulp target evaluates
// Pyodide's modules from blob: URLs, where those rewrites do not resolve).

import { readFile } from 'node:fs/promises';
import type { Plugin } from 'vite';
import { assetPath } from './assets-node.ts';
import { allTargets, loadTargetPlugins } from './registry.ts';

const ID = 'virtual:evom-target-assets';
const DEV_PREFIX = '/@evom-target-asset/';
const JS = /\.m?js$/;

async function assetPaths(): Promise<Map<string, string>> {
  await loadTargetPlugins();
  const refs = new Map<string, string>();
  for (const t of allTargets()) for (const ref of Object.values(t.assets ?? {})) refs.set(`${ref.package}/${ref.file}`, assetPath(ref));
  return refs;
}

export function targetAssetsPlugin(): Plugin {
  let dev = false;
  return {
    name: 'evom-target-assets',
    configResolved: (c) => { dev = c.command === 'serve'; },
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (!req.url?.startsWith(DEV_PREFIX)) return next();
        const key = decodeURIComponent(req.url.slice(DEV_PREFIX.length).split('?')[0]!);
        void assetPaths().then(async (refs) => {
          const path = refs.get(key); // registered assets only
          if (!path || !JS.test(key)) { res.statusCode = 404; res.end(); return; }
          res.setHeader('content-type', 'text/javascript');
          res.end(await readFile(path));
        }).catch(next);
      });
    },
    resolveId: (id) => (id === ID ? '\0' + ID : null),
    async load(id) {
      if (id !== '\0' + ID) return null;
      const refs = await assetPaths();
      const keys = [...refs.keys()];
      const raw = (k: string) => dev && JS.test(k);
      return [
        ...keys.map((k, i) => (raw(k) ? `const a${i} = ${JSON.stringify(DEV_PREFIX + k)};` : `import a${i} from ${JSON.stringify(refs.get(k)! + '?url')};`)),
        `export default { ${keys.map((k, i) => `${JSON.stringify(k)}: a${i}`).join(', ')} };`,
      ].join('\n');
    },
  };
}
