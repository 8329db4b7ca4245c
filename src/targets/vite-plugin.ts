// Vite plugin: the module `virtual:evom-target-assets` maps every asset of every registered target
// ("package/file") to the URL the build emits it at, so that a new target's wasm reaches the browser
// bundle with no change outside its folder. Used for the pages and for the workers (vite.config.ts).

import type { Plugin } from 'vite';
import { assetPath } from './assets-node.ts';
import { allTargets, loadTargetPlugins } from './registry.ts';

const ID = 'virtual:evom-target-assets';

export function targetAssetsPlugin(): Plugin {
  return {
    name: 'evom-target-assets',
    resolveId: (id) => (id === ID ? '\0' + ID : null),
    async load(id) {
      if (id !== '\0' + ID) return null;
      await loadTargetPlugins();
      const refs = new Map<string, string>();
      for (const t of allTargets()) for (const ref of Object.values(t.assets ?? {})) refs.set(`${ref.package}/${ref.file}`, assetPath(ref));
      const keys = [...refs.keys()];
      return [
        ...keys.map((k, i) => `import a${i} from ${JSON.stringify(refs.get(k)! + '?url')};`),
        `export default { ${keys.map((k, i) => `${JSON.stringify(k)}: a${i}`).join(', ')} };`,
      ].join('\n');
    },
  };
}
